//! Ranking: gathers candidates from the search index (the nearest tools by embedding and the
//! best BM25 matches) and orders them by the requested method (vector, full text or a fusion
//! of both), after dropping those below the cosine-similarity threshold.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::SearchConfig;
use crate::domain::{FindQuery, Fusion, SearchDefaults, SearchMethod, Tool};
use crate::search_index::{IndexError, IndexFilter, SearchIndex};

/// A tool found by either side of the index, with both sides' measures.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    /// Ties in the ranking break by name.
    pub name: Box<str>,
    /// Cosine similarity to the query embedding (computed for every candidate; -1 for a
    /// tool without an embedding).
    pub similarity: f32,
    /// BM25 score; 0 when the tool is not among the best text matches.
    pub text_score: f32,
}

/// What one search asks of the index.
pub(super) struct Gather<'a> {
    pub embedding: &'a [f32],
    pub text: &'a str,
    pub filter: &'a IndexFilter,
    /// How many tools to take from each side.
    pub pool: usize,
    pub vector: bool,
    pub full_text: bool,
}

/// The union of the `pool` nearest tools and the `pool` best text matches, both within
/// `filter`, each with its similarity and text score.
pub(super) fn gather(index: &SearchIndex, q: &Gather<'_>) -> Result<Vec<Candidate>, IndexError> {
    let mut found: HashMap<i64, (f32, f32)> = HashMap::with_capacity(q.pool * 2);
    if q.vector {
        for (id, similarity) in index.vector_top_k(q.embedding, q.filter, q.pool, None) {
            found.insert(id, (similarity, 0.0));
        }
    }
    if q.full_text {
        for (id, score) in index.text_top_k(q.text, q.filter, q.pool)? {
            found
                .entry(id)
                .or_insert_with(|| (index.similarity(id, q.embedding).unwrap_or(-1.0), 0.0))
                .1 = score;
        }
    }
    Ok(found
        .into_iter()
        .filter_map(|(id, (similarity, text_score))| {
            Some(Candidate {
                id,
                name: index.name(id)?,
                similarity,
                text_score,
            })
        })
        .collect())
}

/// The rankings of recent searches, keyed by everything that decides one: the request's
/// query, limit, threshold, method, filters, and the index's generation. Any applied change
/// moves the generation on, so an entry is only ever served for the index state it was
/// ranked on: a hit answers exactly what a fresh search would. Tools are still read from
/// the store on every search, so a hit never serves an old version of a tool.
pub(super) struct Rankings {
    cache: Option<moka::sync::Cache<RankingKey, Arc<[Ranked]>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct RankingKey {
    generation: u64,
    query: String,
    limit: u32,
    /// `f32` bits: thresholds and weights compare exactly.
    threshold: u32,
    method: (&'static str, u32),
    category: Option<String>,
    tags: Option<Vec<String>>,
    /// The caller's tool set: callers with different sets get different rankings.
    tools: crate::domain::ToolScope,
}

impl RankingKey {
    pub(super) fn new(q: &FindQuery, tools: &crate::domain::ToolScope, generation: u64) -> Self {
        let param = match q.method {
            SearchMethod::Hybrid(Fusion::Weighted { vector_weight }) => vector_weight.to_bits(),
            SearchMethod::Hybrid(Fusion::Rrf { k }) => k.to_bits(),
            SearchMethod::Vector | SearchMethod::Text => 0,
        };
        Self {
            generation,
            query: q.query.clone(),
            limit: q.limit,
            threshold: q.threshold.to_bits(),
            method: (q.method.label(), param),
            category: q.category.clone(),
            tags: q.tags.clone(),
            tools: tools.clone(),
        }
    }
}

impl Rankings {
    /// Holds at most `entries` rankings (0: none, every search ranks afresh).
    pub(super) fn new(entries: u64) -> Self {
        Self {
            cache: (entries > 0).then(|| moka::sync::Cache::new(entries)),
        }
    }

    pub(super) fn get(&self, key: &RankingKey) -> Option<Arc<[Ranked]>> {
        let hit = self.cache.as_ref()?.get(key);
        let result = if hit.is_some() { "hit" } else { "miss" };
        metrics::counter!("toolbox_search_cache_total", "result" => result).increment(1);
        hit
    }

    pub(super) fn insert(&self, key: RankingKey, ranked: Arc<[Ranked]>) {
        if let Some(cache) = &self.cache {
            cache.insert(key, ranked);
        }
    }
}

/// A ranked candidate, before its tool is read from the store.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub id: i64,
    pub name: Box<str>,
    pub similarity: f32,
    pub score: f32,
    pub explain: Explain,
}

impl Ranked {
    /// The hit this becomes with its tool.
    pub fn with_tool(self, tool: Tool) -> Hit {
        Hit {
            tool,
            similarity: self.similarity,
            score: self.score,
            explain: self.explain,
        }
    }
}

/// A search hit.
#[derive(Debug, Clone)]
pub struct Hit {
    pub tool: Tool,
    /// Cosine similarity between the query and the tool's embedding.
    pub similarity: f32,
    /// The value the hits are ordered by: the similarity (vector), the text rank (text), or
    /// the fused score (hybrid).
    pub score: f32,
    /// How `score` was reached, for `"explain": true`.
    pub explain: Explain,
}

/// The parts of a hit's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explain {
    /// `vector`, `text`, `hybrid-weighted` or `hybrid-rrf`.
    pub method: &'static str,
    pub similarity: f32,
    /// 1-based rank by cosine similarity among the candidates.
    pub vector_rank: usize,
    /// Similarity min-max normalised over the candidates (weighted fusion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector_normalized: Option<f32>,
    /// Full-text score (BM25); 0 when the tool is not among the best text matches.
    pub text_score: f32,
    /// 1-based rank by text score, absent when no query word occurs in the tool.
    pub text_rank: Option<usize>,
    /// Text score divided by the best one among the candidates (weighted fusion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_normalized: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector_weight: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rrf_k: Option<f32>,
}

