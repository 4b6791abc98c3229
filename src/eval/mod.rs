//! The retrieval benchmark behind `toolbox eval`: loads a tool set into an empty registry,
//! runs labelled queries through [`RegistryService::find`] (the code path of `find_tool`),
//! and scores each search method.

mod dataset;
mod metrics;

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};

pub use dataset::{LabelledQuery, load_queries, load_tools};
pub use metrics::{Scores, score_ranking};

use crate::app;
use crate::config::Config;
use crate::domain::{FusionKind, SearchMethod};
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

/// One method's mean scores over all queries.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MethodReport {
    pub method: &'static str,
    #[serde(flatten)]
    pub scores: Scores,
}

/// The benchmark's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub tools: usize,
    /// Unlabelled tools registered beside the labelled set (`--distractors`).
    pub distractors: usize,
    pub queries: usize,
    pub embedder: String,
    pub methods: Vec<MethodReport>,
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
        for m in &self.methods {
            let s = &m.scores;
            out.push_str(&format!(
                "| {} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
                m.method, s.recall_at_1, s.recall_at_5, s.ndcg_at_10, s.mrr
            ));
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
    methods: &[SearchMethod],
) -> anyhow::Result<Report> {
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
    let mut reports = Vec::new();
    for &method in methods {
        let scores = run_method(&registry, &labelled, method).await?;
        reports.push(MethodReport {
            method: method.label(),
            scores,
        });
    }
    Ok(Report {
        tools: count,
        distractors: extra,
        queries: labelled.len(),
        embedder,
        methods: reports,
    })
}

async fn run_method(
    registry: &RegistryService,
    queries: &[LabelledQuery],
    method: SearchMethod,
) -> anyhow::Result<Scores> {
    let per_query: Vec<Scores> = futures::stream::iter(queries)
        .map(|q| async move {
            let hits = registry
                .find(
                    &FindQuery {
                        query: q.query.clone(),
                        limit: DEPTH,
                        threshold: -1.0,
                        method,
                        category: None,
                        tags: None,
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
        .await?;
    Ok(Scores::mean(&per_query))
}
