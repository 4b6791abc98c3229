//! Upstream MCP servers: registering them, and syncing their tools into the registry as
//! ordinary tools named `{namespace}__{tool}`.
//!
//! A sync lists the server's tools, converts each exposed one, and writes only what changed
//! through the bulk import path (embedding only tools whose text changed); tools the server
//! no longer lists are deleted (their history stays). A sync that fails writes nothing: the
//! previous tools stay, findable and listed, and the server is marked unhealthy (see
//! [`super::upstream_health`]).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::Utc;
use serde::Serialize;

use super::upstream_health::{ServerHealth, ServerStatus, SkippedTool};
use super::{RegistryError, RegistryService};
use crate::domain::{FieldError, NewServer, ServerPatch, Tool, UpstreamServer, upstream_of};

/// A server with its health.
#[derive(Debug, Clone, Serialize)]
pub struct ServerView {
    #[serde(flatten)]
    pub server: UpstreamServer,
    pub health: ServerHealth,
}

/// What a sync changed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncOutcome {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
    /// Texts sent to the embedder.
    pub embedded: usize,
    pub skipped: Vec<SkippedTool>,
}

impl RegistryService {
    /// Registers a server, then syncs it. A sync that fails leaves the server registered and
    /// unhealthy (its health says why); the next refresh tries again.
    #[tracing::instrument(skip_all, fields(upstream.server = %server.name))]
    pub async fn add_server(&self, server: NewServer) -> Result<ServerView, RegistryError> {
        self.check_server_destination(&server)?;
        if self.store.get_server(&server.name).await?.is_some() {
            return Err(RegistryError::ServerConflict(format!(
                "a server named {:?} is already registered; use PUT /servers/{} to change it",
                server.name, server.name
            )));
        }
        let stored = self.store.insert_server(&server).await?;
        let _ = self.sync_stored(&stored).await;
        self.server(&stored.name).await
    }

    /// A server with this replica's view of its health.
    pub async fn server(&self, name: &str) -> Result<ServerView, RegistryError> {
        let server = self.get_server(name).await?;
        Ok(ServerView {
            health: self.upstreams.health(&server.name),
            server,
        })
    }

    /// Every server, by name, with its health.
    pub async fn servers(&self) -> Result<Vec<ServerView>, RegistryError> {
        Ok(self
            .store
            .list_servers()
            .await?
            .into_iter()
            .map(|server| ServerView {
                health: self.upstreams.health(&server.name),
                server,
            })
            .collect())
    }

    /// Applies `patch` to a server (`"[redacted]"` header values keep the stored ones while
    /// the URL keeps its origin), then syncs it. A new namespace removes the tools registered
    /// under the old one first.
    #[tracing::instrument(skip(self, patch), fields(upstream.server = %name))]
    pub async fn update_server(
        &self,
        name: &str,
        patch: ServerPatch,
    ) -> Result<ServerView, RegistryError> {
        let current = self.get_server(name).await?;
        let base = current.to_new_server().ok_or_else(|| {
            RegistryError::ServerInvalid(vec![FieldError::new(
                "/url",
                "format",
                "the stored URL no longer parses; send a new `url`",
            )])
        })?;
        let updated = base
            .apply(patch, Some(&current))
            .map_err(RegistryError::ServerInvalid)?;
        self.check_server_destination(&updated)?;
        let stored = self
            .store
            .update_server(&updated)
            .await?
            .ok_or_else(|| RegistryError::ServerNotFound(name.to_owned()))?;
        self.executor.upstream().forget(name);
        if stored.namespace != current.namespace {
            self.remove_tools(
                &self
                    .store
                    .list_server_tools(name, &current.namespace)
                    .await?,
            )
            .await?;
        }
        let _ = self.sync_stored(&stored).await;
        self.server(name).await
    }

    /// Deletes a server and its tools (their history stays).
    #[tracing::instrument(skip(self), fields(upstream.server = %name))]
    pub async fn delete_server(&self, name: &str) -> Result<(), RegistryError> {
        if !self.store.delete_server(name).await? {
            return Err(RegistryError::ServerNotFound(name.to_owned()));
        }
        self.written().await;
        self.executor.upstream().forget(name);
        self.upstreams.forget(name);
        Ok(())
    }

