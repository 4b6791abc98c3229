//! `ApiError`: every error the REST API returns, as RFC 9457 `application/problem+json`, and
//! `Problem`, its documented shape. The one place that maps an error to an HTTP status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::embedding::EmbeddingError;
use crate::executor::{ExecError, ViolationText, describe};
use crate::registry::RegistryError;

/// An RFC 9457 problem: what went wrong, and where.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:toolbox:problem:tool-not-found", "title": "Tool not found", "status": 404,
    "detail": "no tool named \"nope\" is registered", "request_id": "0b6c0f5e-8a0f-4d5e-9a55-2d3f1f0c9a11"
}))]
pub struct Problem {
    /// A URN naming the problem type, e.g. `urn:toolbox:problem:invalid-tool`.
    r#type: String,
    title: String,
    status: u16,
    detail: String,
    /// The request's `x-request-id`.
    request_id: Option<String>,
    /// For validation problems: each violation with its JSON pointer.
    errors: Option<Vec<serde_json::Value>>,
}

/// An error response: status, a stable problem type, a human-readable detail and, for
/// validation problems, the list of what was wrong and where.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Short slug identifying the problem type, e.g. `not-found`.
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    /// Extension members (e.g. `errors`), merged into the body.
    pub extensions: Value,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            extensions: Value::Null,
            retry_after: None,
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        if !self.extensions.is_object() {
            self.extensions = json!({});
        }
        self.extensions[key] = value;
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "Malformed request",
            detail,
        )
    }

    pub fn unprocessable(detail: impl Into<String>, pointer: &str, rule: &str) -> Self {
        let detail = detail.into();
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-request",
            "Invalid request",
            detail.clone(),
        )
        .with(
            "errors",
            json!([{"pointer": pointer, "rule": rule, "message": detail}]),
        )
    }

    pub fn not_found_route(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("no route for {path}"),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "the server failed to handle the request; it has been logged",
        )
    }

    fn unavailable(kind: &'static str, dependency: &str, detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            kind,
            "Dependency unavailable",
            detail,
        )
        .with("dependency", json!(dependency));
        e.retry_after = Some(5);
        e
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        // Call outcomes carry their class, machine-readable, beside the problem type.
        match e.call_error_kind() {
            Some(kind) => registry_problem(e).with("error_kind", json!(kind.as_str())),
            None => registry_problem(e),
        }
    }
}

