//! Queries that page through the catalogue of tools (REST listings, MCP's `tools/list`) and
//! summarise it, on the embedded store.

use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteRow;

use super::SqliteStore;
use super::tools::{Row, SummaryRow, TOOL_COLUMNS, filter_sql, tags_param};
use crate::domain::Tool;
use crate::store::paging::fill_page;
use crate::store::{SearchFilter, StoreError, ToolSummary};

/// The columns of a summary (what `list_tools` answers with), on `tools t`.
const SUMMARY_COLUMNS: &str = "t.name, t.description, t.category, t.tags, t.input_schema, t.version, t.created_at, \
     CASE WHEN json_valid(t.config) THEN json_extract(t.config, '$.upstream.server') END AS server";

/// A filtered keyset page: the filter's parameters at ?2 and ?3 ([`filter_sql`]), the name to
/// start after at ?4 (`''` for the first page: every name sorts after it), the size at ?5.
///
/// Walks the unique index on `name` (`sqlite_autoindex_tools_1`, the `UNIQUE` of the first
/// migration) from ?4 and stops after ?5 matches, so a page costs the same at the end of the
/// catalogue as at its start. `INDEXED BY`, because with a tag filter SQLite otherwise starts
/// from the `tool_tags` key and sorts every tagged tool for each page; here the tagged ids are
/// collected once per page (the `tool_tags` key) and the walk tests each row against them.
fn page_sql(columns: &str, filter: &SearchFilter) -> String {
    format!(
        "SELECT {columns} FROM tools t INDEXED BY sqlite_autoindex_tools_1 \
         WHERE t.name > ?4 AND {} ORDER BY t.name LIMIT ?5",
        filter_sql(filter)
    )
}

impl SqliteStore {
    /// Up to `limit` tools whose name sorts after `after`, by name (keyset pagination).
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
        let sql = page_sql(TOOL_COLUMNS, filter);
        let rows: Vec<Row> = self.page(&sql, filter, after, limit).await?;
        Ok(rows.into_iter().map(Tool::from).collect())
    }

    /// [`SqliteStore::list_tool_summaries`], a keyset page at a time.
    pub async fn list_tool_summaries_page(
        &self,
        filter: &SearchFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ToolSummary>, StoreError> {
        let sql = page_sql(SUMMARY_COLUMNS, filter);
        let rows: Vec<SummaryRow> = self.page(&sql, filter, after, limit).await?;
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
        T: for<'r> sqlx::FromRow<'r, SqliteRow>,
    {
        let tags = tags_param(filter);
        fill_page(after, limit, "tools", |after, want| {
            // ?1 is unused: the filter's parameters are numbered to fit the search queries.
            sqlx::query(AssertSqlSafe(sql))
                .bind(None::<i64>)
                .bind(&filter.category)
                .bind(&tags)
                .bind(after.unwrap_or_default())
                .bind(want)
                .fetch_all(&self.reader)
        })
        .await
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