    /// Syncs one server now; a failure is `UpstreamUnavailable` (and the server unhealthy).
    pub async fn sync_server(&self, name: &str) -> Result<SyncOutcome, RegistryError> {
        let server = self.get_server(name).await?;
        self.sync_stored(&server).await
    }

    /// Syncs every server whose refresh interval has passed since its last sync (or that
    /// this replica has not synced yet); for the refresh loop, which calls it every second.
    pub async fn sync_due(&self) {
        let servers = match self.store.list_servers().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the upstream servers; will retry");
                return;
            }
        };
        let now = Utc::now();
        for server in servers {
            let health = self.upstreams.health(&server.name);
            let due = match health.last_sync_at {
                None => true,
                Some(at) => (now - at).num_seconds() >= server.refresh_interval_s as i64,
            };
            if due && health.status != ServerStatus::Syncing {
                let _ = self.sync_stored(&server).await;
            }
        }
    }

    /// The server a tool comes from, and its state here; `None` for other tools.
    pub fn upstream_state(&self, tool: &Tool) -> Option<(String, ServerStatus)> {
        let (server, _) = upstream_of(&tool.config)?;
        Some((server.to_owned(), self.upstreams.health(server).status))
    }

    /// A call to one of the server's tools could not reach it: the server is unhealthy until
    /// a sync or a call gets through.
    pub(super) fn call_failed(&self, server: &str, error: &str, latency_ms: u64) {
        metrics::counter!("toolbox_upstream_calls_total", "server" => server.to_owned(), "outcome" => "unavailable").increment(1);
        self.upstreams.update(server, |h| {
            h.status = ServerStatus::Unhealthy;
            h.last_error = Some(error.to_owned());
            h.latency_ms = Some(latency_ms);
        });
    }

    /// A call reached the server (whatever the tool answered).
    pub(super) fn call_reached(&self, server: &str, outcome: &'static str) {
        metrics::counter!("toolbox_upstream_calls_total", "server" => server.to_owned(), "outcome" => outcome).increment(1);
        self.upstreams.update(server, |h| {
            if h.status == ServerStatus::Unhealthy {
                h.status = ServerStatus::Healthy;
                h.last_error = None;
            }
        });
    }

    pub(super) async fn get_server(&self, name: &str) -> Result<UpstreamServer, RegistryError> {
        self.store
            .get_server(name)
            .await?
            .ok_or_else(|| RegistryError::ServerNotFound(name.to_owned()))
    }

    /// The server's host and port must be allowed by `TOOL_HTTP_ALLOWED_HOSTS` (an IP literal
    /// is checked as an address too; names are checked as they resolve, at each connection).
    fn check_server_destination(&self, server: &NewServer) -> Result<(), RegistryError> {
        self.executor
            .upstream()
            .check_url(&server.url)
            .map_err(|why| {
                RegistryError::ServerInvalid(vec![FieldError::new("/url", "allowedHosts", why)])
            })
    }

    async fn sync_stored(&self, server: &UpstreamServer) -> Result<SyncOutcome, RegistryError> {
        let lock = self.upstreams.lock_for(&server.name);
        let _one_at_a_time = lock.lock().await;
        self.upstreams
            .update(&server.name, |h| h.status = ServerStatus::Syncing);
        let started = Instant::now();
        let result = self.sync_now(server).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        metrics::histogram!("toolbox_upstream_sync_seconds", "server" => server.name.clone())
            .record(started.elapsed().as_secs_f64());
        let outcome = if result.is_ok() { "success" } else { "error" };
        metrics::counter!("toolbox_upstream_syncs_total", "server" => server.name.clone(), "outcome" => outcome)
            .increment(1);
        let now = Utc::now();
        match &result {
            Ok(done) => {
                let count = done.added.len() + done.updated.len() + done.unchanged;
                metrics::gauge!("toolbox_upstream_tools", "server" => server.name.clone())
                    .set(count as f64);
                metrics::gauge!("toolbox_upstream_healthy", "server" => server.name.clone())
                    .set(1.0);
                tracing::info!(
                    upstream.server = %server.name,
                    sync.added = done.added.len(),
                    sync.updated = done.updated.len(),
                    sync.removed = done.removed.len(),
                    sync.skipped = done.skipped.len(),
                    sync.latency_ms = latency_ms,
                    "upstream synced"
                );
                self.upstreams.update(&server.name, |h| {
                    h.status = ServerStatus::Healthy;
                    h.last_sync_at = Some(now);
                    h.last_success_at = Some(now);
                    h.tool_count = count;
                    h.last_error = None;
                    h.latency_ms = Some(latency_ms);
                    h.skipped = done.skipped.clone();
                });
            }
            Err(e) => {
                metrics::gauge!("toolbox_upstream_healthy", "server" => server.name.clone())
                    .set(0.0);
                tracing::warn!(upstream.server = %server.name, error = %e, "upstream sync failed; its previous tools stay");
                self.upstreams.update(&server.name, |h| {
                    h.status = ServerStatus::Unhealthy;
                    h.last_sync_at = Some(now);
                    h.last_error = Some(e.to_string());
                    h.latency_ms = Some(latency_ms);
                });
            }
        }
        result
    }

    async fn sync_now(&self, server: &UpstreamServer) -> Result<SyncOutcome, RegistryError> {
        let listed = self
            .executor
            .upstream()
            .list_tools(server)
            .await
            .map_err(|e| RegistryError::UpstreamUnavailable {
                server: server.name.clone(),
                reason: e.to_string(),
            })?;
        let mut outcome = SyncOutcome::default();
        let mut wanted = Vec::new();
        let mut seen = HashSet::new();
        for tool in &listed {
            let Some(name) = tool.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            if !server.exposes(name) || !seen.insert(name.to_owned()) {
                continue;
            }
            match crate::upstream::tool_of(server, tool) {
                Ok(t) => wanted.push(t),
                Err(reason) => outcome.skipped.push(SkippedTool {
                    tool: name.to_owned(),
                    reason,
                }),
            }
        }
        let own: HashMap<String, Tool> = self
            .store
            .list_server_tools(&server.name, &server.namespace)
            .await?
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        let listed_names: HashSet<String> = wanted.iter().map(|t| t.name.to_string()).collect();
        let mut changed = Vec::new();
        for tool in wanted {
            let name = tool.name.to_string();
            match own.get(&name) {
                Some(stored) if stored.to_new_tool() == tool => outcome.unchanged += 1,
                Some(_) => {
                    outcome.updated.push(name);
                    changed.push(tool);
                }
                // A tool of that name registered otherwise (by hand, or by another server) is
                // never overwritten.
                None if self.store.get_tool(&name).await?.is_some() || self.is_builtin(&name) => {
                    outcome.skipped.push(SkippedTool {
                        tool: name.clone(),
                        reason: format!(
                            "a tool named {name:?} is already registered and does not come from \
                             this server"
                        ),
                    });
                }
                None => {
                    outcome.added.push(name);
                    changed.push(tool);
                }
            }
        }
        // Tools it no longer lists (or that no longer convert) go; their history stays.
        let gone: Vec<Tool> = own
            .into_values()
            .filter(|t| !listed_names.contains(&t.name))
            .collect();
        if !changed.is_empty() {
            let imported = self.import(changed, true).await?;
            outcome.embedded = imported.embedded;
        }
        outcome.removed = gone.iter().map(|t| t.name.clone()).collect();
        self.remove_tools(&gone).await?;
        Ok(outcome)
    }

    async fn remove_tools(&self, tools: &[Tool]) -> Result<(), RegistryError> {
        for tool in tools {
            self.store.delete_tool(&tool.name).await?;
        }
        if !tools.is_empty() {
            self.written().await;
        }
        Ok(())
    }
}
