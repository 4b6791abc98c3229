//! The two reranking wire formats: TEI's and the Cohere/Jina-style one.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::RerankFormat;

/// The URL to post to: `{base}/rerank` (TEI) or `{base}/v1/rerank` (Cohere style), unless the
/// configured URL already ends with `/rerank`.
pub(super) fn endpoint_url(format: RerankFormat, base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/rerank") {
        return base.to_owned();
    }
    match format {
        RerankFormat::Tei => format!("{base}/rerank"),
        RerankFormat::Cohere if base.ends_with("/v1") => format!("{base}/rerank"),
        RerankFormat::Cohere => format!("{base}/v1/rerank"),
    }
}

pub(super) fn request_body(
    format: RerankFormat,
    model: &str,
    query: &str,
    documents: &[String],
) -> Value {
    match format {
        RerankFormat::Tei => json!({"query": query, "texts": documents, "truncate": true}),
        RerankFormat::Cohere => {
            let mut body = json!({"query": query, "documents": documents,
                                  "top_n": documents.len()});
            if !model.is_empty() {
                body["model"] = json!(model);
            }
            body
        }
    }
}

#[derive(Deserialize)]
struct Scored {
    index: usize,
    #[serde(alias = "relevance_score")]
    score: f32,
}

#[derive(Deserialize)]
struct CohereResponse {
    results: Vec<Scored>,
}

/// One score per document, in the documents' order; every document must be scored once.
pub(super) fn parse_response(
    format: RerankFormat,
    body: &[u8],
    expected: usize,
) -> Result<Vec<f32>, String> {
    let scored: Vec<Scored> = match format {
        RerankFormat::Tei => serde_json::from_slice(body),
        RerankFormat::Cohere => serde_json::from_slice::<CohereResponse>(body).map(|r| r.results),
    }
    .map_err(|e| format!("unreadable response: {e}"))?;
    let mut scores = vec![f32::NAN; expected];
    for s in scored {
        let slot = scores
            .get_mut(s.index)
            .ok_or_else(|| format!("index {} out of range", s.index))?;
        if !s.score.is_finite() {
            return Err(format!("score of document {} is not a number", s.index));
        }
        *slot = s.score;
    }
    if let Some(missing) = scores.iter().position(|s| s.is_nan()) {
        return Err(format!("document {missing} was not scored"));
    }
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_post_to_their_path_and_read_scores_in_document_order() {
        assert_eq!(
            endpoint_url(RerankFormat::Tei, "http://h:8080/"),
            "http://h:8080/rerank"
        );
        assert_eq!(
            endpoint_url(RerankFormat::Cohere, "https://api.jina.ai"),
            "https://api.jina.ai/v1/rerank"
        );
        let tei = br#"[{"index":1,"score":0.9},{"index":0,"score":0.1}]"#;
        assert_eq!(
            parse_response(RerankFormat::Tei, tei, 2).unwrap(),
            [0.1, 0.9]
        );
        let cohere =
            br#"{"results":[{"index":0,"relevance_score":0.3},{"index":1,"relevance_score":0.7}]}"#;
        assert_eq!(
            parse_response(RerankFormat::Cohere, cohere, 2).unwrap(),
            [0.3, 0.7]
        );
    }

    #[test]
    fn a_response_missing_a_document_is_refused() {
        let tei = br#"[{"index":0,"score":0.9}]"#;
        assert!(parse_response(RerankFormat::Tei, tei, 2).is_err());
        assert!(parse_response(RerankFormat::Tei, b"[{\"index\":5,\"score\":1}]", 2).is_err());
    }
}
