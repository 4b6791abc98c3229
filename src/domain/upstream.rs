//! Upstream MCP servers as the registry knows them: a registration's rules, and how an
//! upstream's tool names become registry tool names (`{namespace}__{tool}`).
//!
//! A server's `url` and `headers` follow the rules of an HTTP tool's executor, through the
//! same functions ([`http_executor`], [`restore_redacted`]): the same URL
//! checks, the same header checks, and the same secret handling (values stored, shown as
//! `"[redacted]"`, restored on update only while the URL keeps its origin).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::{FieldError, REDACTED, http_executor, restore_redacted};

/// Between a namespace and an upstream tool's name.
pub const NAMESPACE_SEPARATOR: &str = "__";
/// The refresh interval when a registration sets none, and its bounds.
pub const DEFAULT_REFRESH_S: u64 = 300;
const MIN_REFRESH_S: u64 = 1;
const MAX_REFRESH_S: u64 = 86_400;
const MAX_NAME: usize = 64;
const MAX_PATTERNS: usize = 256;

/// The fields of a server registration or update, as they arrive.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub headers: Option<BTreeMap<String, Value>>,
    pub namespace: Option<String>,
    pub include: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::optional_integer")]
    pub refresh_interval_s: Option<u64>,
}

/// A validated server registration.
#[derive(Clone, PartialEq)]
pub struct NewServer {
    pub name: String,
    pub url: reqwest::Url,
    /// Header values are secrets: never log or return them.
    pub headers: BTreeMap<String, String>,
    pub namespace: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// The category of its tools; the server's name when unset.
    pub category: Option<String>,
    pub refresh_interval_s: u64,
}

/// A registered server.
#[derive(Clone, Serialize)]
pub struct UpstreamServer {
    pub name: String,
    pub url: String,
    /// Serialized with every value `"[redacted]"`.
    #[serde(serialize_with = "redacted_headers")]
    pub headers: BTreeMap<String, String>,
    pub namespace: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub category: Option<String>,
    pub refresh_interval_s: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn redacted_headers<S: serde::Serializer>(
    h: &BTreeMap<String, String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let shown: BTreeMap<&str, &str> = h.keys().map(|k| (k.as_str(), REDACTED)).collect();
    shown.serialize(s)
}

impl std::fmt::Debug for UpstreamServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamServer")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NewServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewServer")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl UpstreamServer {
    /// The category of the server's tools.
    pub fn category(&self) -> &str {
        self.category.as_deref().unwrap_or(&self.name)
    }

    /// The registration this server was made with, as the starting point of an update.
    pub fn to_new_server(&self) -> Option<NewServer> {
        Some(NewServer {
            name: self.name.clone(),
            url: reqwest::Url::parse(&self.url).ok()?,
            headers: self.headers.clone(),
            namespace: self.namespace.clone(),
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            category: self.category.clone(),
            refresh_interval_s: self.refresh_interval_s,
        })
    }

    /// Whether the upstream tool `tool` is exposed (`include`, then `exclude`; `*` globs).
    pub fn exposes(&self, tool: &str) -> bool {
        let any = |patterns: &[String]| patterns.iter().any(|p| glob_match(p, tool));
        (self.include.is_empty() || any(&self.include)) && !any(&self.exclude)
    }

    /// The registry name of the upstream tool `tool`.
    pub fn tool_name(&self, tool: &str) -> String {
        format!("{}{NAMESPACE_SEPARATOR}{tool}", self.namespace)
    }
}

/// The `config.upstream` member of a tool that comes from an upstream server.
pub fn upstream_config(server: &str, tool: &str) -> Value {
    json!({"server": server, "tool": tool})
}

/// The server and upstream tool name of a registry tool, if it comes from an upstream.
pub fn upstream_of(config: &Value) -> Option<(&str, &str)> {
    let up = config.get("upstream")?;
    Some((up.get("server")?.as_str()?, up.get("tool")?.as_str()?))
}

