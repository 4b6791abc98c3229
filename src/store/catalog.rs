//! Queries that page through the catalogue of tools and summarise it (for MCP's `tools/list`).

use sqlx::AssertSqlSafe;

use super::tools::{TOOL_COLUMNS, ToolRow};
use super::{PgStore, StoreError};
use crate::domain::Tool;

/// The channel the `tools` table's trigger notifies on every change (migration 0005).
pub const TOOLS_CHANGED_CHANNEL: &str = "toolbox_tools_changed";

impl PgStore {
    /// Up to `limit` tools whose name sorts after `after`, by name (the unique B-tree index on
    /// `name`: keyset pagination, so a page is stable while tools are added or removed).
    pub async fn list_tools_after(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Tool>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_COLUMNS} FROM tools WHERE ($1::text IS NULL OR name > $1) \
             ORDER BY name LIMIT $2"
        );
        Ok(sqlx::query_as::<_, ToolRow>(AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Tool::from)
            .collect())
    }

    /// Each category with its number of tools, largest first (B-tree on `category`).
    pub async fn category_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT category, count(*) FROM tools GROUP BY category ORDER BY count(*) DESC, category",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
