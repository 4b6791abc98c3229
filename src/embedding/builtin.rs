//! The built-in embedder: lexical, deterministic, no model and no network.
//!
//! It hashes words, word pairs and character trigrams into a fixed number of signed buckets
//! and L2-normalises the result (feature hashing). Texts that share words score high; a
//! paraphrase with no word in common scores near zero. It is meant for development, tests
//! and small catalogues; use a real embedding model for semantic search in production.

use async_trait::async_trait;

use super::{Embedder, EmbeddingError, InputKind};
use crate::domain::{Embedding, split_identifier};

/// Common English words that carry no meaning for matching.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "for", "from", "how", "i", "in",
    "is", "it", "me", "my", "of", "on", "or", "please", "that", "the", "this", "to", "what",
    "with", "you", "your", "want", "need", "some", "which", "will", "would", "could", "should",
];

#[derive(Debug, Clone)]
pub struct BuiltinEmbedder {
    dimension: usize,
}

impl BuiltinEmbedder {
    pub fn new(dimension: usize) -> Self {
        Self { dimension }
    }

    /// Embeds one text synchronously.
    pub fn embed_text(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dimension];
        let words: Vec<String> = tokens(text);
        for w in &words {
            self.add(&mut v, w.as_bytes(), 1.0);
            let padded = format!("#{w}#");
            let chars: Vec<char> = padded.chars().collect();
            for tri in chars.windows(3) {
                let s: String = tri.iter().collect();
                self.add(&mut v, format!("3:{s}").as_bytes(), 0.35);
            }
        }
        for pair in words.windows(2) {
            self.add(&mut v, format!("{} {}", pair[0], pair[1]).as_bytes(), 0.5);
        }
        if v.iter().all(|x| *x == 0.0) {
            // A text of stop words or punctuation only has no features, and a zero vector
            // cannot be compared by cosine: one fixed feature gives it a direction, shared by
            // every such text and unrelated to any word.
            self.add(&mut v, b"\0featureless", 1.0);
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }

    fn add(&self, v: &mut [f32], feature: &[u8], weight: f32) {
        let h = fnv1a(feature);
        let idx = (h % self.dimension as u64) as usize;
        let sign = if (h >> 63) == 0 { 1.0 } else { -1.0 };
        v[idx] += sign * weight;
    }
}

/// Lowercase words with identifiers split, stop words dropped and a light plural stemming.
fn tokens(text: &str) -> Vec<String> {
    split_identifier(text)
        .split_whitespace()
        .filter(|w| !STOP_WORDS.contains(w))
        .map(stem)
        .collect()
}

fn stem(w: &str) -> String {
    let w = w.to_owned();
    if w.len() > 4 && w.ends_with("ies") {
        format!("{}y", &w[..w.len() - 3])
    } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_owned()
    } else {
        w
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[async_trait]
impl Embedder for BuiltinEmbedder {
    async fn embed(
        &self,
        texts: &[String],
        _kind: InputKind,
    ) -> Result<Vec<Embedding>, EmbeddingError> {
        texts
            .iter()
            .map(|t| {
                Embedding::parse(self.embed_text(t), self.dimension).map_err(|reason| {
                    EmbeddingError::BadResponse {
                        endpoint: "builtin".into(),
                        reason,
                    }
                })
            })
            .collect()
    }

    fn model_id(&self) -> String {
        format!("builtin-lexical-v1/{}", self.dimension)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn embeddings_are_deterministic_and_normalised() {
        let e = BuiltinEmbedder::new(384);
        let a = e.embed_text("Convert PDF files to text");
        assert_eq!(a, e.embed_text("Convert PDF files to text"));
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
    }

    #[test]
    fn shared_words_score_higher_than_unrelated_text() {
        let e = BuiltinEmbedder::new(384);
        let doc = e.embed_text("get_weather: current weather forecast for a city");
        let near = e.embed_text("what is the weather in Paris");
        let far = e.embed_text("convert a csv file into json");
        assert!(cos(&doc, &near) > cos(&doc, &far) + 0.1);
    }

    #[test]
    fn a_text_without_words_still_embeds_to_a_unit_vector() {
        let e = BuiltinEmbedder::new(8);
        for text in ["", "the", "?!"] {
            let v = e.embed_text(text);
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "{text:?}");
        }
    }
}
