//! Migrations for the embedded store, and the embedding dimension it was created with.

use super::SqliteStore;
use crate::store::{MigrateError, StoreError};

/// Applies pending migrations, then records the embedding dimension on first run and refuses
/// to start with a different one (the stored vectors could not be compared with new ones).
pub async fn migrate(store: &SqliteStore, dimension: usize) -> Result<(), MigrateError> {
    sqlx::migrate!("./migrations/sqlite")
        .run(&store.writer)
        .await?;
    let mut tx = store.writer.begin().await.map_err(StoreError::from)?;
    let recorded: Option<String> =
        sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'embedding_dimension'")
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from)?;
    let found = match recorded {
        Some(v) => v.parse::<i32>().ok(),
        // No recorded dimension: a new database, or one whose vectors predate the record.
        None => sqlx::query_scalar(
            "SELECT length(embedding) / 4 FROM tools WHERE embedding IS NOT NULL LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?,
    };
    if let Some(found) = found.filter(|&f| f as usize != dimension) {
        return Err(MigrateError::DimensionMismatch {
            found,
            configured: dimension,
        });
    }
    sqlx::query(
        "INSERT INTO store_meta (key, value) VALUES ('embedding_dimension', ?1) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(dimension.to_string())
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Whether every migration this binary knows has been applied (for `/ready`).
pub async fn is_up_to_date(store: &SqliteStore) -> Result<bool, StoreError> {
    let migrator = sqlx::migrate!("./migrations/sqlite");
    let latest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&store.reader)
            .await?;
    Ok(applied.unwrap_or(0) >= latest)
}
