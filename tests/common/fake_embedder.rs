//! A real HTTP server speaking the OpenAI embeddings API, for tests. Vectors come from the
//! built-in embedder, so results are deterministic; each test can make the server fail, hang
//! or answer with the wrong dimension, and can count the requests it received.
//!
//! To stand in for a model that knows meaning, words in [`SYNONYMS`] are replaced by their
//! canonical word before embedding: `hire an automobile` embeds like `rent a vehicle`.

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
}

#[derive(Clone)]
pub struct FakeEmbedder {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
    pub inputs: Arc<Mutex<Vec<Vec<String>>>>,
    /// The `input_type` field of each request, in order.
    pub input_types: Arc<Mutex<Vec<Option<String>>>>,
    mode: Arc<Mutex<Mode>>,
}

#[derive(Clone)]
struct ServerState {
    dimension: usize,
    requests: Arc<AtomicUsize>,
    inputs: Arc<Mutex<Vec<Vec<String>>>>,
    input_types: Arc<Mutex<Vec<Option<String>>>>,
    mode: Arc<Mutex<Mode>>,
}

impl FakeEmbedder {
    pub async fn start(dimension: usize) -> Self {
        let requests = Arc::new(AtomicUsize::new(0));
        let inputs = Arc::new(Mutex::new(Vec::new()));
        let input_types = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(Mode::Ok));
        let state = ServerState {
            dimension,
            requests: requests.clone(),
            inputs: inputs.clone(),
            input_types: input_types.clone(),
            mode: mode.clone(),
        };
        let app = axum::Router::new()
            .route("/v1/embeddings", post(embeddings))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            inputs,
            input_types,
            mode,
        }
    }

    pub async fn set_mode(&self, mode: Mode) {
        *self.mode.lock().await = mode;
    }

    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn embeddings(State(s): State<ServerState>, Json(body): Json<Value>) -> Response {
    s.requests.fetch_add(1, Ordering::SeqCst);
    let texts: Vec<String> = match &body["input"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect(),
        _ => return (StatusCode::BAD_REQUEST, "input missing").into_response(),
    };
    s.inputs.lock().await.push(texts.clone());
    s.input_types
        .lock()
        .await
        .push(body["input_type"].as_str().map(str::to_owned));
    let mode = s.mode.lock().await.clone();
    let dimension = match mode {
        Mode::Fail(code) => {
            return (StatusCode::from_u16(code).unwrap(), "failing on purpose").into_response();
        }
        Mode::Hang(d) => {
            tokio::time::sleep(d).await;
            s.dimension
        }
        Mode::WrongDimension(d) => d,
        Mode::Ok => s.dimension,
    };
    let embedder = BuiltinEmbedder::new(dimension);
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": embedder.embed_text(&canonical(t))}))
        .collect();
    Json(json!({"object": "list", "data": data, "model": body["model"]})).into_response()
}
