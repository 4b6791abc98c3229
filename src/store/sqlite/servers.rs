//! Queries on the `upstream_servers` table of the embedded store, and the removal of a
//! server's tools.

use chrono::Utc;
use sqlx::types::Json;

use super::tools::{Row, TOOL_COLUMNS};
use super::{SqliteStore, timestamp};
use crate::domain::{NAMESPACE_SEPARATOR, NewServer, Tool, UpstreamServer};
use crate::store::server_rows::{SERVER_COLUMNS, ServerRow, server_conflict};
use crate::store::{StoreError, decode_each};

/// SQLite's message names the column whose uniqueness failed.
fn conflict(e: sqlx::Error, s: &NewServer) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return server_conflict(s, db.message().contains("namespace"));
        }
    }
    StoreError::from(e)
}

impl SqliteStore {
    pub async fn insert_server(&self, s: &NewServer) -> Result<UpstreamServer, StoreError> {
        let sql = format!(
            "INSERT INTO upstream_servers (name, url, headers, namespace, include, exclude, \
             category, refresh_interval_s, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) RETURNING {SERVER_COLUMNS}"
        );
        let row: ServerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&s.name)
            .bind(s.url.as_str())
            .bind(Json(&s.headers))
            .bind(&s.namespace)
            .bind(Json(&s.include))
            .bind(Json(&s.exclude))
            .bind(&s.category)
            .bind(s.refresh_interval_s as i64)
            .bind(timestamp(Utc::now()))
            .fetch_one(&self.writer)
            .await
            .map_err(|e| conflict(e, s))?;
        Ok(row.into())
    }

    /// By name (primary key).
    pub async fn get_server(&self, name: &str) -> Result<Option<UpstreamServer>, StoreError> {
        let sql = format!("SELECT {SERVER_COLUMNS} FROM upstream_servers WHERE name = ?1");
        let row: Option<ServerRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(Into::into))
    }

    /// By name (primary key order); a handful of rows.
    pub async fn list_servers(&self) -> Result<Vec<UpstreamServer>, StoreError> {
        let sql = format!("SELECT {SERVER_COLUMNS} FROM upstream_servers ORDER BY name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.reader)
            .await?;
        Ok(decode_each::<_, ServerRow>(rows, "upstream_servers")
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn update_server(&self, s: &NewServer) -> Result<Option<UpstreamServer>, StoreError> {
        let sql = format!(
            "UPDATE upstream_servers SET url = ?2, headers = ?3, namespace = ?4, include = ?5, \
             exclude = ?6, category = ?7, refresh_interval_s = ?8, updated_at = ?9 \
             WHERE name = ?1 RETURNING {SERVER_COLUMNS}"
        );
        let row: Option<ServerRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&s.name)
            .bind(s.url.as_str())
            .bind(Json(&s.headers))
            .bind(&s.namespace)
            .bind(Json(&s.include))
            .bind(Json(&s.exclude))
            .bind(&s.category)
            .bind(s.refresh_interval_s as i64)
            .bind(timestamp(Utc::now()))
            .fetch_optional(&self.writer)
            .await
            .map_err(|e| conflict(e, s))?;
        Ok(row.map(Into::into))
    }

    /// A scan of `tools` filtered by name prefix and owner: a sync or an update does it once.
    pub async fn list_server_tools(
        &self,
        server: &str,
        namespace: &str,
    ) -> Result<Vec<Tool>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_COLUMNS} FROM tools t WHERE substr(t.name, 1, length(?2)) = ?2 \
             AND json_extract(t.config, '$.upstream.server') = ?1 ORDER BY t.name"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(server)
            .bind(format!("{namespace}{NAMESPACE_SEPARATOR}"))
            .fetch_all(&self.reader)
            .await?;
        Ok(decode_each::<_, Row>(rows, "tools")
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The server's tools are those named `namespace__*` whose `config.upstream.server` names
    /// it (a scan of `tools`: deleting a server is rare).
    pub async fn delete_server(&self, name: &str) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let namespace: Option<String> =
            sqlx::query_scalar("DELETE FROM upstream_servers WHERE name = ?1 RETURNING namespace")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(namespace) = namespace else {
            return Ok(false);
        };
        let prefix = format!("{namespace}{NAMESPACE_SEPARATOR}");
        let removed = sqlx::query(
            "DELETE FROM tools WHERE substr(name, 1, length(?2)) = ?2 \
             AND json_extract(config, '$.upstream.server') = ?1",
        )
        .bind(name)
        .bind(prefix)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if removed.rows_affected() > 0 {
            self.tools_changed();
        }
        Ok(true)
    }
}
