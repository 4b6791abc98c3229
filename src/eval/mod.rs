//! The retrieval benchmark behind `toolbox eval`: loads a tool set into an empty registry,
//! runs labelled queries through [`RegistryService::find`] (the code path of `find_tool`),
//! and scores each search method.

mod dataset;
mod metrics;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};

pub use dataset::{LabelledQuery, load_queries, load_tools};
pub use metrics::{Scores, score_ranking};

use crate::app;
use crate::config::Config;
use crate::domain::{FusionKind, QueryMode, SearchMethod};
use crate::registry::{FindQuery, RegistryService};
use crate::store;

/// How many results each query asks for (NDCG is measured at 10).
const DEPTH: u32 = 10;

/// Distractors are imported this many at a time (one transaction each).
const DISTRACTOR_CHUNK: usize = 2_000;

/// The four methods the benchmark compares, with the configured fusion parameters.
pub fn all_methods(cfg: &Config) -> Vec<SearchMethod> {
    vec![
        SearchMethod::Vector,
        SearchMethod::Text,
        SearchMethod::Hybrid(cfg.search.fusion(FusionKind::Weighted)),
        SearchMethod::Hybrid(cfg.search.fusion(FusionKind::Rrf)),
    ]
}

/// One method's mean scores over all queries, and over each type of query.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MethodReport {
    pub method: &'static str,
    #[serde(flatten)]
    pub scores: Scores,
    /// By the queries' `type` (`single`, `multi`), when the set has more than one.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_type: BTreeMap<String, Scores>,
}

/// The benchmark's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub tools: usize,
    /// Unlabelled tools registered beside the labelled set (`--distractors`).
    pub distractors: usize,
    pub queries: usize,
    /// How many queries of each type.
    pub query_types: BTreeMap<String, usize>,
    pub embedder: String,
    pub methods: Vec<MethodReport>,
    /// How the default threshold separates on-topic from off-topic queries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<ThresholdReport>,
}

/// The default threshold, measured with the default search method.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ThresholdReport {
    pub method: &'static str,
    pub threshold: f32,
    /// Labelled queries with a relevant tool in the top 10 (threshold off).
    pub on_topic: usize,
    /// The share of those whose best-ranked relevant tool has relevance ≥ `threshold`.
    pub on_topic_passing: f64,
    pub off_topic: usize,
    /// The share of off-topic queries with no hit at relevance ≥ `threshold`.
    pub off_topic_silent: f64,
    /// `[threshold, on_topic_passing, off_topic_silent]` at other thresholds.
    pub sweep: Vec<[f64; 3]>,
}

impl Report {
    /// A method's scores by its label (`vector`, `text`, `hybrid-weighted`, `hybrid-rrf`).
    pub fn get(&self, label: &str) -> Option<&Scores> {
        self.methods
            .iter()
            .find(|m| m.method == label)
            .map(|m| &m.scores)
    }

    /// A Markdown table, as README shows it.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} tools + {} distractors, {} queries, embedder {}\n\n| method | Recall@1 | Recall@5 | NDCG@10 | MRR |\n|---|---|---|---|---|\n",
            self.tools, self.distractors, self.queries, self.embedder
        );
        let row = |label: &str, s: &Scores| {
            format!(
                "| {label} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
                s.recall_at_1, s.recall_at_5, s.ndcg_at_10, s.mrr
            )
        };
        for m in &self.methods {
            out.push_str(&row(m.method, &m.scores));
        }
        for (kind, n) in &self.query_types {
            for m in self.methods.iter().filter(|m| !m.by_type.is_empty()) {
                if let Some(s) = m.by_type.get(kind) {
                    out.push_str(&row(&format!("{} ({kind}, {n})", m.method), s));
                }
            }
        }
        if let Some(t) = &self.threshold {
            out.push_str(&format!(
                "\nthreshold {:.2} ({}): right tool passes for {:.1}% of {} on-topic queries; \
                 {:.1}% of {} off-topic queries answered with nothing\n",
                t.threshold,
                t.method,
                t.on_topic_passing * 100.0,
                t.on_topic,
                t.off_topic_silent * 100.0,
                t.off_topic
            ));
            for [th, on, off] in &t.sweep {
                out.push_str(&format!("  at {th:.2}: {:.3} / {:.3}\n", on, off));
            }
        }
        out
    }
}

