//! Task queries: a request that names several steps is searched step by step, and the
//! rankings are merged so that each step's best tools make the list.
//!
//! The merge takes the whole request's best tool, then each step's best in order, then the
//! second of each, and so on, skipping tools already taken (round robin by rank over the whole
//! request and its steps). The whole request leads so that a tool matching it as a whole keeps first
//! place; the steps bring the tools a single ranking of the paragraph misses (BENCHMARKS.md,
//! "Task queries"). Each step is searched like any query (threshold, filters, cache), so a step
//! no tool answers adds nothing.

use std::collections::{HashMap, HashSet};

use super::search::{Hit, TaskStep};
use super::{RegistryError, RegistryService};
use crate::domain::{FindQuery, Principal, QueryMode, task_steps};

/// The steps `q` is searched by: none unless its mode allows it and it names two or more.
pub(super) fn steps_of(q: &FindQuery) -> Vec<String> {
    match q.mode {
        QueryMode::Single => Vec::new(),
        QueryMode::Auto => task_steps(&q.query, false),
        QueryMode::Task => task_steps(&q.query, true),
    }
}

impl RegistryService {
    /// Searches the whole request and each of its `steps`, and merges the rankings.
    pub(super) async fn find_task(
        &self,
        q: &FindQuery,
        steps: Vec<String>,
        who: &Principal,
    ) -> Result<Vec<Hit>, RegistryError> {
        let one = |text: &str| FindQuery {
            query: text.to_owned(),
            mode: QueryMode::Single,
            ..q.clone()
        };
        let whole = self.find_hits(&one(&q.query), who).await?;
        let per_step = futures::future::try_join_all(
            steps
                .iter()
                .map(|s| async move { self.find_hits(&one(s), who).await }),
        )
        .await?;
        Ok(merge(whole, per_step, &steps, q.limit as usize))
    }
}

/// Round robin by rank over `whole` and `per_step`, at most `limit` tools, each once; a tool's
/// `explain.step` is the step that ranks it with the highest relevance (none when only the
/// whole request found it).
fn merge(whole: Vec<Hit>, per_step: Vec<Vec<Hit>>, steps: &[String], limit: usize) -> Vec<Hit> {
    let mut best_step: HashMap<i64, (usize, f32)> = HashMap::new();
    for (i, hits) in per_step.iter().enumerate() {
        for h in hits {
            let e = best_step.entry(h.tool.id).or_insert((i, h.relevance));
            if h.relevance > e.1 {
                *e = (i, h.relevance);
            }
        }
    }
    let mut lists: Vec<std::vec::IntoIter<Hit>> = std::iter::once(whole)
        .chain(per_step)
        .map(Vec::into_iter)
        .collect();
    let mut taken = HashSet::new();
    let mut out = Vec::new();
    // Round r takes each list's r-th tool unless an earlier list took it already: a step
    // whose best tool the whole request found does not get its second best in exchange.
    loop {
        let mut any = false;
        for list in &mut lists {
            let Some(mut h) = list.next() else { continue };
            any = true;
            if out.len() < limit && taken.insert(h.tool.id) {
                h.explain.step = best_step.get(&h.tool.id).map(|(i, _)| TaskStep {
                    index: i + 1,
                    text: steps[*i].clone(),
                });
                out.push(h);
            }
        }
        if !any || out.len() == limit {
            break;
        }
    }
    out
}
