//! Queries on the `api_keys` table.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::PgStore;
use crate::domain::ManagedKey;
use crate::store::key_rows::{KEY_COLUMNS, KeyRow};
use crate::store::{StoreError, decode_each};

impl PgStore {
    pub async fn insert_key(&self, key: &ManagedKey, digest: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_keys (id, digest, label, role, tools, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key.id)
        .bind(digest)
        .bind(&key.label)
        .bind(key.role.as_str())
        .bind(key.tools.as_ref().map(Json))
        .bind(key.created_at)
        .bind(key.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every key, newest first (a handful of rows).
    pub async fn list_keys(&self) -> Result<Vec<ManagedKey>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_each::<_, KeyRow>(rows, "api_keys")
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The key with this secret digest (the unique index on `digest`).
    pub async fn key_by_digest(&self, digest: &str) -> Result<Option<ManagedKey>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE digest = $1");
        let row: Option<KeyRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    /// Marks an active key revoked (primary key); `false` if there is no such active key.
    pub async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(at)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }
}
