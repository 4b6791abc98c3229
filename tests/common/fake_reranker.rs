//! A real HTTP server speaking TEI's `/rerank` and the Cohere/Jina-style `/v1/rerank`, for
//! tests. It scores a document 1 when it contains the favoured word and 0 otherwise, so a test
//! knows which tool a working reranker puts first; it can fail, rate-limit or hang, for every
//! request or as a scripted sequence, and it keeps each request's body.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Mutex;

#[derive(Debug, Clone)]
pub enum Mode {
    Ok,
    /// Answer with this status.
    Fail(u16),
    /// 429 with `Retry-After: 0`.
    RateLimited,
    /// Sleep this long before answering.
    Hang(Duration),
}

#[derive(Clone)]
pub struct FakeReranker {
    pub url: String,
    requests: Arc<AtomicUsize>,
    pub bodies: Arc<Mutex<Vec<Value>>>,
    favoured: Arc<Mutex<String>>,
    mode: Arc<Mutex<Mode>>,
    script: Arc<Mutex<VecDeque<Mode>>>,
}

impl FakeReranker {
    /// Starts a server that favours documents containing `favoured`.
    pub async fn start(favoured: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = Self {
            url: format!("http://127.0.0.1:{port}"),
            requests: Arc::new(AtomicUsize::new(0)),
            bodies: Arc::new(Mutex::new(Vec::new())),
            favoured: Arc::new(Mutex::new(favoured.to_owned())),
            mode: Arc::new(Mutex::new(Mode::Ok)),
            script: Arc::new(Mutex::new(VecDeque::new())),
        };
        let app = axum::Router::new()
            .route("/rerank", post(tei))
            .route("/v1/rerank", post(cohere))
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    pub async fn set_mode(&self, mode: Mode) {
        *self.mode.lock().await = mode;
    }

    /// Answers the next requests with these modes, one each, then falls back to the mode.
    pub async fn script(&self, steps: impl IntoIterator<Item = Mode>) {
        self.script.lock().await.extend(steps);
    }

    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// The scores of `docs`, or the failure the mode asks for.
async fn score(s: &FakeReranker, body: Value, docs_field: &str) -> Result<Vec<f32>, Response> {
    s.requests.fetch_add(1, Ordering::SeqCst);
    s.bodies.lock().await.push(body.clone());
    let mode = match s.script.lock().await.pop_front() {
        Some(m) => m,
        None => s.mode.lock().await.clone(),
    };
    match mode {
        Mode::Ok => {}
        Mode::Fail(code) => {
            return Err((StatusCode::from_u16(code).unwrap(), "failing on purpose").into_response());
        }
        Mode::RateLimited => {
            return Err((
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "0")],
                "slow down",
            )
                .into_response());
        }
        Mode::Hang(d) => tokio::time::sleep(d).await,
    }
    let favoured = s.favoured.lock().await.clone();
    Ok(body[docs_field]
        .as_array()
        .map(|docs| {
            docs.iter()
                .map(|d| f32::from(u8::from(d.as_str().unwrap_or("").contains(&favoured))))
                .collect()
        })
        .unwrap_or_default())
}

async fn tei(State(s): State<FakeReranker>, Json(body): Json<Value>) -> Response {
    match score(&s, body, "texts").await {
        Ok(scores) => {
            let out: Vec<Value> = scores
                .iter()
                .enumerate()
                .map(|(i, sc)| json!({"index": i, "score": sc}))
                .collect();
            Json(out).into_response()
        }
        Err(r) => r,
    }
}

async fn cohere(State(s): State<FakeReranker>, Json(body): Json<Value>) -> Response {
    match score(&s, body, "documents").await {
        Ok(scores) => {
            let results: Vec<Value> = scores
                .iter()
                .enumerate()
                .map(|(i, sc)| json!({"index": i, "relevance_score": sc}))
                .collect();
            Json(json!({"results": results})).into_response()
        }
        Err(r) => r,
    }
}