impl NewServer {
    /// Validates a registration, collecting every problem.
    pub fn parse(patch: ServerPatch) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        if patch.name.is_none() {
            errors.push(FieldError::new("/name", "required", "`name` is required"));
        }
        if patch.url.is_none() {
            errors.push(FieldError::new(
                "/url",
                "required",
                "`url` is required: the server's MCP endpoint (Streamable HTTP), e.g. http://host:port/mcp",
            ));
        }
        let name = patch.name.clone().unwrap_or_default();
        let base = NewServer {
            namespace: name.clone(),
            name,
            url: reqwest::Url::parse("http://placeholder.invalid/").expect("a valid URL"),
            headers: BTreeMap::new(),
            include: vec![],
            exclude: vec![],
            category: None,
            refresh_interval_s: DEFAULT_REFRESH_S,
        };
        if !errors.is_empty() {
            // Report the other fields' problems too.
            if let Err(more) = base.clone().apply(patch, None) {
                errors.extend(more.into_iter().filter(|e| {
                    !matches!(e.pointer.as_str(), "/name" | "/url" | "/namespace")
                        || e.rule != "required"
                }));
            }
            errors.dedup_by(|a, b| a.pointer == b.pointer);
            return Err(errors);
        }
        base.apply(patch, None)
    }

    /// Applies an update (or a registration's fields) to `self`. `stored` is the server as it
    /// is stored, whose header values a `"[redacted]"` stands for.
    pub fn apply(
        mut self,
        patch: ServerPatch,
        stored: Option<&UpstreamServer>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        match (&patch.name, stored) {
            (Some(n), Some(s)) if n != &s.name => errors.push(FieldError::new(
                "/name",
                "const",
                format!(
                    "a server cannot be renamed; the body's name must be {:?} or absent",
                    s.name
                ),
            )),
            (Some(n), None) => {
                check_identifier(&mut errors, "/name", n);
                if patch.namespace.is_none() {
                    self.namespace = n.clone();
                }
                self.name = n.clone();
            }
            _ => {}
        }
        if let Some(ns) = patch.namespace {
            check_identifier(&mut errors, "/namespace", &ns);
            self.namespace = ns;
        }
        let url = patch.url.unwrap_or_else(|| self.url.to_string());
        // Headers not sent are kept as if echoed back redacted: so they follow the server only
        // while its URL keeps its origin.
        let headers = match patch.headers {
            Some(h) => Value::Object(h.into_iter().collect()),
            None => json!(
                self.headers
                    .keys()
                    .map(|k| (k.clone(), REDACTED))
                    .collect::<BTreeMap<_, _>>()
            ),
        };
        // The connection settings as an HTTP executor's, checked and restored by its rules.
        let mut config = json!({"executor": {"kind": "http", "url": url, "headers": headers}});
        let old = stored.map_or(
            Value::Null,
            |s| json!({"executor": {"kind": "http", "url": s.url, "headers": s.headers}}),
        );
        if let Err(more) = restore_redacted(&mut config, &old) {
            errors.extend(relocate(more, "/executor"));
        }
        match http_executor(&config) {
            Ok(Some(spec)) => {
                self.url = spec.url;
                self.headers = spec.headers.into_iter().collect();
            }
            Ok(None) => {}
            Err(more) => errors.extend(relocate(more, "/config/executor")),
        }
        for (pointer, list, target) in [
            ("/include", patch.include, &mut self.include),
            ("/exclude", patch.exclude, &mut self.exclude),
        ] {
            if let Some(list) = list {
                if list.len() > MAX_PATTERNS {
                    errors.push(FieldError::new(
                        pointer,
                        "maxItems",
                        format!("at most {MAX_PATTERNS} patterns"),
                    ));
                }
                for (i, p) in list.iter().enumerate() {
                    if p.is_empty() || p.len() > 128 || p.chars().any(char::is_control) {
                        errors.push(FieldError::new(
                            format!("{pointer}/{i}"),
                            "pattern",
                            "a pattern is 1-128 printable characters; `*` matches any run of characters",
                        ));
                    }
                }
                *target = list;
            }
        }
        if let Some(category) = patch.category {
            if let Some(c) = &category {
                let ok = !c.trim().is_empty()
                    && c.trim().len() == c.len()
                    && c.chars().count() <= 64
                    && !c.chars().any(char::is_control);
                if !ok {
                    errors.push(FieldError::new(
                        "/category",
                        "pattern",
                        "must be 1-64 printable characters with no leading or trailing whitespace",
                    ));
                }
            }
            self.category = category;
        }
        if let Some(s) = patch.refresh_interval_s {
            if !(MIN_REFRESH_S..=MAX_REFRESH_S).contains(&s) {
                errors.push(FieldError::new(
                    "/refresh_interval_s",
                    "range",
                    format!(
                        "must be an integer between {MIN_REFRESH_S} and {MAX_REFRESH_S} seconds"
                    ),
                ));
            }
            self.refresh_interval_s = s;
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

/// Errors of the executor-shaped check, moved to the request's own fields (`/url`, `/headers/X`).
fn relocate(errors: Vec<FieldError>, prefix: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .filter(|e| !e.pointer.ends_with("/kind"))
        .map(|mut e| {
            if let Some(rest) = e.pointer.strip_prefix(prefix) {
                e.pointer = rest.to_owned();
            }
            e.message = e.message.replace("executor's URL", "server's URL");
            e
        })
        .collect()
}

/// A server name or namespace: 1-64 of `A-Z a-z 0-9 _ -`, starting with a letter or digit,
/// without `__` (which separates the namespace from a tool's name).
fn check_identifier(errors: &mut Vec<FieldError>, pointer: &str, s: &str) {
    let ok = !s.is_empty()
        && s.len() <= MAX_NAME
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && !s.contains(NAMESPACE_SEPARATOR)
        && !s.ends_with('_');
    if !ok {
        errors.push(FieldError::new(
            pointer,
            "pattern",
            format!(
                "must be 1-{MAX_NAME} letters, digits, '_' or '-', starting with a letter or \
                 digit, without \"__\" (it separates the namespace from the tool's name) and not \
                 ending in '_'; got {s:?}"
            ),
        ));
    }
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(v: Value) -> ServerPatch {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_registration_defaults_namespace_refresh_and_filters() {
        let s = NewServer::parse(patch(
            json!({"name": "gh", "url": "https://mcp.example/mcp"}),
        ))
        .unwrap();
        assert_eq!(s.namespace, "gh");
        assert_eq!(s.refresh_interval_s, DEFAULT_REFRESH_S);
        assert!(s.include.is_empty() && s.exclude.is_empty());
    }

    #[test]
    fn every_bad_field_is_reported_by_its_pointer() {
        let errors = NewServer::parse(patch(json!({"name": "a__b", "url": "ftp://x",
            "headers": {"X": 1}, "refresh_interval_s": 0, "include": [""]})))
        .unwrap_err();
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        for p in [
            "/name",
            "/url",
            "/headers/X",
            "/refresh_interval_s",
            "/include/0",
        ] {
            assert!(pointers.contains(&p), "{p} missing from {pointers:?}");
        }
    }

    #[test]
    fn headers_are_redacted_and_restored_only_for_the_same_origin() {
        let stored = UpstreamServer {
            name: "s".into(),
            url: "https://a.example/mcp".into(),
            headers: BTreeMap::from([("Authorization".into(), "Bearer s3cret".into())]),
            namespace: "s".into(),
            include: vec![],
            exclude: vec![],
            category: None,
            refresh_interval_s: 60,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let shown = serde_json::to_value(&stored).unwrap();
        assert_eq!(shown["headers"]["Authorization"], REDACTED);
        assert!(!format!("{stored:?}").contains("s3cret"));
        let base = stored.to_new_server().unwrap();
        let kept = base
            .clone()
            .apply(
                patch(json!({"headers": {"Authorization": REDACTED}})),
                Some(&stored),
            )
            .unwrap();
        assert_eq!(kept.headers["Authorization"], "Bearer s3cret");
        let errors = base
            .apply(
                patch(
                    json!({"url": "https://b.example/mcp", "headers": {"Authorization": REDACTED}}),
                ),
                Some(&stored),
            )
            .unwrap_err();
        assert_eq!(errors[0].pointer, "/headers/Authorization");
        assert_eq!(errors[0].rule, "redactedSecret");
    }

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob_match("get_*", "get_weather"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("a*c*e", "abde"));
        assert!(glob_match("echo", "echo"));
        assert!(!glob_match("echo", "echo2"));
    }
}
