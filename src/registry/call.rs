//! `RegistryService::call`: validate, run within limits, record, answer.

use std::time::Instant;

use serde_json::{Value, json};

use super::history::{bounded, bounded_text};
use super::{CallErrorKind, RegistryError, RegistryService};
use crate::domain::{Principal, Role, Tool, upstream_of};
use crate::executor::{ExecError, Violation, ViolationText, describe, validate_arguments};
use crate::store::ExecutionRecord;

/// Violations in a recorded error or a tool error: one line, `(arguments)` for the root.
const INLINE: ViolationText = ViolationText::Inline {
    root: "(arguments)",
};

/// Who is calling and under which request, for the checks and the history.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub request_id: Option<String>,
    /// Must hold the `call` role and see the tool; its id is recorded as the caller.
    pub principal: Principal,
}

impl Default for CallContext {
    /// A call by the operator (commands, tests): every tool, nothing recorded as the caller.
    fn default() -> Self {
        Self {
            request_id: None,
            principal: Principal::operator(),
        }
    }
}

/// The outcome of a call that reached the tool.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    pub success: bool,
    pub result: Option<Value>,
    pub error: Option<String>,
    /// `Some(ToolError)` when `success` is false.
    pub error_kind: Option<CallErrorKind>,
    pub duration_ms: u64,
    /// The history row's id (0 when logging is switched off for a benchmark, or when the row
    /// could not be written: the call is answered all the same).
    pub execution_id: i64,
}

/// What a finished call leaves in the history.
struct Run<'a> {
    tool: &'a Tool,
    input: &'a Value,
    started: Instant,
    ctx: &'a CallContext,
}

impl RegistryService {
    /// Validates `args` against the tool's input schema, runs it, and records the run.
    /// The execution row is committed before this returns.
    pub async fn call(&self, name: &str, args: Value) -> Result<CallOutcome, RegistryError> {
        self.call_with(name, args, &CallContext::default()).await
    }

    /// [`call`](Self::call) with the request's id and caller recorded in the history.
    #[tracing::instrument(skip(self, args, ctx), fields(tool.name = %name))]
    pub async fn call_with(
        &self,
        name: &str,
        args: Value,
        ctx: &CallContext,
    ) -> Result<CallOutcome, RegistryError> {
        self.require(&ctx.principal, Role::Call)?;
        let tool = self.get_for(name, &ctx.principal).await?;
        let run = Run {
            tool: &tool,
            input: &args,
            started: Instant::now(),
            ctx,
        };
        if let Err(violations) = self.check_arguments(&tool, &args) {
            let summary = describe(&violations, INLINE);
            let kind = CallErrorKind::InvalidArguments;
            self.record(
                &run,
                None,
                Some((kind, format!("invalid arguments: {summary}"))),
            )
            .await;
            return Err(RegistryError::InvalidArguments {
                tool: tool.name.clone(),
                violations,
            });
        }
        let result = match upstream_of(&tool.config) {
            Some((server, upstream_tool)) => {
                self.forward(&tool, server, upstream_tool, &args).await
            }
            None => self.executor.run(&tool, args.clone()).await,
        };
        let result = result.and_then(|v| check_output(&tool, v));
        match result {
            Ok(value) => {
                let id = self.record(&run, Some(&value), None).await;
                Ok(CallOutcome {
                    success: true,
                    result: Some(value),
                    error: None,
                    error_kind: None,
                    duration_ms: elapsed_ms(run.started),
                    execution_id: id,
                })
            }
            Err(ExecError::Tool(msg)) => {
                let kind = CallErrorKind::ToolError;
                let id = self.record(&run, None, Some((kind, msg.clone()))).await;
                Ok(CallOutcome {
                    success: false,
                    result: None,
                    error: Some(msg),
                    error_kind: Some(kind),
                    duration_ms: elapsed_ms(run.started),
                    execution_id: id,
                })
            }
            Err(e) => {
                let kind = CallErrorKind::from(&e);
                self.record(&run, None, Some((kind, e.to_string()))).await;
                Err(RegistryError::Exec(e))
            }
        }
    }

