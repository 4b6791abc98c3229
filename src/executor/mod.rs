//! Running tools: argument validation, the built-in tools, and the limits around a run.
//!
//! Built-in tools are synchronous, CPU-bound functions; they run on the blocking pool so a
//! slow call cannot stall the async workers.

mod calculator;
mod data_transform;
mod string_utils;
mod validate;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use validate::{Violation, validate_arguments};

use crate::domain::NewTool;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The tool ran and reported a failure (bad operand, malformed input, ...).
    #[error("{0}")]
    Tool(String),
    /// The tool did not finish within its time limit.
    #[error("the tool did not finish within {0:?}")]
    Timeout(Duration),
    /// The tool has no implementation in this service.
    #[error("tool {0:?} has no executor: it is registered for discovery only")]
    NotExecutable(String),
}

/// A tool built into the service.
pub trait BuiltinTool: Send + Sync {
    /// The definition registered for the tool at startup.
    fn definition(&self) -> NewTool;
    /// Runs the tool on arguments already validated against its input schema.
    fn run(&self, args: &Value) -> Result<Value, String>;
}

/// Finds and runs tool implementations.
#[derive(Clone)]
pub struct Executor {
    builtins: Arc<HashMap<String, Arc<dyn BuiltinTool>>>,
    default_timeout: Duration,
}

impl Executor {
    pub fn new(default_timeout: Duration) -> Self {
        let tools: Vec<Arc<dyn BuiltinTool>> = vec![
            Arc::new(calculator::Calculator),
            Arc::new(string_utils::StringUtils),
            Arc::new(data_transform::DataTransform),
        ];
        let builtins = tools
            .into_iter()
            .map(|t| (t.definition().name.as_str().to_owned(), t))
            .collect();
        Self {
            builtins: Arc::new(builtins),
            default_timeout,
        }
    }

    /// Definitions of the built-in tools, registered at startup.
    pub fn builtin_definitions(&self) -> Vec<NewTool> {
        let mut defs: Vec<NewTool> = self.builtins.values().map(|t| t.definition()).collect();
        defs.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        defs
    }

    /// Runs tool `name` with `args`, within `timeout` (the tool's own, or the default).
    pub async fn run(
        &self,
        name: &str,
        args: Value,
        timeout: Option<Duration>,
    ) -> Result<Value, ExecError> {
        let Some(tool) = self.builtins.get(name).cloned() else {
            return Err(ExecError::NotExecutable(name.to_owned()));
        };
        let limit = timeout.unwrap_or(self.default_timeout);
        let task = tokio::task::spawn_blocking(move || tool.run(&args));
        match tokio::time::timeout(limit, task).await {
            Err(_) => Err(ExecError::Timeout(limit)),
            Ok(Err(join)) => Err(ExecError::Tool(format!("the tool crashed: {join}"))),
            Ok(Ok(result)) => result.map_err(ExecError::Tool),
        }
    }
}

/// The `{"value": ...}` result every built-in returns.
fn value(v: impl Into<Value>) -> Result<Value, String> {
    Ok(serde_json::json!({ "value": v.into() }))
}

/// Reads a required string argument (presence is guaranteed by the schema, but a tool never
/// trusts that enough to panic).
fn str_arg<'a>(args: &'a Value, key: &str) -> Result<&'a str, String> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{key}` must be a string"))
}

fn num_arg(args: &Value, key: &str) -> Result<f64, String> {
    args.get(key)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("`{key}` must be a number"))
}
