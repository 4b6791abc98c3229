//! Managed API keys: created through the API, kept as a digest, revocable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{FieldError, Role, ToolSet, ToolSetSpec};

/// Longest label accepted.
const MAX_LABEL_CHARS: usize = 200;

/// A managed key as stored (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedKey {
    /// Public and short: shown in listings and recorded in the history as `key:<id>`.
    pub id: String,
    pub label: String,
    pub role: Role,
    /// The key's tool set; `None`: every tool.
    pub tools: Option<ToolSetSpec>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ManagedKey {
    /// Whether the key may be used at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

/// `POST /keys` as a client writes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    pub label: Option<String>,
    pub role: Option<String>,
    pub tools: Option<serde_json::Value>,
    pub expires_at: Option<String>,
}

/// A validated key to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    pub label: String,
    pub role: Role,
    pub tools: Option<ToolSet>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewKey {
    /// Validates a request at `now`, collecting every problem.
    pub fn parse(req: KeyRequest, now: DateTime<Utc>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let label = match req.label.map(|l| l.trim().to_owned()) {
            Some(l) if !l.is_empty() && l.chars().count() <= MAX_LABEL_CHARS => l,
            Some(_) => {
                errors.push(FieldError::new(
                    "/label",
                    "maxLength",
                    format!("`label` has 1 to {MAX_LABEL_CHARS} characters"),
                ));
                String::new()
            }
            None => {
                errors.push(FieldError::new(
                    "/label",
                    "required",
                    "`label` is required: say whose key it is",
                ));
                String::new()
            }
        };
        let role = match req.role.as_deref() {
            Some(r) => Role::parse(r).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "/role",
                    "enum",
                    "`role` is one of read, call, admin",
                ));
                Role::Read
            }),
            None => {
                errors.push(FieldError::new(
                    "/role",
                    "required",
                    "`role` is required: read, call or admin",
                ));
                Role::Read
            }
        };
        let tools = match &req.tools {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match ToolSet::from_json(v, "/tools") {
                Ok(set) => Some(set),
                Err(e) => {
                    errors.extend(e);
                    None
                }
            },
        };
        let expires_at = match req.expires_at.as_deref() {
            None => None,
            Some(raw) => match DateTime::parse_from_rfc3339(raw) {
                Ok(at) if at.with_timezone(&Utc) > now => Some(at.with_timezone(&Utc)),
                Ok(_) => {
                    errors.push(FieldError::new(
                        "/expires_at",
                        "future",
                        "`expires_at` is in the past",
                    ));
                    None
                }
                Err(_) => {
                    errors.push(FieldError::new(
                        "/expires_at",
                        "format",
                        "`expires_at` is an RFC 3339 time, e.g. 2027-01-31T00:00:00Z",
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(Self {
                label,
                role,
                tools,
                expires_at,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(v: serde_json::Value) -> KeyRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_key_request_is_checked_field_by_field() {
        let now = Utc::now();
        let err = NewKey::parse(
            req(json!({"role": "root", "tools": {"allow": ["colour:red"]}, "expires_at": "soon"})),
            now,
        )
        .unwrap_err();
        let pointers: Vec<&str> = err.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/label", "/role", "/tools/allow/0", "/expires_at"]
        );
        let ok = NewKey::parse(
            req(json!({"label": "ci", "role": "call", "expires_at": "2999-01-01T00:00:00Z"})),
            now,
        )
        .unwrap();
        assert_eq!(ok.role, Role::Call);
        assert!(ok.tools.is_none());
    }
}
