//! Errors of the registry's use cases. `http::problem` maps them to problem+json.

use crate::domain::{FieldError, Role};
use crate::embedding::EmbeddingError;
use crate::executor::{ExecError, Violation};
use crate::store::StoreError;

use super::LogError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("no tool named {0:?}")]
    NotFound(String),
    #[error("a tool named {0:?} already exists")]
    Conflict(String),
    #[error("{0:?} is a built-in tool and cannot be changed or deleted")]
    Builtin(String),
    #[error("invalid tool definition")]
    Invalid(Vec<FieldError>),
    /// An import names tools that exist (without `upsert`) or are built in: each by pointer.
    #[error("the import conflicts with registered tools")]
    ImportConflicts(Vec<FieldError>),
    #[error("invalid arguments for tool {tool:?}")]
    InvalidArguments {
        tool: String,
        violations: Vec<Violation>,
    },
    #[error(transparent)]
    Embedding(#[from] EmbeddingError),
    /// The database could not be reached in time: worth retrying shortly.
    #[error(transparent)]
    DatabaseUnavailable(StoreError),
    /// Any other store failure.
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Exec(ExecError),
    /// The call's history row could not be committed, so no answer is given.
    #[error(transparent)]
    History(#[from] LogError),
    /// The search index has not been built yet (startup, or the store is down since).
    #[error("the search index is not built yet")]
    IndexNotReady,
    /// The search index refused a change (a defect, not the caller's).
    #[error("search index: {0}")]
    Index(String),
    #[error("no upstream server named {0:?}")]
    ServerNotFound(String),
    /// A server's name or namespace is taken (the message says which).
    #[error("{0}")]
    ServerConflict(String),
    #[error("invalid server definition")]
    ServerInvalid(Vec<FieldError>),
    /// The upstream server could not be synced (unreachable, refused, not MCP, too slow).
    #[error("upstream server {server:?}: {reason}")]
    UpstreamUnavailable { server: String, reason: String },
    /// No execution with this id.
    #[error("no execution with id {0}")]
    ExecutionNotFound(i64),
    /// The caller's role does not include what the use case needs.
    #[error("this needs the `{}` role; the caller has `{}`", needed.as_str(), has.as_str())]
    Forbidden { needed: Role, has: Role },
    #[error("invalid key definition")]
    KeyInvalid(Vec<FieldError>),
    /// Keys cannot be made on a registry that checks none.
    #[error("API keys are not checked on this registry")]
    KeysNeedAuth,
    #[error("no active key with id {0:?}")]
    KeyNotFound(String),
    /// A presented key could not be checked: the database did not answer.
    #[error("the key could not be checked: {0}")]
    KeyStoreUnavailable(String),
}

impl From<StoreError> for RegistryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(name) => RegistryError::Conflict(name),
            StoreError::ServerConflict(why) => RegistryError::ServerConflict(why),
            e @ StoreError::Unavailable(_) => RegistryError::DatabaseUnavailable(e),
            other => RegistryError::Store(other),
        }
    }
}
