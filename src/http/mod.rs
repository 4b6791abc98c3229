//! REST routes: extract → domain type → one service call → response.

mod bulk;
pub mod console;
mod dto;
pub mod edge;
mod executions;
mod extract;
mod health;
mod keys;
mod listing;
mod mcp_accept;
mod mcp_body;
mod mcp_doc;
pub(crate) mod oauth;
pub mod openapi;
pub(crate) mod problem;
mod rest_mcp;
mod schema;
mod servers;
mod state;
mod tools;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri};
use axum::routing::{get, post};

pub use extract::{ApiJson, ApiQuery, Caller, MAX_BODY, parse_json};
pub use listing::NEXT_CURSOR;
pub use problem::ApiError;
pub use state::AppState;

/// The REST API, without a socket: tests can call it directly. Add new routes in
/// [`routes`]: the edge layers (auth, rate limits, request ids, metrics) then cover them.
///
/// `mcp`, when given, is mounted at `/mcp` (the MCP protocol endpoint) inside the same edge
/// layers, so API keys, rate limits and request ids cover it too.
pub fn router(state: AppState, mcp: Option<crate::mcp::McpHttpService>) -> Router {
    let edge = state.config.edge.clone();
    let state_auth = state.auth.clone();
    let mut routes = routes();
    if let Some(service) = mcp {
        let max = state.config.mcp.max_body_bytes;
        let service = tower::ServiceBuilder::new()
            .layer(axum::middleware::from_fn(move |req, next| {
                mcp_body::read_body_first(max, req, next)
            }))
            .map_response(axum::response::IntoResponse::into_response)
            .service(service);
        routes = routes.route_service("/mcp", service);
    }
    if edge.metrics_port.is_none() {
        routes = routes.route("/metrics", get(health::metrics));
    }
    let app = routes
        .merge(openapi::docs(state.config.search.max_limit))
        .merge(console::router())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state);
    edge::apply(app, &edge, state_auth)
}

/// `/metrics` alone, for its own listener (`METRICS_PORT`). No edge layers, so no key: the
/// port is meant for a network only the scraper reaches (the charts' NetworkPolicy limits it).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .with_state(state)
}

/// Every API route. Each handler carries a `#[utoipa::path]` and is listed in
/// [`openapi::ApiDoc`]; a test fails when a route is missing from the description.
fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/mcp/list_tools", post(rest_mcp::list_tools))
        .route("/mcp/find_tool", post(rest_mcp::find_tool))
        .route("/mcp/call_tool", post(rest_mcp::call_tool))
        .route("/tools", post(tools::register).get(tools::list))
        .route("/tools/bulk", post(bulk::import))
        .route(
            "/tools/{name}",
            get(tools::get).put(tools::update).delete(tools::delete),
        )
        .route("/tools/{name}/similar", get(tools::similar))
        .route("/tools/{name}/executions", get(executions::list))
        .route("/tools/{name}/stats", get(executions::stats))
        .route("/executions/{id}", get(executions::get))
        .route("/servers", post(servers::register).get(servers::list))
        .route(
            "/servers/{name}",
            get(servers::get)
                .put(servers::update)
                .delete(servers::delete),
        )
        .route("/servers/{name}/sync", post(servers::sync))
        .route("/keys", post(keys::create).get(keys::list))
        .route("/keys/{id}", axum::routing::delete(keys::revoke))
        .route("/me", get(oauth::me))
        .route(
            "/.well-known/oauth-protected-resource",
            get(oauth::protected_resource),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(oauth::protected_resource_mcp),
        )
}

async fn fallback(uri: Uri) -> ApiError {
    ApiError::not_found_route(uri.path())
}

async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("{} does not support this method", uri.path()),
    )
}
