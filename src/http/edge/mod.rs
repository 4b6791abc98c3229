//! The service's edge, layered once on the whole router so routes added later are covered:
//! request ids, access logs, metrics, security headers, CORS, authentication, rate limiting
//! and the per-request timeout. Which routes need which scope is decided in one table
//! ([`auth::required_access`]).

pub mod auth;
mod observe;
pub mod ratelimit;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::{ApiKey, EdgeConfig, Scope};
use crate::http::ApiError;
use auth::{Access, Caller};
use ratelimit::Limiter;

pub use observe::REQUEST_ID;

/// What the gate needs, built once from [`EdgeConfig`].
struct Gate {
    keys: Vec<ApiKey>,
    limiter: Option<Limiter>,
    trusted: Vec<IpNet>,
    timeout: Duration,
}

/// Wraps `router` (all of whose routes are already added) in the edge layers.
pub fn apply(router: Router, cfg: &EdgeConfig) -> Router {
    let gate = Arc::new(Gate {
        keys: cfg.api_keys.clone(),
        limiter: cfg
            .rate_limit_per_second
            .map(|rate| Limiter::new(rate, cfg.rate_limit_burst)),
        trusted: cfg.trusted_proxies.clone(),
        timeout: cfg.request_timeout,
    });
    let request_id = HeaderName::from_static(REQUEST_ID);
    let security = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(observe::trace_layer())
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(from_fn(observe::problem_bodies))
        .layer(from_fn(observe::record_metrics))
        .layer(security)
        .option_layer(cors(&cfg.cors_origins))
        .layer(from_fn_with_state(gate, guard));
    router.layer(layers)
}

/// `None` (no CORS headers at all) when `CORS_ORIGINS` is empty.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::from(Any)
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| o.parse().ok()))
    };
    // A browser MCP client sends the transport's headers on every request after the first
    // (MCP-Protocol-Version, and the SEP-2243 Mcp-Method / Mcp-Name), and must read the
    // session id and the auth challenge from answers: without them it fails after `initialize`.
    let layer = CorsLayer::new()
        .allow_origin(allow)
        .allow_methods(Any)
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static(REQUEST_ID),
            HeaderName::from_static("mcp-protocol-version"),
            HeaderName::from_static("mcp-session-id"),
            HeaderName::from_static("mcp-method"),
            HeaderName::from_static("mcp-name"),
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            HeaderName::from_static(REQUEST_ID),
            header::RETRY_AFTER,
            HeaderName::from_static("mcp-session-id"),
            header::WWW_AUTHENTICATE,
            // A listing's next page (`Link: rel="next"`, `X-Next-Cursor`).
            header::LINK,
            HeaderName::from_static(crate::http::NEXT_CURSOR),
        ])
        .max_age(Duration::from_secs(600));
    Some(layer)
}

/// Authentication, rate limiting and the timeout, in that order.
async fn guard(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let Access::Needs(scope) = auth::required_access(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let caller = auth::identify(&gate.keys, req.headers());
    if let Some(limiter) = &gate.limiter {
        let bucket = match &caller {
            Caller::Key(key) => format!("key:{}", key.id()),
            _ => {
                let peer = req
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip());
                ratelimit::client_bucket(ratelimit::client_ip(peer, req.headers(), &gate.trusted))
            }
        };
        if let Err(wait) = limiter.check(&bucket) {
            return too_many_requests(wait);
        }
    }
    if !gate.keys.is_empty() {
        match &caller {
            Caller::Anonymous => return unauthorized("this route needs an API key", None),
            Caller::Unknown => {
                return unauthorized("the API key is not valid", Some("invalid_token"));
            }
            Caller::Key(key) if key.scope < scope => return forbidden(key, scope),
            Caller::Key(key) => {
                tracing::Span::current().record("auth.key", key.id());
            }
        }
    }
    match tokio::time::timeout(gate.timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "request-timeout",
                "Request timed out",
                format!(
                    "the request did not finish within {} ms (REQUEST_TIMEOUT_MS)",
                    gate.timeout.as_millis()
                ),
            );
            e.retry_after = Some(1);
            e.into_response()
        }
    }
}

fn unauthorized(detail: &str, error: Option<&str>) -> Response {
    let challenge = match error {
        Some(code) => format!("Bearer realm=\"toolbox\", error=\"{code}\""),
        None => "Bearer realm=\"toolbox\"".to_owned(),
    };
    let mut resp = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Unauthorized",
        format!("{detail}: send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

fn forbidden(key: &ApiKey, needed: Scope) -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        format!(
            "this route needs the `{}` scope; the key has `{}`",
            needed.as_str(),
            key.scope.as_str()
        ),
    )
    .with("required_scope", json!(needed.as_str()))
    .into_response()
}

fn too_many_requests(wait_secs: u64) -> Response {
    let wait = wait_secs.max(1);
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("the rate limit is exceeded; retry in {wait} s"),
    );
    e.retry_after = Some(wait);
    metrics::counter!("toolbox_rate_limited_total").increment(1);
    e.into_response()
}
