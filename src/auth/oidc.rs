//! OIDC bearer tokens: the provider's discovery document and key set, fetched and cached
//! (fetched again when a token names a key the cache lacks, at most once a second), and each
//! token's signature, `iss`, `aud`, `exp` and `nbf` checked by `jsonwebtoken`. Only the
//! asymmetric algorithms are accepted, and only the one the key itself is for, so neither
//! `alg: none` nor an HMAC "signed" with the public key passes.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use super::AuthFailure;
use crate::config::OidcConfig;
use crate::domain::{Principal, Role, ToolScope};

/// Shortest time between two fetches of the key set for an unknown `kid`: tokens naming
/// made-up keys must not turn into a flood of requests to the provider.
const MIN_REFETCH: Duration = Duration::from_secs(1);
/// The provider's answers, each bounded.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Allowed clock skew on `exp` and `nbf`.
const LEEWAY_S: u64 = 30;

/// A fetched key set and when.
struct Keys {
    set: JwkSet,
    fetched: Instant,
}

pub struct Verifier {
    cfg: OidcConfig,
    http: reqwest::Client,
    keys: RwLock<Option<Keys>>,
    /// One fetch at a time.
    fetching: Mutex<()>,
}

impl Verifier {
    pub fn new(cfg: OidcConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            cfg,
            http,
            keys: RwLock::new(None),
            fetching: Mutex::new(()),
        }
    }

    pub fn config(&self) -> &OidcConfig {
        &self.cfg
    }

    /// The principal of a valid token.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthFailure> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| {
            AuthFailure::Invalid(format!("the bearer token is not a valid JWT: {e}"))
        })?;
        let kid = header.kid.as_deref().unwrap_or("");
        let jwk = self.key(kid).await?;
        let alg = key_algorithm(&jwk).ok_or_else(|| {
            AuthFailure::Invalid("the token's key is not an RSA, EC or Ed25519 signing key".into())
        })?;
        if header.alg != alg {
            return Err(AuthFailure::Invalid(format!(
                "the token is signed with {:?}, its key is for {alg:?}",
                header.alg
            )));
        }
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|e| AuthFailure::Invalid(format!("the token's key cannot be used: {e}")))?;
        let mut v = Validation::new(alg);
        v.set_issuer(&[&self.cfg.issuer]);
        v.set_audience(&[&self.cfg.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.validate_nbf = true;
        v.leeway = LEEWAY_S;
        let data = jsonwebtoken::decode::<Value>(token, &key, &v)
            .map_err(|e| AuthFailure::Invalid(format!("the bearer token was refused: {e}")))?;
        self.principal(&data.claims)
    }

    /// The token's role (the highest named in the role claim) and tool sets (its groups').
    fn principal(&self, claims: &Value) -> Result<Principal, AuthFailure> {
        let sub = claims["sub"].as_str().unwrap_or_default();
        let role = strings(&claims[&self.cfg.role_claim])
            .filter_map(|s| s.strip_prefix(self.cfg.role_prefix.as_str()).and_then(Role::parse))
            .max()
            .ok_or_else(|| {
                AuthFailure::NoRole(format!(
                    "the token grants no role: its `{}` claim names none of {p}read, {p}call, {p}admin",
                    self.cfg.role_claim,
                    p = self.cfg.role_prefix
                ))
            })?;
        let tools = match &self.cfg.tool_sets {
            None => ToolScope::everything(),
            Some(sets) => ToolScope::any_of(
                strings(&claims[&self.cfg.groups_claim])
                    .filter_map(|g| sets.get(g).cloned())
                    .collect(),
            ),
        };
        Ok(Principal {
            id: Some(format!("oidc:{sub}")),
            role,
            tools,
        })
    }

    /// The key named `kid`: from the cache, or from a fresh fetch when the cache is stale or
    /// lacks it.
    async fn key(&self, kid: &str) -> Result<Jwk, AuthFailure> {
        if let Some(k) = self.cached(kid, false).await {
            return Ok(k);
        }
        let _one = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(k) = self.cached(kid, false).await {
            return Ok(k);
        }
        let recent = self
            .keys
            .read()
            .await
            .as_ref()
            .is_some_and(|k| k.fetched.elapsed() < MIN_REFETCH);
        if !recent {
            let set = self.fetch().await?;
            *self.keys.write().await = Some(Keys {
                set,
                fetched: Instant::now(),
            });
        }
        self.cached(kid, true).await.ok_or_else(|| {
            AuthFailure::Invalid(format!(
                "the token names a key ({kid:?}) the issuer does not publish"
            ))
        })
    }

    /// The cached key `kid` (the only key when `kid` is empty and the set has one); a set past
    /// its refresh time counts as absent unless `stale_ok`.
    async fn cached(&self, kid: &str, stale_ok: bool) -> Option<Jwk> {
        let keys = self.keys.read().await;
        let keys = keys.as_ref()?;
        if !stale_ok && keys.fetched.elapsed() > self.cfg.jwks_refresh {
            return None;
        }
        if kid.is_empty() {
            return (keys.set.keys.len() == 1).then(|| keys.set.keys[0].clone());
        }
        keys.set.find(kid).cloned()
    }

    async fn fetch(&self) -> Result<JwkSet, AuthFailure> {
        let issuer = self.cfg.issuer.trim_end_matches('/');
        let discovery: Value = self
            .get_json(&format!("{issuer}/.well-known/openid-configuration"))
            .await?;
        if discovery["issuer"].as_str() != Some(self.cfg.issuer.as_str()) {
            return Err(AuthFailure::Unavailable(format!(
                "the OIDC discovery document of {issuer} names another issuer"
            )));
        }
        let jwks_uri = discovery["jwks_uri"].as_str().ok_or_else(|| {
            AuthFailure::Unavailable("the OIDC discovery document has no jwks_uri".into())
        })?;
        let set: Value = self.get_json(jwks_uri).await?;
        // Keys this crate cannot read (another kty, say) are skipped, not fatal.
        let keys = set["keys"]
            .as_array()
            .map(|ks| {
                ks.iter()
                    .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
                    .collect()
            })
            .unwrap_or_default();
        Ok(JwkSet { keys })
    }

    async fn get_json(&self, url: &str) -> Result<Value, AuthFailure> {
        let unavailable = |e: String| AuthFailure::Unavailable(format!("OIDC provider: {e}"));
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| unavailable(format!("{url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(unavailable(format!("{url} answered {}", resp.status())));
        }
        resp.json()
            .await
            .map_err(|e| unavailable(format!("{url} did not answer JSON: {e}")))
    }
}

/// The algorithm a key is for: the one it names, else its type's usual one. HMAC keys (`oct`)
/// have none: a provider's published keys are public, so a shared secret among them is a
/// mistake or an attack.
fn key_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    use jsonwebtoken::jwk::{EllipticCurve, KeyAlgorithm as K};
    let named = match jwk.common.key_algorithm {
        Some(K::RS256) => Some(Algorithm::RS256),
        Some(K::RS384) => Some(Algorithm::RS384),
        Some(K::RS512) => Some(Algorithm::RS512),
        Some(K::PS256) => Some(Algorithm::PS256),
        Some(K::PS384) => Some(Algorithm::PS384),
        Some(K::PS512) => Some(Algorithm::PS512),
        Some(K::ES256) => Some(Algorithm::ES256),
        Some(K::ES384) => Some(Algorithm::ES384),
        Some(K::EdDSA) => Some(Algorithm::EdDSA),
        Some(_) => return None,
        None => None,
    };
    let usual = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
        _ => return None,
    };
    Some(named.unwrap_or(usual))
}

/// A claim's strings: a space-separated string (`scope`) or an array of strings (`groups`).
fn strings(v: &Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match v {
        Value::String(s) => Box::new(s.split_whitespace()),
        Value::Array(items) => Box::new(items.iter().filter_map(Value::as_str)),
        _ => Box::new(std::iter::empty()),
    }
}
