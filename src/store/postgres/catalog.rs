//! Queries that page through the catalogue of tools and summarise it (for MCP's `tools/list`).

use sqlx::AssertSqlSafe;
use sqlx::Row as _;

use super::PgStore;
use super::tools::{TOOL_COLUMNS, ToolRow};
use crate::domain::Tool;
use crate::store::{StoreError, decode_each};

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
        // A row `decode_each` leaves out must not shorten the page: a short page reads as the
        // last one, so the scan goes on past such rows until the page is full.
        let mut tools = Vec::new();
        let mut after = after.map(str::to_owned);
        loop {
            let want = limit - tools.len() as i64;
            let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(&after)
                .bind(want)
                .fetch_all(&self.pool)
                .await?;
            let fetched = rows.len() as i64;
            let last: Option<String> = rows.last().map(|r| r.try_get("name")).transpose()?;
            tools.extend(
                decode_each::<_, ToolRow>(rows, "tools")
                    .into_iter()
                    .map(Tool::from),
            );
            match last {
                Some(name) if fetched == want && (tools.len() as i64) < limit => after = Some(name),
                _ => return Ok(tools),
            }
        }
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
