//! Queries on the `tools` table.

use chrono::{DateTime, Utc};
use pgvector::Vector;
use serde_json::Value;
use serde_json::value::RawValue;
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::PgStore;
use crate::domain::{NewTool, Tool};
use crate::store::{SearchFilter, StoreError, StoredEmbedding, ToolSummary, decode_each};

/// Columns every tool query returns (the embedding is never read back).
pub(super) const TOOL_COLUMNS: &str = "id, name, description, long_description, category, tags, examples, \
     input_schema, output_schema, version, author, config, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub struct ToolRow {
    id: i64,
    name: String,
    description: String,
    long_description: Option<String>,
    category: String,
    tags: Vec<String>,
    examples: Vec<String>,
    input_schema: Value,
    output_schema: Option<Value>,
    version: String,
    author: Option<String>,
    config: Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ToolRow {
    /// The row's primary key.
    pub(super) fn id(&self) -> i64 {
        self.id
    }
}

impl From<ToolRow> for Tool {
    fn from(r: ToolRow) -> Self {
        Tool {
            id: r.id,
            name: r.name,
            description: r.description,
            long_description: r.long_description,
            category: r.category,
            tags: r.tags,
            examples: r.examples,
            input_schema: r.input_schema,
            output_schema: r.output_schema,
            version: r.version,
            author: r.author,
            config: r.config,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A row of [`PgStore::list_tool_summaries`]. The `json` column's text is kept as stored
/// (migration 0007), not re-serialised.
#[derive(sqlx::FromRow)]
pub(super) struct SummaryRow {
    name: String,
    description: String,
    category: String,
    tags: Vec<String>,
    input_schema: Json<Box<RawValue>>,
    version: String,
    created_at: DateTime<Utc>,
    server: Option<String>,
}

impl From<SummaryRow> for ToolSummary {
    fn from(r: SummaryRow) -> Self {
        ToolSummary {
            name: r.name,
            description: r.description,
            category: r.category,
            tags: r.tags,
            input_schema: r.input_schema.0,
            version: r.version,
            created_at: r.created_at,
            server: r.server,
        }
    }
}

impl PgStore {
    /// Inserts a tool; a duplicate name is `StoreError::Conflict`.
    pub async fn insert_tool(
        &self,
        tool: &NewTool,
        emb: StoredEmbedding<'_>,
    ) -> Result<Tool, StoreError> {
        let sql = format!(
            "INSERT INTO tools (name, description, long_description, category, tags, examples, \
             input_schema, output_schema, version, author, config, embedding, embedding_model, embedding_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8::json, $9, $10, $11::json, $12, $13, $14) \
             RETURNING {TOOL_COLUMNS}"
        );
        sqlx::query_as::<_, ToolRow>(AssertSqlSafe(sql.as_str()))
            .bind(tool.name.as_str())
            .bind(&tool.description)
            .bind(&tool.long_description)
            .bind(&tool.category)
            .bind(&tool.tags)
            .bind(&tool.examples)
            .bind(json_text(&tool.input_schema))
            .bind(tool.output_schema.as_ref().map(json_text))
            .bind(&tool.version)
            .bind(&tool.author)
            .bind(json_text(&tool.config))
            .bind(Vector::from(emb.embedding.as_slice().to_vec()))
            .bind(emb.model)
            .bind(emb.text_hash)
            .fetch_one(&self.pool)
            .await
            .map(Tool::from)
            .map_err(|e| conflict_or(e, tool.name.as_str()))
    }

    /// Looks a tool up by name (unique index on `name`).
    pub async fn get_tool(&self, name: &str) -> Result<Option<Tool>, StoreError> {
        let sql = format!("SELECT {TOOL_COLUMNS} FROM tools WHERE name = $1");
        Ok(sqlx::query_as::<_, ToolRow>(AssertSqlSafe(sql.as_str()))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(Tool::from))
    }

    /// The hash of the text a tool's embedding was computed from.
    pub async fn embedding_hash(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT embedding_hash FROM tools WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// Replaces a tool's definition; the embedding only when `emb` is given.
    pub async fn update_tool(
        &self,
        id: i64,
        tool: &NewTool,
        emb: Option<StoredEmbedding<'_>>,
    ) -> Result<Option<Tool>, StoreError> {
        let (vector, model, hash) = match emb {
            Some(e) => (
                Some(Vector::from(e.embedding.as_slice().to_vec())),
                Some(e.model),
                Some(e.text_hash),
            ),
            None => (None, None, None),
        };
        let sql = format!(
            "UPDATE tools SET description = $2, long_description = $3, category = $4, tags = $5, \
             examples = $6, input_schema = $7::json, output_schema = $8::json, version = $9, \
             author = $10, config = $11::json, embedding = COALESCE($12, embedding), \
             embedding_model = COALESCE($13, embedding_model), \
             embedding_hash = COALESCE($14, embedding_hash), updated_at = now() WHERE id = $1 RETURNING {TOOL_COLUMNS}"
        );
        Ok(sqlx::query_as::<_, ToolRow>(AssertSqlSafe(sql.as_str()))
            .bind(id)
            .bind(&tool.description)
            .bind(&tool.long_description)
            .bind(&tool.category)
            .bind(&tool.tags)
            .bind(&tool.examples)
            .bind(json_text(&tool.input_schema))
            .bind(tool.output_schema.as_ref().map(json_text))
            .bind(&tool.version)
            .bind(&tool.author)
            .bind(json_text(&tool.config))
            .bind(vector)
            .bind(model)
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?
            .map(Tool::from))
    }

    /// Deletes a tool by name; `false` if there was none.
    pub async fn delete_tool(&self, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM tools WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Lists tools by name, filtered (B-tree on `category`, GIN on `tags`).
    pub async fn list_tools(&self, filter: &SearchFilter) -> Result<Vec<Tool>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_COLUMNS} FROM tools \
             WHERE ($1::text IS NULL OR category = $1) AND ($2::text[] IS NULL OR tags @> $2) \
             ORDER BY name"
        );
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(&filter.category)
            .bind(&filter.tags)
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_each::<_, ToolRow>(rows, "tools")
            .into_iter()
            .map(Tool::from)
            .collect())
    }

    /// What `list_tools` shows of each tool, filtered like [`Store::list_tools`]: only the
    /// columns it answers with, and the input schema passed through as stored, never parsed.
    pub async fn list_tool_summaries(
        &self,
        filter: &SearchFilter,
    ) -> Result<Vec<ToolSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, description, category, tags, input_schema, version, created_at, \
             config->'upstream'->>'server' AS server FROM tools \
             WHERE ($1::text IS NULL OR category = $1) AND ($2::text[] IS NULL OR tags @> $2) \
             ORDER BY name",
        )
        .bind(&filter.category)
        .bind(&filter.tags)
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_each::<_, SummaryRow>(rows, "tools")
            .into_iter()
            .map(ToolSummary::from)
            .collect())
    }
}

/// A JSON value as the text a `json` column keeps verbatim. Not `jsonb`: jsonb turns numbers
/// into `numeric` and prints `1.7976931348623157e308` back as a 309-digit integer that
/// serde_json cannot parse ("number out of range"), and it refuses `\u0000` in strings. The
/// `json` type checks the syntax and keeps the text, so every value serde_json wrote reads
/// back as it was.
pub(super) fn json_text(v: &Value) -> String {
    v.to_string()
}

pub(super) fn conflict_or(e: sqlx::Error, name: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Conflict(name.to_owned());
    }
    StoreError::from(e)
}
