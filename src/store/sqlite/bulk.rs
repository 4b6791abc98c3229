//! Bulk writes on the embedded store: importing many tools in one transaction, and
//! re-embedding rows in batches.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::tools::{insert_in, update_in};
use super::{SqliteStore, timestamp, vector_blob};
use crate::domain::Embedding;
use crate::store::{BulkItem, EmbeddingState, ReindexRow, StoreError};

#[derive(sqlx::FromRow)]
struct PageRow {
    id: i64,
    name: String,
    description: String,
    long_description: Option<String>,
    tags: Json<Vec<String>>,
    examples: Json<Vec<String>>,
    input_schema: Json<serde_json::Value>,
    embedding_model: Option<String>,
    embedding_hash: Option<String>,
    has_embedding: bool,
    updated_at: DateTime<Utc>,
}

impl SqliteStore {
    /// Embedding provenance of the tools named in `names` (unique index on `name`).
    pub async fn embedding_states(
        &self,
        names: &[String],
    ) -> Result<Vec<EmbeddingState>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, embedding_model, embedding_hash, embedding IS NOT NULL AS has_embedding \
             FROM tools WHERE name IN (SELECT value FROM json_each(?1))",
        )
        .bind(Json(names))
        .fetch_all(&self.reader)
        .await?)
    }

    /// Writes every item in one transaction: all or nothing. With `upsert`, an existing name
    /// is replaced (keeping its stored embedding when the item brings none); without, it is
    /// `StoreError::Conflict`. Returns, per item, whether it was inserted (else updated).
    pub async fn write_bulk(
        &self,
        items: &[BulkItem<'_>],
        upsert: bool,
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut inserted = Vec::with_capacity(items.len());
        for item in items {
            let existing: Option<i64> = if upsert {
                sqlx::query_scalar("SELECT id FROM tools WHERE name = ?1")
                    .bind(item.tool.name.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
            } else {
                None
            };
            match existing {
                Some(id) => {
                    update_in(&mut tx, id, item.tool, item.embedding.as_ref()).await?;
                    inserted.push(false);
                }
                None => {
                    insert_in(&mut tx, item.tool, item.embedding.as_ref()).await?;
                    inserted.push(true);
                }
            }
        }
        tx.commit().await?;
        if !items.is_empty() {
            self.tools_changed();
        }
        Ok(inserted)
    }

    /// Number of tools, for progress reporting.
    pub async fn count_tools(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM tools")
            .fetch_one(&self.reader)
            .await?)
    }

    /// Up to `limit` tools with `id > after`, by id (primary key range scan).
    pub async fn reindex_page(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ReindexRow>, StoreError> {
        let rows: Vec<PageRow> = sqlx::query_as(
            "SELECT id, name, description, long_description, tags, examples, input_schema, \
             embedding_model, embedding_hash, embedding IS NOT NULL AS has_embedding, updated_at \
             FROM tools WHERE id > ?1 ORDER BY id LIMIT ?2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ReindexRow {
                id: r.id,
                name: r.name,
                description: r.description,
                long_description: r.long_description,
                tags: r.tags.0,
                examples: r.examples.0,
                input_schema: r.input_schema.0,
                embedding_model: r.embedding_model,
                embedding_hash: r.embedding_hash,
                has_embedding: r.has_embedding,
                updated_at: r.updated_at,
            })
            .collect())
    }

    /// Stores new embeddings for rows read by [`SqliteStore::reindex_page`], in one short
    /// transaction. A row changed since it was read (its `updated_at` moved) is skipped: its
    /// editor embedded it already. Returns how many rows were written.
    pub async fn set_embeddings(
        &self,
        rows: &[(&ReindexRow, &Embedding, &str)],
        model: &str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut written = 0;
        for (row, embedding, hash) in rows {
            written += sqlx::query(
                "UPDATE tools SET embedding = ?3, embedding_model = ?4, embedding_hash = ?5 \
                 WHERE id = ?1 AND updated_at = ?2",
            )
            .bind(row.id)
            .bind(timestamp(row.updated_at))
            .bind(vector_blob(embedding.as_slice()))
            .bind(model)
            .bind(hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(written)
    }
}
