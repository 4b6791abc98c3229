//! Validated domain types: a value of one of these types is known to be well-formed.
//!
//! Requests are parsed into these at the edge (`http`, `mcp`); services accept nothing else.

mod access;
mod allowed_host;
mod bulk;
mod embedding;
mod executor_spec;
mod field_error;
mod find;
mod integer;
mod keys;
mod list;
mod pointer;
pub mod schema_bounds;
pub mod schema_dialect;
mod search;
mod tool;
mod upstream;

pub use access::{Principal, Role, ToolFacts, ToolScope, ToolSet, ToolSetSpec};
pub use allowed_host::AllowedHost;
pub use bulk::parse_tool_list;
pub use embedding::Embedding;
pub use executor_spec::{
    HttpExecutorSpec, REDACTED, config_timeout, http_executor, redact_config, restore_redacted,
};
pub use field_error::FieldError;
pub use find::{FindQuery, FindRequest, MAX_QUERY_CHARS, SearchDefaults};
pub use integer::optional_integer;
pub use keys::{KeyRequest, ManagedKey, NewKey};
pub use list::{
    CURSOR_PATTERN, ListQuery, ListRequest, MAX_LIST_LIMIT, decode_cursor, encode_cursor,
    parse_limit_text,
};
pub use pointer::{escape_token, pointer_of};
pub use search::{Fusion, FusionKind, SearchMethod};
pub use tool::{NewTool, Tool, ToolName, ToolPatch, check_filter, embedded_text, split_identifier};
pub use upstream::{
    NAMESPACE_SEPARATOR, NewServer, ServerPatch, UpstreamServer, glob_match, upstream_config,
    upstream_of,
};
