//! The two wire formats: OpenAI-compatible `/v1/embeddings` and Hugging Face TEI `/embed`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::ApiFormat;

#[derive(Deserialize)]
struct OpenAiResponse {
    data: Vec<OpenAiItem>,
}

#[derive(Deserialize)]
struct OpenAiItem {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

/// The URL to post to: a base URL gets the format's path appended; a full URL is kept.
pub fn endpoint_url(format: ApiFormat, base: &str) -> String {
    let trimmed = base.trim_end_matches('/');
    match format {
        ApiFormat::OpenAi if trimmed.ends_with("/embeddings") => trimmed.to_owned(),
        ApiFormat::OpenAi if trimmed.ends_with("/v1") => format!("{trimmed}/embeddings"),
        ApiFormat::OpenAi => format!("{trimmed}/v1/embeddings"),
        ApiFormat::Tei if trimmed.ends_with("/embed") => trimmed.to_owned(),
        ApiFormat::Tei => format!("{trimmed}/embed"),
    }
}

/// The request body. TEI serves one model and takes no model name; OpenAI does.
pub fn request_body(
    format: ApiFormat,
    model: &str,
    texts: &[String],
    input_type: Option<&str>,
) -> Value {
    match format {
        ApiFormat::OpenAi => {
            let mut body = json!({ "model": model, "input": texts });
            if let Some(t) = input_type {
                body["input_type"] = json!(t);
            }
            body
        }
        ApiFormat::Tei => json!({ "inputs": texts, "normalize": true, "truncate": true }),
    }
}

/// Parses a response body into vectors in input order.
pub fn parse_response(format: ApiFormat, body: &[u8]) -> Result<Vec<Vec<f32>>, String> {
    match format {
        ApiFormat::OpenAi => {
            let mut parsed: OpenAiResponse =
                serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
            parsed.data.sort_by_key(|d| d.index.unwrap_or(0));
            Ok(parsed.data.into_iter().map(|d| d.embedding).collect())
        }
        ApiFormat::Tei => serde_json::from_slice::<Vec<Vec<f32>>>(body)
            .map_err(|e| format!("invalid JSON (expected an array of vectors): {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_accepts_base_or_full_url() {
        let o = ApiFormat::OpenAi;
        assert_eq!(endpoint_url(o, "http://h:1"), "http://h:1/v1/embeddings");
        assert_eq!(
            endpoint_url(o, "http://h:1/v1/"),
            "http://h:1/v1/embeddings"
        );
        assert_eq!(
            endpoint_url(o, "http://h:1/v1/embeddings"),
            "http://h:1/v1/embeddings"
        );
        assert_eq!(
            endpoint_url(ApiFormat::Tei, "http://h:1/"),
            "http://h:1/embed"
        );
        assert_eq!(
            endpoint_url(ApiFormat::Tei, "http://h:1/embed"),
            "http://h:1/embed"
        );
    }

    #[test]
    fn both_formats_parse_in_input_order() {
        let openai = br#"{"data":[{"index":1,"embedding":[2.0]},{"index":0,"embedding":[1.0]}]}"#;
        assert_eq!(
            parse_response(ApiFormat::OpenAi, openai).unwrap(),
            vec![vec![1.0], vec![2.0]]
        );
        assert_eq!(
            parse_response(ApiFormat::Tei, b"[[1.0],[2.0]]").unwrap(),
            vec![vec![1.0], vec![2.0]]
        );
        assert!(parse_response(ApiFormat::Tei, openai).is_err());
    }

    #[test]
    fn tei_takes_no_model_and_openai_does() {
        let texts = vec!["a".to_owned()];
        let o = request_body(ApiFormat::OpenAi, "m", &texts, Some("query"));
        assert_eq!(o["model"], "m");
        assert_eq!(o["input_type"], "query");
        let t = request_body(ApiFormat::Tei, "m", &texts, Some("query"));
        assert!(t.get("model").is_none());
        assert_eq!(t["inputs"], json!(["a"]));
    }
}
