//! toolbox: a tool registry for AI agents.
//!
//! Agents list registered tools, find the right one by describing it in plain language, and
//! call it. Data flows one way: [`http`] (REST, problem+json, OpenAPI, and the web console,
//! whose pages call that same REST API from the browser) and [`mcp`] (the MCP
//! server at `/mcp`) parse each request once with the parsers in [`domain`] and call the same
//! [`registry`] service (the use cases), which uses [`store`] (the `Store` trait over
//! PostgreSQL + pgvector or the embedded SQLite file, with its change stream),
//! [`embedding`] (text → vectors), [`rerank`] (the optional second-stage reranker client) and [`executor`] (running built-in and HTTP tools, and
//! forwarding calls to upstream MCP servers through [`upstream`], the MCP client side, which the
//! registry also uses to sync those servers' tools into the store).
//! Search runs in [`search_index`] (BM25 and a vector scan, in memory, over `domain` only):
//! derived state that the registry builds from the store at startup and keeps in step with
//! the store's change log, so any replica can start or die at any time. [`auth`] turns a
//! presented key or OIDC token into the caller (`domain::Principal`: a role and a tool set)
//! that the edge hands to every use case, where the registry enforces it. [`domain`] holds the validated types passed between them; [`config`] reads the environment
//! once, one file per section; [`app`] wires everything and serves it; [`commands`] runs the
//! bulk `import` and `reindex` commands; [`snapshot_commands`] exports the whole registry
//! from one snapshot of the store and imports it back (or copies it between databases), in
//! the JSON Lines format of [`snapshot_file`]; [`eval`] measures retrieval quality. Nothing below
//! `http`/`mcp` knows HTTP status codes, nothing outside `store` writes SQL, and nothing
//! outside `store` knows which database is underneath.

pub mod app;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod domain;
pub mod embedding;
pub mod eval;
pub mod executor;
pub mod http;
pub mod mcp;
pub mod metrics;
pub mod registry;
pub mod rerank;
pub mod search_index;
pub mod server_commands;
pub mod snapshot_commands;
pub mod snapshot_file;
pub mod store;
pub mod telemetry;
pub mod upstream;

pub use app::App;
pub use config::Config;
