//! Snapshots of the whole registry: what [`Store::export_snapshot`] reads in one read
//! transaction and [`Store::import_snapshot`] writes back in one write transaction, on either
//! backend. The records are also the lines of `toolbox export`'s file (see
//! [`crate::snapshot_file`]): each is one JSON object tagged by `kind`.
//!
//! Managed API keys travel as `{"kind":"key",...}` records: the digest of the secret, never
//! the secret, so a restored registry accepts the same keys.
//!
//! # Adding a kind of record
//! Add a variant to [`SnapshotRecord`] (its `kind`
//! tag is the variant's snake_case name, e.g. `{"kind":"key",...}`) holding a record type
//! defined here (hashes only, never a key), a `Vec` to [`Snapshot`], a count to
//! [`SnapshotCounts`] and an arm to [`Snapshot::push`]; then read the table in each backend's
//! `export_snapshot` and write it (and, with `replace`, delete it) in `import_snapshot`
//! (`src/store/{postgres,sqlite}/snapshot.rs`), and compare it in the restore drill
//! (`tests/api/restore_drill.rs`). Files written before the new kind stay importable: a
//! missing kind is an empty list. An older binary refuses a file with a kind it does not know,
//! naming the line, rather than dropping the records.
//!
//! [`Store::export_snapshot`]: crate::store::Store::export_snapshot
//! [`Store::import_snapshot`]: crate::store::Store::import_snapshot

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::UpstreamServer;

/// What an export includes besides tools and servers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// The execution history too.
    pub with_history: bool,
    /// Leave the embeddings out (the importer re-embeds every tool).
    pub without_embeddings: bool,
}

/// How many records of each kind a snapshot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotCounts {
    pub tools: u64,
    pub servers: u64,
    #[serde(default)]
    pub executions: u64,
    #[serde(default)]
    pub keys: u64,
}

/// What the store says about a snapshot before its records, read in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotMeta {
    /// `postgresql` or `sqlite`.
    pub backend: &'static str,
    /// The model most stored embeddings came from, if any tool has one.
    pub embedding_model: Option<String>,
    /// The dimension of the stored embeddings, if any tool has one.
    pub embedding_dimension: Option<usize>,
    pub counts: SnapshotCounts,
}

/// Receives a snapshot as the store reads it: `begin` once, then every record.
pub trait SnapshotSink: Send {
    fn begin(&mut self, meta: &SnapshotMeta) -> std::io::Result<()>;
    fn record(&mut self, record: &SnapshotRecord) -> std::io::Result<()>;
}

/// One record of a snapshot, tagged by `kind` in the file.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SnapshotRecord {
    Tool(ToolRecord),
    Server(ServerRecord),
    Execution(ExecutionRecordRow),
    Key(KeyRecord),
}

/// A managed API key as stored: the SHA-256 digest of its secret, never the secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    #[serde(flatten)]
    pub key: crate::domain::ManagedKey,
    pub digest: String,
}

/// A tool as stored, secrets included (an export must restore them), with its embedding.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolRecord {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub long_description: Option<String>,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    pub input_schema: Value,
    #[serde(default)]
    pub output_schema: Option<Value>,
    pub version: String,
    #[serde(default)]
    pub author: Option<String>,
    pub config: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub embedding_model: Option<String>,
    #[serde(default)]
    pub embedding_hash: Option<String>,
    /// Absent when exported without embeddings (or never embedded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
}

/// An upstream server as stored, header values included.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerRecord {
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub namespace: String,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub category: Option<String>,
    pub refresh_interval_s: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A row of the execution history. Ids are not kept (the importing database numbers rows in
/// the same order); `linked` says the row pointed at a tool that existed, and the import
/// links it to the tool of that name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ExecutionRecordRow {
    pub tool_name: String,
    pub linked: bool,
    pub input_data: Value,
    #[serde(default)]
    pub output_data: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_kind: Option<String>,
    pub success: bool,
    pub duration_ms: i64,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub caller: Option<String>,
    pub executed_at: DateTime<Utc>,
}

/// A whole snapshot in memory, as an import writes it.
#[derive(Clone, Default, PartialEq)]
pub struct Snapshot {
    pub tools: Vec<ToolRecord>,
    pub servers: Vec<ServerRecord>,
    pub executions: Vec<ExecutionRecordRow>,
    pub keys: Vec<KeyRecord>,
    /// Whether the history is part of the snapshot (an import with `replace` then replaces
    /// the target's history; without it the target's history is left alone).
    pub with_history: bool,
}

impl Snapshot {
    /// Adds one record.
    pub fn push(&mut self, record: SnapshotRecord) {
        match record {
            SnapshotRecord::Tool(t) => self.tools.push(t),
            SnapshotRecord::Server(s) => self.servers.push(s),
            SnapshotRecord::Execution(e) => self.executions.push(e),
            SnapshotRecord::Key(k) => self.keys.push(k),
        }
    }

    /// How many records of each kind it holds.
    pub fn counts(&self) -> SnapshotCounts {
        SnapshotCounts {
            tools: self.tools.len() as u64,
            servers: self.servers.len() as u64,
            executions: self.executions.len() as u64,
            keys: self.keys.len() as u64,
        }
    }
}

/// Collects a snapshot in memory (`toolbox copy`, and tests).
impl SnapshotSink for Snapshot {
    fn begin(&mut self, _meta: &SnapshotMeta) -> std::io::Result<()> {
        Ok(())
    }
    fn record(&mut self, record: &SnapshotRecord) -> std::io::Result<()> {
        if matches!(record, SnapshotRecord::Execution(_)) {
            self.with_history = true;
        }
        self.push(record.clone());
        Ok(())
    }
}

impl From<UpstreamServer> for ServerRecord {
    fn from(s: UpstreamServer) -> Self {
        ServerRecord {
            name: s.name,
            url: s.url,
            headers: s.headers,
            namespace: s.namespace,
            include: s.include,
            exclude: s.exclude,
            category: s.category,
            refresh_interval_s: s.refresh_interval_s,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

impl ToolRecord {
    /// The record of a stored tool and its embedding provenance.
    pub(crate) fn of(
        tool: crate::domain::Tool,
        embedding: Option<Vec<f32>>,
        embedding_model: Option<String>,
        embedding_hash: Option<String>,
    ) -> Self {
        ToolRecord {
            name: tool.name,
            description: tool.description,
            long_description: tool.long_description,
            category: tool.category,
            tags: tool.tags,
            examples: tool.examples,
            input_schema: tool.input_schema,
            output_schema: tool.output_schema,
            version: tool.version,
            author: tool.author,
            config: tool.config,
            created_at: tool.created_at,
            updated_at: tool.updated_at,
            embedding_model,
            embedding_hash,
            embedding,
        }
    }
}

// Debug never prints a secret: tool configs are redacted, server headers named only.

impl std::fmt::Debug for ToolRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolRecord")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("config", &crate::domain::redact_config(&self.config))
            .field("embedding_model", &self.embedding_model)
            .field("embedding", &self.embedding.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ServerRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerRecord")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SnapshotRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotRecord::Tool(t) => t.fmt(f),
            SnapshotRecord::Server(s) => s.fmt(f),
            SnapshotRecord::Execution(e) => e.fmt(f),
            SnapshotRecord::Key(k) => k.key.fmt(f),
        }
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("counts", &self.counts())
            .field("with_history", &self.with_history)
            .finish()
    }
}
