//! `FindQuery`: a search request, parsed once for REST (`POST /mcp/find_tool`) and MCP
//! (`find_tool`) alike, so its limits, defaults and error messages exist once.

use super::{FieldError, Fusion, FusionKind, QueryMode, SearchMethod, check_filter};

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2_000;

/// A search request as it arrives, before validation. Absent fields take the
/// [`SearchDefaults`].
#[derive(Debug, Clone, Default)]
pub struct FindRequest {
    pub query: String,
    pub limit: Option<i64>,
    pub threshold: Option<f64>,
    /// `weighted` or `rrf`.
    pub fusion: Option<String>,
    pub use_hybrid: Option<bool>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    /// `auto`, `single` or `task`.
    pub mode: Option<String>,
    /// `hybrid`, `vector` or `text`: which sides rank (default: `use_hybrid`'s choice).
    pub method: Option<String>,
}

/// The configured search defaults and bounds a request is parsed against.
#[derive(Debug, Clone, Copy)]
pub struct SearchDefaults {
    pub default_limit: u32,
    pub max_limit: u32,
    pub default_threshold: f32,
    pub use_hybrid: bool,
    /// The fusion a hybrid search uses when the request names none.
    pub fusion: FusionKind,
    /// Weight of the vector side in weighted fusion, 0..1.
    pub vector_weight: f32,
    /// The `k` of reciprocal rank fusion.
    pub rrf_k: f32,
}

impl SearchDefaults {
    /// The fusion `kind` with its configured parameters.
    pub fn fusion(&self, kind: FusionKind) -> Fusion {
        match kind {
            FusionKind::Weighted => Fusion::Weighted {
                vector_weight: self.vector_weight,
            },
            FusionKind::Rrf => Fusion::Rrf { k: self.rrf_k },
        }
    }

    /// The method a request that names none searches with.
    pub fn method(&self) -> SearchMethod {
        self.method_for(None, None)
    }

    fn method_for(&self, use_hybrid: Option<bool>, fusion: Option<FusionKind>) -> SearchMethod {
        if use_hybrid.unwrap_or(self.use_hybrid) {
            SearchMethod::Hybrid(self.fusion(fusion.unwrap_or(self.fusion)))
        } else {
            SearchMethod::Vector
        }
    }
}

/// A search request, validated.
#[derive(Debug, Clone)]
pub struct FindQuery {
    /// The query, trimmed, never empty.
    pub query: String,
    pub limit: u32,
    pub threshold: f32,
    pub method: SearchMethod,
    /// Only tools in this category.
    pub category: Option<String>,
    /// Only tools carrying all of these tags.
    pub tags: Option<Vec<String>>,
    /// Whether the query may be searched step by step (`domain::task_steps`).
    pub mode: QueryMode,
}

impl FindQuery {
    /// A query of one search with no filter: what `toolbox eval` and tests build directly.
    pub fn plain(query: &str, limit: u32, threshold: f32, method: SearchMethod) -> Self {
        Self {
            query: query.to_owned(),
            limit,
            threshold,
            method,
            category: None,
            tags: None,
            mode: QueryMode::Auto,
        }
    }

