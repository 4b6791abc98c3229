//! OIDC bearer tokens against a real local issuer started by the test (discovery document and
//! key set over HTTP, keys made in the test): valid, expired, wrong audience, wrong issuer,
//! an unknown key then rotated keys, `alg: none`, HS256 "signed" with the public key, roles
//! and tool sets from claims, and the RFC 9728 metadata an MCP client is pointed to.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::common::{TestApp, problem, spawn_app_with};

const AUDIENCE: &str = "toolbox-test";

/// A signing key and its public JWK.
struct Key {
    kid: String,
    signing: SigningKey,
}

impl Key {
    fn new(kid: &str) -> Self {
        // 32 random bytes from two v4 UUIDs: a valid P-256 scalar but for odds of 2^-32.
        let mut bytes = [0u8; 32];
        bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self {
            kid: kid.to_owned(),
            signing: SigningKey::from_bytes(&bytes.into()).unwrap(),
        }
    }

    fn jwk(&self) -> Value {
        let point = self.signing.verifying_key().to_encoded_point(false);
        json!({"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
               "x": B64.encode(point.x().unwrap()), "y": B64.encode(point.y().unwrap())})
    }

    fn sign(&self, claims: &Value) -> String {
        let pem = self.signing.to_pkcs8_pem(LineEnding::LF).unwrap();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    fn public_pem(&self) -> String {
        self.signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    }
}

/// The issuer: `/.well-known/openid-configuration` and `/jwks` (whose keys a test replaces).
struct Issuer {
    url: String,
    jwks: Arc<RwLock<Value>>,
}

impl Issuer {
    async fn start(keys: &[&Key]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let jwks = Arc::new(RwLock::new(
            json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()}),
        ));
        let discovery = json!({"issuer": url, "jwks_uri": format!("{url}/jwks")});
        let served = jwks.clone();
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                axum::routing::get(move || async move { axum::Json(discovery) }),
            )
            .route(
                "/jwks",
                axum::routing::get(move || {
                    let keys = served.read().unwrap().clone();
                    async move { axum::Json(keys) }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, jwks }
    }

    fn publish(&self, keys: &[&Key]) {
        *self.jwks.write().unwrap() =
            json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()});
    }

    fn claims(&self, scope: &str) -> Value {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        json!({"iss": self.url, "aud": AUDIENCE, "sub": "alice", "scope": scope,
               "iat": now, "exp": now + 600})
    }
}

