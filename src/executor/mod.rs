//! Running tools: argument validation, the built-in tools, HTTP-backed tools, and the limits
//! around a run.
//!
//! Built-in tools are synchronous, CPU-bound functions; they run on the blocking pool so a
//! slow call cannot stall the async workers. A blocking task cannot be cancelled, so a run's
//! slot (one of `MAX_CONCURRENT_EXECUTIONS`) is held by the task itself until it really ends:
//! a timed-out built-in still counts against the limit, and the blocking pool stays bounded.

#[cfg(test)]
mod bounds_fuzz;
mod calculator;
mod data_transform;
mod host_policy;
mod http_tool;
mod string_utils;
mod validate;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

pub use host_policy::{Forbidden, HostPolicy, check_redirect};
pub use validate::{Violation, ViolationText, describe, validate_arguments};

use crate::config::ExecutionConfig;
use crate::domain::{NewTool, Tool, UpstreamServer, config_timeout, http_executor};
use crate::upstream::{CallAnswer, UpstreamClient, UpstreamError, answer_of};
use http_tool::HttpRunner;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The tool ran and reported a failure (bad operand, malformed input, ...).
    #[error("{0}")]
    Tool(String),
    /// The tool did not finish within its time limit.
    #[error("the tool did not finish within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The tool has no implementation in this service.
    #[error("tool {0:?} has no executor: it is registered for discovery only")]
    NotExecutable(String),
    /// The run could not start or reach its endpoint; retrying later may succeed.
    #[error("{reason}")]
    Unavailable {
        reason: String,
        retry_after_secs: u64,
    },
}

/// A tool built into the service.
pub trait BuiltinTool: Send + Sync {
    /// The definition registered for the tool at startup.
    fn definition(&self) -> NewTool;
    /// Runs the tool on arguments already validated against its input schema, refusing as
    /// soon as its result would pass `bound`.
    fn run(&self, args: &Value, bound: OutputBound) -> Result<Value, String>;
}

/// Table cells (CSV fields, JSON object entries) one result may hold: a small request must
/// not become millions of allocations even when each of them is a few bytes.
pub const MAX_CELLS: usize = 250_000;

/// What one built-in run may produce. The tools check it *while* they build their result (a
/// replaced length is computed before allocating, rows are counted as they are emitted), so
/// input that would amplify into gigabytes is refused after a little work, never by the
/// allocator aborting the process.
#[derive(Debug, Clone, Copy)]
pub struct OutputBound {
    /// Bytes of the result as JSON (`TOOL_MAX_OUTPUT_BYTES`).
    pub max_bytes: usize,
    pub max_cells: usize,
}

impl OutputBound {
    /// Refuses a result that would take `bytes` bytes of JSON.
    fn bytes(&self, bytes: usize) -> Result<(), String> {
        if bytes > self.max_bytes {
            Err(format!(
                "the result would be over {} bytes (TOOL_MAX_OUTPUT_BYTES); it was stopped at \
                 {bytes} bytes",
                self.max_bytes
            ))
        } else {
            Ok(())
        }
    }

    /// Refuses a result of `cells` table cells.
    fn cells(&self, cells: usize) -> Result<(), String> {
        if cells > self.max_cells {
            Err(format!(
                "the result would hold over {} cells (rows times columns); it was stopped at \
                 {cells}",
                self.max_cells
            ))
        } else {
            Ok(())
        }
    }
}

/// The length of `s` as a JSON string, quotes and escapes included (as serde_json writes it).
fn json_str_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..0x20 => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Finds and runs tool implementations.
#[derive(Clone)]
pub struct Executor {
    builtins: Arc<HashMap<String, Arc<dyn BuiltinTool>>>,
    default_timeout: Duration,
    slots: Arc<Semaphore>,
    max_slots: usize,
    queue_wait: Duration,
    max_output: usize,
    http: HttpRunner,
    upstream: UpstreamClient,
    /// Names of upstream servers that announced a changed tool list, for the one task that
    /// takes it (`app`'s refresh loop).
    upstream_changes: Arc<std::sync::Mutex<Option<mpsc::UnboundedReceiver<String>>>>,
}

impl Executor {
    pub fn new(default_timeout: Duration, limits: &ExecutionConfig) -> Self {
        let tools: Vec<Arc<dyn BuiltinTool>> = vec![
            Arc::new(calculator::Calculator),
            Arc::new(string_utils::StringUtils),
            Arc::new(data_transform::DataTransform),
        ];
        Self::with_tools(tools, default_timeout, limits)
    }

