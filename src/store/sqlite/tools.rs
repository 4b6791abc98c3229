//! Queries on the `tools` table of the embedded store, with its tag and full-text indexes.

use chrono::{DateTime, Utc};
use serde_json::Value;
use serde_json::value::RawValue;
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use sqlx::{Sqlite, Transaction};

use super::{SqliteStore, timestamp, vector_blob};
use crate::domain::{NewTool, Tool};
use crate::store::{SearchFilter, StoreError, StoredEmbedding, ToolSummary, decode_each};

/// Columns every tool query returns (the embedding is never read back), prefixed `t.`.
pub(super) const TOOL_COLUMNS: &str = "t.id, t.name, t.description, t.long_description, t.category, t.tags, \
     t.examples, t.input_schema, t.output_schema, t.version, t.author, t.config, t.created_at, \
     t.updated_at";

/// The filter shared by list and search, on `tools t`, with the category bound at `?2` and
/// the required tags (a JSON array of distinct tags, see [`tags_param`]) at `?3`. Only the
/// conditions in use are written, so SQLite can use `tools_category_idx` (an `?2 IS NULL OR`
/// form would hide it) and the `tool_tags` primary key.
pub(super) fn filter_sql(filter: &SearchFilter) -> String {
    let mut conds = vec!["1"];
    if filter.category.is_some() {
        conds.push("t.category = ?2");
    }
    if filter.tags.is_some() {
        // Tools holding every tag: one range of the (tag, tool_id) key per tag.
        conds.push(
            "t.id IN (SELECT g.tool_id FROM tool_tags g \
               WHERE g.tag IN (SELECT value FROM json_each(?3)) \
               GROUP BY g.tool_id HAVING count(*) = json_array_length(?3))",
        );
    }
    conds.join(" AND ")
}

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: i64,
    name: String,
    description: String,
    long_description: Option<String>,
    category: String,
    tags: Json<Vec<String>>,
    examples: Json<Vec<String>>,
    input_schema: Json<Value>,
    output_schema: Option<Json<Value>>,
    version: String,
    author: Option<String>,
    config: Json<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Row {
    /// The row's primary key.
    pub(super) fn id(&self) -> i64 {
        self.id
    }
}

impl From<Row> for Tool {
    fn from(r: Row) -> Self {
        Tool {
            id: r.id,
            name: r.name,
            description: r.description,
            long_description: r.long_description,
            category: r.category,
            tags: r.tags.0,
            examples: r.examples.0,
            input_schema: r.input_schema.0,
            output_schema: r.output_schema.map(|j| j.0),
            version: r.version,
            author: r.author,
            config: r.config.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SummaryRow {
    name: String,
    description: String,
    category: String,
    tags: Json<Vec<String>>,
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
            tags: r.tags.0,
            input_schema: r.input_schema.0,
            version: r.version,
            created_at: r.created_at,
            server: r.server,
        }
    }
}

/// The filter's tags, deduplicated, as the JSON array [`filter_sql`] binds.
pub(super) fn tags_param(filter: &SearchFilter) -> Option<String> {
    filter.tags.as_ref().map(|tags| {
        let mut tags = tags.clone();
        tags.sort();
        tags.dedup();
        Value::from(tags).to_string()
    })
}

impl SqliteStore {
    /// Inserts a tool; a duplicate name is `StoreError::Conflict`.
    pub async fn insert_tool(
        &self,
        tool: &NewTool,
        emb: StoredEmbedding<'_>,
    ) -> Result<Tool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let inserted = insert_in(&mut tx, tool, Some(&emb)).await?;
        tx.commit().await?;
        self.tools_changed();
        Ok(inserted)
    }

    /// Looks a tool up by name (unique index on `name`).
    pub async fn get_tool(&self, name: &str) -> Result<Option<Tool>, StoreError> {
        let sql = format!("SELECT {TOOL_COLUMNS} FROM tools t WHERE t.name = ?1");
        Ok(sqlx::query_as::<_, Row>(AssertSqlSafe(sql.as_str()))
            .bind(name)
            .fetch_optional(&self.reader)
            .await?
            .map(Tool::from))
    }

    /// The hash of the text a tool's embedding was computed from.
    pub async fn embedding_hash(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT embedding_hash FROM tools WHERE id = ?1")
                .bind(id)
                .fetch_optional(&self.reader)
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
        let mut tx = self.writer.begin().await?;
        let updated = update_in(&mut tx, id, tool, emb.as_ref()).await?;
        tx.commit().await?;
        if updated.is_some() {
            self.tools_changed();
        }
        Ok(updated)
    }

