//! Who may call what: the one access table (method + path → required scope) and API-key
//! identification, comparing key digests in constant time.

use axum::http::{HeaderMap, Method, header};
use subtle::ConstantTimeEq;

use crate::config::{ApiKey, Scope};

/// What a request needs before it reaches its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Probes and the API description: no key.
    Public,
    /// At least this scope.
    Needs(Scope),
}

/// The access table. Routes added later are covered without edits: reads and the MCP
/// endpoints need `read`, every other mutation needs `admin`. `/metrics` on the API port is a
/// read like any other (it names tools and counts their calls, which a `read` key may see
/// anyway); the `METRICS_PORT` listener is outside this table, for a scrape-only network.
pub fn required_access(method: &Method, path: &str) -> Access {
    const PUBLIC: &[&str] = &["/health", "/ready", "/openapi.json", "/docs"];
    if PUBLIC.contains(&path) || path.starts_with("/docs/") {
        return Access::Public;
    }
    // The console's pages and assets hold no registry data (their script reads it through
    // the API with the person's key), so a browser can load them before it has one.
    let read_only = matches!(*method, Method::GET | Method::HEAD);
    if read_only && crate::http::console::is_console_path(path) {
        return Access::Public;
    }
    // Upstream servers are an operator's business: even reading them (URLs, header names,
    // health) needs `admin`.
    if path == "/servers" || path.starts_with("/servers/") {
        return Access::Needs(Scope::Admin);
    }
    let agent_route = path == "/mcp" || path.starts_with("/mcp/");
    if agent_route || matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        Access::Needs(Scope::Read)
    } else {
        Access::Needs(Scope::Admin)
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A configured key.
    Key(ApiKey),
    /// No key presented.
    Anonymous,
    /// A key was presented but matches none.
    Unknown,
}

/// The key presented as `Authorization: Bearer …` or `X-API-Key: …`.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.trim());
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Matches the presented key against every configured digest, without an early exit, so the
/// time taken does not depend on which (if any) key matched.
pub fn identify(keys: &[ApiKey], headers: &HeaderMap) -> Caller {
    let Some(presented) = presented_key(headers) else {
        return Caller::Anonymous;
    };
    let digest = crate::config::edge_digest(presented);
    let mut found: Option<&ApiKey> = None;
    for key in keys {
        if bool::from(key.digest.ct_eq(&digest)) {
            found = Some(key);
        }
    }
    found.map_or(Caller::Unknown, |k| Caller::Key(k.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_and_docs_are_public_metrics_need_read_and_unknown_mutations_need_admin() {
        assert_eq!(required_access(&Method::GET, "/health"), Access::Public);
        assert_eq!(
            required_access(&Method::GET, "/docs/index.css"),
            Access::Public
        );
        assert_eq!(
            required_access(&Method::GET, "/metrics"),
            Access::Needs(Scope::Read)
        );
        assert_eq!(
            required_access(&Method::POST, "/mcp/call_tool"),
            Access::Needs(Scope::Read)
        );
        assert_eq!(
            required_access(&Method::GET, "/tools/x/stats"),
            Access::Needs(Scope::Read)
        );
        assert_eq!(
            required_access(&Method::POST, "/tools/bulk"),
            Access::Needs(Scope::Admin)
        );
        assert_eq!(
            required_access(&Method::PATCH, "/anything/new"),
            Access::Needs(Scope::Admin)
        );
    }

    #[test]
    fn console_pages_are_public_to_read_and_nothing_else() {
        for path in ["/", "/ui", "/ui/tools/calculator", "/ui/assets/console.js"] {
            assert_eq!(
                required_access(&Method::GET, path),
                Access::Public,
                "{path}"
            );
        }
        assert_eq!(
            required_access(&Method::POST, "/ui/tools"),
            Access::Needs(Scope::Admin)
        );
        assert_eq!(
            required_access(&Method::GET, "/uix"),
            Access::Needs(Scope::Read)
        );
    }

    #[test]
    fn keys_are_read_from_either_header() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "bearer abc".parse().unwrap());
        assert_eq!(presented_key(&h), Some("abc"));
        let mut h = HeaderMap::new();
        h.insert("x-api-key", "xyz".parse().unwrap());
        assert_eq!(presented_key(&h), Some("xyz"));
        let mut h = HeaderMap::new();
        h.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(presented_key(&h), None);
    }
}
