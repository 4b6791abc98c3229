//! Bulk writes: importing many tools in one transaction, and re-embedding rows in batches.

use pgvector::Vector;
use sqlx::AssertSqlSafe;

use super::PgStore;
use super::tools::{conflict_or, json_text};
use crate::domain::Embedding;
use crate::store::{BulkItem, EmbeddingState, ReindexRow, StoreError};

impl PgStore {
    /// Embedding provenance of the tools named in `names` (unique index on `name`).
    pub async fn embedding_states(
        &self,
        names: &[String],
    ) -> Result<Vec<EmbeddingState>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, embedding_model, embedding_hash, embedding IS NOT NULL AS has_embedding \
             FROM tools WHERE name = ANY($1)",
        )
        .bind(names)
        .fetch_all(&self.pool)
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
        let on_conflict = if upsert {
            "ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, \
             long_description = EXCLUDED.long_description, category = EXCLUDED.category, \
             tags = EXCLUDED.tags, examples = EXCLUDED.examples, \
             input_schema = EXCLUDED.input_schema, output_schema = EXCLUDED.output_schema, \
             version = EXCLUDED.version, author = EXCLUDED.author, config = EXCLUDED.config, \
             embedding = COALESCE(EXCLUDED.embedding, tools.embedding), \
             embedding_model = COALESCE(EXCLUDED.embedding_model, tools.embedding_model), \
             embedding_hash = COALESCE(EXCLUDED.embedding_hash, tools.embedding_hash), \
             updated_at = now()"
        } else {
            ""
        };
        // `xmax = 0` holds for a freshly inserted row, not for one updated by ON CONFLICT.
        let sql = format!(
            "INSERT INTO tools (name, description, long_description, category, tags, examples, \
             input_schema, output_schema, version, author, config, embedding, embedding_model, embedding_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8::json, $9, $10, $11::json, $12, $13, $14) \
             {on_conflict} \
             RETURNING (xmax = 0) AS inserted"
        );
        let mut tx = self.pool.begin().await?;
        let mut inserted = Vec::with_capacity(items.len());
        for item in items {
            let t = item.tool;
            let e = item.embedding.as_ref();
            let row: bool = sqlx::query_scalar(AssertSqlSafe(sql.as_str()))
                .bind(t.name.as_str())
                .bind(&t.description)
                .bind(&t.long_description)
                .bind(&t.category)
                .bind(&t.tags)
                .bind(&t.examples)
                .bind(json_text(&t.input_schema))
                .bind(t.output_schema.as_ref().map(json_text))
                .bind(&t.version)
                .bind(&t.author)
                .bind(json_text(&t.config))
                .bind(e.map(|e| Vector::from(e.embedding.as_slice().to_vec())))
                .bind(e.map(|e| e.model))
                .bind(e.map(|e| e.text_hash))
                .fetch_one(&mut *tx)
                .await
                .map_err(|err| conflict_or(err, t.name.as_str()))?;
            inserted.push(row);
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// Number of tools, for progress reporting.
    pub async fn count_tools(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM tools")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Up to `limit` tools with `id > after`, by id (primary key range scan: no long locks).
    pub async fn reindex_page(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ReindexRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, description, long_description, tags, examples, input_schema, \
             embedding_model, embedding_hash, embedding IS NOT NULL AS has_embedding, updated_at \
             FROM tools WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Stores new embeddings for rows read by [`PgStore::reindex_page`], in one short
    /// transaction. A row changed since it was read (its `updated_at` moved) is skipped: its
    /// editor embedded it already. Returns how many rows were written.
    pub async fn set_embeddings(
        &self,
        rows: &[(&ReindexRow, &Embedding, &str)],
        model: &str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut written = 0;
        for (row, embedding, hash) in rows {
            written += sqlx::query(
                "UPDATE tools SET embedding = $3, embedding_model = $4, embedding_hash = $5 \
                 WHERE id = $1 AND updated_at = $2",
            )
            .bind(row.id)
            .bind(row.updated_at)
            .bind(Vector::from(embedding.as_slice().to_vec()))
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
