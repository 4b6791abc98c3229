//! Upstream servers' health as this replica sees it (each replica syncs on its own schedule),
//! kept in memory: derived state, rebuilt by the next sync after a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A server's state as this replica last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    /// Not synced yet by this replica.
    Unknown,
    Syncing,
    Healthy,
    /// The last sync or call could not reach it; its tools stay, flagged in search results.
    Unhealthy,
}

/// A server's health, as `GET /servers/{name}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ServerHealth {
    pub status: ServerStatus,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// Tools registered from it by the last successful sync.
    pub tool_count: usize,
    pub last_error: Option<String>,
    /// How long the last sync took (listing and writing), or the last failed call.
    pub latency_ms: Option<u64>,
    /// Upstream tools the last sync could not register, each with the reason.
    pub skipped: Vec<SkippedTool>,
}

/// An upstream tool that is not registered, and why.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedTool {
    pub tool: String,
    pub reason: String,
}

impl Default for ServerHealth {
    fn default() -> Self {
        Self {
            status: ServerStatus::Unknown,
            last_sync_at: None,
            last_success_at: None,
            tool_count: 0,
            last_error: None,
            latency_ms: None,
            skipped: vec![],
        }
    }
}

/// Health by server, and one sync at a time per server.
#[derive(Clone, Default)]
pub struct Upstreams {
    health: Arc<Mutex<HashMap<String, ServerHealth>>>,
    syncing: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Upstreams {
    pub(super) fn health(&self, name: &str) -> ServerHealth {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    pub(super) fn update(&self, name: &str, f: impl FnOnce(&mut ServerHealth)) {
        let mut map = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        f(map.entry(name.to_owned()).or_default());
    }

    pub(super) fn forget(&self, name: &str) {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
    }

    pub(super) fn lock_for(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.syncing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(name.to_owned())
            .or_default()
            .clone()
    }
}