/// Migrates the (empty) database `cfg` points at, registers the tools (and the unlabelled
/// `distractors`, which only make the catalogue larger), and scores `methods`.
pub async fn evaluate(
    cfg: Config,
    tools: &Path,
    queries: &Path,
    distractors: Option<&Path>,
    off_topic: Option<&Path>,
    methods: &[SearchMethod],
    mode: QueryMode,
) -> anyhow::Result<Report> {
    let default_method = crate::domain::SearchDefaults::from(&cfg.search).method();
    let default_threshold = cfg.search.default_threshold;
    let store = store::connect(&cfg.database)?;
    app::migrate_store(store.as_ref(), &cfg).await?;
    let embedder = match &cfg.embedding.endpoint_url {
        Some(url) => format!("{} at {url}", cfg.embedding.model),
        None => "built-in lexical".to_owned(),
    };
    let state = app::build_state(cfg, false).await?;
    let registry = state.registry;
    // Built before registering, so each write below is applied to it as it is made.
    registry
        .build_index()
        .await
        .context("building the search index")?;
    let defs = load_tools(tools)?;
    let labelled = load_queries(queries)?;
    let count = defs.len();
    futures::stream::iter(defs)
        .map(|t| {
            let registry = registry.clone();
            async move {
                let name = t.name.to_string();
                registry
                    .register(t)
                    .await
                    .with_context(|| format!("registering {name}"))
            }
        })
        .buffer_unordered(8)
        .try_collect::<Vec<_>>()
        .await?;
    let mut extra = 0;
    if let Some(path) = distractors {
        let all = crate::commands::read_tool_file(path)?;
        extra = all.len();
        let mut all = all.into_iter().peekable();
        while all.peek().is_some() {
            let chunk: Vec<_> = all.by_ref().take(DISTRACTOR_CHUNK).collect();
            registry
                .import(chunk, false)
                .await
                .map_err(|e| anyhow::anyhow!("registering distractors: {e:?}"))?;
        }
    }
    let mut query_types = BTreeMap::new();
    for q in &labelled {
        *query_types.entry(q.kind().to_owned()).or_insert(0) += 1;
    }
    let mut reports = Vec::new();
    for &method in methods {
        let per_query = run_method(&registry, &labelled, method, mode).await?;
        let mut by_type: BTreeMap<String, Vec<Scores>> = BTreeMap::new();
        for (q, s) in labelled.iter().zip(&per_query) {
            by_type.entry(q.kind().to_owned()).or_default().push(*s);
        }
        reports.push(MethodReport {
            method: method.label(),
            scores: Scores::mean(&per_query),
            by_type: if by_type.len() > 1 {
                by_type
                    .into_iter()
                    .map(|(k, v)| (k, Scores::mean(&v)))
                    .collect()
            } else {
                BTreeMap::new()
            },
        });
    }
    let off = match off_topic {
        Some(path) => load_queries(path)?,
        None => Vec::new(),
    };
    let threshold = Some(
        threshold_report(
            &registry,
            &labelled,
            &off,
            default_method,
            default_threshold,
            mode,
        )
        .await?,
    );
    Ok(Report {
        threshold,
        tools: count,
        distractors: extra,
        queries: labelled.len(),
        query_types,
        embedder,
        methods: reports,
    })
}

/// Each query's hits at depth 10 with no threshold: `(name, relevance)`, best first.
async fn hits_of(
    registry: &RegistryService,
    queries: &[LabelledQuery],
    method: SearchMethod,
    mode: QueryMode,
) -> anyhow::Result<Vec<Vec<(String, f32)>>> {
    futures::stream::iter(queries)
        .map(|q| async move {
            let hits = registry
                .find(
                    &FindQuery {
                        mode,
                        ..FindQuery::plain(&q.query, DEPTH, -1.0, method)
                    },
                    &crate::domain::Principal::operator(),
                )
                .await
                .with_context(|| format!("query {:?}", q.id))?;
            anyhow::Ok(
                hits.into_iter()
                    .map(|h| (h.tool.name, h.relevance))
                    .collect(),
            )
        })
        .buffered(8)
        .try_collect()
        .await
}

async fn threshold_report(
    registry: &RegistryService,
    on: &[LabelledQuery],
    off: &[LabelledQuery],
    method: SearchMethod,
    threshold: f32,
    mode: QueryMode,
) -> anyhow::Result<ThresholdReport> {
    // The relevance of each on-topic query's best-ranked relevant tool, when found.
    let found: Vec<f32> = hits_of(registry, on, method, mode)
        .await?
        .into_iter()
        .zip(on)
        .filter_map(|(hits, q)| {
            hits.into_iter()
                .find(|(n, _)| q.relevant.contains(n))
                .map(|(_, r)| r)
        })
        .collect();
    let off_best: Vec<f32> = hits_of(registry, off, method, mode)
        .await?
        .into_iter()
        .map(|hits| hits.first().map_or(0.0, |h| h.1))
        .collect();
    let share = |xs: &[f32], pass: &dyn Fn(f32) -> bool| {
        xs.iter().filter(|x| pass(**x)).count() as f64 / xs.len().max(1) as f64
    };
    let at = |t: f32| {
        [
            f64::from(t),
            share(&found, &|r| r >= t),
            share(&off_best, &|r| r < t),
        ]
    };
    let now = at(threshold);
    Ok(ThresholdReport {
        method: method.label(),
        threshold,
        on_topic: found.len(),
        on_topic_passing: now[1],
        off_topic: off_best.len(),
        off_topic_silent: now[2],
        sweep: (1..10).map(|i| at(i as f32 / 10.0)).collect(),
    })
}

async fn run_method(
    registry: &RegistryService,
    queries: &[LabelledQuery],
    method: SearchMethod,
    mode: QueryMode,
) -> anyhow::Result<Vec<Scores>> {
    futures::stream::iter(queries)
        .map(|q| async move {
            let hits = registry
                .find(
                    &FindQuery {
                        mode,
                        ..FindQuery::plain(&q.query, DEPTH, -1.0, method)
                    },
                    &crate::domain::Principal::operator(),
                )
                .await
                .with_context(|| format!("query {:?}", q.id))?;
            let ranked: Vec<String> = hits.into_iter().map(|h| h.tool.name).collect();
            let relevant: HashSet<&str> = q.relevant.iter().map(String::as_str).collect();
            anyhow::Ok(score_ranking(&ranked, &relevant))
        })
        .buffered(8)
        .try_collect()
        .await
}