/// Ranks `candidates` by `method`, keeping those with similarity ≥ `threshold`, best first,
/// at most `limit`. Ties break by name, so equal scores order deterministically.
pub fn rank(
    candidates: Vec<Candidate>,
    method: SearchMethod,
    threshold: f32,
    limit: usize,
) -> Vec<Ranked> {
    let mut kept: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| c.similarity >= threshold)
        .collect();
    if method == SearchMethod::Text {
        kept.retain(|c| c.text_score > 0.0);
    }
    let vector_ranks = ranks(&kept, |c| Some(c.similarity));
    let text_ranks = ranks(&kept, |c| (c.text_score > 0.0).then_some(c.text_score));
    let (min_sim, max_sim) = kept
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), c| {
            (lo.min(c.similarity), hi.max(c.similarity))
        });
    let max_text = kept.iter().map(|c| c.text_score).fold(0.0, f32::max);
    let mut hits: Vec<Ranked> = kept
        .into_iter()
        .zip(vector_ranks.into_iter().zip(text_ranks))
        .map(|(c, (vector_rank, text_rank))| {
            let vector_rank = vector_rank.unwrap_or(usize::MAX);
            let mut explain = Explain {
                method: method.label(),
                similarity: c.similarity,
                vector_rank,
                vector_normalized: None,
                text_score: c.text_score,
                text_rank,
                text_normalized: None,
                vector_weight: None,
                rrf_k: None,
            };
            let score = match method {
                SearchMethod::Vector => c.similarity,
                SearchMethod::Text => c.text_score,
                SearchMethod::Hybrid(Fusion::Weighted { vector_weight }) => {
                    let v = if max_sim > min_sim {
                        (c.similarity - min_sim) / (max_sim - min_sim)
                    } else {
                        1.0
                    };
                    let t = if max_text > 0.0 {
                        c.text_score / max_text
                    } else {
                        0.0
                    };
                    explain.vector_normalized = Some(v);
                    explain.text_normalized = Some(t);
                    explain.vector_weight = Some(vector_weight);
                    vector_weight * v + (1.0 - vector_weight) * t
                }
                SearchMethod::Hybrid(Fusion::Rrf { k }) => {
                    explain.rrf_k = Some(k);
                    let text = text_rank.map_or(0.0, |r| 1.0 / (k + r as f32));
                    1.0 / (k + vector_rank as f32) + text
                }
            };
            Ranked {
                id: c.id,
                name: c.name,
                similarity: c.similarity,
                score,
                explain,
            }
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.similarity.total_cmp(&a.similarity))
            .then_with(|| a.name.cmp(&b.name))
    });
    hits.truncate(limit);
    hits
}

