//! toolbox: a tool registry for AI agents.
//!
//! Agents list registered tools, find the right one by describing it in plain language, and
//! call it. Data flows one way: [`http`] (REST) → [`registry`] (the use cases) →
//! [`store`] (PostgreSQL + pgvector), [`embedding`] (text → vectors) and [`executor`] (running
//! tools). [`domain`] holds the validated types passed between them; [`config`] reads the
//! environment once; [`app`] wires everything and serves it; [`commands`] runs the bulk
//! `import` and `reindex` commands. Nothing below `http` knows about
//! HTTP status codes, and nothing outside `store` writes SQL.

pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod domain;
pub mod embedding;
pub mod error;
pub mod eval;
pub mod executor;
pub mod http;
pub mod mcp;
pub mod metrics;
pub mod registry;
pub mod search_index;
pub mod store;
pub mod telemetry;

pub use app::App;
pub use config::Config;
