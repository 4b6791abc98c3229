//! Relevance: a hit's cosine similarity made comparable across embedders and queries, in
//! 0..1, which is what a search's `threshold` applies to.
//!
//! Raw cosine means different things per model: the built-in lexical embedder gives a good
//! match 0.2 and unrelated text about 0; multilingual-e5-small gives unrelated text 0.72 and a
//! good match 0.81. What is comparable is how far a tool stands out from what the *same query*
//! scores against tools in general. So the query is also compared with a fixed set of
//! reference tool descriptions on unrelated subjects (embedded once, on the document side, by
//! the configured embedder): their median similarity is the query's background and their
//! spread (the median absolute deviation, with a floor) its unit. A tool's
//! `z = (similarity − background) / spread` is mapped to 0..1 by a logistic curve whose two
//! constants were chosen once on the development sets (MetaTool dev, ToolLens test and the
//! off-topic queries in `bench/datasets/offtopic/`, with both embedders; BENCHMARKS.md), not per
//! embedder. A query that matches no tool better than it matches unrelated references gets
//! low relevance for every tool, so "nothing suitable" becomes an empty answer.

use tokio::sync::OnceCell;

use crate::domain::{Embedding, embedded_text};
use crate::embedding::{Embedder, EmbeddingError, InputKind};

/// The `z` at which relevance is 0.5.
const MIDPOINT: f32 = 3.0;
/// How many units of `z` move relevance from 0.27 to 0.73.
const SLOPE: f32 = 1.0;
/// The least spread, as a fraction of `1 − background`: a query whose references all score
/// alike (a lexical embedder, a query of rare words) would otherwise divide by nearly zero.
const MIN_SPREAD: f32 = 0.04;

/// Tool descriptions on subjects far from each other, standing for "any tool": a query's
/// similarity to them is its background. Their subjects may overlap a query's (the median
/// and the median absolute deviation ignore a few close ones).
const REFERENCES: &[(&str, &str)] = &[
    (
        "tide_tables",
        "Tide times and heights for a coastal station",
    ),
    (
        "font_converter",
        "Converts a TrueType font into web font formats",
    ),
    (
        "chess_engine",
        "Suggests the best next move in a chess position",
    ),
    (
        "parcel_tracker",
        "Tracks a parcel by its courier tracking number",
    ),
    (
        "bird_sounds",
        "Identifies a bird species from a recording of its song",
    ),
    (
        "invoice_numbering",
        "Issues the next sequential invoice number for a company",
    ),
    ("lunar_phase", "The phase of the moon on a given date"),
    ("dns_lookup", "Resolves a domain name to its DNS records"),
    (
        "crossword_solver",
        "Finds words that fit a crossword pattern of letters",
    ),
    (
        "mortgage_rates",
        "Current mortgage interest rates offered by banks",
    ),
    (
        "pollen_count",
        "Pollen levels for grass, trees and weeds in a region",
    ),
    ("qr_code", "Generates a QR code image that encodes a link"),
    (
        "dictionary",
        "Definitions, pronunciation and etymology of an English word",
    ),
    (
        "vat_validator",
        "Checks that a European VAT registration number is valid",
    ),
    (
        "train_departures",
        "Upcoming train departures from a railway station",
    ),
    (
        "git_blame",
        "Shows who last changed each line of a file in a repository",
    ),
    (
        "yoga_poses",
        "Instructions for yoga poses by difficulty level",
    ),
    ("wine_pairing", "Recommends a wine to go with a dish"),
    (
        "earthquake_feed",
        "Recent earthquakes above a magnitude near a location",
    ),
    (
        "color_palette",
        "Builds a harmonious colour palette from one colour",
    ),
    (
        "patent_search",
        "Searches granted patents by keyword and inventor",
    ),
    (
        "kanji_lookup",
        "Meanings and stroke order of a Japanese kanji character",
    ),
    ("sudoku", "Solves a sudoku puzzle given as a grid of digits"),
    (
        "shipping_containers",
        "Locates a shipping container by its ISO code",
    ),
    (
        "podcast_index",
        "Searches podcast episodes by title and host",
    ),
    (
        "blood_pressure_log",
        "Records blood pressure readings in a health diary",
    ),
    (
        "cron_parser",
        "Explains when a cron schedule expression runs",
    ),
    ("football_fixtures", "Upcoming football matches of a league"),
    (
        "barcode_product",
        "Looks up a retail product by its EAN barcode",
    ),
    (
        "solar_output",
        "Estimates the power a rooftop solar panel produces",
    ),
    (
        "library_catalog",
        "Checks whether a public library has a book on its shelves",
    ),
    (
        "ssl_checker",
        "Reports when a website's TLS certificate expires",
    ),
];

