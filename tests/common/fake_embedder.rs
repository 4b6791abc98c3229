//! A real HTTP server speaking the OpenAI embeddings API (`/v1/embeddings`) and Hugging Face
//! TEI (`/embed`), for tests. Vectors come from the built-in embedder, so results are
//! deterministic; each test can make the server fail, hang, rate-limit or answer with the
//! wrong dimension or an all-zero vector (for every request, or as a scripted sequence), and can count and inspect
//! the requests it received.
//!
//! To stand in for a model that knows meaning, words in [`SYNONYMS`] are replaced by their
//! canonical word before embedding: `hire an automobile` embeds like `rent a vehicle`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use toolbox::embedding::BuiltinEmbedder;

/// (word, canonical word): the fake model's whole knowledge of meaning.
pub const SYNONYMS: &[(&str, &str)] = &[
    ("automobile", "vehicle"),
    ("hire", "rent"),
    ("motorcar", "vehicle"),
    ("leasing", "rental"),
];

fn canonical(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            let lower = w.to_lowercase();
            SYNONYMS
                .iter()
                .find(|(from, _)| *from == lower)
                .map_or(w.to_owned(), |(_, to)| (*to).to_owned())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, Clone)]
pub enum Mode {
    Ok,
    /// Answer every request with this status.
    Fail(u16),
    /// Answer with a vector of this dimension.
    WrongDimension(usize),
    /// Sleep this long before answering.
    Hang(Duration),
    /// 429 with `Retry-After: {0}` (seconds).
    RateLimited(u64),
    /// Answer with all-zero vectors of the right dimension.
    Zero,
}

/// A request's JSON body and its `Authorization` header.
pub type Received = (Value, Option<String>);

#[derive(Clone)]
pub struct FakeEmbedder {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
    /// The texts of each request, in arrival order.
    pub inputs: Arc<Mutex<Vec<Vec<String>>>>,
    /// Each request's JSON body and `Authorization` header.
    pub bodies: Arc<Mutex<Vec<Received>>>,
    /// Requests being answered right now, and the most there ever were at once.
    pub in_flight: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
    mode: Arc<Mutex<Mode>>,
    script: Arc<Mutex<VecDeque<Mode>>>,
}

#[derive(Clone)]
struct ServerState {
    dimension: usize,
    server: FakeEmbedder,
}

enum Format {
    OpenAi,
    Tei,
}

impl FakeEmbedder {
    pub async fn start(dimension: usize) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = Self {
            url: format!("http://127.0.0.1:{port}"),
            requests: Arc::new(AtomicUsize::new(0)),
            inputs: Arc::new(Mutex::new(Vec::new())),
            bodies: Arc::new(Mutex::new(Vec::new())),
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: Arc::new(AtomicUsize::new(0)),
            mode: Arc::new(Mutex::new(Mode::Ok)),
            script: Arc::new(Mutex::new(VecDeque::new())),
        };
        let state = ServerState {
            dimension,
            server: server.clone(),
        };
        let app = axum::Router::new()
            .route("/v1/embeddings", post(openai))
            .route("/embed", post(tei))
            .with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    /// How every request is answered once the script is used up.
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

    /// Sizes of the batches received, in arrival order.
    pub async fn batch_sizes(&self) -> Vec<usize> {
        self.inputs.lock().await.iter().map(Vec::len).collect()
    }
}

async fn openai(
    State(s): State<ServerState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    respond(s, headers, body, Format::OpenAi).await
}

async fn tei(
    State(s): State<ServerState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    respond(s, headers, body, Format::Tei).await
}

async fn respond(s: ServerState, headers: HeaderMap, body: Value, format: Format) -> Response {
    let f = &s.server;
    f.requests.fetch_add(1, Ordering::SeqCst);
    let now = f.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    f.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _done = InFlight(f.in_flight.clone());
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    f.bodies.lock().await.push((body.clone(), auth));
    let field = match format {
        Format::OpenAi => "input",
        Format::Tei => "inputs",
    };
    let texts: Vec<String> = match &body[field] {
        Value::String(t) => vec![t.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect(),
        _ => return (StatusCode::BAD_REQUEST, "input missing").into_response(),
    };
    f.inputs.lock().await.push(texts.clone());
    let scripted = f.script.lock().await.pop_front();
    let mode = match scripted {
        Some(m) => m,
        None => f.mode.lock().await.clone(),
    };
    let dimension = match mode {
        Mode::Fail(code) => {
            return (StatusCode::from_u16(code).unwrap(), "failing on purpose").into_response();
        }
        Mode::RateLimited(secs) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                "slow down",
            )
                .into_response();
        }
        Mode::Hang(d) => {
            tokio::time::sleep(d).await;
            s.dimension
        }
        Mode::WrongDimension(d) => d,
        Mode::Ok | Mode::Zero => s.dimension,
    };
    let embedder = BuiltinEmbedder::new(dimension);
    let vectors: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| match mode {
            Mode::Zero => vec![0.0; dimension],
            _ => embedder.embed_text(&canonical(t)),
        })
        .collect();
    match format {
        Format::Tei => Json(json!(vectors)).into_response(),
        Format::OpenAi => {
            let data: Vec<Value> = vectors
                .into_iter()
                .enumerate()
                .map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v}))
                .collect();
            Json(json!({"object": "list", "data": data, "model": body["model"]})).into_response()
        }
    }
}

/// Decrements the in-flight count however the handler returns.
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
