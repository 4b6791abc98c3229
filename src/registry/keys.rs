//! Managed API keys: created with a role and a tool set, shown once, stored as a digest,
//! revoked on every replica within [`KEY_CACHE_TTL`].

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use super::{RegistryError, RegistryService, hex};
use crate::domain::{KeyRequest, ManagedKey, NewKey, Principal, ToolScope, ToolSet};

/// How long a key looked up in the store is believed, found or not. A revocation takes
/// effect on every replica within this time.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);

/// What secrets look like: a prefix that secret scanners can match, then 256 random bits.
const SECRET_PREFIX: &str = "tbx_";

/// Keys looked up recently, by digest of the presented secret.
pub(super) type KeyCache = moka::future::Cache<[u8; 32], Option<Arc<ManagedKey>>>;

pub(super) fn key_cache() -> KeyCache {
    moka::future::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(KEY_CACHE_TTL)
        .build()
}

/// A key just created: the only time its secret is shown.
#[derive(Debug, Serialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ManagedKey,
    pub secret: String,
}

/// The principal a managed key stands for. A tool set that no longer parses (written by a
/// newer release, say) permits nothing rather than everything.
fn principal_of(key: &ManagedKey) -> Principal {
    let tools = match &key.tools {
        None => ToolScope::everything(),
        Some(spec) => match ToolSet::parse(spec, "/tools") {
            Ok(set) => ToolScope::one(set),
            Err(_) => ToolScope::any_of(vec![]),
        },
    };
    Principal {
        id: Some(format!("key:{}", key.id)),
        role: key.role,
        tools,
    }
}

impl RegistryService {
    /// Creates a managed key; `auth_enabled` says whether the service checks keys at all (on
    /// an open registry a key would restrict nothing, so none is made).
    pub async fn create_key(
        &self,
        req: KeyRequest,
        auth_enabled: bool,
    ) -> Result<CreatedKey, RegistryError> {
        let new = NewKey::parse(req, Utc::now()).map_err(RegistryError::KeyInvalid)?;
        if !auth_enabled {
            return Err(RegistryError::KeysNeedAuth);
        }
        let secret = format!(
            "{SECRET_PREFIX}{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let key = ManagedKey {
            id: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            label: new.label,
            role: new.role,
            tools: new.tools.as_ref().map(ToolSet::spec),
            created_at: Utc::now(),
            expires_at: new.expires_at,
            revoked_at: None,
        };
        // The same SHA-256 the edge takes of a presented key ([`crate::config::edge_digest`]).
        let digest = super::text_hash(&secret);
        self.store.insert_key(&key, &digest).await?;
        Ok(CreatedKey { key, secret })
    }

    /// Every managed key, without secrets, newest first.
    pub async fn keys(&self) -> Result<Vec<ManagedKey>, RegistryError> {
        Ok(self.store.list_keys().await?)
    }

    /// Revokes a key everywhere (within [`KEY_CACHE_TTL`] on other replicas; at once here).
    pub async fn revoke_key(&self, id: &str) -> Result<(), RegistryError> {
        if self.store.revoke_key(id, Utc::now()).await? {
            self.keys.invalidate_all();
            Ok(())
        } else {
            Err(RegistryError::KeyNotFound(id.to_owned()))
        }
    }

    /// The principal of a presented managed key (by the SHA-256 `digest` of the secret):
    /// `None` when no active key has it.
    pub async fn key_principal(
        &self,
        digest: [u8; 32],
    ) -> Result<Option<Principal>, RegistryError> {
        let store = self.store.clone();
        let found = self
            .keys
            .try_get_with(digest, async move {
                store
                    .key_by_digest(&hex(&digest))
                    .await
                    .map(|k| k.map(Arc::new))
            })
            .await
            .map_err(|e: Arc<crate::store::StoreError>| {
                RegistryError::KeyStoreUnavailable(e.to_string())
            })?;
        Ok(found
            .filter(|k| k.is_active(Utc::now()))
            .map(|k| principal_of(&k)))
    }
}
