//! The second stage of a search: the optional reranker reorders the best fused hits.
//!
//! The fused ranking is taken `RERANK_TOP_N` deep (or `limit`, if larger), each hit's embedded
//! text is scored against the query by the reranker, the top is reordered by that score (ties
//! keep the fused order) and cut to `limit`. The threshold has already applied (relevance).
//! If the reranker fails in any way, the fused order is returned and each hit's `explain` says
//! the reranker was skipped (REST also sets `Toolbox-Rerank: skipped`): a search never fails
//! because its reranker did.

use super::RegistryService;
use super::search::Hit;
use crate::domain::FindQuery;

/// What the reranker did for a hit, in `explain.reranker`.
pub const APPLIED: &str = "applied";
/// The reranker failed or timed out: the hits are in fused order.
pub const SKIPPED: &str = "skipped";

impl RegistryService {
    /// How deep the fused ranking is taken for `q`: deeper than its limit with a reranker.
    pub(super) fn fused_depth(&self, q: &FindQuery) -> usize {
        let limit = q.limit as usize;
        self.reranker
            .as_ref()
            .map_or(limit, |r| limit.max(r.top_n()))
    }

    /// `hits` reordered by the reranker when one is configured, at most `q.limit`.
    pub(super) async fn reranked(&self, q: &FindQuery, mut hits: Vec<Hit>) -> Vec<Hit> {
        let limit = q.limit as usize;
        let Some(reranker) = &self.reranker else {
            hits.truncate(limit);
            return hits;
        };
        if hits.is_empty() {
            return hits;
        }
        let n = reranker.top_n().min(hits.len());
        let documents: Vec<String> = hits[..n]
            .iter()
            .map(|h| h.tool.to_new_tool().embedded_text())
            .collect();
        match reranker.scores(&q.query, &documents).await {
            Ok(scores) => {
                let rest = hits.split_off(n);
                let mut top: Vec<(usize, Hit)> = hits.into_iter().enumerate().collect();
                top.sort_by(|(a, _), (b, _)| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b)));
                hits = top
                    .into_iter()
                    .map(|(i, mut h)| {
                        h.explain.rerank_score = Some(scores[i]);
                        h.explain.reranker = Some(APPLIED);
                        h
                    })
                    .chain(rest)
                    .collect();
            }
            Err(e) => {
                tracing::warn!(error = %e, "reranker skipped: the fused order is returned");
                metrics::counter!("toolbox_rerank_skipped_total").increment(1);
                for h in &mut hits {
                    h.explain.reranker = Some(SKIPPED);
                }
            }
        }
        hits.truncate(limit);
        hits
    }
}
