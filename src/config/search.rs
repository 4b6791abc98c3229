//! Search defaults and hybrid fusion.
//!
//! Reads `DEFAULT_RELEVANCE_THRESHOLD` ([`DEFAULT_RELEVANCE`], 0..=1; it replaced the cosine
//! `DEFAULT_SIMILARITY_THRESHOLD`, which is refused so an old setting is not misread), `MAX_SEARCH_LIMIT`
//! ([`DEFAULT_MAX_SEARCH_LIMIT`]), `DEFAULT_SEARCH_LIMIT` (10, at most `MAX_SEARCH_LIMIT`),
//! `USE_HYBRID_SEARCH` (true), `SEARCH_FUSION` (`weighted` or `rrf`), `SEARCH_VECTOR_WEIGHT`
//! (0.7, 0..=1), `RRF_K` (60, at least 0) and `SEARCH_CACHE_SIZE` (1024 rankings; 0: off).

use crate::domain::{Fusion, FusionKind};

use super::{ConfigError, Env};

/// `DEFAULT_RELEVANCE_THRESHOLD` when unset: the relevance a hit needs (README, "Threshold",
/// and BENCHMARKS.md for how it was chosen).
pub const DEFAULT_RELEVANCE: f32 = 0.5;

/// `MAX_SEARCH_LIMIT` when unset: the most results one search may ask for.
pub const DEFAULT_MAX_SEARCH_LIMIT: u32 = 100;

#[derive(Debug, Clone)]
pub struct SearchConfig {
    pub default_threshold: f32,
    pub default_limit: u32,
    pub max_limit: u32,
    pub use_hybrid: bool,
    /// Fusion used by hybrid search when a request does not name one (`SEARCH_FUSION`).
    pub fusion: FusionKind,
    /// Weight of the vector side in weighted fusion, 0..1 (`SEARCH_VECTOR_WEIGHT`).
    pub vector_weight: f32,
    /// The `k` of reciprocal rank fusion (`RRF_K`).
    pub rrf_k: f32,
    /// How many recent rankings are kept for repeated searches (`SEARCH_CACHE_SIZE`).
    pub cache_size: u64,
}

impl SearchConfig {
    pub(super) fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        if env.get("DEFAULT_SIMILARITY_THRESHOLD").is_some() {
            return Err(env.invalid(
                "DEFAULT_SIMILARITY_THRESHOLD",
                "is no longer read: thresholds apply to relevance (0..1), set \
                 DEFAULT_RELEVANCE_THRESHOLD instead",
            ));
        }
        let default_threshold: f32 = env.parse("DEFAULT_RELEVANCE_THRESHOLD", DEFAULT_RELEVANCE)?;
        if !(0.0..=1.0).contains(&default_threshold) {
            return Err(env.invalid(
                "DEFAULT_RELEVANCE_THRESHOLD",
                "must be a relevance between 0 and 1",
            ));
        }
        let max_limit: u32 = env.parse("MAX_SEARCH_LIMIT", DEFAULT_MAX_SEARCH_LIMIT)?;
        let default_limit: u32 = env.parse("DEFAULT_SEARCH_LIMIT", 10)?;
        if default_limit == 0 || default_limit > max_limit {
            return Err(env.invalid(
                "DEFAULT_SEARCH_LIMIT",
                &format!("must be between 1 and MAX_SEARCH_LIMIT ({max_limit})"),
            ));
        }
        let vector_weight: f32 = env.parse("SEARCH_VECTOR_WEIGHT", 0.7)?;
        if !(0.0..=1.0).contains(&vector_weight) {
            return Err(env.invalid("SEARCH_VECTOR_WEIGHT", "must be between 0 and 1"));
        }
        let rrf_k: f32 = env.parse("RRF_K", 60.0)?;
        if !(rrf_k.is_finite() && rrf_k >= 0.0) {
            return Err(env.invalid("RRF_K", "must be a number of at least 0"));
        }
        Ok(Self {
            default_threshold,
            default_limit,
            max_limit,
            use_hybrid: env.parse("USE_HYBRID_SEARCH", true)?,
            fusion: env.parse("SEARCH_FUSION", FusionKind::Weighted)?,
            vector_weight,
            rrf_k,
            cache_size: env.parse("SEARCH_CACHE_SIZE", 1_024)?,
        })
    }

    /// The configured fusion with its parameters.
    pub fn fusion(&self, kind: FusionKind) -> Fusion {
        match kind {
            FusionKind::Weighted => Fusion::Weighted {
                vector_weight: self.vector_weight,
            },
            FusionKind::Rrf => Fusion::Rrf { k: self.rrf_k },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use crate::domain::{Fusion, FusionKind};

    #[test]
    fn a_threshold_outside_the_relevance_range_names_its_variable() {
        let err = config(&[("DEFAULT_RELEVANCE_THRESHOLD", "-0.1")]).unwrap_err();
        assert_eq!(err.var, "DEFAULT_RELEVANCE_THRESHOLD");
        let old = config(&[("DEFAULT_SIMILARITY_THRESHOLD", "0")]).unwrap_err();
        assert_eq!(old.var, "DEFAULT_SIMILARITY_THRESHOLD");
    }

    #[test]
    fn search_fusion_settings_are_validated() {
        let c = config(&[("SEARCH_FUSION", "rrf"), ("RRF_K", "10")]).unwrap();
        assert_eq!(c.search.fusion, FusionKind::Rrf);
        assert_eq!(c.search.fusion(c.search.fusion), Fusion::Rrf { k: 10.0 });
        assert_eq!(
            config(&[("SEARCH_FUSION", "max")]).unwrap_err().var,
            "SEARCH_FUSION"
        );
        let err = config(&[("SEARCH_VECTOR_WEIGHT", "1.5")]).unwrap_err();
        assert_eq!(err.var, "SEARCH_VECTOR_WEIGHT");
        assert_eq!(config(&[("RRF_K", "-1")]).unwrap_err().var, "RRF_K");
    }
}