/// The reference embeddings, made on the first search and kept.
#[derive(Default)]
pub(super) struct Calibration {
    references: OnceCell<Vec<Embedding>>,
}

/// A query's background: where unrelated tools sit and how widely they spread.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Background {
    /// Median cosine similarity between the query and the reference tools.
    pub center: f32,
    /// Their median absolute deviation (scaled to a standard deviation), with a floor.
    pub spread: f32,
}

impl Background {
    /// The relevance of a tool with this cosine `similarity` to the query, in 0..1.
    pub fn relevance(&self, similarity: f32) -> f32 {
        let z = (similarity - self.center) / self.spread;
        1.0 / (1.0 + (-(z - MIDPOINT) / SLOPE).exp())
    }
}

impl Calibration {
    /// The reference embeddings, embedded on first use (a search calls this before it embeds
    /// its query, so the query is the last text a search sends to the model).
    pub(super) async fn references(
        &self,
        embedder: &dyn Embedder,
    ) -> Result<&[Embedding], EmbeddingError> {
        self.references
            .get_or_try_init(|| async {
                let texts: Vec<String> = REFERENCES
                    .iter()
                    .map(|(name, description)| {
                        embedded_text(name, description, None, &[], &[], &serde_json::Value::Null)
                    })
                    .collect();
                embedder.embed(&texts, InputKind::Document).await
            })
            .await
            .map(Vec::as_slice)
    }

    /// The background of the query whose embedding is `query`.
    pub(super) async fn background(
        &self,
        embedder: &dyn Embedder,
        query: &Embedding,
    ) -> Result<Background, EmbeddingError> {
        let references = self.references(embedder).await?;
        let sims: Vec<f32> = references
            .iter()
            .map(|r| cosine(r.as_slice(), query.as_slice()))
            .collect();
        Ok(background_of(sims))
    }
}

impl super::RegistryService {
    /// Embeds the reference descriptions now (at startup, so the first search does not wait
    /// for them). A failure is left for the first search to retry.
    pub async fn prepare_relevance(&self) {
        if let Err(e) = self.calibration.references(self.embedder.as_ref()).await {
            tracing::warn!(error = %e, "relevance references not embedded yet; the first search retries");
        }
    }
}

fn background_of(mut sims: Vec<f32>) -> Background {
    let center = median(&mut sims);
    let mut deviations: Vec<f32> = sims.iter().map(|s| (s - center).abs()).collect();
    let mad = median(&mut deviations) * 1.4826;
    Background {
        center,
        spread: mad.max(MIN_SPREAD * (1.0 - center).max(0.05)),
    }
}

fn median(xs: &mut [f32]) -> f32 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f32::total_cmp);
    let mid = xs.len() / 2;
    if xs.len().is_multiple_of(2) {
        (xs[mid - 1] + xs[mid]) / 2.0
    } else {
        xs[mid]
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_far_above_the_background_is_relevant_and_one_inside_it_is_not() {
        let bg = background_of(vec![0.70, 0.72, 0.71, 0.74, 0.73, 0.69, 0.95]);
        assert!((bg.center - 0.72).abs() < 1e-6);
        assert!(bg.relevance(0.90) > 0.9, "{}", bg.relevance(0.90));
        assert!(bg.relevance(0.73) < 0.2, "{}", bg.relevance(0.73));
    }

    #[test]
    fn relevance_rises_with_similarity_and_stays_in_the_unit_interval() {
        let bg = background_of(vec![0.0; 8]);
        let r: Vec<f32> = [-1.0, 0.0, 0.1, 0.2, 1.0]
            .iter()
            .map(|s| bg.relevance(*s))
            .collect();
        assert!(r.windows(2).all(|w| w[0] <= w[1]), "{r:?}");
        assert!(r.iter().all(|x| (0.0..=1.0).contains(x)), "{r:?}");
    }
}
