//! What both stores read of `upstream_servers`: the same columns, decoded into the same
//! types on each, and the conflict a unique violation on it means.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::StoreError;
use crate::domain::{NewServer, UpstreamServer};

pub(super) const SERVER_COLUMNS: &str = "name, url, headers, namespace, include, exclude, category, refresh_interval_s, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct ServerRow {
    name: String,
    url: String,
    headers: Json<BTreeMap<String, String>>,
    namespace: String,
    include: Json<Vec<String>>,
    exclude: Json<Vec<String>>,
    category: Option<String>,
    refresh_interval_s: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ServerRow> for UpstreamServer {
    fn from(r: ServerRow) -> Self {
        UpstreamServer {
            name: r.name,
            url: r.url,
            headers: r.headers.0,
            namespace: r.namespace,
            include: r.include.0,
            exclude: r.exclude.0,
            category: r.category,
            refresh_interval_s: r.refresh_interval_s.max(1) as u64,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The conflict of writing `s` where a unique violation was on its namespace (`namespace`)
/// or on its name, the key: each backend tells which from its own error.
pub(super) fn server_conflict(s: &NewServer, namespace: bool) -> StoreError {
    StoreError::ServerConflict(if namespace {
        format!("the namespace {:?} is used by another server", s.namespace)
    } else {
        format!("a server named {:?} is already registered", s.name)
    })
}
