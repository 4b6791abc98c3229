//! Migrations, and the part of the schema that depends on configuration: the embedding
//! column's dimension.

use sqlx::AssertSqlSafe;
use sqlx::PgPool;

use crate::store::{MigrateError, StoreError};

/// Arbitrary, fixed key for the advisory lock that serialises schema changes across replicas.
const SCHEMA_LOCK_KEY: i64 = 0x746f_6f6c_626f_7831;

/// Applies pending migrations, then fixes the embedding column to `dimension`. Safe to run
/// from many replicas at once: sqlx's migrator and the dimension step each hold an advisory
/// lock.
pub async fn migrate(pool: &PgPool, dimension: usize) -> Result<(), MigrateError> {
    sqlx::migrate!("./migrations").run(pool).await?;
    let mut tx = pool.begin().await.map_err(StoreError::from)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SCHEMA_LOCK_KEY)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    // pgvector stores a vector column's dimension as its type modifier (-1: unspecified).
    let typmod: i32 = sqlx::query_scalar(
        "SELECT atttypmod FROM pg_attribute \
         WHERE attrelid = 'tools'::regclass AND attname = 'embedding'",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    if typmod == -1 {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT vector_dims(embedding) FROM tools \
             WHERE embedding IS NOT NULL AND vector_dims(embedding) <> $1 LIMIT 1",
        )
        .bind(dimension as i32)
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if let Some(found) = found {
            return Err(MigrateError::DimensionMismatch {
                found,
                configured: dimension,
            });
        }
        sqlx::query(AssertSqlSafe(format!(
            "ALTER TABLE tools ALTER COLUMN embedding TYPE vector({dimension})"
        )))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    } else if typmod as usize != dimension {
        return Err(MigrateError::DimensionMismatch {
            found: typmod,
            configured: dimension,
        });
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Whether every migration this binary knows has been applied (for `/ready`).
pub async fn is_up_to_date(pool: &PgPool) -> Result<bool, StoreError> {
    let migrator = sqlx::migrate!("./migrations");
    let latest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
    Ok(applied.unwrap_or(0) >= latest)
}
