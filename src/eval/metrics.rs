//! Retrieval metrics with binary relevance.
//!
//! For a query with several relevant tools (MetaTool's two-tool queries), Recall@k is the
//! fraction of its relevant tools found in the top k: finding one of two at rank 1 scores
//! 0.5 for Recall@1. MRR uses the first relevant tool's rank (0 if none is in the top 10).
//! NDCG@10 gains 1/log2(rank + 1) per relevant tool, divided by the ideal ranking's gain.

use std::collections::HashSet;

/// Scores of one ranking, or their means over many.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Scores {
    pub recall_at_1: f64,
    pub recall_at_5: f64,
    pub ndcg_at_10: f64,
    pub mrr: f64,
}

impl Scores {
    /// The mean of each metric.
    pub fn mean(all: &[Scores]) -> Scores {
        let n = all.len().max(1) as f64;
        let sum = |f: fn(&Scores) -> f64| all.iter().map(f).sum::<f64>() / n;
        Scores {
            recall_at_1: sum(|s| s.recall_at_1),
            recall_at_5: sum(|s| s.recall_at_5),
            ndcg_at_10: sum(|s| s.ndcg_at_10),
            mrr: sum(|s| s.mrr),
        }
    }
}

/// Scores `ranked` (best first) against the set of relevant names.
pub fn score_ranking(ranked: &[String], relevant: &HashSet<&str>) -> Scores {
    if relevant.is_empty() {
        return Scores::default();
    }
    let is_rel: Vec<bool> = ranked
        .iter()
        .map(|n| relevant.contains(n.as_str()))
        .collect();
    let recall =
        |k: usize| is_rel.iter().take(k).filter(|r| **r).count() as f64 / relevant.len() as f64;
    let gain = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = is_rel
        .iter()
        .take(10)
        .enumerate()
        .filter(|(_, r)| **r)
        .map(|(i, _)| gain(i))
        .sum();
    let ideal: f64 = (0..relevant.len().min(10)).map(gain).sum();
    let mrr = is_rel
        .iter()
        .take(10)
        .position(|r| *r)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64);
    Scores {
        recall_at_1: recall(1),
        recall_at_5: recall(5),
        ndcg_at_10: dcg / ideal,
        mrr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_single_relevant_tool_at_rank_two_scores_as_expected() {
        let rel = HashSet::from(["b"]);
        let s = score_ranking(&ranked(&["a", "b", "c"]), &rel);
        assert_eq!(s.recall_at_1, 0.0);
        assert_eq!(s.recall_at_5, 1.0);
        assert_eq!(s.mrr, 0.5);
        assert!((s.ndcg_at_10 - 1.0 / 3f64.log2()).abs() < 1e-9);
    }

    #[test]
    fn multi_tool_recall_is_the_fraction_of_relevant_tools_found() {
        let rel = HashSet::from(["a", "z"]);
        let s = score_ranking(&ranked(&["a", "b", "c"]), &rel);
        assert_eq!(s.recall_at_1, 0.5);
        assert_eq!(s.recall_at_5, 0.5);
        assert_eq!(s.mrr, 1.0);
        let perfect = score_ranking(&ranked(&["z", "a"]), &rel);
        assert!((perfect.ndcg_at_10 - 1.0).abs() < 1e-9);
    }
}
