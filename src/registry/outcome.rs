//! The error taxonomy of `call_tool`, shared by REST and MCP: one place says which outcome
//! class a failed call belongs to.
//!
//! - `Ok(CallOutcome { success: true, .. })`: the tool ran and answered.
//! - `Ok(CallOutcome { success: false, error_kind: Some(ToolError), .. })`: the tool ran and
//!   failed (REST: 200 with `success: false`; MCP: a result with `isError: true`).
//! - `Err(e)` where `e.call_error_kind()` is `Some(kind)`: the call did not produce a result for
//!   that reason (REST: the status `http::ApiError` maps it to; MCP: `isError: true`).
//! - `Err(e)` with `None`: the service itself failed (database, ...): REST 5xx, MCP error.

use serde::Serialize;

use super::RegistryError;
use crate::executor::ExecError;

/// Why a call did not succeed, as clients see it (`error_kind` in responses and history).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallErrorKind {
    /// The arguments break the tool's input schema (or its size bound); fix the call.
    InvalidArguments,
    /// The tool ran and failed, or its result broke its output schema.
    ToolError,
    /// The tool did not finish within its time limit.
    Timeout,
    /// The service is saturated or the tool's endpoint is down; retry later.
    Unavailable,
    /// No tool by that name.
    NotFound,
    /// The tool is registered for discovery only and has no executor.
    NotExecutable,
}

impl CallErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArguments => "invalid_arguments",
            Self::ToolError => "tool_error",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::NotFound => "not_found",
            Self::NotExecutable => "not_executable",
        }
    }

    /// Every kind, for parsing filters.
    pub const ALL: [CallErrorKind; 6] = [
        Self::InvalidArguments,
        Self::ToolError,
        Self::Timeout,
        Self::Unavailable,
        Self::NotFound,
        Self::NotExecutable,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the same call may succeed if simply retried later.
    pub fn retryable(self) -> bool {
        matches!(self, Self::Timeout | Self::Unavailable)
    }
}

impl std::fmt::Display for CallErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&ExecError> for CallErrorKind {
    fn from(e: &ExecError) -> Self {
        match e {
            ExecError::Tool(_) => Self::ToolError,
            ExecError::Timeout(_) => Self::Timeout,
            ExecError::NotExecutable(_) => Self::NotExecutable,
            ExecError::Unavailable { .. } => Self::Unavailable,
        }
    }
}

impl RegistryError {
    /// The call outcome class of this error, or `None` when the service itself failed.
    pub fn call_error_kind(&self) -> Option<CallErrorKind> {
        match self {
            RegistryError::NotFound(_) => Some(CallErrorKind::NotFound),
            RegistryError::InvalidArguments { .. } => Some(CallErrorKind::InvalidArguments),
            RegistryError::Exec(e) => Some(e.into()),
            _ => None,
        }
    }
}
