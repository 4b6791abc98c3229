//! The client side of MCP: toolbox connecting to upstream MCP servers (Streamable HTTP, through
//! rmcp's client) to list their tools and forward calls to them.
//!
//! One connection (an initialized MCP session) per server is kept and shared by every call;
//! it is dropped on a transport failure or when the server's settings change, and the next
//! use connects again. Every wait has a deadline: connecting, listing and calling. Outbound
//! requests follow the same policy as HTTP tools (`TOOL_HTTP_ALLOWED_HOSTS`, non-public
//! addresses refused unless listed, redirects only within the origin): the client's DNS
//! resolver and redirect policy call [`HostPolicy`]. Header values are sent, never logged.

mod convert;
mod http;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest013 as reqwest;
use rmcp::model::{CallToolRequestParams, ClientConfig, SubscriptionFilter};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::Value;
use tokio::sync::mpsc;

pub use convert::{CallAnswer, answer_of, tool_of};

use crate::domain::UpstreamServer;
use crate::executor::{Forbidden, HostPolicy};
use http::{cause_chain, fingerprint};

/// Why an upstream operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The server could not be reached, or broke the connection: retry later.
    #[error("the upstream server {server:?} cannot be reached: {reason}")]
    Unreachable { server: String, reason: String },
    /// The destination is refused by the outbound policy.
    #[error("refused destination: {0}")]
    Refused(String),
    /// The server answered with a JSON-RPC error or something that is not MCP.
    #[error("the upstream server {server:?} answered with an error: {reason}")]
    Protocol { server: String, reason: String },
    /// No answer within the deadline.
    #[error("the upstream server {server:?} did not answer within {} ms", .after.as_millis())]
    Timeout { server: String, after: Duration },
}

/// Told when a server announces that its tool set changed.
pub type ChangeSender = mpsc::UnboundedSender<String>;

/// Connections to upstream servers, one per server.
#[derive(Clone)]
pub struct UpstreamClient {
    http: reqwest::Client,
    policy: Arc<HostPolicy>,
    connections: Arc<Mutex<HashMap<String, Arc<Connection>>>>,
    changes: ChangeSender,
    /// Deadline for connecting (the MCP handshake) and for listing tools.
    timeout: Duration,
}

struct Connection {
    /// The settings it was made with: a changed URL or header drops it.
    fingerprint: String,
    service: RunningService<RoleClient, Listener>,
}

/// The client handler: turns `notifications/tools/list_changed` into a sync request.
struct Listener {
    server: String,
    changes: ChangeSender,
}

impl ClientHandler for Listener {
    async fn on_tool_list_changed(&self, _: NotificationContext<RoleClient>) {
        tracing::info!(upstream.server = %self.server, "upstream announced a changed tool list");
        let _ = self.changes.send(self.server.clone());
    }

    fn get_info(&self) -> ClientConfig {
        let mut info = ClientConfig::default();
        info.client_info.name = "toolbox".into();
        info.client_info.version = env!("CARGO_PKG_VERSION").into();
        info
    }
}

impl UpstreamClient {
    /// A client following `policy`, waiting at most `timeout` to connect or list; `changes`
    /// receives the name of each server that announces a changed tool list.
    pub fn new(policy: HostPolicy, timeout: Duration, changes: ChangeSender) -> Self {
        let policy = Arc::new(policy);
        let http = http::client(policy.clone(), timeout);
        Self {
            http,
            policy,
            connections: Arc::default(),
            changes,
            timeout,
        }
    }

