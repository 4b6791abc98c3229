//! Request ids on every log line and in every problem+json body, access logs, and the
//! request-duration histogram by matched route and status.

use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::classify::{ServerErrorsAsFailures, ServerErrorsFailureClass, SharedClassifier};
use tower_http::trace::{DefaultOnResponse, MakeSpan, TraceLayer};
use tracing::{Level, Span};

use crate::http::problem::ProblemBody;

/// The header carrying the request id, taken from the client or generated.
pub const REQUEST_ID: &str = "x-request-id";

/// The request's id as the history records it (at most 128 characters), for REST and MCP.
pub fn recorded_request_id(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(128).collect())
}

/// Problem bodies are small; anything larger is passed through untouched.
const MAX_PROBLEM: usize = 256 * 1024;

#[derive(Clone, Copy)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &axum::http::Request<B>) -> Span {
        let id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!(
            "request",
            request_id = %id,
            http.method = %req.method(),
            http.path = %req.uri().path(),
            auth.key = tracing::field::Empty,
        )
    }
}

/// The access-log layer: request spans, responses at INFO, failures by [`log_failure`].
pub type AccessLog = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    RequestSpan,
    tower_http::trace::DefaultOnRequest,
    DefaultOnResponse,
    tower_http::trace::DefaultOnBodyChunk,
    tower_http::trace::DefaultOnEos,
    fn(ServerErrorsFailureClass, Duration, &Span),
>;

/// Every event logged while handling a request carries the request span and so its id.
pub fn trace_layer() -> AccessLog {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_response(DefaultOnResponse::new().level(Level::INFO))
        .on_failure(log_failure as fn(ServerErrorsFailureClass, Duration, &Span))
}

/// A 5xx is logged as an error, except 503: that answer says a dependency is not ready or
/// not reachable (`/ready` while the search index is built at startup, which a readiness
/// probe polls), and whoever produced it logged its cause already.
fn log_failure(class: ServerErrorsFailureClass, latency: Duration, _span: &Span) {
    let latency_ms = latency.as_millis() as u64;
    match class {
        ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::warn!(latency_ms, "response failed: 503 Service Unavailable")
        }
        other => tracing::error!(classification = %other, latency_ms, "response failed"),
    }
}

/// Makes every error answer problem+json carrying the request id, whoever produced it: an
/// `ApiError`, or a plain-text rejection from axum or a tower layer.
pub async fn problem_bodies(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let resp = next.run(req).await;
    let content_type = resp.headers().get(header::CONTENT_TYPE);
    let is_problem =
        content_type.is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let is_json = content_type.is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let is_error = resp.status().is_client_error() || resp.status().is_server_error();
    if !is_problem && (!is_error || is_json) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let mut value = if let Some(ProblemBody(v)) = parts.extensions.remove::<ProblemBody>() {
        v
    } else if is_problem {
        // Every problem body here is an `ApiError`'s, which carries its `ProblemBody`.
        return Response::from_parts(parts, body);
    } else {
        let Ok(bytes) = to_bytes(body, MAX_PROBLEM).await else {
            return Response::from_parts(parts, Body::empty());
        };
        let status = parts.status;
        let title = status.canonical_reason().unwrap_or("Error");
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        serde_json::json!({
            "type": format!("urn:toolbox:problem:http-{}", status.as_u16()),
            "title": title,
            "status": status.as_u16(),
            "detail": if text.is_empty() { title.to_owned() } else { text },
        })
    };
    if let (Some(obj), Some(id)) = (value.as_object_mut(), id) {
        obj.insert("request_id".into(), id.into());
    }
    let Ok(out) = serde_json::to_vec(&value) else {
        return Response::from_parts(parts, Body::empty());
    };
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(out))
}

/// `http_request_duration_seconds{method, route, status}`; `route` is the matched pattern
/// (`/tools/{name}`), never the raw path, so the label set stays small.
pub async fn record_metrics(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    metrics::histogram!(
        "http_request_duration_seconds",
        "method" => method,
        "route" => route,
        "status" => resp.status().as_u16().to_string(),
    )
    .record(started.elapsed().as_secs_f64());
    resp
}
