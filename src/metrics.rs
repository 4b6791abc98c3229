//! Prometheus metrics: one process-wide recorder; `/metrics` renders it together with the
//! database pool's current usage.
//!
//! Series: `http_request_duration_seconds{method,route,status}` (histogram),
//! `toolbox_database_up` (1 when the database answered a ping at this scrape),
//! `toolbox_find_tool_results` (histogram: tools per search), `toolbox_history_write_failures_total`,
//! `toolbox_tool_executions_total{tool,outcome}`, `toolbox_embedding_*`,
//! `toolbox_rate_limited_total`, `toolbox_db_pool_connections{state}`, and the search index's
//! `toolbox_search_index_{documents,vectors,applied_change,lag_seconds,built}` (sampled here)
//! with `toolbox_search_index_rebuilds_total{reason}`,
//! `toolbox_search_index_rebuild_seconds` and `toolbox_search_index_changes_applied_total`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::embedding::StatsSnapshot;
use crate::registry::IndexStatus;
use crate::store::PoolUsage;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Buckets of `toolbox_find_tool_results`: how many tools a search returned.
const RESULT_COUNT_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0];

/// Counters an alert reads that only move on a failure: created at zero when the recorder is
/// installed, so `/metrics` names them from the start and `increase()` sees the first one.
const ZEROED_COUNTERS: &[&str] = &[
    "toolbox_history_write_failures_total",
    "toolbox_rate_limited_total",
];

/// Installs the recorder on first use (tests start several apps in one process).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    DURATION_BUCKETS,
                )
                .expect("the bucket list is not empty")
                .set_buckets_for_metric(
                    Matcher::Full("toolbox_find_tool_results".into()),
                    RESULT_COUNT_BUCKETS,
                )
                .expect("the bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            for name in ZEROED_COUNTERS {
                metrics::counter!(*name).increment(0);
            }
            handle
        })
        .clone()
}

/// The exposition text, with the pool's usage, the embedding counters and the search index's
/// figures sampled now.
pub fn render(
    database_up: bool,
    pool: PoolUsage,
    max_connections: u32,
    embedding: Option<StatsSnapshot>,
    index: IndexStatus,
) -> String {
    metrics::gauge!("toolbox_database_up").set(if database_up { 1.0 } else { 0.0 });
    metrics::gauge!("toolbox_search_index_built").set(if index.built { 1.0 } else { 0.0 });
    metrics::gauge!("toolbox_search_index_documents").set(index.documents as f64);
    metrics::gauge!("toolbox_search_index_vectors").set(index.vectors as f64);
    metrics::gauge!("toolbox_search_index_applied_change").set(index.applied as f64);
    metrics::gauge!("toolbox_search_index_lag_seconds").set(index.lag.as_secs_f64());
    if let Some(e) = embedding {
        let set = |name: &'static str, v: u64| metrics::counter!(name).absolute(v);
        metrics::counter!("toolbox_embedding_cache_total", "result" => "hit")
            .absolute(e.cache_hits);
        metrics::counter!("toolbox_embedding_cache_total", "result" => "miss")
            .absolute(e.cache_misses);
        set("toolbox_embedding_requests_total", e.upstream_requests);
        set("toolbox_embedding_texts_total", e.upstream_texts);
        set("toolbox_embedding_failures_total", e.upstream_failures);
        set("toolbox_embedding_retries_total", e.retries);
        metrics::counter!("toolbox_embedding_latency_milliseconds_total")
            .absolute(e.upstream_latency_ms_total);
    }
    let PoolUsage { size, idle } = pool;
    metrics::gauge!("toolbox_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("toolbox_db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!("toolbox_db_pool_max_connections").set(f64::from(max_connections));
    handle().render()
}
