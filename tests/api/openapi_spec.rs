//! The API description covers every route the code registers, is OpenAPI 3.1, and documents
//! the problem answers. Routes are read from the source (`.route("…", get(…).post(…))`), so a
//! route added without a `#[utoipa::path]` annotation fails here.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn spec() -> Value {
    serde_json::to_value(toolbox::http::openapi::spec()).unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text of the call starting at `start` (just after its opening parenthesis).
fn call_args(src: &str, start: usize) -> &str {
    let mut depth = 1;
    for (i, c) in src[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &src[start..start + i];
                }
            }
            _ => {}
        }
    }
    &src[start..]
}

/// (method, path) of every `.route(…)` and the path of every `.nest_service(…)`/`.route_service(…)`.
fn registered_routes() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    rust_files(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for file in files {
        let src = std::fs::read_to_string(&file).unwrap();
        for call in [".route(", ".nest_service(", ".route_service("] {
            for (at, _) in src.match_indices(call) {
                let args = call_args(&src, at + call.len());
                let Some(path) = args.split('"').nth(1) else {
                    continue;
                };
                if call != ".route(" {
                    routes.insert(("*".to_owned(), path.to_owned()));
                    continue;
                }
                for method in ["get", "post", "put", "delete", "patch"] {
                    let needle = format!("{method}(");
                    let found = args.match_indices(&needle).any(|(i, _)| {
                        i == 0 || !args[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                    });
                    if found {
                        routes.insert((method.to_owned(), path.to_owned()));
                    }
                }
            }
        }
    }
    routes
}

#[test]
fn every_registered_route_is_in_the_api_description() {
    let spec = spec();
    let paths = spec["paths"].as_object().unwrap();
    let routes = registered_routes();
    assert!(routes.len() >= 12, "found the routes: {routes:?}");
    let missing: Vec<_> = routes
        .iter()
        .filter(|(method, path)| match paths.get(path) {
            None => true,
            Some(item) => method != "*" && item.get(method.as_str()).is_none(),
        })
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a #[utoipa::path] listed in ApiDoc: {missing:?}"
    );
}

#[test]
fn the_description_is_openapi_3_1_with_problem_answers() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    let get_tool = &spec["paths"]["/tools/{name}"]["get"]["responses"];
    for code in ["200", "401", "403", "404", "429"] {
        assert!(
            get_tool.get(code).is_some(),
            "GET /tools/{{name}} documents {code}"
        );
    }
    assert!(
        get_tool["404"]["content"]
            .get("application/problem+json")
            .is_some()
    );
    assert!(spec["components"]["schemas"].get("Problem").is_some());
    assert!(
        spec["paths"]["/health"]["get"]["responses"]
            .get("401")
            .is_none()
    );
}

#[test]
fn request_bodies_carry_examples() {
    let spec = spec();
    for name in ["ToolPatch", "FindToolRequest", "CallToolRequest"] {
        assert!(
            spec["components"]["schemas"][name].get("example").is_some()
                || spec["components"]["schemas"][name]
                    .get("examples")
                    .is_some(),
            "{name} has an example"
        );
    }
}

#[test]
fn every_operation_has_its_own_operation_id() {
    let spec = spec();
    let mut seen = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(
                seen.insert(id.clone()),
                "{method} {path}: operationId {id:?} used twice"
            );
        }
    }
}

#[test]
fn registering_a_tool_requires_name_description_and_input_schema_not_null() {
    let spec = spec();
    let new_tool = &spec["components"]["schemas"]["NewTool"];
    assert_eq!(
        new_tool["required"],
        serde_json::json!(["name", "description", "input_schema"])
    );
    assert_eq!(new_tool["properties"]["input_schema"]["type"], "object");
    assert_eq!(
        spec["paths"]["/tools"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NewTool"
    );
    assert_eq!(
        spec["components"]["schemas"]["BulkRequest"]["properties"]["tools"]["items"]["$ref"],
        "#/components/schemas/NewTool"
    );
    // An update names only what changes.
    assert!(
        spec["components"]["schemas"]["ToolPatch"]
            .get("required")
            .is_none()
    );
}

#[test]
fn search_limits_in_the_description_are_the_configured_ones() {
    let spec = serde_json::to_value(toolbox::http::openapi::spec_for(37)).unwrap();
    assert_eq!(
        spec["components"]["schemas"]["FindToolRequest"]["properties"]["limit"]["maximum"],
        37
    );
    let similar = spec["paths"]["/tools/{name}/similar"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(similar["schema"]["maximum"], 37);
}

#[test]
fn the_outcome_filter_lists_every_error_kind() {
    let spec = spec();
    let outcome = spec["paths"]["/tools/{name}/executions"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "outcome")
        .unwrap()
        .clone();
    let pattern = outcome["schema"]["pattern"].as_str().unwrap();
    for kind in toolbox::registry::CallErrorKind::ALL {
        assert!(
            pattern.contains(&format!("|{}|", kind.as_str()))
                || pattern.contains(&format!("|{})", kind.as_str())),
            "{kind} is missing from the outcome pattern {pattern}"
        );
    }
}

#[test]
fn links_lead_from_a_new_tool_and_from_a_call_to_what_they_name() {
    let spec = spec();
    let created = &spec["paths"]["/tools"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        created["get_tool"]["parameters"]["name"],
        "$response.body#/name"
    );
    let called = &spec["paths"]["/mcp/call_tool"]["post"]["responses"]["200"]["links"];
    assert_eq!(
        called["get_execution"]["parameters"]["id"],
        "$response.body#/execution_id"
    );
}

#[test]
fn listing_limits_and_cursors_in_the_description_are_the_enforced_ones() {
    let spec = spec();
    let max = toolbox::domain::MAX_LIST_LIMIT;
    let body = &spec["components"]["schemas"]["ListToolsRequest"]["properties"];
    assert_eq!(body["limit"]["minimum"], 1);
    assert_eq!(body["limit"]["maximum"], max);
    assert_eq!(body["cursor"]["pattern"], toolbox::domain::CURSOR_PATTERN);
    let params = spec["paths"]["/tools"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let param = |name: &str| params.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
    assert_eq!(param("limit")["maximum"], max);
    assert_eq!(param("limit")["type"], "integer");
    assert_eq!(param("cursor")["pattern"], toolbox::domain::CURSOR_PATTERN);
    assert!(param("category")["pattern"].is_string());
    for path in ["/tools", "/mcp/list_tools"] {
        let method = if path == "/tools" { "get" } else { "post" };
        let headers = &spec["paths"][path][method]["responses"]["200"]["headers"];
        assert!(
            headers["link"].is_object() && headers["x-next-cursor"].is_object(),
            "{path}"
        );
    }
}
