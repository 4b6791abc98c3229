//! How a registered tool runs: the `executor` and `timeout_ms` members of its `config`, and
//! the redaction of header secrets wherever a tool leaves the service.

use std::time::Duration;

use serde_json::{Map, Value};

use super::FieldError;

/// What a redacted header value reads as in API responses.
pub const REDACTED: &str = "[redacted]";
/// The longest per-tool time limit a definition may ask for.
pub const MAX_TIMEOUT_MS: u64 = 600_000;
const METHODS: [&str; 4] = ["POST", "PUT", "PATCH", "GET"];
const MAX_HEADERS: usize = 32;

/// A tool that runs by sending its arguments as JSON to an HTTP endpoint.
#[derive(Clone, PartialEq)]
pub struct HttpExecutorSpec {
    pub url: reqwest::Url,
    pub method: reqwest::Method,
    /// Header names and values, values possibly secret: never log or return them.
    pub headers: Vec<(String, String)>,
    pub timeout: Option<Duration>,
}

/// Header names only: their values may be secrets.
impl std::fmt::Debug for HttpExecutorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpExecutorSpec")
            .field("url", &self.url.as_str())
            .field("method", &self.method)
            .field("headers", &names)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The per-tool time limit (`config.timeout_ms`), if set.
pub fn config_timeout(config: &Value) -> Option<Duration> {
    config
        .get("timeout_ms")
        .and_then(Value::as_u64)
        .map(Duration::from_millis)
}

/// Parses `config.executor`; `Ok(None)` when the tool has none (discovery-only or built-in).
pub fn http_executor(config: &Value) -> Result<Option<HttpExecutorSpec>, Vec<FieldError>> {
    let mut errors = Vec::new();
    check_timeout(&mut errors, "/config/timeout_ms", config.get("timeout_ms"));
    let Some(exec) = config.get("executor") else {
        return if errors.is_empty() {
            Ok(None)
        } else {
            Err(errors)
        };
    };
    let p = "/config/executor";
    let Some(obj) = exec.as_object() else {
        errors.push(FieldError::new(
            p,
            "type",
            "`executor` must be an object like {\"kind\": \"http\", \"url\": \"https://...\"}",
        ));
        return Err(errors);
    };
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "kind" | "url" | "method" | "headers" | "timeout_ms"
        ) {
            errors.push(FieldError::new(
                format!("{p}/{key}"),
                "additionalProperties",
                "unknown member: an executor has kind, url, method, headers and timeout_ms",
            ));
        }
    }
    if obj.get("kind").and_then(Value::as_str) != Some("http") {
        errors.push(FieldError::new(
            format!("{p}/kind"),
            "const",
            "`kind` must be \"http\"",
        ));
    }
    let url = match obj.get("url").and_then(Value::as_str) {
        None => {
            errors.push(FieldError::new(
                format!("{p}/url"),
                "required",
                "`url` is required: the http(s) URL the arguments are sent to",
            ));
            None
        }
        Some(raw) => match reqwest::Url::parse(raw) {
            Ok(u)
                if matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.username().is_empty()
                    && u.password().is_none() =>
            {
                Some(u)
            }
            _ => {
                errors.push(FieldError::new(format!("{p}/url"), "format",
                    "`url` must be an absolute http:// or https:// URL with a host and no credentials (put secrets in `headers`)"));
                None
            }
        },
    };
    let method = match obj.get("method") {
        None => Some(reqwest::Method::POST),
        Some(Value::String(m)) if METHODS.contains(&m.to_ascii_uppercase().as_str()) => {
            reqwest::Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok()
        }
        Some(_) => {
            errors.push(FieldError::new(
                format!("{p}/method"),
                "enum",
                format!("`method` must be one of {METHODS:?}"),
            ));
            None
        }
    };
    let mut headers = Vec::new();
    match obj.get("headers") {
        None => {}
        Some(Value::Object(map)) if map.len() <= MAX_HEADERS => {
            for (name, v) in map {
                let hp = header_pointer(&format!("{p}/headers"), name);
                let valid_name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok();
                match v.as_str() {
                    Some(val) if valid_name && reqwest::header::HeaderValue::from_str(val).is_ok() => {
                        headers.push((name.clone(), val.to_owned()));
                    }
                    _ => errors.push(FieldError::new(hp, "type",
                        "each header must have a valid name and a string value of visible ASCII characters")),
                }
            }
        }
        Some(_) => errors.push(FieldError::new(
            format!("{p}/headers"),
            "type",
            format!(
                "`headers` must be an object of at most {MAX_HEADERS} name → string value pairs"
            ),
        )),
    }
    check_timeout(
        &mut errors,
        &format!("{p}/timeout_ms"),
        obj.get("timeout_ms"),
    );
    match (url, method) {
        (Some(url), Some(method)) if errors.is_empty() => Ok(Some(HttpExecutorSpec {
            url,
            method,
            headers,
            timeout: obj
                .get("timeout_ms")
                .and_then(Value::as_u64)
                .map(Duration::from_millis),
        })),
        _ => Err(errors),
    }
}

