//! What a client learns about authenticating here: the OAuth protected-resource metadata
//! (RFC 9728) when an OIDC issuer is configured (a 404 otherwise, so MCP clients do not start
//! an OAuth flow that cannot succeed), and `GET /me`, the caller as the service sees it.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde_json::{Value, json};

use super::{ApiError, AppState, Caller};
use crate::domain::Role;

/// The OAuth scope that grants `role` (`toolbox:read` with the default prefix).
pub fn scope_of(role: Role) -> String {
    format!("toolbox:{}", role.as_str())
}

/// The public URL of `/mcp`: `AUTH_RESOURCE_URL`, else from the request's `Host` (and
/// `X-Forwarded-Proto` behind an ingress that terminates TLS).
pub fn resource_url(configured: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(url) = configured {
        return url.to_owned();
    }
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(axum::http::header::HOST))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| matches!(*p, "http" | "https"))
        .unwrap_or("http");
    format!("{proto}://{host}/mcp")
}

/// Where the metadata of `resource` is (RFC 9728 §3: the well-known path before its path).
pub fn metadata_url(resource: &str) -> String {
    match reqwest::Url::parse(resource) {
        Ok(url) => {
            let origin = url.origin().ascii_serialization();
            let path = url.path().trim_end_matches('/');
            format!("{origin}/.well-known/oauth-protected-resource{path}")
        }
        Err(_) => resource.to_owned(),
    }
}

/// The protected-resource metadata of `/mcp` (RFC 9728), when OIDC is configured.
#[utoipa::path(get, path = "/.well-known/oauth-protected-resource", tag = "auth", operation_id = "protected_resource_metadata",
    responses((status = 200, description = "The resource, its authorization server and scopes (with OIDC configured)", body = Object),
              (status = 404, description = "No OIDC issuer is configured: authenticate with an API key")))]
pub async fn protected_resource(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let Some(oidc) = state.auth.oidc() else {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!(
                "no route for {}: this service takes API keys, not OAuth tokens (no AUTH_OIDC_ISSUER)",
                uri.path()
            ),
        ));
    };
    let resource = resource_url(state.config.edge.resource_url.as_deref(), &headers);
    let scopes = [Role::Read, Role::Call, Role::Admin]
        .map(|r| format!("{}{}", oidc.role_prefix, r.as_str()));
    Ok(Json(json!({
        "resource": resource,
        "authorization_servers": [oidc.issuer],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": state.config.app_name,
    })))
}

/// The same metadata at the path RFC 9728 derives from `/mcp`'s URL.
#[utoipa::path(get, path = "/.well-known/oauth-protected-resource/mcp", tag = "auth", operation_id = "protected_resource_metadata_mcp",
    responses((status = 200, description = "As `/.well-known/oauth-protected-resource`", body = Object),
              (status = 404, description = "No OIDC issuer is configured: authenticate with an API key")))]
pub async fn protected_resource_mcp(
    state: State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    protected_resource(state, uri, headers).await
}

/// The caller: its id (as recorded in the history), role and tool set.
#[utoipa::path(get, path = "/me", tag = "auth", operation_id = "whoami",
    responses((status = 200, description = "The caller", body = Object,
        example = json!({"caller": "key:3f9a1c2b", "role": "call", "tools": [{"allow": ["weather_*"], "deny": []}]}))))]
pub async fn me(Caller(who): Caller) -> Json<Value> {
    let tools = who
        .tools
        .sets()
        .map(|sets| json!(sets.iter().map(|s| s.spec()).collect::<Vec<_>>()));
    Json(json!({
        "caller": who.id,
        "role": who.role.as_str(),
        "tools": tools,
    }))
}