    /// Deletes a tool by name; `false` if there was none. Its tags go with it.
    pub async fn delete_tool(&self, name: &str) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let id: Option<i64> = sqlx::query_scalar("DELETE FROM tools WHERE name = ?1 RETURNING id")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        if id.is_some() {
            self.tools_changed();
        }
        Ok(id.is_some())
    }

    /// Lists tools by name, filtered.
    pub async fn list_tools(&self, filter: &SearchFilter) -> Result<Vec<Tool>, StoreError> {
        // The filter's parameters are numbered to fit the search queries: ?1 is unused.
        let sql = format!(
            "SELECT {TOOL_COLUMNS} FROM tools t WHERE {} ORDER BY t.name",
            filter_sql(filter)
        );
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(None::<i64>)
            .bind(&filter.category)
            .bind(tags_param(filter))
            .fetch_all(&self.reader)
            .await?;
        Ok(decode_each::<_, Row>(rows, "tools")
            .into_iter()
            .map(Tool::from)
            .collect())
    }

    /// What `list_tools` shows of each tool, filtered like [`SqliteStore::list_tools`]: only
    /// the columns it answers with, and the input schema passed through as stored.
    pub async fn list_tool_summaries(
        &self,
        filter: &SearchFilter,
    ) -> Result<Vec<ToolSummary>, StoreError> {
        let sql = format!(
            "SELECT t.name, t.description, t.category, t.tags, t.input_schema, t.version, \
             t.created_at, CASE WHEN json_valid(t.config) THEN json_extract(t.config, '$.upstream.server') END AS server \
             FROM tools t WHERE {} ORDER BY t.name",
            filter_sql(filter)
        );
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(None::<i64>)
            .bind(&filter.category)
            .bind(tags_param(filter))
            .fetch_all(&self.reader)
            .await?;
        Ok(decode_each::<_, SummaryRow>(rows, "tools")
            .into_iter()
            .map(ToolSummary::from)
            .collect())
    }
}

/// Inserts a tool with its tags and text index, inside `tx`.
pub(super) async fn insert_in(
    tx: &mut Transaction<'_, Sqlite>,
    tool: &NewTool,
    emb: Option<&StoredEmbedding<'_>>,
) -> Result<Tool, StoreError> {
    let now = timestamp(Utc::now());
    let sql = format!(
        "INSERT INTO tools (name, description, long_description, category, tags, examples, \
         input_schema, output_schema, version, author, config, embedding, embedding_model, \
         embedding_hash, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15) \
         RETURNING {}",
        TOOL_COLUMNS.replace("t.", "")
    );
    let row = sqlx::query_as::<_, Row>(AssertSqlSafe(sql.as_str()))
        .bind(tool.name.as_str())
        .bind(&tool.description)
        .bind(&tool.long_description)
        .bind(&tool.category)
        .bind(Json(&tool.tags))
        .bind(Json(&tool.examples))
        .bind(Json(&tool.input_schema))
        .bind(tool.output_schema.as_ref().map(Json))
        .bind(&tool.version)
        .bind(&tool.author)
        .bind(Json(&tool.config))
        .bind(emb.map(|e| vector_blob(e.embedding.as_slice())))
        .bind(emb.map(|e| e.model))
        .bind(emb.map(|e| e.text_hash))
        .bind(&now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| conflict_or(e, tool.name.as_str()))?;
    index_in(tx, row.id, tool).await?;
    Ok(row.into())
}

/// Replaces a tool's definition inside `tx`, re-indexing its tags and text.
pub(super) async fn update_in(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    tool: &NewTool,
    emb: Option<&StoredEmbedding<'_>>,
) -> Result<Option<Tool>, StoreError> {
    let sql = format!(
        "UPDATE tools SET description = ?2, long_description = ?3, category = ?4, tags = ?5, \
         examples = ?6, input_schema = ?7, output_schema = ?8, version = ?9, author = ?10, \
         config = ?11, embedding = COALESCE(?12, embedding), \
         embedding_model = COALESCE(?13, embedding_model), \
         embedding_hash = COALESCE(?14, embedding_hash), updated_at = ?15 \
         WHERE id = ?1 RETURNING {}",
        TOOL_COLUMNS.replace("t.", "")
    );
    let row = sqlx::query_as::<_, Row>(AssertSqlSafe(sql.as_str()))
        .bind(id)
        .bind(&tool.description)
        .bind(&tool.long_description)
        .bind(&tool.category)
        .bind(Json(&tool.tags))
        .bind(Json(&tool.examples))
        .bind(Json(&tool.input_schema))
        .bind(tool.output_schema.as_ref().map(Json))
        .bind(&tool.version)
        .bind(&tool.author)
        .bind(Json(&tool.config))
        .bind(emb.map(|e| vector_blob(e.embedding.as_slice())))
        .bind(emb.map(|e| e.model))
        .bind(emb.map(|e| e.text_hash))
        .bind(timestamp(Utc::now()))
        .fetch_optional(&mut **tx)
        .await?;
    if row.is_some() {
        sqlx::query("DELETE FROM tool_tags WHERE tool_id = ?1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        index_in(tx, id, tool).await?;
    }
    Ok(row.map(Tool::from))
}

/// Writes a tool's rows in `tool_tags`.
async fn index_in(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    tool: &NewTool,
) -> Result<(), StoreError> {
    tags_in(tx, id, &tool.tags).await
}

/// Writes the rows of `tool_tags` for tool `id`.
pub(super) async fn tags_in(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    tags: &[String],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT OR IGNORE INTO tool_tags (tool_id, tag) SELECT ?1, value FROM json_each(?2)",
    )
    .bind(id)
    .bind(Json(tags))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn conflict_or(e: sqlx::Error, name: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StoreError::Conflict(name.to_owned());
        }
    }
    StoreError::from(e)
}