fn check_timeout(errors: &mut Vec<FieldError>, pointer: &str, v: Option<&Value>) {
    if let Some(v) = v {
        if !v
            .as_u64()
            .is_some_and(|ms| (1..=MAX_TIMEOUT_MS).contains(&ms))
        {
            errors.push(FieldError::new(
                pointer,
                "range",
                format!("`timeout_ms` must be an integer between 1 and {MAX_TIMEOUT_MS}"),
            ));
        }
    }
}

/// `config` with every executor header value replaced by [`REDACTED`].
pub fn redact_config(config: &Value) -> Value {
    let mut out = config.clone();
    if let Some(Value::Object(headers)) = out.pointer_mut("/executor/headers") {
        for v in headers.values_mut() {
            *v = Value::String(REDACTED.into());
        }
    }
    out
}

/// Serializes a tool's config redacted (used by `Tool`'s `Serialize`).
pub fn serialize_redacted<S: serde::Serializer>(config: &Value, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&redact_config(config), s)
}

/// In an updated `config`, header values still reading [`REDACTED`] (a client echoing back what
/// it was shown) keep their stored value — but only while the executor's URL keeps its origin
/// (scheme, host and port): otherwise an update that never saw the secret could send it to a
/// server of its choosing. A placeholder that cannot be restored (another origin, or no stored
/// value of that name) is refused; errors point into `config` (`/executor/headers/{name}`).
pub fn restore_redacted(new: &mut Value, old: &Value) -> Result<(), Vec<FieldError>> {
    let empty = Map::new();
    let old_headers = match old.pointer("/executor/headers") {
        Some(Value::Object(m)) => m,
        _ => &empty,
    };
    let origin = |config: &Value| {
        config
            .pointer("/executor/url")
            .and_then(Value::as_str)
            .and_then(|u| reqwest::Url::parse(u).ok())
            .map(|u| u.origin())
    };
    let (old_origin, new_origin) = (origin(old), origin(new));
    let Some(Value::Object(headers)) = new.pointer_mut("/executor/headers") else {
        return Ok(());
    };
    let mut errors = Vec::new();
    for (name, value) in headers.iter_mut() {
        if value.as_str() != Some(REDACTED) {
            continue;
        }
        let stored = old_headers.get(name).or_else(|| {
            old_headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        });
        let pointer = header_pointer("/executor/headers", name);
        match (stored, &new_origin) {
            (None, _) => errors.push(FieldError::new(
                pointer,
                "redactedSecret",
                format!(
                    "\"{REDACTED}\" stands for a stored value, and this tool stores no header \
                     {name:?}: send the value itself"
                ),
            )),
            // An unusable URL is reported by the executor's own validation.
            (Some(_), None) => {}
            (Some(_), Some(to)) if old_origin.as_ref() != Some(to) => {
                let from = old_origin
                    .as_ref()
                    .map_or_else(|| "none".to_owned(), |o| o.ascii_serialization());
                errors.push(FieldError::new(
                    pointer,
                    "redactedSecret",
                    format!(
                        "the executor's URL moves from {from} to {}: send the value again; \
                         a stored secret is never sent to another origin (scheme, host and port)",
                        to.ascii_serialization()
                    ),
                ));
            }
            (Some(stored), Some(_)) => *value = stored.clone(),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The JSON pointer of header `name` under `base` (RFC 6901 escaping).
fn header_pointer(base: &str, name: &str) -> String {
    format!("{base}/{}", super::escape_token(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_valid_http_executor_parses() {
        let spec = http_executor(
            &json!({"executor": {"kind": "http", "url": "https://x.example/run",
            "headers": {"Authorization": "Bearer s3cret"}, "timeout_ms": 500}}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(spec.method, reqwest::Method::POST);
        assert_eq!(spec.timeout, Some(Duration::from_millis(500)));
        assert_eq!(spec.headers[0].1, "Bearer s3cret");
        let shown = format!("{spec:?}");
        assert!(
            shown.contains("Authorization") && !shown.contains("s3cret"),
            "{shown}"
        );
    }

    #[test]
    fn debug_output_of_a_tool_never_shows_header_values() {
        let patch = crate::domain::ToolPatch {
            name: Some("remote".into()),
            description: Some("calls out".into()),
            input_schema: Some(json!({"type": "object"})),
            config: Some(
                json!({"executor": {"kind": "http", "url": "https://x.example/run",
                "headers": {"X-Api-Key": "s3cret"}}}),
            ),
            ..Default::default()
        };
        let tool = crate::domain::NewTool::parse(patch.clone()).unwrap();
        for shown in [format!("{patch:?}"), format!("{tool:?}")] {
            assert!(
                shown.contains("X-Api-Key") && !shown.contains("s3cret"),
                "{shown}"
            );
        }
    }

    #[test]
    fn every_bad_executor_member_is_reported_with_its_pointer() {
        let errors = http_executor(&json!({"timeout_ms": 0, "executor": {"kind": "grpc",
            "url": "ftp://x", "method": "DELETE", "headers": {"X": 1}, "extra": true}}))
        .unwrap_err();
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        for p in [
            "/config/timeout_ms",
            "/config/executor/kind",
            "/config/executor/url",
            "/config/executor/method",
            "/config/executor/headers/X",
            "/config/executor/extra",
        ] {
            assert!(pointers.contains(&p), "{p} missing from {pointers:?}");
        }
    }

    #[test]
    fn header_values_are_redacted_and_restored() {
        let config =
            json!({"executor": {"kind": "http", "url": "https://x", "headers": {"A": "secret"}}});
        let shown = redact_config(&config);
        assert_eq!(shown["executor"]["headers"]["A"], REDACTED);
        let mut echoed = shown.clone();
        restore_redacted(&mut echoed, &config).unwrap();
        assert_eq!(echoed, config);
    }

    #[test]
    fn a_redacted_header_is_restored_when_only_the_path_changes() {
        let old = json!({"executor": {"kind": "http", "url": "https://x.example/a",
            "headers": {"A": "secret"}}});
        let mut new = json!({"executor": {"kind": "http", "url": "https://x.example:443/b",
            "headers": {"A": REDACTED}}});
        restore_redacted(&mut new, &old).unwrap();
        assert_eq!(new["executor"]["headers"]["A"], "secret");
    }

    #[test]
    fn a_redacted_header_is_refused_when_the_origin_changes() {
        let old = json!({"executor": {"kind": "http", "url": "https://x.example/a",
            "headers": {"A/b": "secret", "C": "kept-as-sent"}}});
        for url in [
            "http://x.example/a",
            "https://x.example:8443/a",
            "https://y.example/a",
        ] {
            let mut new = json!({"executor": {"kind": "http", "url": url,
                "headers": {"A/b": REDACTED, "C": "new"}}});
            let errors = restore_redacted(&mut new, &old).unwrap_err();
            assert_eq!(errors.len(), 1, "{url}");
            assert_eq!(errors[0].pointer, "/executor/headers/A~1b");
            assert_eq!(errors[0].rule, "redactedSecret");
            assert_eq!(new["executor"]["headers"]["A/b"], REDACTED, "{url}");
        }
    }

    #[test]
    fn a_redacted_header_with_no_stored_value_is_refused() {
        let old = json!({"executor": {"kind": "http", "url": "https://x.example/a"}});
        let mut new = json!({"executor": {"kind": "http", "url": "https://x.example/a",
            "headers": {"A": REDACTED}}});
        let errors = restore_redacted(&mut new, &old).unwrap_err();
        assert_eq!(errors[0].pointer, "/executor/headers/A");
    }
}
