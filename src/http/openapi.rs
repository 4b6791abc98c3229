//! The API description: OpenAPI 3.1 generated from the handlers' `#[utoipa::path]`
//! annotations, served at `/openapi.json`, with an interactive page at `/docs` whose assets
//! are compiled into the binary (it works with no internet).
//!
//! Handlers declare their success responses; [`CommonProblems`] adds the problem+json answers
//! every route can give (auth, rate limit, malformed input, ...) from the same access table
//! the edge uses, so a new route only needs its annotation and a line in [`ApiDoc`].

use axum::Router;
use axum::http::Method;
use serde::Serialize;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Content, OpenApi as Spec, OpenApiVersion, Ref, RefOr, Response, ResponseBuilder,
    SecurityRequirement,
};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use super::edge::auth::{Access, required_access};
use crate::app::AppState;

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

#[derive(OpenApi)]
#[openapi(
    info(title = "toolbox", description = "A tool registry for AI agents: list, find and call tools."),
    paths(
        super::health::health,
        super::health::ready,
        super::health::metrics,
        super::rest_mcp::list_tools,
        super::rest_mcp::find_tool,
        super::rest_mcp::call_tool,
        super::tools::register,
        super::bulk::import,
        super::tools::list,
        super::tools::get,
        super::tools::update,
        super::tools::delete,
        super::tools::similar,
        super::mcp_doc::mcp,
        super::executions::list,
        super::executions::stats,
        super::executions::get,
    ),
    components(schemas(Problem)),
    modifiers(&CommonProblems)
)]
pub struct ApiDoc;

/// The description as served: OpenAPI 3.1.
pub fn spec() -> Spec {
    let mut spec = ApiDoc::openapi();
    spec.openapi = OpenApiVersion::Version31;
    spec
}

/// `/openapi.json` and `/docs`.
pub fn docs() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", spec()))
}

/// Adds the security schemes and the problem responses each operation can give.
pub struct CommonProblems;

impl Modify for CommonProblems {
    fn modify(&self, spec: &mut Spec) {
        let components = spec.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        for (path, item) in spec.paths.paths.iter_mut() {
            let ops = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, op) in ops {
                if let Some(op) = op {
                    add_problems(path, method, op);
                }
            }
        }
    }
}

fn add_problems(path: &str, method: HttpMethod, op: &mut Operation) {
    let method = to_method(method);
    if required_access(&method, path) == Access::Public {
        return;
    }
    op.security = Some(vec![
        SecurityRequirement::new("bearer", Vec::<String>::new()),
        SecurityRequirement::new("api_key", Vec::<String>::new()),
    ]);
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut add = |code: &str, why: &str| {
        op.responses
            .responses
            .entry(code.to_owned())
            .or_insert_with(|| problem(why));
    };
    if has_body || has_params {
        add("400", "Malformed request (syntax, query string)");
    }
    add("401", "No API key, or an unknown one");
    add("403", "The key's scope does not allow this route");
    if path.contains('{') || path.starts_with("/mcp/call_tool") {
        add("404", "No such tool");
    }
    if has_body {
        add("413", "The body is too large");
        add("415", "The body is not JSON");
    }
    if path.contains('{') || has_body {
        add("422", "Well-formed but invalid input; `errors` says where");
    }
    if method != Method::GET {
        add("409", "Conflicts with the current state (exists, built-in)");
    }
    add("429", "Rate limit exceeded; see Retry-After");
    add(
        "503",
        "A dependency (database, embedding endpoint) is unavailable, or the request timed out",
    );
}

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .build(),
    )
}

fn to_method(m: HttpMethod) -> Method {
    match m {
        HttpMethod::Get => Method::GET,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Post => Method::POST,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Trace => Method::TRACE,
    }
}
