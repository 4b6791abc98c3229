//! Queries that page through the catalogue of tools and summarise it (for MCP's `tools/list`),
//! on the embedded store.

use sqlx::AssertSqlSafe;

use super::SqliteStore;
use super::tools::{Row, TOOL_COLUMNS};
use crate::domain::Tool;
use crate::store::StoreError;

impl SqliteStore {
    /// Up to `limit` tools whose name sorts after `after`, by name (the unique index on `name`:
    /// keyset pagination).
    pub async fn list_tools_after(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Tool>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_COLUMNS} FROM tools t WHERE t.name > coalesce(?1, '') \
             ORDER BY t.name LIMIT ?2"
        );
        Ok(sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?
            .into_iter()
            .map(Tool::from)
            .collect())
    }

    /// Each category with its number of tools, largest first (`tools_category_idx`).
    pub async fn category_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT category, count(*) FROM tools GROUP BY category ORDER BY count(*) DESC, category",
        )
        .fetch_all(&self.reader)
        .await?)
    }
}
