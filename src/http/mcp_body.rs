//! Reads an `/mcp` request's whole body before the MCP service sees it.
//!
//! rmcp refuses a request (a Host or Origin not allowed) without reading its body, and the
//! HTTP server then has to close the connection: a client that reuses it sees a disconnect
//! instead of its next answer. With the body read here first, a refused request leaves the
//! connection clean. Bodies over `MCP_MAX_BODY_BYTES` are answered 413 here, with
//! `Connection: close` (the rest of such a body is never read).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The middleware; `max` is `MCP_MAX_BODY_BYTES`.
pub async fn read_body_first(max: usize, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(max);
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, max).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(max),
    }
}

fn too_large(max: usize) -> Response {
    let mut resp = ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Payload too large",
        format!("MCP request bodies are limited to {max} bytes (MCP_MAX_BODY_BYTES)"),
    )
    .into_response();
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}
