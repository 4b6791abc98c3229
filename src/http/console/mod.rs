//! The web console at `/` and `/ui/...`: pages for the people who curate the tools.
//!
//! The console is a client of the REST API and nothing more. Its pages are templates that hold
//! no registry data (only the page's shape, and the names of the built-in tools, which are
//! compiled into the binary); `console.js` fills them by calling the API with `fetch()`, sending
//! the API key the person typed as `Authorization: Bearer`. So every action passes the same
//! access table, validation and history as an agent's call, and the pages themselves are public
//! (see [`super::edge::auth::required_access`]). Assets are compiled in: the console works
//! offline and needs no build step.
//!
//! Its routes are not API routes and are not in the OpenAPI description; their paths are the
//! constants below. Any other path under `/ui/` is the API's 404 problem, like every 4xx.

mod pages;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{ApiError, AppState};
use pages::Page;

/// The console's home: the search playground.
pub const HOME: &str = "/";
const UI_HOME: &str = "/ui";
const SEARCH: &str = "/ui/search";
const TOOLS: &str = "/ui/tools";
const TOOL: &str = "/ui/tools/{name}";
const EDIT: &str = "/ui/tools/{name}/edit";
const REGISTER: &str = "/ui/register";
const EXECUTIONS: &str = "/ui/executions";
const EXECUTION: &str = "/ui/executions/{id}";
const SERVERS: &str = "/ui/servers";
const ASSET: &str = "/ui/assets/{file}";

const JS: &str = "text/javascript; charset=utf-8";

/// The console's assets, compiled in: its style, and its script as ES modules the browser
/// loads as they are (`console.js` imports the others).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "console.css",
        "text/css; charset=utf-8",
        include_str!("assets/console.css"),
    ),
    ("console.js", JS, include_str!("assets/console.js")),
    ("core.js", JS, include_str!("assets/core.js")),
    ("search.js", JS, include_str!("assets/search.js")),
    ("tools.js", JS, include_str!("assets/tools.js")),
    ("tool.js", JS, include_str!("assets/tool.js")),
    ("schema.js", JS, include_str!("assets/schema.js")),
    ("tryit.js", JS, include_str!("assets/tryit.js")),
    ("activity.js", JS, include_str!("assets/activity.js")),
    ("toolform.js", JS, include_str!("assets/toolform.js")),
    ("executions.js", JS, include_str!("assets/executions.js")),
    ("servers.js", JS, include_str!("assets/servers.js")),
];

/// Pages may load only the console's own script and style, and talk only to this origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Whether `path` belongs to the console (pages and assets; all public, all data-free).
pub fn is_console_path(path: &str) -> bool {
    path == HOME || path == UI_HOME || path.starts_with("/ui/")
}

/// The console's pages and assets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(HOME, get(search))
        .route(UI_HOME, get(search))
        .route(SEARCH, get(search))
        .route(TOOLS, get(tools))
        .route(TOOL, get(tool))
        .route(EDIT, get(edit))
        .route(REGISTER, get(register))
        .route(EXECUTIONS, get(executions))
        .route(EXECUTION, get(execution))
        .route(SERVERS, get(servers))
        .route(ASSET, get(asset))
}

async fn search(State(s): State<AppState>) -> Response {
    html(&s, Page::Search)
}

async fn tools(State(s): State<AppState>) -> Response {
    html(&s, Page::Tools)
}

async fn tool(State(s): State<AppState>, Path(name): Path<String>) -> Response {
    html(&s, Page::Tool(name))
}

async fn edit(State(s): State<AppState>, Path(name): Path<String>) -> Response {
    html(&s, Page::Edit(name))
}

async fn register(State(s): State<AppState>) -> Response {
    html(&s, Page::Register)
}

async fn executions(State(s): State<AppState>) -> Response {
    html(&s, Page::Executions)
}

async fn execution(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    html(&s, Page::Execution(id))
}

async fn servers(State(s): State<AppState>) -> Response {
    html(&s, Page::Servers)
}

async fn asset(Path(file): Path<String>) -> Response {
    let Some((_, content_type, body)) = ASSETS.iter().find(|(name, ..)| *name == file) else {
        return ApiError::not_found_route(&format!("/ui/assets/{file}")).into_response();
    };
    // Revalidated on every load (the edge's `no-store` would do too, but assets change only
    // with the binary, so a browser may keep them for the session).
    (
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        *body,
    )
        .into_response()
}

fn html(state: &AppState, page: Page) -> Response {
    let builtins = state.registry.builtin_names();
    let body = pages::render(&page, &builtins);
    let mut resp = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body.into_string(),
    )
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_paths_are_the_home_and_everything_under_ui() {
        assert!(is_console_path("/"));
        assert!(is_console_path("/ui"));
        assert!(is_console_path("/ui/tools/calculator"));
        assert!(is_console_path("/ui/assets/console.js"));
        assert!(!is_console_path("/uix"));
        assert!(!is_console_path("/tools"));
    }

    #[test]
    fn a_page_escapes_the_name_it_was_given() {
        let page = pages::render(&Page::Tool("<script>x</script>".into()), &[]);
        let text = page.into_string();
        assert!(!text.contains("<script>x"), "{text}");
        assert!(text.contains("&lt;script&gt;x"), "{text}");
    }
}