    /// Whether the outbound policy allows the server's host and port at all.
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), String> {
        self.policy.check_url(url).map_err(|e| e.to_string())
    }

    /// Every tool the server lists, following `nextCursor`.
    pub async fn list_tools(&self, server: &UpstreamServer) -> Result<Vec<Value>, UpstreamError> {
        let conn = self.connection(server).await?;
        let listed = tokio::time::timeout(self.timeout, conn.service.list_all_tools()).await;
        match listed {
            Err(_) => {
                self.forget(&server.name);
                Err(UpstreamError::Timeout {
                    server: server.name.clone(),
                    after: self.timeout,
                })
            }
            Ok(Err(e)) => Err(self.failed(server, e)),
            Ok(Ok(tools)) => Ok(tools
                .into_iter()
                .filter_map(|t| serde_json::to_value(t).ok())
                .collect()),
        }
    }

    /// Forwards `tools/call`; the caller bounds the time.
    pub async fn call(
        &self,
        server: &UpstreamServer,
        tool: &str,
        args: Value,
    ) -> Result<Value, UpstreamError> {
        let conn = self.connection(server).await?;
        let mut params = CallToolRequestParams::new(tool.to_owned());
        if let Value::Object(map) = args {
            params = params.with_arguments(map);
        }
        match conn.service.call_tool(params).await {
            Ok(result) => serde_json::to_value(result).map_err(|e| UpstreamError::Protocol {
                server: server.name.clone(),
                reason: e.to_string(),
            }),
            Err(e) => Err(self.failed(server, e)),
        }
    }

    /// Drops the server's connection (its settings changed, or it was deleted).
    pub fn forget(&self, server: &str) {
        let gone = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(server);
        if let Some(conn) = gone {
            // Closing says goodbye to the server (a DELETE of the session): not waited for.
            tokio::spawn(async move {
                if let Ok(conn) = Arc::try_unwrap(conn) {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(2), conn.service.cancel()).await;
                }
            });
        }
    }

    /// The live connection to `server`, connecting when there is none.
    async fn connection(&self, server: &UpstreamServer) -> Result<Arc<Connection>, UpstreamError> {
        let fingerprint = fingerprint(server);
        let cached = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&server.name)
            .cloned();
        if let Some(conn) = cached {
            if conn.fingerprint == fingerprint && !conn.service.is_transport_closed() {
                return Ok(conn);
            }
            self.forget(&server.name);
        }
        let connect = self.connect(server, fingerprint);
        let conn = match tokio::time::timeout(self.timeout, connect).await {
            Ok(conn) => Arc::new(conn?),
            Err(_) => {
                return Err(UpstreamError::Timeout {
                    server: server.name.clone(),
                    after: self.timeout,
                });
            }
        };
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(server.name.clone(), conn.clone());
        Ok(conn)
    }

    async fn connect(
        &self,
        server: &UpstreamServer,
        fingerprint: String,
    ) -> Result<Connection, UpstreamError> {
        let url =
            reqwest::Url::parse(&server.url).map_err(|e| UpstreamError::Refused(e.to_string()))?;
        self.policy
            .check_url(&url)
            .map_err(|e| UpstreamError::Refused(e.to_string()))?;
        // Resolved once here to say clearly why a name is refused (the client's resolver
        // checks again the addresses it connects to; rmcp's errors do not carry the cause).
        if let Some(host) = url.host_str().filter(|h| {
            h.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_err()
        }) {
            if let Err(e) = self.policy.resolve(host).await {
                return Err(match e.downcast_ref::<Forbidden>() {
                    Some(f) => UpstreamError::Refused(f.to_string()),
                    None => UpstreamError::Unreachable {
                        server: server.name.clone(),
                        reason: format!("cannot resolve {host}: {e}"),
                    },
                });
            }
        }
        let mut headers = HashMap::new();
        for (name, value) in &server.headers {
            let (Ok(n), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(name.as_bytes()),
                reqwest::header::HeaderValue::from_str(value),
            ) else {
                continue;
            };
            let mut v = v;
            v.set_sensitive(true);
            headers.insert(n, v);
        }
        let config = StreamableHttpClientTransportConfig::with_uri(server.url.clone())
            .custom_headers(headers)
            .reinit_on_expired_session(true);
        let transport = StreamableHttpClientTransport::with_client(self.http.clone(), config);
        let listener = Listener {
            server: server.name.clone(),
            changes: self.changes.clone(),
        };
        let service = match tokio::time::timeout(self.timeout, listener.serve(transport)).await {
            Err(_) => {
                return Err(UpstreamError::Timeout {
                    server: server.name.clone(),
                    after: self.timeout,
                });
            }
            Ok(Err(e)) => {
                return Err(UpstreamError::Unreachable {
                    server: server.name.clone(),
                    reason: cause_chain(&e, server),
                });
            }
            Ok(Ok(s)) => s,
        };
        self.subscribe(server, &service);
        Ok(Connection {
            fingerprint,
            service,
        })
    }

    /// On a 2026-07-28 connection, change notifications come on a subscription the client
    /// opens; earlier revisions send them on the session's stream (to [`Listener`]).
    fn subscribe(&self, server: &UpstreamServer, service: &RunningService<RoleClient, Listener>) {
        let peer = service.peer().clone();
        let changes = self.changes.clone();
        let name = server.name.clone();
        tokio::spawn(async move {
            let filter = SubscriptionFilter::builder().tools_list_changed().build();
            let Ok(mut sub) = peer.listen(filter).await else {
                return;
            };
            while let Ok(Some(_)) = sub.next().await {
                let _ = changes.send(name.clone());
            }
        });
    }

    /// Sorts a failed request: a JSON-RPC error is the server's answer; anything else means
    /// the connection is unusable, so it is dropped and the next use reconnects.
    fn failed(&self, server: &UpstreamServer, e: rmcp::ServiceError) -> UpstreamError {
        match e {
            rmcp::ServiceError::McpError(data) => UpstreamError::Protocol {
                server: server.name.clone(),
                reason: data.message.to_string(),
            },
            other => {
                self.forget(&server.name);
                let reason = cause_chain(&other, server);
                if reason.starts_with("refused destination") {
                    UpstreamError::Refused(reason)
                } else {
                    UpstreamError::Unreachable {
                        server: server.name.clone(),
                        reason,
                    }
                }
            }
        }
    }
}
