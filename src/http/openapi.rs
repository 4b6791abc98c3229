//! The API description: OpenAPI 3.1 generated from the handlers' `#[utoipa::path]`
//! annotations, served at `/openapi.json`, with an interactive page at `/docs` whose assets
//! are compiled into the binary (it works with no internet).
//!
//! Handlers declare their success responses; [`CommonProblems`] adds the problem+json answers
//! every route can give (auth, rate limit, malformed input, ...) from the same access table
//! the edge uses, so a new route only needs its annotation and a line in [`ApiDoc`].

use axum::Router;
use axum::http::Method;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayItems, Object, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Content, OpenApi as Spec, OpenApiVersion, Ref, RefOr, Required, Response, ResponseBuilder,
    Schema, SecurityRequirement,
};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::AppState;
use super::edge::auth::{Access, required_access};
pub use super::problem::Problem;
use crate::domain::CURSOR_PATTERN;

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
        super::servers::register,
        super::servers::list,
        super::servers::get,
        super::servers::update,
        super::servers::delete,
        super::servers::sync,
        super::keys::create,
        super::keys::list,
        super::keys::revoke,
        super::oauth::me,
        super::oauth::protected_resource,
        super::oauth::protected_resource_mcp,
    ),
    components(schemas(Problem)),
    modifiers(&NewToolBody, &Links, &CommonProblems)
)]
pub struct ApiDoc;

/// The description with the default configuration: OpenAPI 3.1.
pub fn spec() -> Spec {
    spec_for(crate::config::DEFAULT_MAX_SEARCH_LIMIT)
}

/// The description as served: search limits are the configured ones, so a client (or a
/// fuzzer) that keeps to the description is never refused for a limit it could not know.
pub fn spec_for(max_search_limit: u32) -> Spec {
    let mut spec = ApiDoc::openapi();
    spec.openapi = OpenApiVersion::Version31;
    set_search_limit(&mut spec, max_search_limit);
    set_tool_field_rules(&mut spec);
    spec
}

/// A character that may stand anywhere in a label: not a control character (`char::is_control`).
const LABEL_CHAR: &str = r"[^\u0000-\u001f\u007f-\u009f]";
/// A label's first and last character: also not whitespace.
const LABEL_EDGE: &str = r"[^\u0000-\u001f\u007f-\u009f\s]";

/// The rules `domain::tool` checks that derive macros cannot say: labels (`category`,
/// `version`, each tag) have no control characters and no surrounding whitespace; a
/// description or example is not blank; no text holds NUL (PostgreSQL's text cannot); search
/// filters hold no control characters; tags and examples have a length; a listing's cursor is
/// one the server could have issued ([`CURSOR_PATTERN`]). Described here so a
/// client that keeps to the description is not refused.
fn set_tool_field_rules(spec: &mut Spec) {
    let label = format!("^{LABEL_EDGE}(?:{LABEL_CHAR}*{LABEL_EDGE})?$");
    let filter = format!("^{LABEL_CHAR}*$");
    let not_blank = r"^[^\u0000]*[^\u0000\s][^\u0000]*$";
    let no_nul = r"^[^\u0000]*$";
    let tool_rules = [
        ("category", label.as_str(), Some(1), Some(64)),
        ("version", &label, Some(1), Some(64)),
        ("tags", &label, Some(1), Some(64)),
        ("description", not_blank, Some(1), None),
        ("examples", not_blank, Some(1), Some(1024)),
        ("long_description", no_nul, None, None),
        ("author", no_nul, None, None),
    ];
    let filter_rules = [
        ("category", filter.as_str(), None, None),
        ("tags", &filter, None, None),
    ];
    let list_rules = [
        ("category", filter.as_str(), None, None),
        ("tags", &filter, None, None),
        ("cursor", CURSOR_PATTERN, None, None),
    ];
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    for (schema, rules) in [
        ("ToolPatch", &tool_rules[..]),
        ("NewTool", &tool_rules[..]),
        ("ListToolsRequest", &list_rules[..]),
        ("FindToolRequest", &filter_rules[..]),
    ] {
        let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut(schema) else {
            continue;
        };
        for (field, pattern, min, max) in rules {
            if let Some(string) = body.properties.get_mut(*field).and_then(string_schema) {
                string.pattern = Some((*pattern).to_owned());
                string.min_length = min.or(string.min_length);
                string.max_length = max.or(string.max_length);
            }
        }
    }
    let list = spec
        .paths
        .paths
        .get_mut("/tools")
        .and_then(|item| item.get.as_mut())
        .and_then(|op| op.parameters.as_mut());
    for param in list.into_iter().flatten() {
        let RefOr::T(param) = param else { continue };
        let pattern = match param.name.as_str() {
            "category" | "tags" => filter.as_str(),
            "cursor" => CURSOR_PATTERN,
            _ => continue,
        };
        if let Some(RefOr::T(Schema::Object(string))) = param.schema.as_mut() {
            string.pattern = Some(pattern.to_owned());
        }
    }
}

