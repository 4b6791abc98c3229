//! The MCP server at `/mcp`: JSON-RPC over Streamable HTTP (the official `rmcp` SDK), calling
//! the same [`RegistryService`] as the REST routes.
//!
//! Served statelessly: every request is answered by a fresh handler, so any replica answers
//! any request and no session needs to stick to a pod. Revisions 2025-06-18 and 2025-11-25
//! connect with the `initialize` handshake; 2026-07-28 clients send self-contained requests
//! (`server/discover`) and receive `notifications/tools/list_changed` on a
//! `subscriptions/listen` stream, fed across replicas by PostgreSQL `LISTEN/NOTIFY`
//! ([`changes`]).

pub mod changes;
mod handler;
mod malformed;
mod meta_tools;
mod outcome;
mod tools;

use std::sync::Arc;
use std::time::Duration;

use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

pub use changes::ChangeFeed;
pub use handler::ToolboxMcp;

use crate::config::{Config, McpConfig};
use crate::domain::SearchDefaults;
use crate::registry::RegistryService;

/// How long the registry's list of categories (shown in the meta-tools' descriptions) is
/// reused before it is read again; a change notification clears it sooner.
const CATEGORY_CACHE_TTL: Duration = Duration::from_secs(30);

/// What every MCP request can reach. Cheap to clone.
#[derive(Clone)]
pub struct McpState {
    pub registry: RegistryService,
    pub config: Arc<McpConfig>,
    pub app_name: String,
    /// What `find_tool` searches with: the defaults `POST /mcp/find_tool` has too.
    pub search: SearchDefaults,
    pub changes: ChangeFeed,
    pub shutdown: CancellationToken,
    /// The registry's categories, keyed by the change generation they were read at.
    categories: moka::future::Cache<u64, Arc<Vec<(String, i64)>>>,
}

impl McpState {
    pub fn new(
        registry: RegistryService,
        cfg: &Config,
        changes: ChangeFeed,
        shutdown: CancellationToken,
    ) -> Self {
        let categories = moka::future::Cache::builder()
            .max_capacity(1)
            .time_to_live(CATEGORY_CACHE_TTL)
            .build();
        Self {
            registry,
            config: Arc::new(cfg.mcp.clone()),
            app_name: cfg.app_name.clone(),
            search: SearchDefaults::from(&cfg.search),
            changes,
            shutdown,
            categories,
        }
    }

    /// The registry's categories with their tool counts, largest first (cached briefly).
    /// When they cannot be read the descriptions go without them: they are a hint only.
    pub async fn categories(&self) -> Arc<Vec<(String, i64)>> {
        let generation = self.changes.generation();
        let read = self
            .categories
            .try_get_with(generation, async {
                self.registry.categories().await.map(Arc::new)
            })
            .await;
        read.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the registry's categories");
            Arc::new(Vec::new())
        })
    }
}

/// How long open streams get, after shutdown begins, to end with a final result before the
/// transport cuts them.
const STREAM_GRACE: Duration = Duration::from_secs(5);

/// The `/mcp` endpoint as a tower service.
pub type McpHttpService = StreamableHttpService<ToolboxMcp, NeverSessionManager>;

/// The tower service answering `/mcp`. On shutdown, open `subscriptions/listen` streams end
/// with their final result (a graceful close the client can tell from a lost connection);
/// whatever is still open after [`STREAM_GRACE`] is cut, so shutdown is never held up.
pub fn service(state: McpState) -> McpHttpService {
    let cfg = &state.config;
    let transport = CancellationToken::new();
    let (app, cut) = (state.shutdown.clone(), transport.clone());
    tokio::spawn(async move {
        app.cancelled().await;
        tokio::time::sleep(STREAM_GRACE).await;
        cut.cancel();
    });
    let mut http = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(Some(Duration::from_secs(15)))
        .with_cancellation_token(transport)
        .with_max_request_body_bytes(cfg.max_body_bytes)
        .with_allowed_hosts(cfg.allowed_hosts.clone())
        .with_allowed_origins(cfg.allowed_origins.clone())
        // With no allowed origins, a request that carries `Origin` (a browser) is refused.
        .enforce_origin_validation();
    if cfg.allowed_hosts.is_empty() {
        http = http.disable_allowed_hosts();
    }
    StreamableHttpService::new(
        move || Ok(ToolboxMcp::new(state.clone())),
        Arc::new(NeverSessionManager::default()),
        http,
    )
}
