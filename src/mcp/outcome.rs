//! The one mapping from the outcome of a registry call to MCP: a `CallToolResult` (with
//! `isError: true` for everything a model can act on) or, only for protocol problems, a
//! JSON-RPC error.

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;

use crate::executor::{ExecError, ViolationText, describe};
use crate::registry::{CallOutcome, RegistryError};

/// How an unknown tool name is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownTool {
    /// `tools/call` named a tool this server does not have: a protocol error (-32602), as the
    /// spec prescribes, since the client asked for something it was never offered.
    ProtocolError,
    /// The `call_tool` meta-tool was given a name the model chose: a tool error the model
    /// can read and correct (e.g. by calling `find_tool`).
    ToolError,
}

/// Maps the result of [`crate::registry::RegistryService::call`] for tool `name`.
/// `structured` says whether the tool declares an output schema: its result then goes in
/// `structuredContent`, with a text rendering beside it for clients that only read text.
pub fn call_result(
    name: &str,
    result: Result<CallOutcome, RegistryError>,
    structured: bool,
    unknown: UnknownTool,
) -> Result<CallToolResult, ErrorData> {
    match result {
        Ok(CallOutcome {
            success: true,
            result,
            ..
        }) => {
            let value = result.unwrap_or(Value::Null);
            let text = serde_json::to_string_pretty(&value).unwrap_or_default();
            let mut out = CallToolResult::success(vec![ContentBlock::text(text)]);
            if structured {
                out.structured_content = Some(value);
            }
            Ok(out)
        }
        Ok(CallOutcome { error, .. }) => Ok(tool_error(format!(
            "Tool {name:?} failed: {}",
            error.unwrap_or_else(|| "no reason given".into())
        ))),
        Err(RegistryError::InvalidArguments { violations, .. }) => Ok(tool_error(format!(
            "Invalid arguments for tool {name:?}:\n{}\nFix these and call again; the tool's inputSchema says what it accepts.",
            describe(&violations, ViolationText::Lines { rule: true })
        ))),
        Err(RegistryError::NotFound(_)) => match unknown {
            UnknownTool::ProtocolError => Err(ErrorData::invalid_params(
                format!("Unknown tool: {name}"),
                None,
            )),
            UnknownTool::ToolError => Ok(tool_error(format!(
                "No tool named {name:?} is registered. Use find_tool to search for the right tool by describing the task."
            ))),
        },
        Err(RegistryError::Exec(ExecError::Timeout(limit))) => Ok(tool_error(format!(
            "Tool {name:?} did not finish within {:.1}s and was stopped. Try smaller input, or try again later.",
            limit.as_secs_f64()
        ))),
        Err(RegistryError::Exec(ExecError::NotExecutable(_))) => Ok(tool_error(format!(
            "Tool {name:?} is registered for discovery only: this server cannot run it."
        ))),
        Err(RegistryError::Exec(ExecError::Tool(msg))) => {
            Ok(tool_error(format!("Tool {name:?} failed: {msg}")))
        }
        Err(RegistryError::Exec(ExecError::Unavailable {
            reason,
            retry_after_secs,
        })) => Ok(tool_error(format!(
            "Tool {name:?} is unavailable right now ({reason}); try again in {retry_after_secs}s."
        ))),
        Err(RegistryError::History(e)) => {
            tracing::warn!(error = %e, tool.name = name, "tool call failed: execution log unavailable");
            Ok(tool_error(
                "The call could not be recorded, so it was not confirmed; try again shortly."
                    .into(),
            ))
        }
        Err(RegistryError::Forbidden { needed, has }) => Ok(tool_error(format!(
            "Calling tools needs the `{}` role; these credentials have `{}`. Ask the registry's operator for a key with the `{}` role.",
            needed.as_str(),
            has.as_str(),
            needed.as_str()
        ))),
        Err(RegistryError::DatabaseUnavailable(e)) => {
            tracing::warn!(error = %e, tool.name = name, "tool call failed: database unavailable");
            Ok(tool_error(
                "The tool registry's database is unavailable right now; try again shortly.".into(),
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, tool.name = name, "tool call failed");
            Err(ErrorData::internal_error(
                "internal error while calling the tool",
                None,
            ))
        }
    }
}

/// A result the model sees as a failed call, with a message it can act on.
pub fn tool_error(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}
