//! `ToolboxMcp`: the MCP `ServerHandler`, written by hand over the registry (tools are data,
//! not compile-time functions).

use std::borrow::Cow;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CustomRequest, CustomResult, Implementation,
    InitializeRequestParams, InitializeResult, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ServerCapabilities, ServerConfig, SubscriptionFilter, Tool as McpTool,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use super::McpState;
use super::malformed::unparsed_request;
use super::meta_tools::{self, CALL_TOOL, FIND_TOOL};
use super::outcome::{UnknownTool, call_result};
use super::tools::{decode_cursor, encode_cursor, to_mcp};
use crate::config::ToolExposure;
use crate::domain::Principal;
use crate::registry::CallContext;

/// The revisions served. 2025-03-26 is accepted for older clients (they ignore the newer
/// fields); the handshake revisions answer `initialize`, 2026-07-28 answers `server/discover`.
const SUPPORTED: &[ProtocolVersion] = &[
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
    ProtocolVersion::V_2026_07_28,
];

/// One request's handler; built fresh for every request (stateless serving).
pub struct ToolboxMcp {
    state: McpState,
}

impl ToolboxMcp {
    pub fn new(state: McpState) -> Self {
        Self { state }
    }

    async fn call_registry_tool(
        &self,
        name: &str,
        args: Value,
        unknown: UnknownTool,
        ctx: &CallContext,
    ) -> Result<rmcp::model::CallToolResult, ErrorData> {
        let registry = &self.state.registry;
        let tool = match registry.get_for(name, &ctx.principal).await {
            Ok(tool) => tool,
            Err(e) => return call_result(name, Err(e), false, unknown),
        };
        let structured = to_mcp(&tool).output_schema.is_some();
        let outcome = registry.call_with(name, args, ctx).await;
        if crate::domain::upstream_of(&tool.config).is_some() && !structured {
            if let Some(passed) = upstream_content(&outcome) {
                return Ok(passed);
            }
        }
        call_result(name, outcome, structured, unknown)
    }
}

/// The caller of an MCP request, as the edge authenticated it (the HTTP request's parts
/// travel with every request rmcp hands over). Without them (a transport that is not HTTP)
/// the caller may read nothing.
fn principal(extensions: &rmcp::model::Extensions) -> Principal {
    extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Principal>())
        .cloned()
        .unwrap_or(Principal {
            id: None,
            role: crate::domain::Role::Read,
            tools: crate::domain::ToolScope::any_of(vec![]),
        })
}

/// The request id of an MCP request, for the history.
fn request_id(extensions: &rmcp::model::Extensions) -> Option<String> {
    extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| crate::http::edge::recorded_request_id(&parts.headers))
}

/// An upstream tool's successful answer without structured content is `{"content": [...]}`:
/// over MCP its content blocks (text, images, resources) are passed on as the upstream sent
/// them, rather than rendered as JSON text.
fn upstream_content(
    outcome: &Result<crate::registry::CallOutcome, crate::registry::RegistryError>,
) -> Option<rmcp::model::CallToolResult> {
    let Ok(crate::registry::CallOutcome {
        success: true,
        result: Some(result),
        ..
    }) = outcome
    else {
        return None;
    };
    let object = result.as_object().filter(|o| o.len() == 1)?;
    let blocks = serde_json::from_value(object.get("content")?.clone()).ok()?;
    Some(rmcp::model::CallToolResult::success(blocks))
}

impl ServerHandler for ToolboxMcp {
    fn get_info(&self) -> ServerConfig {
        let caps = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        let exposure = match self.state.config.exposure {
            ToolExposure::All => {
                "Every registered tool is listed; find_tool searches them by description."
            }
            ToolExposure::Search => {
                "The registry is too large to list: use find_tool to search it by describing the task, \
                 then call_tool to run what you found."
            }
        };
        ServerConfig::new(caps)
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
            .with_server_info(
                Implementation::new(&self.state.app_name, env!("CARGO_PKG_VERSION"))
                    .with_title("toolbox tool registry"),
            )
            .with_instructions(format!("A registry of tools for agents. {exposure}"))
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(SUPPORTED)
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        let mut result = self.negotiate_initialize(&request)?;
        // A handshake client is served statelessly: there is no session whose stream could
        // carry list_changed, so it is not promised (2026-07-28 clients get it on
        // subscriptions/listen).
        if let Some(tools) = result.capabilities.tools.as_mut() {
            tools.list_changed = None;
        }
        Ok(result)
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let who = principal(&context.extensions);
        let cursor = request.and_then(|r| r.cursor);
        let after = cursor.as_deref().map(decode_cursor).transpose()?;
        let cfg = &self.state.config;
        let mut tools: Vec<McpTool> = Vec::new();
        if after.is_none() {
            let categories = self.state.categories().await;
            tools = meta_tools::definitions(cfg.exposure, &categories, self.state.search.max_limit);
        }
        if cfg.exposure == ToolExposure::Search {
            return Ok(ListToolsResult::with_all_items(tools));
        }
        let page = self
            .state
            .registry
            .list_page(after.as_deref(), cfg.page_size + 1, &who)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "tools/list failed");
                ErrorData::internal_error("cannot read the tool registry right now", None)
            })?;
        let more = page.len() > cfg.page_size as usize;
        let page = &page[..page.len().min(cfg.page_size as usize)];
        // A registered tool named like a meta-tool is shadowed by it.
        tools.extend(
            page.iter()
                .filter(|t| t.name != FIND_TOOL && t.name != CALL_TOOL)
                .map(to_mcp),
        );
        let mut result = ListToolsResult::with_all_items(tools);
        result.next_cursor = more
            .then(|| page.last().map(|t| encode_cursor(&t.name)))
            .flatten();
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = Value::Object(request.arguments.unwrap_or_default());
        let name = request.name.as_ref();
        let ctx = CallContext {
            request_id: request_id(&context.extensions),
            principal: principal(&context.extensions),
        };
        let result = if name == FIND_TOOL {
            meta_tools::find(&self.state, args, &ctx.principal).await
        } else if name == CALL_TOOL && self.state.config.exposure == ToolExposure::Search {
            match meta_tools::parse_call(&args) {
                Ok((name, args)) => {
                    self.call_registry_tool(&name, args, UnknownTool::ToolError, &ctx)
                        .await
                }
                Err(bad) => Ok(bad),
            }
        } else {
            self.call_registry_tool(name, args, UnknownTool::ProtocolError, &ctx)
                .await
        };
        result.map(CallToolResponse::from)
    }

    /// rmcp hands over as "custom" every request whose params did not fit its method's type,
    /// so a `tools/call` without a name arrives here rather than at [`Self::call_tool`].
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        Err(unparsed_request(&request.method, request.params))
    }

    fn accepted_subscription_filter(
        &self,
        _requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(SubscriptionFilter::builder().tools_list_changed().build())
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.state.changes.subscribe();
        let shutdown = self.state.shutdown.clone();
        loop {
            tokio::select! {
                _ = context.cancelled() => return Ok(()),
                _ = shutdown.cancelled() => return Ok(()),
                change = changes.recv() => match change {
                    Ok(()) | Err(RecvError::Lagged(_)) => {
                        if context.sink().notify_tool_list_changed().await.is_err() {
                            return Ok(());
                        }
                    }
                    Err(RecvError::Closed) => return Ok(()),
                },
            }
        }
    }
}