    /// Validates `req` against `defaults`. The first fault found is returned, with the JSON
    /// pointer of the field at fault: a blank query is `/query` `minLength`.
    pub fn parse(req: FindRequest, defaults: &SearchDefaults) -> Result<Self, FieldError> {
        let query = req.query.trim().to_owned();
        if query.is_empty() {
            return Err(FieldError::new("/query", "minLength", "must not be empty"));
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(FieldError::new(
                "/query",
                "maxLength",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let limit = req.limit.unwrap_or(i64::from(defaults.default_limit));
        if limit < 1 || limit > i64::from(defaults.max_limit) {
            return Err(FieldError::new(
                "/limit",
                "range",
                format!("must be between 1 and {}", defaults.max_limit),
            ));
        }
        let threshold = req
            .threshold
            .unwrap_or(f64::from(defaults.default_threshold));
        // Below 0 (down to -1, as when it was a cosine) keeps every hit.
        if !(-1.0..=1.0).contains(&threshold) {
            return Err(FieldError::new(
                "/threshold",
                "range",
                "is a relevance and must be between 0 and 1",
            ));
        }
        let fusion = match req.fusion.as_deref() {
            None => None,
            Some(raw) => Some(
                raw.parse::<FusionKind>()
                    .map_err(|reason| FieldError::new("/fusion", "enum", reason))?,
            ),
        };
        check_filter(req.category.as_deref(), req.tags.as_deref())?;
        let mode = match req.mode.as_deref() {
            None => QueryMode::default(),
            Some(raw) => raw
                .parse::<QueryMode>()
                .map_err(|reason| FieldError::new("/mode", "enum", reason))?,
        };
        let method = match req.method.as_deref() {
            None => defaults.method_for(req.use_hybrid, fusion),
            Some(raw) => {
                let hybrid = match raw {
                    "hybrid" => true,
                    "vector" | "text" => false,
                    _ => {
                        return Err(FieldError::new(
                            "/method",
                            "enum",
                            "is one of hybrid, vector, text",
                        ));
                    }
                };
                if req.use_hybrid.is_some_and(|h| h != hybrid) {
                    return Err(FieldError::new(
                        "/method",
                        "conflict",
                        "contradicts `use_hybrid`: send one of them",
                    ));
                }
                match raw {
                    "text" => SearchMethod::Text,
                    _ => defaults.method_for(Some(hybrid), fusion),
                }
            }
        };
        Ok(Self {
            mode,
            query,
            limit: limit as u32,
            threshold: threshold as f32,
            method,
            category: req.category,
            tags: req.tags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> SearchDefaults {
        SearchDefaults {
            default_limit: 5,
            max_limit: 50,
            default_threshold: 0.2,
            use_hybrid: false,
            fusion: FusionKind::Rrf,
            vector_weight: 0.7,
            rrf_k: 60.0,
        }
    }

    fn request(query: &str) -> FindRequest {
        FindRequest {
            query: query.into(),
            ..FindRequest::default()
        }
    }

    #[test]
    fn a_bare_query_takes_the_defaults() {
        let q = FindQuery::parse(request("  weather in Paris "), &defaults()).unwrap();
        assert_eq!(q.query, "weather in Paris");
        assert_eq!(q.limit, 5);
        assert_eq!(q.threshold, 0.2);
        assert_eq!(q.method, SearchMethod::Vector);
    }

    #[test]
    fn a_blank_query_is_refused_at_its_pointer() {
        let e = FindQuery::parse(request("   "), &defaults()).unwrap_err();
        assert_eq!(
            (e.pointer.as_str(), e.rule.as_str()),
            ("/query", "minLength")
        );
    }

    #[test]
    fn a_query_over_the_limit_is_refused() {
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        let e = FindQuery::parse(request(&long), &defaults()).unwrap_err();
        assert_eq!(e.rule, "maxLength");
    }

    #[test]
    fn an_unknown_mode_is_refused_at_its_pointer() {
        let req = FindRequest {
            mode: Some("steps".into()),
            ..request("q")
        };
        let e = FindQuery::parse(req, &defaults()).unwrap_err();
        assert_eq!((e.pointer.as_str(), e.rule.as_str()), ("/mode", "enum"));
        let task = FindRequest {
            mode: Some("task".into()),
            ..request("q")
        };
        assert_eq!(
            FindQuery::parse(task, &defaults()).unwrap().mode,
            QueryMode::Task
        );
    }

    #[test]
    fn a_method_picks_the_sides_and_may_not_contradict_use_hybrid() {
        let text = FindRequest {
            method: Some("text".into()),
            ..request("q")
        };
        assert_eq!(
            FindQuery::parse(text, &defaults()).unwrap().method,
            SearchMethod::Text
        );
        let vector = FindRequest {
            method: Some("vector".into()),
            ..request("q")
        };
        assert_eq!(
            FindQuery::parse(vector, &defaults()).unwrap().method,
            SearchMethod::Vector
        );
        let both = FindRequest {
            method: Some("text".into()),
            use_hybrid: Some(true),
            ..request("q")
        };
        let e = FindQuery::parse(both, &defaults()).unwrap_err();
        assert_eq!(
            (e.pointer.as_str(), e.rule.as_str()),
            ("/method", "conflict")
        );
        let odd = FindRequest {
            method: Some("bm25".into()),
            ..request("q")
        };
        assert_eq!(FindQuery::parse(odd, &defaults()).unwrap_err().rule, "enum");
    }

    #[test]
    fn hybrid_takes_the_requested_fusion() {
        let req = FindRequest {
            use_hybrid: Some(true),
            fusion: Some("weighted".into()),
            ..request("q")
        };
        let q = FindQuery::parse(req, &defaults()).unwrap();
        assert_eq!(
            q.method,
            SearchMethod::Hybrid(Fusion::Weighted { vector_weight: 0.7 })
        );
    }
}
