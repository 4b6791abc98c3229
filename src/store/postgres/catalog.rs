//! Queries that page through the catalogue of tools (REST listings, MCP's `tools/list`) and
//! summarise it.

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgRow;

use super::PgStore;
use super::tools::{SummaryRow, TOOL_COLUMNS, ToolRow};
use crate::domain::Tool;
use crate::store::paging::fill_page;
use crate::store::{SearchFilter, StoreError, ToolSummary};

/// The channel the `tools` table's trigger notifies on every change (migration 0005).
pub const TOOLS_CHANGED_CHANNEL: &str = "toolbox_tools_changed";

/// The columns of a summary (what `list_tools` answers with).
const SUMMARY_COLUMNS: &str = "name, description, category, tags, input_schema, version, created_at, \
     config->'upstream'->>'server' AS server";

/// A filtered keyset page, category at $1, tags at $2, the name to start after at $3 (`''`
/// for the first page: every name sorts after it) and the size at $4.
///
/// Walks the unique B-tree on `name` (`tools_name_key`) from $3 and stops after $4 matches:
/// `name > $3` is written without an `$3 IS NULL OR`, so it stays an index condition in a
/// generic plan too, and a page costs the same at the end of the catalogue as at its start.
/// Category and tags filter the walk; for a rare category the planner may prefer
/// `tools_category_idx` (or the GIN `tools_tags_idx`) and sort the few rows found.
fn page_sql(columns: &str) -> String {
    format!(
        "SELECT {columns} FROM tools WHERE name > $3 \
           AND ($1::text IS NULL OR category = $1) AND ($2::text[] IS NULL OR tags @> $2) \
         ORDER BY name LIMIT $4"
    )
}

impl PgStore {
    /// Up to `limit` tools whose name sorts after `after`, by name (keyset pagination, so a
    /// page is stable while tools are added or removed).
    pub async fn list_tools_after(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Tool>, StoreError> {
        self.list_tools_page(&SearchFilter::default(), after, limit)
            .await
    }

    /// Up to `limit` tools passing `filter` whose name sorts after `after`, by name.
    pub async fn list_tools_page(
        &self,
        filter: &SearchFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Tool>, StoreError> {
        let rows: Vec<ToolRow> = self
            .page(&page_sql(TOOL_COLUMNS), filter, after, limit)
            .await?;
        Ok(rows.into_iter().map(Tool::from).collect())
    }

    /// [`PgStore::list_tool_summaries`], a keyset page at a time.
    pub async fn list_tool_summaries_page(
        &self,
        filter: &SearchFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ToolSummary>, StoreError> {
        let rows: Vec<SummaryRow> = self
            .page(&page_sql(SUMMARY_COLUMNS), filter, after, limit)
            .await?;
        Ok(rows.into_iter().map(ToolSummary::from).collect())
    }

    async fn page<T>(
        &self,
        sql: &str,
        filter: &SearchFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, PgRow>,
    {
        fill_page(after, limit, "tools", |after, want| {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&filter.category)
                .bind(&filter.tags)
                .bind(after.unwrap_or_default())
                .bind(want)
                .fetch_all(&self.pool)
        })
        .await
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