    fn with_tools(
        tools: Vec<Arc<dyn BuiltinTool>>,
        default_timeout: Duration,
        limits: &ExecutionConfig,
    ) -> Self {
        let builtins = tools
            .into_iter()
            .map(|t| (t.definition().name.as_str().to_owned(), t))
            .collect();
        let policy = HostPolicy::new(limits.http_allowed_hosts.clone());
        let (changed, upstream_changes) = mpsc::unbounded_channel();
        Self {
            upstream: UpstreamClient::new(policy.clone(), limits.upstream_timeout, changed),
            upstream_changes: Arc::new(std::sync::Mutex::new(Some(upstream_changes))),
            builtins: Arc::new(builtins),
            default_timeout,
            slots: Arc::new(Semaphore::new(limits.max_concurrent)),
            max_slots: limits.max_concurrent,
            queue_wait: limits.queue_wait,
            max_output: limits.max_output_bytes,
            http: HttpRunner::new(policy, limits.max_output_bytes),
        }
    }

    /// Whether HTTP tools may call `host` on `port` (`TOOL_HTTP_ALLOWED_HOSTS`; addresses
    /// are checked when connecting).
    pub fn host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.http.policy().host_allowed(host, port)
    }

    /// The client of upstream MCP servers (listing their tools, for the registry's sync).
    pub fn upstream(&self) -> &UpstreamClient {
        &self.upstream
    }

    /// The stream of servers that announced a changed tool list; `None` once taken.
    pub fn take_upstream_changes(&self) -> Option<mpsc::UnboundedReceiver<String>> {
        self.upstream_changes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// One of the execution slots, waiting at most `EXECUTION_QUEUE_WAIT_MS`.
    async fn slot(&self) -> Result<OwnedSemaphorePermit, ExecError> {
        match tokio::time::timeout(self.queue_wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            _ => Err(ExecError::Unavailable {
                reason: format!(
                    "all {} execution slots are busy (MAX_CONCURRENT_EXECUTIONS); retry shortly",
                    self.max_slots
                ),
                retry_after_secs: 1,
            }),
        }
    }

    /// Forwards a call of an upstream server's tool `upstream_tool` (arguments already
    /// validated), in an execution slot and within the tool's time limit (`config.timeout_ms`,
    /// else `TOOL_TIMEOUT_MS`). `isError: true` is the tool's failure; an unreachable server is
    /// `Unavailable`.
    pub async fn run_upstream(
        &self,
        tool: &Tool,
        server: &UpstreamServer,
        upstream_tool: &str,
        args: Value,
    ) -> Result<Value, ExecError> {
        let limit = config_timeout(&tool.config).unwrap_or(self.default_timeout);
        let _slot = self.slot().await?;
        let call = self.upstream.call(server, upstream_tool, args);
        let answer = match tokio::time::timeout(limit, call).await {
            Err(_) => return Err(ExecError::Timeout(limit)),
            Ok(Err(e)) => return Err(upstream_error(e, limit)),
            Ok(Ok(answer)) => answer,
        };
        match answer_of(&answer) {
            CallAnswer::ToolError(msg) => Err(ExecError::Tool(msg)),
            CallAnswer::Success(value) => self.bounded(value),
        }
    }

    /// A result within `TOOL_MAX_OUTPUT_BYTES`, else the tool's failure.
    fn bounded(&self, value: Value) -> Result<Value, ExecError> {
        let size = serde_json::to_vec(&value).map_or(0, |v| v.len());
        if size > self.max_output {
            return Err(ExecError::Tool(format!(
                "the tool's result is {size} bytes, over the {} byte limit (TOOL_MAX_OUTPUT_BYTES)",
                self.max_output
            )));
        }
        Ok(value)
    }

    /// Definitions of the built-in tools, registered at startup.
    pub fn builtin_definitions(&self) -> Vec<NewTool> {
        let mut defs: Vec<NewTool> = self.builtins.values().map(|t| t.definition()).collect();
        defs.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        defs
    }

    /// Runs `tool` with `args` (already validated), within its time limit: the executor's
    /// `timeout_ms`, else the tool's `config.timeout_ms`, else `TOOL_TIMEOUT_MS`.
    pub async fn run(&self, tool: &Tool, args: Value) -> Result<Value, ExecError> {
        let builtin = self.builtins.get(&tool.name).cloned();
        let spec = match http_executor(&tool.config) {
            Ok(spec) => spec,
            Err(errors) => {
                let what: Vec<String> = errors.into_iter().map(|e| e.pointer).collect();
                return Err(ExecError::Tool(format!(
                    "the tool's stored config is invalid at {}",
                    what.join(", ")
                )));
            }
        };
        if builtin.is_none() && spec.is_none() {
            return Err(ExecError::NotExecutable(tool.name.clone()));
        }
        let limit = spec
            .as_ref()
            .and_then(|s| s.timeout)
            .or_else(|| config_timeout(&tool.config))
            .unwrap_or(self.default_timeout);
        let permit = self.slot().await?;
        let value = match (builtin, spec) {
            (Some(tool), _) => {
                // The permit moves into the task: it is released when the work really stops.
                let bound = OutputBound {
                    max_bytes: self.max_output,
                    max_cells: MAX_CELLS,
                };
                let task = tokio::task::spawn_blocking(move || {
                    let _slot = permit;
                    tool.run(&args, bound)
                });
                match tokio::time::timeout(limit, task).await {
                    Err(_) => return Err(ExecError::Timeout(limit)),
                    Ok(Err(join)) => {
                        return Err(ExecError::Tool(format!("the tool crashed: {join}")));
                    }
                    Ok(Ok(result)) => result.map_err(ExecError::Tool)?,
                }
            }
            (None, Some(spec)) => {
                let _slot = permit;
                match tokio::time::timeout(limit, self.http.call(&spec, &args)).await {
                    Err(_) => return Err(ExecError::Timeout(limit)),
                    Ok(result) => result?,
                }
            }
            (None, None) => return Err(ExecError::NotExecutable(tool.name.clone())),
        };
        self.bounded(value)
    }
}

