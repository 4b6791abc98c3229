//! Tools that run behind an HTTP endpoint: arguments are POSTed as JSON, the JSON answer is
//! the result. Outbound calls follow [`HostPolicy`]: the host and port must be allowed, every
//! address it resolves to is checked (in the DNS resolver, so the address checked is the one
//! connected to), and redirects are followed only within the endpoint's origin, so the tool's
//! headers (often secrets) never reach another server.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;

use super::ExecError;
use super::host_policy::{Forbidden, HostPolicy, check_redirect};
use crate::domain::HttpExecutorSpec;

/// Resolves names and drops the addresses the policy refuses.
struct PolicyResolver(Arc<HostPolicy>);

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let ok = policy.resolve(&host).await?;
            Ok(Box::new(ok.into_iter()) as Addrs)
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
        let checker = policy.clone();
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            match check_redirect(&checker, attempt.previous(), attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(refused),
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
        self.policy
            .check_url(&spec.url)
            .map_err(|e| ExecError::Tool(e.to_string()))?;
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
    use super::super::host_policy::{MAX_REDIRECTS, check_redirect};
    use super::*;
    use crate::domain::AllowedHost;

    fn url(u: &str) -> reqwest::Url {
        reqwest::Url::parse(u).unwrap()
    }

    #[test]
    fn redirects_are_followed_only_within_the_first_urls_origin() {
        let policy = HostPolicy::new(vec![AllowedHost::parse("tools.example").unwrap()]);
        let chain = [url("https://tools.example/run")];
        assert!(check_redirect(&policy, &chain, &url("https://tools.example/v2/run")).is_ok());
        for elsewhere in [
            "https://tools.example:8443/run",
            "http://tools.example/run",
            "https://other.example/run",
        ] {
            let refused = check_redirect(&policy, &chain, &url(elsewhere)).unwrap_err();
            assert!(refused.to_string().contains("same origin"), "{elsewhere}");
        }
    }

    #[test]
    fn a_redirect_target_is_checked_by_the_allow_list_and_address_guard() {
        let ported = HostPolicy::new(vec![AllowedHost::parse("tools.example:443").unwrap()]);
        let chain = [url("https://tools.example/run")];
        assert!(check_redirect(&ported, &chain, &url("https://tools.example/run")).is_ok());
        let chain = [url("http://10.0.0.1/run")];
        let refused =
            check_redirect(&HostPolicy::default(), &chain, &url("http://10.0.0.1/b")).unwrap_err();
        assert!(refused.to_string().contains("10.0.0.1"), "{refused}");
    }

    #[test]
    fn a_long_redirect_chain_is_cut() {
        let chain = vec![url("https://tools.example/run"); MAX_REDIRECTS + 1];
        let next = url("https://tools.example/run");
        assert!(check_redirect(&HostPolicy::default(), &chain, &next).is_err());
    }
}
