//! Tools that run behind an HTTP endpoint: arguments are POSTed as JSON, the JSON answer is
//! the result. Outbound calls follow [`HostPolicy`]: the host must be allowed, every address it
//! resolves to is checked (in the DNS resolver, so the address checked is the one connected
//! to), and redirects to another host are refused.

use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;

use super::ExecError;
use crate::domain::HttpExecutorSpec;

/// Which hosts HTTP tools may reach (`TOOL_HTTP_ALLOWED_HOSTS`).
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    /// Lower-case host names, IP addresses or `*.domain` patterns; empty allows any host.
    allowed: Vec<String>,
}

/// A destination the policy refuses.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(String);

impl HostPolicy {
    pub fn new(allowed: Vec<String>) -> Self {
        Self { allowed }
    }

    /// Whether `host` may be called at all.
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.allowed.is_empty()
            || self.allowed.iter().any(|a| match a.strip_prefix("*.") {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => *a == host,
            })
    }

    /// Whether `host` is listed by name, which also allows its private addresses.
    fn explicitly_listed(&self, host: &str) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.allowed.contains(&host)
    }

    /// Checks one address `host` resolved to.
    pub fn check_addr(&self, host: &str, ip: IpAddr) -> Result<(), Forbidden> {
        if is_public(ip) || self.explicitly_listed(host) {
            Ok(())
        } else {
            Err(Forbidden(format!(
                "{host} resolves to {ip}, a loopback, private or link-local address; list the host \
                 in TOOL_HTTP_ALLOWED_HOSTS to allow it"
            )))
        }
    }
}

/// Whether an address is on the public internet.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Resolves names and drops the addresses the policy refuses.
struct PolicyResolver(Arc<HostPolicy>);

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let ok: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match policy.check_addr(&host, a.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refused = Some(e);
                        false
                    }
                })
                .collect();
            match (ok.is_empty(), refused) {
                (true, Some(e)) => Err(Box::new(e) as Box<dyn StdError + Send + Sync>),
                _ => Ok(Box::new(ok.into_iter()) as Addrs),
            }
        })
    }
}

/// The one client for HTTP tools.
#[derive(Clone)]
pub struct HttpRunner {
    client: reqwest::Client,
    policy: Arc<HostPolicy>,
    max_output: usize,
}

impl HttpRunner {
    pub fn new(policy: HostPolicy, max_output: usize) -> Self {
        let policy = Arc::new(policy);
        let redirect = reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().and_then(|u| u.host_str());
            if attempt.previous().len() > 5 {
                attempt.error(Forbidden("more than 5 redirects".into()))
            } else if first != attempt.url().host_str() {
                let to = attempt.url().host_str().unwrap_or("?").to_owned();
                attempt.error(Forbidden(format!(
                    "the endpoint redirected to another host ({to}); redirects are followed only within the same host"
                )))
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(PolicyResolver(policy.clone())))
            .redirect(redirect)
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("toolbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP tool client builds");
        Self {
            client,
            policy,
            max_output,
        }
    }

    pub fn policy(&self) -> &HostPolicy {
        &self.policy
    }

    /// Sends `args` to the tool's endpoint and returns its JSON answer. The caller bounds time.
    pub async fn call(&self, spec: &HttpExecutorSpec, args: &Value) -> Result<Value, ExecError> {
        let host = spec.url.host_str().unwrap_or_default().to_owned();
        if !self.policy.host_allowed(&host) {
            return Err(ExecError::Tool(format!(
                "the tool's host {host} is not in TOOL_HTTP_ALLOWED_HOSTS"
            )));
        }
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            self.policy
                .check_addr(&host, ip)
                .map_err(|e| ExecError::Tool(e.to_string()))?;
        }
        let mut req = self.client.request(spec.method.clone(), spec.url.clone());
        for (k, v) in &spec.headers {
            req = req.header(k, v);
        }
        req = if spec.method == reqwest::Method::GET {
            req.query(&flat_query(args))
        } else {
            req.json(args)
        };
        let mut resp = req.send().await.map_err(|e| classify(&host, e))?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&host, e))? {
            if body.len() + chunk.len() > self.max_output {
                return Err(ExecError::Tool(format!(
                    "the tool's answer is larger than {} bytes (TOOL_MAX_OUTPUT_BYTES)",
                    self.max_output
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                ExecError::Tool(format!(
                    "the tool answered {status} with a body that is not JSON: {e}"
                ))
            });
        }
        let excerpt: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        match status.as_u16() {
            429 | 502 | 503 | 504 => Err(ExecError::Unavailable {
                reason: format!("the tool's endpoint at {host} answered {status}"),
                retry_after_secs: retry_after(&resp).unwrap_or(5),
            }),
            _ => Err(ExecError::Tool(format!(
                "the tool's endpoint answered {status}: {excerpt}"
            ))),
        }
    }
}

/// GET tools receive top-level scalar arguments as query parameters.
fn flat_query(args: &Value) -> Vec<(String, String)> {
    args.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let s = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), s)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn retry_after(resp: &reqwest::Response) -> Option<u64> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Sorts a transport error into the taxonomy; a refused destination is the tool's fault.
fn classify(host: &str, e: reqwest::Error) -> ExecError {
    let mut source: Option<&(dyn StdError + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(f) = s.downcast_ref::<Forbidden>() {
            return ExecError::Tool(format!("refused destination: {f}"));
        }
        source = s.source();
    }
    // Connection refused, connect timeout, reset mid-answer: the endpoint is down for now.
    tracing::warn!(tool.host = %host, error = %e, "HTTP tool endpoint unreachable");
    ExecError::Unavailable {
        reason: format!("the tool's endpoint at {host} cannot be reached"),
        retry_after_secs: 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_need_the_host_listed_by_name() {
        let open = HostPolicy::default();
        assert!(open.check_addr("x", "127.0.0.1".parse().unwrap()).is_err());
        assert!(
            open.check_addr("x", "169.254.169.254".parse().unwrap())
                .is_err()
        );
        assert!(open.check_addr("x", "10.1.2.3".parse().unwrap()).is_err());
        assert!(
            open.check_addr("x", "::ffff:192.168.0.1".parse().unwrap())
                .is_err()
        );
        assert!(open.check_addr("x", "fd00::1".parse().unwrap()).is_err());
        assert!(
            open.check_addr("x", "93.184.216.34".parse().unwrap())
                .is_ok()
        );
        let listed = HostPolicy::new(vec!["localhost".into(), "*.corp.example".into()]);
        assert!(
            listed
                .check_addr("localhost", "127.0.0.1".parse().unwrap())
                .is_ok()
        );
        assert!(
            listed
                .check_addr("a.corp.example", "10.0.0.1".parse().unwrap())
                .is_err()
        );
        assert!(listed.host_allowed("a.corp.example"));
        assert!(!listed.host_allowed("evil.example"));
    }
}