/// 1-based ranks by a descending key; `None` keys get no rank.
fn ranks(cands: &[Candidate], key: impl Fn(&Candidate) -> Option<f32>) -> Vec<Option<usize>> {
    let mut order: Vec<(usize, f32)> = cands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| key(c).map(|k| (i, k)))
        .collect();
    order.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| cands[a.0].name.cmp(&cands[b.0].name))
    });
    let mut out = vec![None; cands.len()];
    for (r, (i, _)) in order.into_iter().enumerate() {
        out[i] = Some(r + 1);
    }
    out
}

/// How many candidates each side contributes: the limit itself for one method; for a
/// fusion, more, so a tool ranked low by one side but high by the other can still win.
pub(super) fn pool(q: &FindQuery) -> usize {
    let limit = q.limit as usize;
    match q.method {
        SearchMethod::Hybrid(_) => (limit * 4).clamp(50, 1_000).max(limit),
        _ => limit,
    }
}

impl From<&SearchConfig> for SearchDefaults {
    fn from(c: &SearchConfig) -> Self {
        Self {
            default_limit: c.default_limit,
            max_limit: c.max_limit,
            default_threshold: c.default_threshold,
            use_hybrid: c.use_hybrid,
            fusion: c.fusion,
            vector_weight: c.vector_weight,
            rrf_k: c.rrf_k,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(name: &str, similarity: f32, text_score: f32) -> Candidate {
        Candidate {
            id: 0,
            name: name.into(),
            similarity,
            text_score,
        }
    }

    fn order(hits: &[Ranked]) -> Vec<&str> {
        hits.iter().map(|h| &*h.name).collect()
    }

    fn pool() -> Vec<Candidate> {
        vec![
            cand("close", 0.9, 0.0),
            cand("wordy", 0.5, 0.8),
            cand("both", 0.8, 0.4),
        ]
    }

    #[test]
    fn weighted_fusion_normalises_each_side_before_weighting() {
        let hits = rank(
            pool(),
            SearchMethod::Hybrid(Fusion::Weighted { vector_weight: 0.7 }),
            -1.0,
            10,
        );
        // close: 0.7·1 + 0.3·0 = 0.70; both: 0.7·0.75 + 0.3·0.5 = 0.675; wordy: 0.3.
        assert_eq!(order(&hits), ["close", "both", "wordy"]);
        assert!((hits[1].score - 0.675).abs() < 1e-6);
        let text_heavy = rank(
            pool(),
            SearchMethod::Hybrid(Fusion::Weighted { vector_weight: 0.2 }),
            -1.0,
            10,
        );
        assert_eq!(order(&text_heavy), ["wordy", "both", "close"]);
    }

    #[test]
    fn rrf_rewards_tools_ranked_well_by_both_sides() {
        let mut cands = pool();
        cands.push(cand("other", 0.7, 0.0));
        let hits = rank(
            cands,
            SearchMethod::Hybrid(Fusion::Rrf { k: 60.0 }),
            -1.0,
            10,
        );
        // both: 1/62 + 1/62; wordy: 1/64 + 1/61; close: 1/61; other: 1/63.
        assert_eq!(order(&hits), ["both", "wordy", "close", "other"]);
        assert_eq!(hits[0].explain.text_rank, Some(2));
        assert_eq!(hits[0].explain.vector_rank, 2);
    }

    #[test]
    fn the_threshold_drops_low_similarity_before_fusion_and_may_leave_nothing() {
        let hits = rank(
            pool(),
            SearchMethod::Hybrid(Fusion::Rrf { k: 60.0 }),
            0.6,
            10,
        );
        assert_eq!(order(&hits), ["both", "close"]);
        assert!(rank(pool(), SearchMethod::Text, 0.95, 10).is_empty());
    }

    #[test]
    fn text_only_ranking_leaves_out_tools_without_a_query_word() {
        let hits = rank(pool(), SearchMethod::Text, -1.0, 10);
        assert_eq!(order(&hits), ["wordy", "both"]);
    }
}
