//! What both stores read of `api_keys`: the same columns, decoded into the same type.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::domain::{ManagedKey, Role, ToolSetSpec};

pub(super) const KEY_COLUMNS: &str = "id, label, role, tools, created_at, expires_at, revoked_at";

/// A key with its digest, as an export reads it: `SELECT digest, {KEY_COLUMNS}`.
#[derive(sqlx::FromRow)]
pub(super) struct KeyExportRow {
    digest: String,
    #[sqlx(flatten)]
    key: KeyRow,
}

impl From<KeyExportRow> for super::KeyRecord {
    fn from(r: KeyExportRow) -> Self {
        super::KeyRecord {
            key: r.key.into(),
            digest: r.digest,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct KeyRow {
    id: String,
    label: String,
    role: String,
    tools: Option<Json<ToolSetSpec>>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<KeyRow> for ManagedKey {
    fn from(r: KeyRow) -> Self {
        ManagedKey {
            id: r.id,
            label: r.label,
            // A role this release does not know (written by a newer one) grants the least.
            role: Role::parse(&r.role).unwrap_or(Role::Read),
            tools: r.tools.map(|t| t.0),
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}
