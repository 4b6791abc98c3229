//! Throwaway databases, for the benchmark: created beside the configured one, dropped after.

use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::StoreError;

/// A database created for one run; [`ScratchDatabase::drop_now`] removes it.
pub struct ScratchDatabase {
    admin: PgConnectOptions,
    name: String,
    /// The URL of the new database.
    pub url: SecretString,
}

impl ScratchDatabase {
    /// Creates an empty database named `{prefix}_{random}` on the server `url` points at.
    pub async fn create(url: &SecretString, prefix: &str) -> Result<Self, StoreError> {
        let admin = PgConnectOptions::from_str(url.expose_secret()).map_err(StoreError::Other)?;
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin.connect().await?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let mut parsed = reqwest::Url::parse(url.expose_secret())
            .map_err(|e| StoreError::Other(sqlx::Error::Configuration(e.into())))?;
        parsed.set_path(&format!("/{name}"));
        Ok(Self {
            admin,
            name,
            url: SecretString::from(parsed.to_string()),
        })
    }

    /// Drops the database (closing any connection still open to it).
    pub async fn drop_now(self) -> Result<(), StoreError> {
        let mut conn = self.admin.connect().await?;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut conn)
        .await?;
        conn.close().await?;
        Ok(())
    }
}
