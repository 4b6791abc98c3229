//! `RegistryService`: the one place that knows the use cases. REST and MCP both call it.

mod access;
mod bulk;
mod call;
mod catalog;
mod error;
mod executions;
mod history;
mod index;
mod keys;
mod outcome;
mod relevance;
mod rerank;
mod restore;
mod search;
mod seed;
mod servers;
mod task;
mod upstream_health;

use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use bulk::{ImportOutcome, ReindexProgress};
pub use call::{CallContext, CallOutcome};
pub use catalog::{Listed, Listing};
pub use error::RegistryError;
pub use executions::{ExecutionPage, ToolStats};
pub use history::{ExecutionLog, LogError};
pub use index::{IndexStatus, LiveIndex, index_doc};
pub use keys::{CreatedKey, KEY_CACHE_TTL};
pub use outcome::CallErrorKind;
pub use relevance::Background;
pub use restore::RestoreOutcome;
pub use search::{Candidate, Explain, Hit, Ranked, TaskStep, rank};
pub use seed::Seeded;
pub use servers::{ServerView, SyncOutcome};
pub use upstream_health::{ServerHealth, ServerStatus, SkippedTool, Upstreams};

pub use crate::domain::FindQuery;

use crate::config::{Config, ExecutionConfig};
use crate::domain::{
    Embedding, FieldError, NewTool, Principal, SearchMethod, Tool, ToolName, ToolPatch,
    restore_redacted,
};
use crate::embedding::{Embedder, InputKind};
use crate::executor::Executor;
use crate::search_index::IndexFilter;
use crate::store::{Store, StoredEmbedding};

#[derive(Clone)]
pub struct RegistryService {
    store: Arc<dyn Store>,
    embedder: Arc<dyn Embedder>,
    executor: Executor,
    index: Arc<LiveIndex>,
    limits: ExecutionConfig,
    log: ExecutionLog,
    rankings: Arc<search::Rankings>,
    calibration: Arc<relevance::Calibration>,
    reranker: Option<Arc<crate::rerank::Reranker>>,
    upstreams: Upstreams,
    permitted: Arc<access::Permitted>,
    keys: keys::KeyCache,
}

impl RegistryService {
    pub fn new(
        store: Arc<dyn Store>,
        embedder: Arc<dyn Embedder>,
        executor: Executor,
        cfg: &Config,
    ) -> Self {
        let log = ExecutionLog::start(
            store.clone(),
            cfg.execution.log_disabled,
            cfg.execution.retention_days,
        );
        Self {
            index: Arc::new(LiveIndex::new(store.clone(), cfg.embedding.dimension)),
            store,
            embedder,
            executor,
            limits: cfg.execution.clone(),
            log,
            rankings: Arc::new(search::Rankings::new(cfg.search.cache_size)),
            calibration: Arc::default(),
            reranker: cfg.rerank.as_ref().and_then(|r| {
                crate::rerank::Reranker::new(r)
                    .map_err(|e| tracing::error!(error = %e, "reranker client not built: off"))
                    .ok()
                    .map(Arc::new)
            }),
            upstreams: Upstreams::default(),
            permitted: Arc::new(access::Permitted::new()),
            keys: keys::key_cache(),
        }
    }

    /// An HTTP tool's host and port must be allowed by `TOOL_HTTP_ALLOWED_HOSTS` (checked
    /// again at each call, since the list may change).
    fn check_destination(&self, tool: &NewTool) -> Result<(), FieldError> {
        if let Ok(Some(spec)) = crate::domain::http_executor(&tool.config) {
            let host = spec.url.host_str().unwrap_or_default();
            let port = spec.url.port_or_known_default();
            if !self.executor.host_allowed(host, port) {
                let port = port.map_or_else(String::new, |p| format!(" port {p}"));
                return Err(FieldError::new(
                    "/config/executor/url",
                    "allowedHosts",
                    format!("the host {host}{port} is not in TOOL_HTTP_ALLOWED_HOSTS"),
                ));
            }
        }
        Ok(())
    }

