//! How a search ranks tools: the method (vector, full text, or both fused) and its parameters.

use std::str::FromStr;

/// How vector and full-text rankings are combined in a hybrid search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// `w · vector + (1 − w) · text`, each side normalised to 0..1 over the candidates
    /// (vector: min-max of cosine similarity; text: rank score divided by the best one).
    Weighted { vector_weight: f32 },
    /// Reciprocal rank fusion: `Σ 1 / (k + rank)` over both rankings.
    Rrf { k: f32 },
}

impl Fusion {
    /// The method's name as the API spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Fusion::Weighted { .. } => "weighted",
            Fusion::Rrf { .. } => "rrf",
        }
    }
}

/// Which fusion method, without its parameters (as configured or requested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FusionKind {
    Weighted,
    Rrf,
}

impl FromStr for FusionKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "weighted" => Ok(Self::Weighted),
            "rrf" => Ok(Self::Rrf),
            _ => Err("must be `weighted` or `rrf`".into()),
        }
    }
}

/// What a search ranks by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SearchMethod {
    /// Cosine similarity of embeddings only.
    Vector,
    /// PostgreSQL full-text rank only (the benchmark's BM25-like baseline).
    Text,
    /// Both, fused.
    Hybrid(Fusion),
}

impl SearchMethod {
    /// A short label, as the benchmark prints it.
    pub fn label(&self) -> &'static str {
        match self {
            SearchMethod::Vector => "vector",
            SearchMethod::Text => "text",
            SearchMethod::Hybrid(f) => match f {
                Fusion::Weighted { .. } => "hybrid-weighted",
                Fusion::Rrf { .. } => "hybrid-rrf",
            },
        }
    }
}
