//! The answer of a catalogue listing (`GET /tools`, `POST /mcp/list_tools`): a page as a JSON
//! array with the next page announced in headers, or the whole list as one JSON array written
//! while it is read.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use serde::Serialize;

use crate::domain::FieldError;
use crate::http::ApiError;
use crate::registry::{Listing, RegistryError};

/// The response header that carries the cursor of the next page.
pub const NEXT_CURSOR: &str = "x-next-cursor";

/// `listing` as a response, each item shown as a `U`. A page that is not the last carries
/// `Link: <next_url(cursor)>; rel="next"` (RFC 8288) and the cursor alone in `X-Next-Cursor`.
pub fn respond<T, U>(listing: Listing<T>, next_url: impl FnOnce(&str) -> String) -> Response
where
    U: From<T> + Serialize + 'static,
    T: Send + 'static,
{
    match listing {
        Listing::Page { items, next } => {
            let items: Vec<U> = items.into_iter().map(U::from).collect();
            let mut resp = Json(items).into_response();
            if let Some(cursor) = next {
                let link = format!("<{}>; rel=\"next\"", next_url(&cursor));
                let headers = resp.headers_mut();
                // Both are URL-safe ASCII (a path, a percent-encoded query, a hex cursor).
                if let (Ok(link), Ok(cursor)) = (link.parse(), HeaderValue::from_str(&cursor)) {
                    headers.insert(header::LINK, link);
                    headers.insert(HeaderName::from_static(NEXT_CURSOR), cursor);
                }
            }
            resp
        }
        Listing::All(batches) => {
            let body = Body::from_stream(json_array::<T, U>(batches));
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
    }
}

/// The batches as the bytes of one JSON array, one chunk per batch. A store error mid-way ends
/// the body with an error and without the closing `]`: hyper then drops the connection
/// without the last chunk (HTTP/1.1) or resets the stream (HTTP/2), so the client sees a
/// failed transfer and an invalid JSON array, never a 200 that looks like the complete list.
fn json_array<T, U>(
    batches: BoxStream<'static, Result<Vec<T>, RegistryError>>,
) -> impl futures::Stream<Item = Result<Bytes, RegistryError>> + Send
where
    U: From<T> + Serialize,
    T: Send + 'static,
{
    // The state: the batches still to come and whether an item has been written (so the next
    // one is preceded by a comma); `None` once the array is closed or has failed.
    stream::unfold(Some((batches, false)), |state| async move {
        let (mut batches, mut written) = state?;
        match batches.next().await {
            Some(Ok(batch)) => {
                let mut buf = Vec::with_capacity(batch.len() * 512);
                for item in batch {
                    buf.push(if written { b',' } else { b'[' });
                    written = true;
                    // Writing JSON into a Vec fails only for a map with non-string keys,
                    // which no listed type has.
                    if let Err(e) = serde_json::to_writer(&mut buf, &U::from(item)) {
                        tracing::error!(error = %e, "a listed tool cannot be serialised");
                    }
                }
                Some((Ok(Bytes::from(buf)), Some((batches, written))))
            }
            Some(Err(e)) => {
                tracing::error!(error = %e, "a streamed listing failed part-way; the response is cut");
                Some((Err(e), None))
            }
            None => {
                let end: &'static [u8] = if written { b"]" } else { b"[]" };
                Some((Ok(Bytes::from_static(end)), None))
            }
        }
    })
}

/// A listing's field error as a 400 naming the query parameter at fault.
pub fn bad_parameter(e: FieldError) -> ApiError {
    let parameter = e.pointer[1..]
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "invalid-parameter",
        "Invalid query parameter",
        format!("`{parameter}` {}", e.message),
    )
    .with("parameter", parameter.into())
    .with("rule", e.rule.into())
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use futures::stream;
    use serde_json::Value;

    use super::*;
    use crate::store::StoreError;

    fn tool(name: &str) -> Value {
        serde_json::json!({ "name": name })
    }

    fn streamed(batches: Vec<Result<Vec<Value>, RegistryError>>) -> Response {
        respond::<Value, Value>(Listing::All(Box::pin(stream::iter(batches))), |_| {
            unreachable!("a streamed list has no next page")
        })
    }

    #[tokio::test]
    async fn batches_become_one_json_array() {
        let resp = streamed(vec![Ok(vec![tool("a"), tool("b")]), Ok(vec![tool("c")])]);
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        assert_eq!(&bytes[..], br#"[{"name":"a"},{"name":"b"},{"name":"c"}]"#);
    }

    #[tokio::test]
    async fn no_batches_are_an_empty_array() {
        let bytes = to_bytes(streamed(vec![]).into_body(), usize::MAX).await;
        assert_eq!(&bytes.unwrap()[..], b"[]");
    }

    #[tokio::test]
    async fn a_failure_part_way_fails_the_body_and_never_closes_the_array() {
        let failure = RegistryError::Store(StoreError::Other(sqlx::Error::PoolClosed));
        let resp = streamed(vec![Ok(vec![tool("a")]), Err(failure)]);
        let mut body = resp.into_body().into_data_stream();
        let mut sent = Vec::new();
        let mut failed = false;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(bytes) => sent.extend_from_slice(&bytes),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        assert!(
            failed,
            "the body ends with an error, so the transfer is cut"
        );
        assert_eq!(sent, br#"[{"name":"a"}"#);
        assert!(serde_json::from_slice::<Value>(&sent).is_err());
    }
}
