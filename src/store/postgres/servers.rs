//! Queries on the `upstream_servers` table, and the removal of a server's tools.

use sqlx::types::Json;

use super::PgStore;
use super::tools::{TOOL_COLUMNS, ToolRow};
use crate::domain::{NAMESPACE_SEPARATOR, NewServer, Tool, UpstreamServer};
use crate::store::server_rows::{SERVER_COLUMNS, ServerRow, server_conflict};
use crate::store::{StoreError, decode_each};

/// A unique violation names the constraint: the primary key (name) or the namespace's.
fn conflict(e: sqlx::Error, s: &NewServer) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        let namespace = db.constraint() == Some("upstream_servers_namespace_key");
        return server_conflict(s, namespace);
    }
    StoreError::from(e)
}

impl PgStore {
    pub async fn insert_server(&self, s: &NewServer) -> Result<UpstreamServer, StoreError> {
        let sql = format!(
            "INSERT INTO upstream_servers (name, url, headers, namespace, include, exclude, \
             category, refresh_interval_s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {SERVER_COLUMNS}"
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
            .fetch_one(&self.pool)
            .await
            .map_err(|e| conflict(e, s))?;
        Ok(row.into())
    }

    /// By name (primary key).
    pub async fn get_server(&self, name: &str) -> Result<Option<UpstreamServer>, StoreError> {
        let sql = format!("SELECT {SERVER_COLUMNS} FROM upstream_servers WHERE name = $1");
        let row: Option<ServerRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    /// By name (primary key order); a handful of rows.
    pub async fn list_servers(&self) -> Result<Vec<UpstreamServer>, StoreError> {
        let sql = format!("SELECT {SERVER_COLUMNS} FROM upstream_servers ORDER BY name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_each::<_, ServerRow>(rows, "upstream_servers")
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn update_server(&self, s: &NewServer) -> Result<Option<UpstreamServer>, StoreError> {
        let sql = format!(
            "UPDATE upstream_servers SET url = $2, headers = $3, namespace = $4, include = $5, \
             exclude = $6, category = $7, refresh_interval_s = $8, updated_at = now() \
             WHERE name = $1 RETURNING {SERVER_COLUMNS}"
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
            .fetch_optional(&self.pool)
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
            "SELECT {TOOL_COLUMNS} FROM tools WHERE starts_with(name, $2) \
             AND config -> 'upstream' ->> 'server' = $1 ORDER BY name"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(server)
            .bind(format!("{namespace}{NAMESPACE_SEPARATOR}"))
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_each::<_, ToolRow>(rows, "tools")
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The server's tools are those named `namespace__*` whose `config.upstream.server` names
    /// it, so a tool named alike but registered by hand stays.
    pub async fn delete_server(&self, name: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let namespace: Option<String> =
            sqlx::query_scalar("DELETE FROM upstream_servers WHERE name = $1 RETURNING namespace")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(namespace) = namespace else {
            return Ok(false);
        };
        // A scan of `tools`: deleting a server is rare, and a prefix range on the name would
        // depend on the database's collation.
        sqlx::query(
            "DELETE FROM tools WHERE starts_with(name, $2) \
             AND config -> 'upstream' ->> 'server' = $1",
        )
        .bind(name)
        .bind(format!("{namespace}{NAMESPACE_SEPARATOR}"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
