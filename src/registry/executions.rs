//! Reading the execution history: pages of a tool's runs, one run, and figures over a window.

use std::time::Duration;

use serde::Serialize;

use super::{RegistryError, RegistryService};
use crate::domain::Principal;
use crate::store::{HistoryFilter, StoredExecution};

/// A page of history, newest first.
#[derive(Debug, Serialize)]
pub struct ExecutionPage {
    pub items: Vec<StoredExecution>,
    /// Pass as `cursor` to get the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Call figures of one tool over a window.
#[derive(Debug, Serialize)]
pub struct ToolStats {
    pub tool_name: String,
    pub window_seconds: u64,
    pub calls: i64,
    pub successes: i64,
    pub failures: i64,
    /// `successes / calls`, absent when there were no calls.
    pub success_rate: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl RegistryService {
    /// A tool has history to show if it is registered or once was. A caller with a tool set
    /// sees the history of the registered tools in its set only (a deleted tool's category
    /// and tags are gone, so the set cannot be checked).
    async fn require_history_owner(
        &self,
        name: &str,
        who: &Principal,
    ) -> Result<(), RegistryError> {
        match self.store.get_tool(name).await? {
            Some(tool) => self.visible(who, tool).map(drop),
            None if who.tools.is_everything() && self.store.has_executions(name).await? => Ok(()),
            None => Err(RegistryError::NotFound(name.to_owned())),
        }
    }

    /// Up to `limit` runs of `name` older than `cursor`, newest first.
    pub async fn executions(
        &self,
        name: &str,
        filter: &HistoryFilter,
        cursor: Option<i64>,
        limit: u32,
        who: &Principal,
    ) -> Result<ExecutionPage, RegistryError> {
        self.require_history_owner(name, who).await?;
        let mut items = self
            .store
            .list_executions(name, filter, cursor, i64::from(limit) + 1)
            .await?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|e| e.id.to_string())
        } else {
            None
        };
        Ok(ExecutionPage { items, next_cursor })
    }

    /// One run by id; a run of a tool outside the caller's set is not found.
    pub async fn execution(
        &self,
        id: i64,
        who: &Principal,
    ) -> Result<StoredExecution, RegistryError> {
        let run = self
            .store
            .get_execution(id)
            .await?
            .ok_or(RegistryError::ExecutionNotFound(id))?;
        match self.require_history_owner(&run.tool_name, who).await {
            Ok(()) => Ok(run),
            Err(RegistryError::NotFound(_)) => Err(RegistryError::ExecutionNotFound(id)),
            Err(e) => Err(e),
        }
    }

    /// Calls, success rate and duration percentiles of `name` over the last `window`.
    pub async fn stats(
        &self,
        name: &str,
        window: Duration,
        who: &Principal,
    ) -> Result<ToolStats, RegistryError> {
        self.require_history_owner(name, who).await?;
        let s = self
            .store
            .execution_stats(name, window.as_secs() as i64)
            .await?;
        Ok(ToolStats {
            tool_name: name.to_owned(),
            window_seconds: window.as_secs(),
            calls: s.calls,
            successes: s.successes,
            failures: s.calls - s.successes,
            success_rate: (s.calls > 0).then(|| s.successes as f64 / s.calls as f64),
            p50_ms: s.p50_ms,
            p95_ms: s.p95_ms,
            p99_ms: s.p99_ms,
        })
    }
}
