//! Reads an `/mcp` request's whole body before the MCP service sees it.
//!
//! rmcp refuses a request (a Host or Origin not allowed) without reading its body, and the
//! HTTP server then has to close the connection: a client that reuses it sees a disconnect
//! instead of its next answer. With the body read here first, a refused request leaves the
//! connection clean. A body over `MCP_MAX_BODY_BYTES` is answered 413 here, after the rest of
//! it has been read and dropped (so a client still sending it gets the answer, not a reset);
//! past [`DRAIN_FACTOR`] times the limit the connection is closed instead.
//!
//! Having the body, this layer also answers what rmcp would get wrong: a JSON body that does
//! not parse is a JSON-RPC Parse error (-32700) and JSON that is not a JSON-RPC message an
//! Invalid Request (-32600), both with HTTP 400, where rmcp answers 415 as if the media type
//! were wrong. `Accept` is normalised first ([`super::mcp_accept`]).

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use rmcp::model::ClientJsonRpcMessage;
use serde_json::json;

use crate::http::ApiError;

/// How far past the limit an oversized body is still read (and dropped) before answering.
const DRAIN_FACTOR: usize = 16;

/// The middleware; `max` is `MCP_MAX_BODY_BYTES`.
pub async fn read_body_first(max: usize, mut req: Request, next: Next) -> Response {
    super::mcp_accept::normalise(req.headers_mut());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max.saturating_mul(DRAIN_FACTOR)) {
        return closing(too_large(max));
    }
    let (parts, body) = req.into_parts();
    match read_limited(body, max).await {
        Read::Whole(bytes) => match not_a_message(&parts, &bytes) {
            Some(refusal) => refusal,
            None => {
                next.run(Request::from_parts(parts, Body::from(bytes)))
                    .await
            }
        },
        Read::TooLarge { drained: true } => too_large(max),
        Read::TooLarge { drained: false } => closing(too_large(max)),
        Read::Failed(e) => closing(
            ApiError::bad_request(format!("could not read the request body: {e}")).into_response(),
        ),
    }
}

/// A JSON-RPC error answer (HTTP 400) when a POST declared as JSON, from a client that
/// accepts the answer, does not hold a JSON-RPC message. Anything else is left to rmcp: a
/// wrong `Accept` or `Content-Type` keeps its 406 or 415. The message is parsed with rmcp's
/// own type, so this and rmcp cannot disagree about what is a message; a valid body is parsed
/// again by rmcp, a cost paid only on bodies within `MCP_MAX_BODY_BYTES`.
fn not_a_message(parts: &axum::http::request::Parts, body: &[u8]) -> Option<Response> {
    let declared_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    let answerable = parts
        .headers
        .get(header::ACCEPT)
        .is_some_and(|v| v == super::mcp_accept::BOTH);
    if parts.method != axum::http::Method::POST || !declared_json || !answerable {
        return None;
    }
    let err = serde_json::from_slice::<ClientJsonRpcMessage>(body).err()?;
    let (code, message) = if err.is_data() {
        (-32600, "Invalid Request")
    } else {
        (-32700, "Parse error")
    };
    let answer = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": format!("{message}: {err}")},
    });
    Some((StatusCode::BAD_REQUEST, axum::Json(answer)).into_response())
}

enum Read {
    Whole(Bytes),
    /// Over the limit; `drained`: the rest was read, the connection can carry on.
    TooLarge {
        drained: bool,
    },
    /// The client stopped sending mid-body.
    Failed(axum::Error),
}

async fn read_limited(body: Body, max: usize) -> Read {
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => return Read::Failed(e),
        };
        seen += chunk.len();
        if seen > max.saturating_mul(DRAIN_FACTOR) {
            return Read::TooLarge { drained: false };
        }
        if seen <= max {
            kept.extend_from_slice(&chunk);
        }
    }
    if seen > max {
        Read::TooLarge { drained: true }
    } else {
        Read::Whole(Bytes::from(kept))
    }
}

fn too_large(max: usize) -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Payload too large",
        format!("MCP request bodies are limited to {max} bytes (MCP_MAX_BODY_BYTES)"),
    )
    .into_response()
}

/// `resp` with `Connection: close`: the rest of the request body is never read.
fn closing(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}