    /// Forwards a call to the upstream server the tool comes from, keeping the server's
    /// health: unreachable marks it unhealthy, an answer (even an error) healthy.
    async fn forward(
        &self,
        tool: &Tool,
        server: &str,
        upstream_tool: &str,
        args: &Value,
    ) -> Result<Value, ExecError> {
        let stored = match self.store.get_server(server).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Err(ExecError::Unavailable {
                    reason: format!("the upstream server {server:?} is no longer registered"),
                    retry_after_secs: 5,
                });
            }
            Err(e) => {
                return Err(ExecError::Unavailable {
                    reason: format!("the upstream server's settings cannot be read: {e}"),
                    retry_after_secs: 5,
                });
            }
        };
        let started = Instant::now();
        let result = self
            .executor
            .run_upstream(tool, &stored, upstream_tool, args.clone())
            .await;
        match &result {
            Ok(_) => self.call_reached(server, "success"),
            Err(ExecError::Tool(_)) => self.call_reached(server, "tool_error"),
            // A slow tool says nothing about the server's health; one it cannot reach does.
            Err(ExecError::Timeout(_)) => self.call_reached(server, "timeout"),
            Err(e @ ExecError::Unavailable { .. }) => {
                self.call_failed(server, &e.to_string(), elapsed_ms(started))
            }
            Err(ExecError::NotExecutable(_)) => {}
        }
        result
    }

    /// The arguments' size bound, then the tool's input schema.
    fn check_arguments(&self, tool: &Tool, args: &Value) -> Result<(), Vec<Violation>> {
        let max = self.limits.max_input_bytes;
        let size = serde_json::to_vec(args).map_or(0, |v| v.len());
        if size > max {
            return Err(vec![Violation {
                pointer: String::new(),
                rule: "maxBytes".into(),
                expected: json!(max),
                message: format!(
                    "the arguments are {size} bytes of JSON; at most {max} are accepted (TOOL_MAX_INPUT_BYTES)"
                ),
            }]);
        }
        validate_arguments(&tool.input_schema, args)
    }

    /// Writes the call's history row and returns its id, or 0 when it could not be written.
    ///
    /// Never an error: by now the tool has run (or the call was refused), and answering
    /// "retry" because of the log row would make a caller run the tool, and its side effects,
    /// a second time. The failure is logged here, once, and counted.
    async fn record(
        &self,
        run: &Run<'_>,
        output: Option<&Value>,
        failure: Option<(CallErrorKind, String)>,
    ) -> i64 {
        let outcome = if failure.is_none() {
            "success"
        } else {
            "error"
        };
        metrics::counter!("toolbox_tool_executions_total", "tool" => run.tool.name.clone(), "outcome" => outcome)
            .increment(1);
        let max = self.limits.log_max_bytes;
        let (error_kind, error) = match failure {
            // A tool's message may hold NUL, which PostgreSQL's text cannot: shown as U+FFFD.
            Some((k, msg)) => (
                Some(k.as_str().to_owned()),
                Some(bounded_text(msg.replace('\0', "\u{fffd}"), max)),
            ),
            None => (None, None),
        };
        let rec = ExecutionRecord {
            tool_id: Some(run.tool.id),
            tool_name: run.tool.name.clone(),
            input: bounded(run.input.clone(), max),
            success: error.is_none(),
            output: output.map(|v| bounded(v.clone(), max)),
            error,
            error_kind,
            duration_ms: elapsed_ms(run.started) as i64,
            request_id: run.ctx.request_id.clone(),
            caller: run.ctx.principal.id.clone(),
        };
        match self.log.record(rec).await {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(error = %e, tool.name = %run.tool.name, "the call was answered but its history row was not written");
                metrics::counter!("toolbox_history_write_failures_total", "tool" => run.tool.name.clone())
                    .increment(1);
                0
            }
        }
    }
}

/// A result that breaks the tool's `output_schema` is the tool's failure.
fn check_output(tool: &Tool, value: Value) -> Result<Value, ExecError> {
    let Some(schema) = &tool.output_schema else {
        return Ok(value);
    };
    match validate_arguments(schema, &value) {
        Ok(()) => Ok(value),
        Err(violations) => {
            let detail = describe(&violations, INLINE);
            Err(ExecError::Tool(format!(
                "the tool's result does not match its output_schema: {detail}"
            )))
        }
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    started.elapsed().as_millis() as u64
}
