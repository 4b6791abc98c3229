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

use crate::auth::{AuthFailure, Authenticator};
use crate::config::EdgeConfig;
use crate::domain::{Principal, Role};
use crate::http::ApiError;
use auth::Access;
use ratelimit::Limiter;

pub use observe::{REQUEST_ID, recorded_request_id};

/// What the gate needs, built once from [`EdgeConfig`].
struct Gate {
    auth: Arc<Authenticator>,
    /// `AUTH_RESOURCE_URL`, for the challenge's `resource_metadata`.
    resource_url: Option<String>,
    limiter: Option<Limiter>,
    trusted: Vec<IpNet>,
    timeout: Duration,
}

/// Wraps `router` (all of whose routes are already added) in the edge layers.
pub fn apply(router: Router, cfg: &EdgeConfig, auth: Arc<Authenticator>) -> Router {
    let gate = Arc::new(Gate {
        auth,
        resource_url: cfg.resource_url.clone(),
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

/// Authentication, rate limiting and the timeout, in that order. The caller, once known, is
/// put in the request's extensions for the handlers ([`crate::http::Caller`]).
async fn guard(State(gate): State<Arc<Gate>>, mut req: Request, next: Next) -> Response {
    let Access::Needs(role) = auth::required_access(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let caller = gate
        .auth
        .authenticate(auth::presented_key(req.headers()))
        .await;
    if let Some(limiter) = &gate.limiter {
        let bucket = match &caller {
            Ok(Principal { id: Some(id), .. }) => id.clone(),
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
    let principal = match caller {
        Ok(p) => p,
        Err(failure) => {
            let challenge = Challenge::new(&gate, req.headers());
            return refused(failure, &challenge);
        }
    };
    if !principal.may(role) {
        return forbidden(&principal, role);
    }
    if let Some(id) = &principal.id {
        tracing::Span::current().record("auth.key", id.as_str());
    }
    req.extensions_mut().insert(principal);
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

/// What a 401 tells the client to do: with OIDC, where the protected-resource metadata is
/// (RFC 9728) and which scope to ask for; without, to send an API key (and nothing that
/// would start an OAuth flow).
struct Challenge {
    metadata: Option<String>,
}

impl Challenge {
    fn new(gate: &Gate, headers: &axum::http::HeaderMap) -> Self {
        let metadata = gate.auth.oidc().map(|_| {
            let resource = crate::http::oauth::resource_url(gate.resource_url.as_deref(), headers);
            crate::http::oauth::metadata_url(&resource)
        });
        Self { metadata }
    }

    fn header(&self, error: Option<&str>) -> String {
        let mut parts = vec!["realm=\"toolbox\"".to_owned()];
        if let Some(url) = &self.metadata {
            parts.push(format!("resource_metadata=\"{url}\""));
            parts.push(format!(
                "scope=\"{}\"",
                crate::http::oauth::scope_of(Role::Read)
            ));
        }
        if let Some(code) = error {
            parts.push(format!("error=\"{code}\""));
        }
        format!("Bearer {}", parts.join(", "))
    }
}

fn refused(failure: AuthFailure, challenge: &Challenge) -> Response {
    let how = if challenge.metadata.is_some() {
        "send an OIDC access token or an API key as `Authorization: Bearer <token>` (or the key as `X-API-Key: <key>`)"
    } else {
        "send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`; this service has no OAuth authorization server"
    };
    let (status, detail, error) = match failure {
        AuthFailure::Missing => (
            StatusCode::UNAUTHORIZED,
            format!("this route needs credentials: {how}"),
            None,
        ),
        AuthFailure::Invalid(why) => (
            StatusCode::UNAUTHORIZED,
            format!("{why}: {how}"),
            Some("invalid_token"),
        ),
        AuthFailure::NoRole(why) => (StatusCode::FORBIDDEN, why, Some("insufficient_scope")),
        AuthFailure::Unavailable(dependency) => {
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "auth-unavailable",
                "Credentials cannot be checked",
                format!("the credential could not be checked: {dependency}"),
            );
            e.retry_after = Some(1);
            return e.into_response();
        }
    };
    let (code, title) = if status == StatusCode::FORBIDDEN {
        ("forbidden", "Forbidden")
    } else {
        metrics::counter!("toolbox_auth_failures_total").increment(1);
        ("unauthorized", "Unauthorized")
    };
    let mut resp = ApiError::new(status, code, title, detail).into_response();
    if status == StatusCode::UNAUTHORIZED
        && let Ok(v) = HeaderValue::from_str(&challenge.header(error))
    {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

fn forbidden(who: &Principal, needed: Role) -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        format!(
            "this route needs the `{}` role; the caller has `{}`",
            needed.as_str(),
            who.role.as_str()
        ),
    )
    .with("required_role", json!(needed.as_str()))
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