/// `pointer: message; ...`, the `detail` of a problem that lists field errors.
fn field_errors_detail(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.pointer, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn registry_problem(e: RegistryError) -> ApiError {
    {
        match e {
            RegistryError::NotFound(name) => ApiError::new(
                StatusCode::NOT_FOUND,
                "tool-not-found",
                "Tool not found",
                format!("no tool named {name:?} is registered"),
            )
            .with("tool_name", json!(name)),
            RegistryError::Conflict(name) => ApiError::new(
                StatusCode::CONFLICT,
                "tool-exists",
                "Tool already exists",
                format!("a tool named {name:?} is already registered; use PUT /tools/{name} to change it"),
            )
            .with("tool_name", json!(name)),
            RegistryError::Builtin(name) => ApiError::new(
                StatusCode::CONFLICT,
                "builtin-tool",
                "Built-in tool",
                format!("{name:?} is built into the service and cannot be changed or deleted"),
            ),
            RegistryError::ImportConflicts(errors) => ApiError::new(
                StatusCode::CONFLICT,
                "import-conflict",
                "Import conflicts with registered tools",
                field_errors_detail(&errors),
            )
            .with("errors", json!(errors)),
            RegistryError::Invalid(errors) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-tool",
                "Invalid tool definition",
                field_errors_detail(&errors),
            )
            .with("errors", json!(errors)),
            RegistryError::InvalidArguments { tool, violations } => {
                let detail = describe(&violations, ViolationText::Inline { root: "arguments" });
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-arguments",
                    "Invalid arguments",
                    format!("arguments do not match the input schema of {tool:?}: {detail}"),
                )
                .with("tool_name", json!(tool))
                .with("errors", json!(violations))
            }
            RegistryError::Embedding(e) => {
                tracing::error!(error = %e, "embedding failed");
                let endpoint = match &e {
                    EmbeddingError::Unavailable { endpoint, .. }
                    | EmbeddingError::BadResponse { endpoint, .. } => endpoint.clone(),
                };
                ApiError::unavailable("embedding-unavailable", "embedding endpoint", e.to_string())
                    .with("endpoint", json!(endpoint))
            }
            RegistryError::DatabaseUnavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::unavailable(
                    "database-unavailable",
                    "database",
                    "the database is unavailable; retry shortly",
                )
            }
            RegistryError::Store(e) => {
                tracing::error!(error = ?e, "database error");
                ApiError::internal()
            }
            RegistryError::IndexNotReady => ApiError::unavailable(
                "search-index-not-ready",
                "search index",
                "the search index is still being built from the database; retry shortly",
            ),
            RegistryError::Index(e) => {
                tracing::error!(error = %e, "search index error");
                ApiError::internal()
            }
            RegistryError::Exec(ExecError::Timeout(limit)) => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                "Tool timed out",
                format!(
                    "the tool did not finish within {} ms; the call may be retried, perhaps with \
                     smaller input",
                    limit.as_millis()
                ),
            ),
            RegistryError::Exec(ExecError::Unavailable {
                reason,
                retry_after_secs,
            }) => {
                let mut e = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "tool-unavailable",
                    "Tool unavailable",
                    reason,
                );
                e.retry_after = Some(retry_after_secs);
                e
            }
            RegistryError::History(e) => {
                tracing::error!(error = %e, "execution history unavailable");
                ApiError::unavailable(
                    "database-unavailable",
                    "database",
                    "the call's execution record could not be written; retry shortly",
                )
            }
            RegistryError::ServerNotFound(name) => ApiError::new(
                StatusCode::NOT_FOUND,
                "server-not-found",
                "Server not found",
                format!("no upstream server named {name:?} is registered"),
            )
            .with("server_name", json!(name)),
            RegistryError::ServerConflict(why) => ApiError::new(
                StatusCode::CONFLICT,
                "server-exists",
                "Server name or namespace taken",
                why,
            ),
            RegistryError::ServerInvalid(errors) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-server",
                "Invalid server definition",
                field_errors_detail(&errors),
            )
            .with("errors", json!(errors)),
            RegistryError::UpstreamUnavailable { server, reason } => ApiError::unavailable(
                "upstream-unavailable",
                "upstream server",
                format!("the upstream server {server:?} could not be synced: {reason}"),
            )
            .with("server_name", json!(server)),
            RegistryError::ExecutionNotFound(id) => ApiError::new(
                StatusCode::NOT_FOUND,
                "execution-not-found",
                "Execution not found",
                format!("no execution with id {id} (it may have been pruned)"),
            ),
            RegistryError::Forbidden { needed, has } => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                format!(
                    "this needs the `{}` role; the caller has `{}`",
                    needed.as_str(),
                    has.as_str()
                ),
            )
            .with("required_role", json!(needed.as_str())),
            RegistryError::KeyInvalid(errors) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-key",
                "Invalid key definition",
                field_errors_detail(&errors),
            )
            .with("errors", json!(errors)),
            RegistryError::KeysNeedAuth => ApiError::new(
                StatusCode::CONFLICT,
                "keys-need-auth",
                "Keys are not checked here",
                "this registry runs open (no API_KEYS, no AUTH_OIDC_ISSUER), so a key would \
                 restrict nothing: configure a bootstrap admin key in API_KEYS first",
            ),
            RegistryError::KeyNotFound(id) => ApiError::new(
                StatusCode::NOT_FOUND,
                "key-not-found",
                "Key not found",
                format!("no active key with id {id:?}"),
            ),
            RegistryError::KeyStoreUnavailable(e) => {
                tracing::error!(error = %e, "key lookup failed");
                ApiError::unavailable(
                    "database-unavailable",
                    "database",
                    "the key could not be checked; retry shortly",
                )
            }
            // The tool exists but its state (registered for discovery only) rules calls out:
            // a conflict with the resource, not a server fault, so no 5xx.
            RegistryError::Exec(e @ ExecError::NotExecutable(_)) => ApiError::new(
                StatusCode::CONFLICT,
                "not-executable",
                "Tool not executable",
                e.to_string(),
            ),
            RegistryError::Exec(ExecError::Tool(msg)) => {
                // Tool failures are answered as `success: false` by the handler; reaching here
                // means a caller forgot to.
                tracing::error!(error = %msg, "unhandled tool error");
                ApiError::internal()
            }
        }
    }
}

/// A problem response's body, kept beside its bytes so the edge can add the request id
/// without parsing them again.
#[derive(Clone)]
pub struct ProblemBody(pub Value);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("urn:toolbox:problem:{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Value::Object(ext) = self.extensions {
            for (k, v) in ext {
                body[k] = v;
            }
        }
        let mut resp = (self.status, axum::Json(&body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(ProblemBody(body));
        resp
    }
}