    /// The servers that announced a changed tool list (for the refresh loop; taken once).
    pub fn take_upstream_changes(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<String>> {
        self.executor.take_upstream_changes()
    }

    /// Flushes the execution log and stops background tasks (call after the server drained).
    pub async fn shutdown(&self) {
        self.log.close().await;
    }

    /// The store, for the composition root only (`app`: warm-up, change stream, close).
    /// Handlers go through the use-case methods.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// This replica's search index, for the composition root (`app`: its build and follow
    /// task) and for `/ready` and `/metrics` through [`RegistryService::index_status`].
    pub(crate) fn index(&self) -> &Arc<LiveIndex> {
        &self.index
    }

    /// Builds the search index now, for commands that search without serving (`eval`).
    pub async fn build_index(&self) -> Result<(), RegistryError> {
        self.index.build("command").await
    }

    /// What the search index holds.
    pub fn index_status(&self) -> IndexStatus {
        self.index.status()
    }

    /// Makes a committed write visible to this replica's next search (read-your-writes). A
    /// failure here does not undo the write: the index's follower applies it shortly.
    async fn written(&self) {
        if let Err(e) = self.index.catch_up_after_write().await {
            tracing::warn!(error = %e, "search index not brought up to date after a write; it will follow");
        }
    }

    /// Whether the database answers and every migration this binary knows is applied (for
    /// `/ready`); an error when the database does not answer.
    pub async fn readiness(&self) -> Result<bool, RegistryError> {
        Ok(self.store.is_up_to_date().await?)
    }

    /// Whether the database answers a trivial query within a second (for `/metrics`: the
    /// alert on an unreachable database reads it).
    pub async fn database_up(&self) -> bool {
        let ping = self.store.ping();
        matches!(
            tokio::time::timeout(std::time::Duration::from_secs(1), ping).await,
            Ok(Ok(()))
        )
    }

    /// The database pool's connections, open and idle (for `/metrics`).
    pub fn pool_usage(&self) -> crate::store::PoolUsage {
        self.store.pool_usage()
    }

    /// The embedder's hit, miss, retry and latency counters, for logs and metrics.
    pub fn embedding_stats(&self) -> Option<crate::embedding::StatsSnapshot> {
        self.embedder.stats().map(|s| s.snapshot())
    }

    /// The names of the tools built into the service, in name order.
    pub fn builtin_names(&self) -> Vec<String> {
        self.executor
            .builtin_definitions()
            .into_iter()
            .map(|d| d.name.as_str().to_owned())
            .collect()
    }

    /// Whether `name` is a tool built into the service (and so cannot be changed through the API).
    pub fn is_builtin(&self, name: &str) -> bool {
        self.executor
            .builtin_definitions()
            .iter()
            .any(|d| d.name.as_str() == name)
    }

    async fn embed_document(&self, tool: &NewTool) -> Result<(Embedding, String), RegistryError> {
        let text = tool.embedded_text();
        let hash = text_hash(&text);
        let embedding = self.embedder.embed_one(&text, InputKind::Document).await?;
        Ok((embedding, hash))
    }

    /// Embeds and stores a new tool. Nothing is written if embedding fails.
    #[tracing::instrument(skip_all, fields(tool.name = %tool.name))]
    pub async fn register(&self, mut tool: NewTool) -> Result<Tool, RegistryError> {
        if self.store.get_tool(tool.name.as_str()).await?.is_some() {
            return Err(RegistryError::Conflict(tool.name.to_string()));
        }
        // A new tool stores no header value for a "[redacted]" placeholder to stand for.
        restore_redacted(&mut tool.config, &serde_json::Value::Null)
            .map_err(|errors| RegistryError::Invalid(under("/config", errors)))?;
        self.check_destination(&tool)
            .map_err(|e| RegistryError::Invalid(vec![e]))?;
        let (embedding, hash) = self.embed_document(&tool).await?;
        let model = self.embedder.model_id();
        let stored = StoredEmbedding {
            embedding: &embedding,
            model: &model,
            text_hash: &hash,
        };
        let created = self.store.insert_tool(&tool, stored).await?;
        self.written().await;
        Ok(created)
    }

    /// Looks a tool up by name.
    pub async fn get(&self, name: &str) -> Result<Tool, RegistryError> {
        self.store
            .get_tool(name)
            .await?
            .ok_or_else(|| RegistryError::NotFound(name.to_owned()))
    }

    /// Applies `patch` to a tool, re-embedding only when the embedded text changes.
    #[tracing::instrument(skip(self, patch), fields(tool.name = %name))]
    pub async fn update(&self, name: &str, patch: ToolPatch) -> Result<Tool, RegistryError> {
        if self.is_builtin(name) {
            return Err(RegistryError::Builtin(name.to_owned()));
        }
        let current = self.get(name).await?;
        let mut patch = patch;
        if let Some(config) = patch.config.as_mut() {
            restore_redacted(config, &current.config)
                .map_err(|errors| RegistryError::Invalid(under("/config", errors)))?;
        }
        let updated = current
            .to_new_tool()
            .apply(patch)
            .map_err(RegistryError::Invalid)?;
        self.check_destination(&updated)
            .map_err(|e| RegistryError::Invalid(vec![e]))?;
        let text = updated.embedded_text();
        let hash = text_hash(&text);
        let stored_hash = self.store.embedding_hash(current.id).await?;
        let model = self.embedder.model_id();
        let new_embedding = if stored_hash.as_deref() == Some(hash.as_str()) {
            None
        } else {
            Some(self.embedder.embed_one(&text, InputKind::Document).await?)
        };
        let emb = new_embedding.as_ref().map(|e| StoredEmbedding {
            embedding: e,
            model: &model,
            text_hash: &hash,
        });
        let stored = self
            .store
            .update_tool(current.id, &updated, emb)
            .await?
            .ok_or_else(|| RegistryError::NotFound(name.to_owned()))?;
        self.written().await;
        Ok(stored)
    }

    /// Deletes a tool; its execution history is kept.
    #[tracing::instrument(skip(self), fields(tool.name = %name))]
    pub async fn delete(&self, name: &str) -> Result<(), RegistryError> {
        if self.is_builtin(name) {
            return Err(RegistryError::Builtin(name.to_owned()));
        }
        if self.store.delete_tool(name).await? {
            self.written().await;
            Ok(())
        } else {
            Err(RegistryError::NotFound(name.to_owned()))
        }
    }

    /// Search: by embedding, by full text, or both fused (`q.method`), best first. Only tools
    /// with relevance ≥ `q.threshold` are returned, whatever the method.
    #[tracing::instrument(skip_all, fields(search.limit = q.limit, search.method = q.method.label()))]
    pub async fn find(&self, q: &FindQuery, who: &Principal) -> Result<Vec<Hit>, RegistryError> {
        let hits = self.find_hits(q, who).await?;
        // How many tools each search returned (the dashboard's result counts; 0 is a miss).
        metrics::histogram!("toolbox_find_tool_results").record(hits.len() as f64);
        Ok(hits)
    }

    async fn find_hits(&self, q: &FindQuery, who: &Principal) -> Result<Vec<Hit>, RegistryError> {
        let steps = task::steps_of(q);
        if !steps.is_empty() {
            return Box::pin(self.find_task(q, steps, who)).await;
        }
        let index = self.index.ready().await?;
        // Read before searching: a change applied meanwhile moves the generation on, so the
        // ranking below is never served for a later state of the index.
        let key = search::RankingKey::new(q, &who.tools, index.generation());
        if let Some(ranked) = self.rankings.get(&key) {
            let hits = self.with_tools(ranked.to_vec()).await?;
            return Ok(self.reranked(q, hits).await);
        }
        self.calibration.references(self.embedder.as_ref()).await?;
        let embedding = self.embedder.embed_one(&q.query, InputKind::Query).await?;
        // The caller's tool set is a filter inside the search, before `limit`: a caller
        // still gets `limit` tools of its own.
        let filter = IndexFilter {
            category: q.category.clone(),
            tags: q.tags.clone().unwrap_or_default(),
            allowed: self.permitted.ids(&index, &who.tools),
        };
        let gather = search::Gather {
            embedding: embedding.as_slice(),
            text: &q.query,
            filter: &filter,
            pool: search::pool(q).max(self.fused_depth(q)),
            vector: q.method != SearchMethod::Text,
            full_text: q.method != SearchMethod::Vector,
        };
        let candidates =
            search::gather(&index, &gather).map_err(|e| RegistryError::Index(e.to_string()))?;
        let background = self
            .calibration
            .background(self.embedder.as_ref(), &embedding)
            .await?;
        let candidates = search::with_relevance(candidates, &background);
        let mut ranked = rank(candidates, q.method, q.threshold, self.fused_depth(q));
        for r in &mut ranked {
            r.explain.background = Some(background);
        }
        self.rankings.insert(key, ranked.clone().into());
        let hits = self.with_tools(ranked).await?;
        Ok(self.reranked(q, hits).await)
    }

    /// The tools nearest to `name`, excluding itself.
    pub async fn similar(
        &self,
        name: &str,
        limit: u32,
        who: &Principal,
    ) -> Result<Vec<Hit>, RegistryError> {
        let tool = self.get_for(name, who).await?;
        let index = self.index.ready().await?;
        let Some(vector) = index.vector(tool.id) else {
            return Ok(vec![]);
        };
        let filter = IndexFilter {
            allowed: self.permitted.ids(&index, &who.tools),
            ..IndexFilter::default()
        };
        let nearest = index.vector_top_k(&vector, &filter, limit as usize, Some(tool.id));
        let ranked = nearest
            .into_iter()
            .filter(|(_, similarity)| similarity.is_finite())
            .enumerate()
            .filter_map(|(i, (id, similarity))| {
                Some(Ranked {
                    id,
                    name: index.name(id)?,
                    similarity,
                    // Tool to tool, not query to tool: no query background to calibrate by.
                    relevance: similarity.max(0.0),
                    score: similarity,
                    explain: Explain {
                        method: SearchMethod::Vector.label(),
                        similarity,
                        relevance: similarity.max(0.0),
                        background: None,
                        vector_rank: i + 1,
                        vector_normalized: None,
                        text_score: 0.0,
                        text_rank: None,
                        text_normalized: None,
                        vector_weight: None,
                        rrf_k: None,
                        rerank_score: None,
                        reranker: None,
                        step: None,
                    },
                })
            })
            .collect();
        self.with_tools(ranked).await
    }

    /// The hits of `ranked`, in order, with their tools read from the store in one query; a
    /// tool deleted since the index saw it is left out.
    async fn with_tools(&self, ranked: Vec<Ranked>) -> Result<Vec<Hit>, RegistryError> {
        if ranked.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = ranked.iter().map(|r| r.id).collect();
        let mut tools: std::collections::HashMap<i64, Tool> = self
            .store
            .tools_by_ids(&ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        Ok(ranked
            .into_iter()
            .filter_map(|r| {
                let tool = tools.remove(&r.id)?;
                Some(r.with_tool(tool))
            })
            .collect())
    }

    /// Parses a tool name from a path; an invalid name cannot exist, so it is a 404.
    pub fn parse_name(raw: &str) -> Result<ToolName, RegistryError> {
        ToolName::parse(raw).map_err(|_| RegistryError::NotFound(raw.to_owned()))
    }
}

/// `errors` located under `prefix` (`/config`, `/tools/3`, ...) of the request body.
fn under(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.pointer = format!("{prefix}{}", e.pointer);
            e
        })
        .collect()
}

/// Hash of an embedded text, stored beside the embedding to detect when it is stale.
pub fn text_hash(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Lowercase hex, as digests are stored.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
