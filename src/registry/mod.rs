//! `RegistryService`: the one place that knows the use cases. REST and MCP both call it.

mod bulk;
mod call;
mod catalog;
mod error;
mod executions;
mod history;
mod outcome;
mod search;
mod seed;

use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use bulk::{ImportOutcome, ReindexProgress};
pub use call::{CallContext, CallOutcome};
pub use catalog::{Listed, Listing};
pub use error::RegistryError;
pub use executions::{ExecutionPage, ToolStats};
pub use history::{ExecutionLog, LogError};
pub use outcome::CallErrorKind;
pub use search::{Explain, Hit, rank};
pub use seed::Seeded;

pub use crate::domain::FindQuery;

use crate::config::{Config, ExecutionConfig};
use crate::domain::{
    Embedding, FieldError, NewTool, SearchMethod, Tool, ToolName, ToolPatch, restore_redacted,
    split_identifier,
};
use crate::embedding::{Embedder, InputKind};
use crate::executor::Executor;
use crate::store::{CandidateQuery, SearchFilter, Store, StoredEmbedding, ToolSummary};

#[derive(Clone)]
pub struct RegistryService {
    store: Arc<dyn Store>,
    embedder: Arc<dyn Embedder>,
    executor: Executor,
    dimension: usize,
    limits: ExecutionConfig,
    log: ExecutionLog,
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
            store,
            embedder,
            executor,
            dimension: cfg.embedding.dimension,
            limits: cfg.execution.clone(),
            log,
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

    /// Flushes the execution log and stops background tasks (call after the server drained).
    pub async fn shutdown(&self) {
        self.log.close().await;
    }

    /// The store, for the composition root only (`app`: warm-up, change stream, close).
    /// Handlers go through the use-case methods.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Whether the database answers and every migration this binary knows is applied (for
    /// `/ready`); an error when the database does not answer.
    pub async fn readiness(&self) -> Result<bool, RegistryError> {
        Ok(self.store.is_up_to_date().await?)
    }

    /// The database pool's connections, open and idle (for `/metrics`).
    pub fn pool_usage(&self) -> crate::store::PoolUsage {
        self.store.pool_usage()
    }

    /// The embedder's hit, miss, retry and latency counters, for logs and metrics.
    pub fn embedding_stats(&self) -> Option<crate::embedding::StatsSnapshot> {
        self.embedder.stats().map(|s| s.snapshot())
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
        Ok(self.store.insert_tool(&tool, stored).await?)
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
        self.store
            .update_tool(current.id, &updated, emb)
            .await?
            .ok_or_else(|| RegistryError::NotFound(name.to_owned()))
    }

    /// Deletes a tool; its execution history is kept.
    #[tracing::instrument(skip(self), fields(tool.name = %name))]
    pub async fn delete(&self, name: &str) -> Result<(), RegistryError> {
        if self.is_builtin(name) {
            return Err(RegistryError::Builtin(name.to_owned()));
        }
        if self.store.delete_tool(name).await? {
            Ok(())
        } else {
            Err(RegistryError::NotFound(name.to_owned()))
        }
    }

    /// Lists tools, sorted by name.
    pub async fn list(&self, filter: &SearchFilter) -> Result<Vec<Tool>, RegistryError> {
        Ok(self.store.list_tools(filter).await?)
    }

    /// Lists what `list_tools` shows of each tool, sorted by name.
    pub async fn list_summaries(
        &self,
        filter: &SearchFilter,
    ) -> Result<Vec<ToolSummary>, RegistryError> {
        Ok(self.store.list_tool_summaries(filter).await?)
    }

    /// Search: by embedding, by full text, or both fused (`q.method`), best first. Only tools
    /// with cosine similarity ≥ `q.threshold` are returned, whatever the method.
    #[tracing::instrument(skip_all, fields(search.limit = q.limit, search.method = q.method.label()))]
    pub async fn find(&self, q: &FindQuery) -> Result<Vec<Hit>, RegistryError> {
        let embedding = self.embedder.embed_one(&q.query, InputKind::Query).await?;
        let words = split_identifier(&q.query);
        let candidates = self
            .store
            .search_candidates(&CandidateQuery {
                embedding: &embedding,
                text: &words,
                filter: &SearchFilter {
                    category: q.category.clone(),
                    tags: q.tags.clone(),
                },
                pool: search::pool(q),
                vector: q.method != SearchMethod::Text,
                full_text: q.method != SearchMethod::Vector,
            })
            .await?;
        Ok(rank(candidates, q.method, q.threshold, q.limit as usize))
    }

    /// The tools nearest to `name`, excluding itself.
    pub async fn similar(&self, name: &str, limit: u32) -> Result<Vec<Hit>, RegistryError> {
        let tool = self.get(name).await?;
        let Some(embedding) = self.store.tool_embedding(tool.id, self.dimension).await? else {
            return Ok(vec![]);
        };
        let rows = self
            .store
            .search(
                &embedding,
                &SearchFilter::default(),
                i64::from(limit),
                -1.0,
                Some(tool.id),
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, similarity)| similarity.is_finite())
            .enumerate()
            .map(|(i, (tool, similarity))| Hit {
                tool,
                similarity,
                score: similarity,
                explain: Explain {
                    method: SearchMethod::Vector.label(),
                    similarity,
                    vector_rank: i + 1,
                    vector_normalized: None,
                    text_score: 0.0,
                    text_rank: None,
                    text_normalized: None,
                    vector_weight: None,
                    rrf_k: None,
                },
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
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