/// The string schema of a property: the property itself, or its items when it is a list.
fn string_schema(prop: &mut RefOr<Schema>) -> Option<&mut Object> {
    match prop {
        RefOr::T(Schema::Object(o)) => Some(o),
        RefOr::T(Schema::Array(a)) => match &mut a.items {
            ArrayItems::RefOrSchema(item) => match item.as_mut() {
                RefOr::T(Schema::Object(o)) => Some(o),
                _ => None,
            },
            ArrayItems::False => None,
        },
        _ => None,
    }
}

/// `/openapi.json` and `/docs`.
pub fn docs(max_search_limit: u32) -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", spec_for(max_search_limit)))
}

/// The `limit` of `find_tool` and of `similar` goes up to `MAX_SEARCH_LIMIT`.
fn set_search_limit(spec: &mut Spec, max: u32) {
    let max = Some(utoipa::Number::UInt(max as usize));
    let find = spec
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("FindToolRequest"));
    if let Some(RefOr::T(Schema::Object(find))) = find {
        if let Some(RefOr::T(Schema::Object(limit))) = find.properties.get_mut("limit") {
            limit.maximum = max.clone();
        }
    }
    let similar = spec
        .paths
        .paths
        .get_mut("/tools/{name}/similar")
        .and_then(|item| item.get.as_mut())
        .and_then(|op| op.parameters.as_mut());
    for param in similar.into_iter().flatten() {
        let RefOr::T(param) = param else { continue };
        if param.name == "limit" {
            if let Some(RefOr::T(Schema::Object(limit))) = param.schema.as_mut() {
                limit.maximum = max.clone();
            }
        }
    }
}

/// `POST /tools` and `PUT /tools/{name}` take the same fields, but creating a tool needs
/// `name`, `description` and `input_schema` (not null): the create body is described as its own
/// schema, `NewTool`, made from `ToolPatch` so the field list exists once. `POST /tools/bulk`
/// takes a list of them.
pub struct NewToolBody;

const NEW_TOOL_REQUIRED: [&str; 3] = ["name", "description", "input_schema"];

impl Modify for NewToolBody {
    fn modify(&self, spec: &mut Spec) {
        let Some(components) = spec.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(patch))) = components.schemas.get("ToolPatch") else {
            return;
        };
        let mut new = patch.clone();
        new.required = NEW_TOOL_REQUIRED.map(String::from).to_vec();
        new.description = Some("A tool definition to register.".into());
        for field in NEW_TOOL_REQUIRED {
            if let Some(RefOr::T(Schema::Object(prop))) = new.properties.get_mut(field) {
                if let SchemaType::Array(types) = &prop.schema_type {
                    let types: Vec<Type> = types
                        .iter()
                        .filter(|t| **t != Type::Null)
                        .cloned()
                        .collect();
                    prop.schema_type = match types.as_slice() {
                        [one] => SchemaType::Type(one.clone()),
                        _ => SchemaType::Array(types),
                    };
                }
            }
        }
        components
            .schemas
            .insert("NewTool".into(), RefOr::T(Schema::Object(new)));
        if let Some(RefOr::T(Schema::Object(bulk))) = components.schemas.get_mut("BulkRequest") {
            if let Some(RefOr::T(Schema::Array(tools))) = bulk.properties.get_mut("tools") {
                tools.items =
                    ArrayItems::RefOrSchema(Box::new(Ref::from_schema_name("NewTool").into()));
            }
        }
        let post = spec
            .paths
            .paths
            .get_mut("/tools")
            .and_then(|item| item.post.as_mut());
        if let Some(op) = post {
            op.request_body = Some(RefOr::T(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name("NewTool"))),
                    )
                    .required(Some(Required::True))
                    .build(),
            ));
        }
    }
}

/// OpenAPI links, so a client (or a fuzzer's stateful phase) can follow what one answer
/// names: a registered tool to its routes, a call to its execution record.
pub struct Links;

impl Modify for Links {
    fn modify(&self, spec: &mut Spec) {
        let tool_routes = [
            "get_tool",
            "update_tool",
            "delete_tool",
            "similar_tools",
            "list_executions",
            "tool_stats",
        ];
        add_links(
            spec,
            "/tools",
            "201",
            &tool_routes.map(|op| (op, "name", "$response.body#/name")),
        );
        add_links(
            spec,
            "/mcp/call_tool",
            "200",
            &[("get_execution", "id", "$response.body#/execution_id")],
        );
    }
}

/// Adds to the `status` answer of the POST at `path` one link per (operation, parameter,
/// expression).
fn add_links(spec: &mut Spec, path: &str, status: &str, links: &[(&str, &str, &str)]) {
    let response = spec
        .paths
        .paths
        .get_mut(path)
        .and_then(|item| item.post.as_mut())
        .and_then(|op| op.responses.responses.get_mut(status));
    let Some(RefOr::T(response)) = response else {
        return;
    };
    for (operation, param, expr) in links {
        let link = LinkBuilder::new()
            .operation_id(*operation)
            .parameter(*param, *expr)
            .build();
        response
            .links
            .insert((*operation).to_owned(), RefOr::T(link));
    }
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
