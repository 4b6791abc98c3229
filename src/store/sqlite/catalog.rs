//! Queries that page through the catalogue of tools and summarise it (for MCP's `tools/list`),
//! on the embedded store.

use sqlx::AssertSqlSafe;
use sqlx::Row as _;

use super::SqliteStore;
use super::tools::{Row, TOOL_COLUMNS};
use crate::domain::Tool;
use crate::store::{StoreError, decode_each};

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
        // A row `decode_each` leaves out must not shorten the page: a short page reads as the
        // last one, so the scan goes on past such rows until the page is full.
        let mut tools = Vec::new();
        let mut after = after.map(str::to_owned);
        loop {
            let want = limit - tools.len() as i64;
            let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(&after)
                .bind(want)
                .fetch_all(&self.reader)
                .await?;
            let fetched = rows.len() as i64;
            let last: Option<String> = rows.last().map(|r| r.try_get("name")).transpose()?;
            tools.extend(
                decode_each::<_, Row>(rows, "tools")
                    .into_iter()
                    .map(Tool::from),
            );
            match last {
                Some(name) if fetched == want && (tools.len() as i64) < limit => after = Some(name),
                _ => return Ok(tools),
            }
        }
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
