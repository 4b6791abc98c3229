//! Throwaway databases, for the benchmark: created beside the configured one, dropped after
//! (for SQLite, a file in a new temporary directory).

use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::StoreError;

/// A database created for one run; [`ScratchDatabase::drop_now`] removes it.
pub struct ScratchDatabase {
    /// PostgreSQL: the server to drop the database on; SQLite: `None`.
    admin: Option<PgConnectOptions>,
    name: String,
    /// SQLite: the directory holding the file.
    dir: Option<std::path::PathBuf>,
    /// The URL of the new database.
    pub url: SecretString,
}

impl ScratchDatabase {
    /// Creates an empty database named `{prefix}_{random}` on the server `url` points at.
    pub async fn create(url: &SecretString, prefix: &str) -> Result<Self, StoreError> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        if super::is_sqlite(url.expose_secret()) {
            let dir = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&dir)
                .map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))?;
            let url = format!("sqlite://{}/toolbox.db", dir.display());
            return Ok(Self {
                admin: None,
                name,
                dir: Some(dir),
                url: SecretString::from(url),
            });
        }
        let admin = PgConnectOptions::from_str(url.expose_secret()).map_err(StoreError::Other)?;
        let mut conn = admin.connect().await?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let mut parsed = reqwest::Url::parse(url.expose_secret())
            .map_err(|e| StoreError::Other(sqlx::Error::Configuration(e.into())))?;
        parsed.set_path(&format!("/{name}"));
        Ok(Self {
            admin: Some(admin),
            name,
            dir: None,
            url: SecretString::from(parsed.to_string()),
        })
    }

    /// Drops the database (closing any connection still open to it).
    pub async fn drop_now(self) -> Result<(), StoreError> {
        if let Some(dir) = &self.dir {
            return std::fs::remove_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)));
        }
        let Some(admin) = &self.admin else {
            return Ok(());
        };
        let mut conn = admin.connect().await?;
        sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await?;
        conn.close().await?;
        Ok(())
    }
}
