//! Who may call what at the route level: the one access table (method + path → the role a
//! route needs) and where a credential is read from. Which tools a caller sees, and whether it
//! may call them, is the registry's to enforce (below REST and MCP alike).

use axum::http::{HeaderMap, Method, header};

use crate::domain::Role;

/// What a request needs before it reaches its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Probes, the API description and the OAuth discovery documents: no credential.
    Public,
    /// At least this role.
    Needs(Role),
}

/// The access table. Routes added later are covered without edits: reads and the agent
/// endpoints need `read` (calling a tool needs `call`, which the registry checks, since over
/// MCP it is one method among others on one route), every other mutation needs `admin`.
/// `/metrics` on the API port is a read like any other (it names tools and counts their
/// calls); the `METRICS_PORT` listener is outside this table, for a scrape-only network.
pub fn required_access(method: &Method, path: &str) -> Access {
    const PUBLIC: &[&str] = &["/health", "/ready", "/openapi.json", "/docs"];
    if PUBLIC.contains(&path) || path.starts_with("/docs/") || path.starts_with("/.well-known/") {
        return Access::Public;
    }
    // The console's pages and assets hold no registry data (their script reads it through
    // the API with the person's key), so a browser can load them before it has one.
    let read_only = matches!(*method, Method::GET | Method::HEAD);
    if read_only && crate::http::console::is_console_path(path) {
        return Access::Public;
    }
    // Upstream servers and keys are an operator's business: even reading them (URLs, header
    // names, health, who holds which key) needs `admin`.
    let operator = ["/servers", "/keys"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if operator {
        return Access::Needs(Role::Admin);
    }
    // The REST call route is refused here already; over MCP, `tools/call` is one method on
    // the shared `/mcp` route, so the registry checks the role (for REST too).
    if path == "/mcp/call_tool" {
        return Access::Needs(Role::Call);
    }
    let agent_route = path == "/mcp" || path.starts_with("/mcp/");
    if agent_route || matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        Access::Needs(Role::Read)
    } else {
        Access::Needs(Role::Admin)
    }
}

/// The credential presented as `Authorization: Bearer …` or `X-API-Key: …`.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.trim());
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
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
            Access::Needs(Role::Read)
        );
        assert_eq!(
            required_access(&Method::POST, "/mcp/call_tool"),
            Access::Needs(Role::Call)
        );
        assert_eq!(
            required_access(&Method::POST, "/mcp"),
            Access::Needs(Role::Read)
        );
        assert_eq!(
            required_access(&Method::GET, "/tools/x/stats"),
            Access::Needs(Role::Read)
        );
        assert_eq!(
            required_access(&Method::POST, "/tools/bulk"),
            Access::Needs(Role::Admin)
        );
        assert_eq!(
            required_access(&Method::PATCH, "/anything/new"),
            Access::Needs(Role::Admin)
        );
        assert_eq!(
            required_access(&Method::GET, "/keys"),
            Access::Needs(Role::Admin)
        );
        assert_eq!(
            required_access(&Method::GET, "/.well-known/oauth-protected-resource"),
            Access::Public
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
            Access::Needs(Role::Admin)
        );
        assert_eq!(
            required_access(&Method::GET, "/uix"),
            Access::Needs(Role::Read)
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
