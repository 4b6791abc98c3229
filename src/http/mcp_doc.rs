//! The OpenAPI entry for `/mcp`. The endpoint itself is rmcp's Streamable HTTP service
//! (mounted in [`super::router`]); this stub only describes it.

/// The MCP protocol endpoint: JSON-RPC 2.0 over Streamable HTTP (revisions 2025-06-18,
/// 2025-11-25 and 2026-07-28). Use an MCP client rather than calling it by hand.
#[utoipa::path(post, path = "/mcp", tag = "mcp",
    request_body(content = Object, content_type = "application/json",
        example = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})),
    responses(
        (status = 200, description = "A JSON-RPC response (or an event stream)", body = Object),
        (status = 202, description = "A notification or response was accepted"),
        (status = 400, description = "Not a valid JSON-RPC message"),
        (status = 403, description = "Origin or Host not allowed (MCP_ALLOWED_ORIGINS, MCP_ALLOWED_HOSTS)"),
        (status = 406, description = "The Accept header does not allow JSON or event streams"),
        (status = 413, description = "Body over MCP_MAX_BODY_BYTES"),
    ))]
#[expect(dead_code, reason = "documentation only: rmcp serves the route")]
pub fn mcp() {}