async fn app_for(issuer: &Issuer, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("AUTH_OIDC_ISSUER", issuer.url.as_str()),
        ("AUTH_OIDC_AUDIENCE", AUDIENCE),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

async fn status_with(app: &TestApp, token: &str) -> u16 {
    app.client
        .get(app.url("/tools"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_valid_token_is_accepted_and_every_forged_or_stale_one_refused() {
    let key = Key::new("k1");
    let issuer = Issuer::start(&[&key]).await;
    let app = app_for(&issuer, &[]).await;
    let good = issuer.claims("openid toolbox:read");
    assert_eq!(status_with(&app, &key.sign(&good)).await, 200);

    let mut expired = good.clone();
    expired["exp"] = json!(good["iat"].as_u64().unwrap() - 3600);
    let mut audience = good.clone();
    audience["aud"] = json!("someone-else");
    let mut other_issuer = good.clone();
    other_issuer["iss"] = json!("https://evil.example");
    for (what, claims) in [
        ("expired", expired),
        ("wrong audience", audience),
        ("wrong issuer", other_issuer),
    ] {
        assert_eq!(status_with(&app, &key.sign(&claims)).await, 401, "{what}");
    }
    // `alg: none`: no signature at all.
    let none = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none", "typ": "JWT", "kid": "k1"}).to_string()),
        B64.encode(good.to_string())
    );
    assert_eq!(status_with(&app, &none).await, 401, "alg none");
    // HS256 with the public key as the shared secret (the classic key-confusion attack).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let confused = jsonwebtoken::encode(
        &header,
        &good,
        &EncodingKey::from_secret(key.public_pem().as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        status_with(&app, &confused).await,
        401,
        "HS256 with the public key"
    );
    // A valid signature that grants no role is a 403 that says which claim to set.
    let resp = app
        .client
        .get(app.url("/tools"))
        .bearer_auth(key.sign(&issuer.claims("openid")))
        .send()
        .await
        .unwrap();
    let body = problem(resp, 403).await;
    assert!(
        body["detail"].as_str().unwrap().contains("toolbox:read"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_token_from_a_rotated_key_is_accepted_once_the_issuer_publishes_it() {
    let old = Key::new("k1");
    let new = Key::new("k2");
    let issuer = Issuer::start(&[&old]).await;
    let app = app_for(&issuer, &[]).await;
    let claims = issuer.claims("toolbox:read");
    assert_eq!(status_with(&app, &old.sign(&claims)).await, 200);
    // Not published yet: refused, although the key set was fetched again to look for it.
    assert_eq!(status_with(&app, &new.sign(&claims)).await, 401);
    issuer.publish(&[&new]);
    // The key set is fetched again at most once a second for unknown keys.
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_with(&app, &new.sign(&claims)).await != 200 {
        assert!(
            Instant::now() < deadline,
            "the rotated key was never fetched"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn roles_and_tool_sets_come_from_the_token_s_claims_and_its_subject_is_the_caller() {
    let key = Key::new("k1");
    let issuer = Issuer::start(&[&key]).await;
    let sets = r#"{"mathematicians": {"allow": ["calculator"]}}"#;
    let app = app_for(&issuer, &[("AUTH_OIDC_TOOL_SETS", sets)]).await;
    let mut claims = issuer.claims("toolbox:call");
    claims["groups"] = json!(["mathematicians"]);
    let token = key.sign(&claims);
    let listed: Value = app
        .client
        .post(app.url("/mcp/list_tools"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["calculator"]);
    let resp = app
        .client
        .post(app.url("/mcp/call_tool"))
        .bearer_auth(&token)
        .json(
            &json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 1, "b": 2}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let callers = app
        .count("SELECT count(*) FROM tool_executions WHERE caller = 'oidc:alice'")
        .await;
    assert_eq!(callers, 1);
    // In no mapped group: no tools at all.
    let mut outsider = issuer.claims("toolbox:read");
    outsider["groups"] = json!(["strangers"]);
    let listed: Value = app
        .client
        .post(app.url("/mcp/list_tools"))
        .bearer_auth(key.sign(&outsider))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    app.stop().await;
}

#[tokio::test]
async fn an_unauthenticated_mcp_client_is_pointed_at_the_protected_resource_metadata() {
    let key = Key::new("k1");
    let issuer = Issuer::start(&[&key]).await;
    let app = app_for(&issuer, &[]).await;
    let resp = app
        .client
        .post(app.url("/mcp"))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let challenge = resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    let metadata_url = challenge
        .split("resource_metadata=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no resource_metadata in {challenge}"));
    assert!(challenge.contains("scope=\"toolbox:read\""), "{challenge}");
    let metadata: Value = app
        .client
        .get(metadata_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], app.url("/mcp"));
    assert_eq!(metadata["authorization_servers"], json!([issuer.url]));
    assert!(
        metadata["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("toolbox:call"))
    );
    app.stop().await;
}

#[tokio::test]
async fn an_issuer_that_is_down_is_a_503_naming_it() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    drop(listener);
    let app = spawn_app_with(&[("AUTH_OIDC_ISSUER", &url), ("AUTH_OIDC_AUDIENCE", AUDIENCE)]).await;
    let key = Key::new("k1");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = key.sign(
        &json!({"iss": url, "aud": AUDIENCE, "sub": "a", "scope": "toolbox:read", "exp": now + 60}),
    );
    let resp = app
        .client
        .get(app.url("/tools"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let body = problem(resp, 503).await;
    assert!(
        body["detail"].as_str().unwrap().contains("OIDC provider"),
        "{body}"
    );
    app.stop().await;
}