/// An upstream failure in the call taxonomy: unreachable is `Unavailable` (retry later); a
/// refused destination or a JSON-RPC error is the tool's failure.
fn upstream_error(e: UpstreamError, limit: Duration) -> ExecError {
    match e {
        UpstreamError::Unreachable { .. } => ExecError::Unavailable {
            reason: e.to_string(),
            retry_after_secs: 5,
        },
        UpstreamError::Timeout { .. } => ExecError::Timeout(limit),
        UpstreamError::Refused(_) | UpstreamError::Protocol { .. } => {
            ExecError::Tool(e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ToolName;
    use serde_json::json;
    use std::sync::Mutex;
    use std::sync::mpsc;

    /// A built-in that blocks until the test releases it.
    struct Stuck(Mutex<mpsc::Receiver<()>>);

    impl BuiltinTool for Stuck {
        fn definition(&self) -> NewTool {
            NewTool {
                name: ToolName::parse("stuck").unwrap(),
                description: "blocks".into(),
                long_description: None,
                category: "test".into(),
                tags: vec![],
                examples: vec![],
                input_schema: json!({"type": "object"}),
                output_schema: None,
                version: "1".into(),
                author: None,
                config: json!({}),
            }
        }
        fn run(&self, _: &Value, _: OutputBound) -> Result<Value, String> {
            let _ = self.0.lock().unwrap().recv();
            value(1)
        }
    }

    #[tokio::test]
    async fn a_timed_out_builtin_keeps_its_slot_until_it_really_ends() {
        let (release, rx) = mpsc::channel();
        let limits = crate::Config::from_map(&Default::default())
            .unwrap()
            .execution;
        let limits = ExecutionConfig {
            max_concurrent: 1,
            queue_wait: Duration::from_millis(10),
            ..limits
        };
        let exec = Executor::with_tools(
            vec![Arc::new(Stuck(Mutex::new(rx)))],
            Duration::from_millis(50),
            &limits,
        );
        let tool = crate::domain::Tool {
            id: 1,
            name: "stuck".into(),
            description: String::new(),
            long_description: None,
            category: String::new(),
            tags: vec![],
            examples: vec![],
            input_schema: json!({}),
            output_schema: None,
            version: String::new(),
            author: None,
            config: json!({}),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let first = exec.run(&tool, json!({})).await;
        assert!(matches!(first, Err(ExecError::Timeout(_))), "{first:?}");
        // The blocked task still holds the only slot: the next call is turned away.
        let second = exec.run(&tool, json!({})).await;
        assert!(
            matches!(second, Err(ExecError::Unavailable { .. })),
            "{second:?}"
        );
        release.send(()).unwrap();
        release.send(()).unwrap();
        loop {
            match exec.run(&tool, json!({})).await {
                Ok(v) => break assert_eq!(v, json!({"value": 1})),
                Err(ExecError::Unavailable { .. }) => tokio::task::yield_now().await,
                Err(e) => panic!("{e}"),
            }
        }
    }
}
