//! Requests rmcp could not fit to their method: Invalid params (-32602) naming what is wrong,
//! rather than rmcp's default Method not found (-32601) for a method this server does serve.

use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, ErrorCode, InitializeRequestParams, PaginatedRequestParams,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The JSON-RPC error for a request rmcp passed on as "custom": its params cannot be read as
/// `method`'s (a `tools/call` without a `name`, say), or the method is not one served here.
pub fn unparsed_request(method: &str, params: Option<Value>) -> ErrorData {
    let problem = match method {
        "tools/call" => why_not::<CallToolRequestParams>(params),
        "tools/list" => why_not::<Option<PaginatedRequestParams>>(params),
        "initialize" => why_not::<InitializeRequestParams>(params),
        _ => return ErrorData::new(ErrorCode::METHOD_NOT_FOUND, method.to_owned(), None),
    };
    let detail = problem.unwrap_or_else(|| "they do not match the method".to_owned());
    ErrorData::invalid_params(format!("Invalid params for {method}: {detail}"), None)
}

/// Why `params` cannot be read as a `T`, in serde's words (`missing field `name``).
fn why_not<T: DeserializeOwned>(params: Option<Value>) -> Option<String> {
    serde_json::from_value::<T>(params.unwrap_or(Value::Null))
        .err()
        .map(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_tools_call_without_a_name_is_invalid_params_naming_the_field() {
        let err = unparsed_request("tools/call", Some(json!({"arguments": {}})));
        assert_eq!(err.code, ErrorCode::INVALID_PARAMS);
        assert!(err.message.contains("name"), "{}", err.message);
    }

    #[test]
    fn a_method_not_served_here_stays_method_not_found() {
        let err = unparsed_request("prompts/get", Some(json!({})));
        assert_eq!(err.code, ErrorCode::METHOD_NOT_FOUND);
    }
}
