//! The upstream client's HTTP side: the reqwest client that follows the outbound policy, and
//! what its errors say.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use reqwest013 as reqwest;
use rmcp::transport::streamable_http_client::StreamableHttpError;

use crate::domain::UpstreamServer;
use crate::executor::{Forbidden, HostPolicy, check_redirect};

/// The one HTTP client for upstream servers: the policy's resolver and redirect check, ring
/// rustls with the webpki roots (as the rest of the binary), no proxy.
pub(super) fn client(policy: Arc<HostPolicy>, timeout: Duration) -> reqwest::Client {
    let checker = policy.clone();
    let redirect = reqwest::redirect::Policy::custom(move |attempt| {
        match check_redirect(&checker, attempt.previous(), attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    });
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(rustls::RootCertStore::from_iter(
        webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
    ))
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .dns_resolver(Arc::new(PolicyResolver(policy.clone())))
        .redirect(redirect)
        .no_proxy()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("toolbox/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the upstream client builds")
}

/// The innermost cause in one line (rmcp's wrappers repeat it with type names), with any
/// header value that might appear in it masked; a refused destination is named as such.
pub(super) fn cause_chain(e: &(dyn StdError + 'static), server: &UpstreamServer) -> String {
    let mut innermost = e.to_string();
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(f) = s.downcast_ref::<Forbidden>() {
            return format!("refused destination: {f}");
        }
        innermost = s.to_string();
        // rmcp's transport error shows its HTTP client's error without making it a source.
        source = match s.downcast_ref::<StreamableHttpError<reqwest::Error>>() {
            Some(StreamableHttpError::Client(inner)) => Some(inner),
            _ => s.source(),
        };
    }
    // "Transport [rmcp::...] error: Client error: <cause>": keep the cause.
    let mut line = innermost
        .rsplit("error: ")
        .next()
        .unwrap_or(&innermost)
        .to_owned();
    if line.trim().is_empty() {
        line = innermost;
    }
    for value in server.headers.values() {
        if !value.is_empty() {
            line = line.replace(value.as_str(), crate::domain::REDACTED);
        }
    }
    line
}

pub(super) fn fingerprint(server: &UpstreamServer) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(server.url.as_bytes());
    for (k, v) in &server.headers {
        h.update([0]);
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
    }
    format!("{:x}", h.finalize())
}

/// Resolves names and drops the addresses the policy refuses (as for HTTP tools).
struct PolicyResolver(Arc<HostPolicy>);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let ok = policy.resolve(&host).await?;
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
