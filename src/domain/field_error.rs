//! `FieldError`: one thing wrong with a request, located by a JSON pointer.

use serde::Serialize;

/// One thing wrong with a request, located by a JSON pointer into the request body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the offending value, e.g. `/tags/3`.
    pub pointer: String,
    /// The rule that failed, e.g. `maxLength`, `pattern`, `required`.
    pub rule: String,
    /// What was expected, in words a person or a model can act on.
    pub message: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }
}
