//! Who is calling: a presented credential becomes a [`Principal`], from a bootstrap key
//! (`API_KEYS`), a managed key (the registry's `api_keys`) or an OIDC bearer token. The edge
//! (`http::edge`) asks here once per request and hands the principal to the handlers.

pub mod oidc;

use subtle::ConstantTimeEq;

use crate::config::{ApiKey, EdgeConfig, OidcConfig};
use crate::domain::{Principal, ToolScope};
use crate::registry::RegistryService;

/// Why a credential was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// Nothing was presented.
    Missing,
    /// What was presented is not a valid credential (the reason says why).
    Invalid(String),
    /// A valid token that grants no role.
    NoRole(String),
    /// The credential could not be checked: a dependency (database, OIDC provider) failed.
    Unavailable(String),
}

pub struct Authenticator {
    /// [`EdgeConfig::auth_enabled`].
    enabled: bool,
    bootstrap: Vec<ApiKey>,
    registry: RegistryService,
    oidc: Option<oidc::Verifier>,
}

impl Authenticator {
    pub fn new(cfg: &EdgeConfig, registry: RegistryService) -> Self {
        Self {
            enabled: cfg.auth_enabled(),
            bootstrap: cfg.api_keys.clone(),
            registry,
            oidc: cfg.oidc.clone().map(oidc::Verifier::new),
        }
    }

    /// Whether callers must authenticate (bootstrap keys or an issuer are configured).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn oidc(&self) -> Option<&OidcConfig> {
        self.oidc.as_ref().map(oidc::Verifier::config)
    }

    /// The principal behind `presented` (the `Authorization: Bearer` or `X-API-Key` value).
    pub async fn authenticate(&self, presented: Option<&str>) -> Result<Principal, AuthFailure> {
        if !self.enabled() {
            return Ok(Principal::operator());
        }
        let presented = presented
            .filter(|p| !p.is_empty())
            .ok_or(AuthFailure::Missing)?;
        let digest = crate::config::edge_digest(presented);
        if let Some(key) = self.bootstrap_key(&digest) {
            return Ok(Principal {
                id: Some(format!("key:{}", key.id())),
                role: key.scope,
                tools: ToolScope::everything(),
            });
        }
        // A JWT has three dot-separated parts; a key never has a dot.
        if let Some(verifier) = &self.oidc
            && presented.matches('.').count() == 2
        {
            return verifier.verify(presented).await;
        }
        match self.registry.key_principal(digest).await {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err(AuthFailure::Invalid("the API key is not valid".into())),
            Err(e) => Err(AuthFailure::Unavailable(format!("database: {e}"))),
        }
    }

    /// Matches against every bootstrap digest without an early exit, so the time taken does
    /// not depend on which (if any) key matched.
    fn bootstrap_key(&self, digest: &[u8; 32]) -> Option<&ApiKey> {
        let mut found = None;
        for key in &self.bootstrap {
            if bool::from(key.digest.ct_eq(digest)) {
                found = Some(key);
            }
        }
        found
    }
}
