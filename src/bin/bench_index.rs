//! Benchmark of the in-process search index alone (`bench_index N [QUERIES]`): generates N
//! synthetic tools shaped like `bench/gen.py`'s (24 categories, each with its own
//! vocabulary; deterministic), embeds them with the built-in embedder, builds the index in
//! batches, adds the 199 MetaTool tools as an island of real tools, then prints build time,
//! memory, per-query p50/p95 for text top-10 and vector top-10 and top-50 (single thread,
//! distinct queries), the vector search's recall against the exact scan for generated
//! queries, MetaTool queries (out of distribution) and dense model-like vectors, and what one
//! write costs until it is visible.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Map, Value, json};
use toolbox::domain::{Embedding, Tool, embedded_text};
use toolbox::embedding::BuiltinEmbedder;
use toolbox::search_index::{Change, IndexDoc, IndexFilter, SearchIndex};

const DIMENSION: usize = 384;
/// Tools per `apply`, as a bulk import would hand them over.
const BATCH: usize = 50_000;

/// Category → (verbs, objects, tags, providers), as in `bench/gen.py`.
type Domain = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const DOMAINS: &[Domain] = &[
    (
        "weather",
        &["get", "fetch", "forecast", "lookup"],
        &[
            "current weather",
            "hourly forecast",
            "rain probability",
            "uv index",
            "air quality",
            "wind speed",
            "storm alerts",
            "snow depth",
        ],
        &[
            "forecast",
            "climate",
            "meteo",
            "alerts",
            "temperature",
            "rain",
            "wind",
            "geo",
            "realtime",
            "daily",
            "hourly",
            "public-data",
        ],
        &["OpenMeteo", "NOAA", "MetOffice", "WeatherKit"],
    ),
    (
        "finance",
        &["convert", "quote", "calculate", "fetch"],
        &[
            "exchange rate",
            "stock price",
            "loan interest",
            "currency amount",
            "portfolio value",
            "dividend history",
            "inflation rate",
            "bond yield",
        ],
        &[
            "currency",
            "stocks",
            "fx",
            "markets",
            "banking",
            "interest",
            "crypto",
            "pricing",
            "realtime",
            "history",
            "tax",
            "portfolio",
        ],
        &["ECB", "Yahoo Finance", "Alpaca", "Plaid"],
    ),
    (
        "geo",
        &["geocode", "reverse", "route", "measure"],
        &[
            "street address",
            "gps coordinates",
            "driving route",
            "walking distance",
            "time zone",
            "postal code",
            "country borders",
            "elevation",
        ],
        &[
            "maps",
            "location",
            "routing",
            "address",
            "coordinates",
            "distance",
            "timezone",
            "travel",
            "gis",
            "places",
            "navigation",
            "postal",
        ],
        &["OpenStreetMap", "Mapbox", "HERE", "Nominatim"],
    ),
    (
        "email",
        &["send", "draft", "search", "archive"],
        &[
            "email message",
            "mail thread",
            "attachment",
            "newsletter",
            "inbox folder",
            "auto reply",
            "mailing list",
            "spam report",
        ],
        &[
            "smtp",
            "inbox",
            "messaging",
            "notifications",
            "outreach",
            "templates",
            "imap",
            "attachments",
            "marketing",
            "support",
            "gmail",
            "outlook",
        ],
        &["Gmail", "SendGrid", "Mailgun", "Postmark"],
    ),
    (
        "calendar",
        &["create", "list", "reschedule", "cancel"],
        &[
            "meeting",
            "calendar event",
            "room booking",
            "availability slot",
            "reminder",
            "recurring event",
            "agenda",
            "out of office",
        ],
        &[
            "scheduling",
            "meetings",
            "events",
            "availability",
            "reminders",
            "booking",
            "ical",
            "teams",
            "productivity",
            "timezone",
            "rooms",
            "invites",
        ],
        &["Google Calendar", "Outlook", "CalDAV", "Calendly"],
    ),
    (
        "files",
        &["upload", "download", "convert", "compress"],
        &[
            "pdf document",
            "image file",
            "spreadsheet",
            "zip archive",
            "text file",
            "folder listing",
            "file metadata",
            "shared link",
        ],
        &[
            "storage",
            "documents",
            "pdf",
            "images",
            "conversion",
            "archive",
            "sharing",
            "s3",
            "drive",
            "metadata",
            "backup",
            "sync",
        ],
        &["S3", "Google Drive", "Dropbox", "Box"],
    ),
    (
        "database",
        &["query", "insert", "export", "migrate"],
        &[
            "sql table",
            "customer records",
            "query results",
            "database schema",
            "index statistics",
            "backup snapshot",
            "replication lag",
            "slow queries",
        ],
        &[
            "sql",
            "postgres",
            "mysql",
            "analytics",
            "schema",
            "backup",
            "etl",
            "reporting",
            "nosql",
            "tables",
            "replication",
            "performance",
        ],
        &["PostgreSQL", "MySQL", "BigQuery", "Snowflake"],
    ),
    (
        "devops",
        &["deploy", "restart", "scale", "inspect"],
        &[
            "kubernetes pod",
            "docker container",
            "ci pipeline",
            "build logs",
            "server metrics",
            "load balancer",
            "dns record",
            "tls certificate",
        ],
        &[
            "kubernetes",
            "docker",
            "ci",
            "cd",
            "monitoring",
            "logs",
            "infrastructure",
            "cloud",
            "dns",
            "certificates",
            "scaling",
            "incidents",
        ],
        &["Kubernetes", "GitHub Actions", "Terraform", "Datadog"],
    ),
    (
        "code",
        &["lint", "format", "search", "review"],
        &[
            "source code",
            "pull request",
            "git commit",
            "code snippet",
            "dependency list",
            "test coverage",
            "stack trace",
            "api docs",
        ],
        &[
            "git",
            "github",
            "python",
            "rust",
            "javascript",
            "testing",
            "review",
            "refactoring",
            "security",
            "dependencies",
            "docs",
            "linting",
        ],
        &["GitHub", "GitLab", "Sourcegraph", "SonarQube"],
    ),
    (
        "text",
        &["summarize", "translate", "classify", "extract"],
        &[
            "article text",
            "keywords",
            "named entities",
            "sentiment",
            "language",
            "key phrases",
            "reading level",
            "document summary",
        ],
        &[
            "nlp",
            "translation",
            "summarization",
            "sentiment",
            "entities",
            "language",
            "classification",
            "keywords",
            "writing",
            "grammar",
            "ocr",
            "multilingual",
        ],
        &["DeepL", "spaCy", "HuggingFace", "AWS Comprehend"],
    ),
    (
        "media",
        &["resize", "transcode", "caption", "detect"],
        &[
            "video clip",
            "audio track",
            "thumbnail",
            "photo",
            "subtitles",
            "faces",
            "music metadata",
            "podcast episode",
        ],
        &[
            "video",
            "audio",
            "images",
            "transcoding",
            "subtitles",
            "vision",
            "thumbnails",
            "streaming",
            "music",
            "podcasts",
            "ffmpeg",
            "captions",
        ],
        &["FFmpeg", "Cloudinary", "Mux", "Rekognition"],
    ),
    (
        "crm",
        &["create", "update", "find", "merge"],
        &[
            "contact",
            "sales lead",
            "deal stage",
            "company account",
            "support ticket",
            "customer note",
            "pipeline report",
            "duplicate contacts",
        ],
        &[
            "sales",
            "customers",
            "leads",
            "deals",
            "accounts",
            "support",
            "tickets",
            "pipeline",
            "contacts",
            "b2b",
            "salesforce",
            "hubspot",
        ],
        &["Salesforce", "HubSpot", "Pipedrive", "Zendesk"],
    ),
    (
        "ecommerce",
        &["list", "update", "refund", "track"],
        &[
            "product listing",
            "order status",
            "shipment",
            "inventory level",
            "shopping cart",
            "discount code",
            "customer review",
            "return request",
        ],
        &[
            "orders",
            "products",
            "inventory",
            "shipping",
            "payments",
            "refunds",
            "catalog",
            "shopify",
            "checkout",
            "returns",
            "reviews",
            "coupons",
        ],
        &["Shopify", "WooCommerce", "Stripe", "ShipStation"],
    ),
    (
        "social",
        &["post", "schedule", "analyze", "search"],
        &[
            "social post",
            "tweet",
            "follower growth",
            "hashtag trends",
            "mentions",
            "comment thread",
            "profile stats",
            "engagement report",
        ],
        &[
            "twitter",
            "linkedin",
            "instagram",
            "analytics",
            "posting",
            "engagement",
            "hashtags",
            "mentions",
            "marketing",
            "community",
            "trends",
            "scheduling",
        ],
        &["X", "LinkedIn", "Instagram", "Mastodon"],
    ),
    (
        "security",
        &["scan", "rotate", "audit", "verify"],
        &[
            "api key",
            "password strength",
            "vulnerability report",
            "access log",
            "ssl configuration",
            "user permissions",
            "secret value",
            "two factor code",
        ],
        &[
            "vulnerabilities",
            "secrets",
            "auth",
            "audit",
            "compliance",
            "passwords",
            "iam",
            "encryption",
            "tls",
            "scanning",
            "mfa",
            "logs",
        ],
        &["Vault", "Snyk", "Okta", "Trivy"],
    ),
    (
        "hr",
        &["onboard", "list", "approve", "schedule"],
        &[
            "new employee",
            "leave request",
            "payroll run",
            "job posting",
            "interview",
            "performance review",
            "org chart",
            "timesheet",
        ],
        &[
            "hiring",
            "payroll",
            "employees",
            "recruiting",
            "leave",
            "onboarding",
            "reviews",
            "timesheets",
            "benefits",
            "org",
            "interviews",
            "people",
        ],
        &["Workday", "BambooHR", "Greenhouse", "Gusto"],
    ),
    (
        "travel",
        &["search", "book", "cancel", "compare"],
        &[
            "flight",
            "hotel room",
            "train ticket",
            "rental car",
            "travel itinerary",
            "visa requirements",
            "airport delays",
            "seat map",
        ],
        &[
            "flights",
            "hotels",
            "booking",
            "trains",
            "airlines",
            "itinerary",
            "visa",
            "cars",
            "airports",
            "fares",
            "trips",
            "loyalty",
        ],
        &["Amadeus", "Skyscanner", "Booking.com", "Sabre"],
    ),
    (
        "health",
        &["log", "lookup", "calculate", "remind"],
        &[
            "medication dose",
            "heart rate",
            "sleep data",
            "calorie intake",
            "symptom",
            "step count",
            "blood pressure",
            "appointment",
        ],
        &[
            "fitness",
            "medical",
            "nutrition",
            "sleep",
            "wearables",
            "medication",
            "symptoms",
            "wellness",
            "steps",
            "vitals",
            "appointments",
            "diet",
        ],
        &["Fitbit", "Apple Health", "FHIR", "MyFitnessPal"],
    ),
    (
        "math",
        &["solve", "compute", "plot", "convert"],
        &[
            "equation",
            "matrix",
            "statistics summary",
            "unit conversion",
            "integral",
            "probability",
            "regression",
            "prime factors",
        ],
        &[
            "algebra",
            "statistics",
            "calculus",
            "units",
            "matrices",
            "plotting",
            "probability",
            "numbers",
            "geometry",
            "regression",
            "symbolic",
            "numeric",
        ],
        &["SymPy", "Wolfram", "NumPy", "R"],
    ),
    (
        "search",
        &["search", "crawl", "index", "rank"],
        &[
            "web pages",
            "news articles",
            "academic papers",
            "images",
            "site map",
            "search results",
            "knowledge base",
            "faq entries",
        ],
        &[
            "web",
            "news",
            "papers",
            "crawler",
            "indexing",
            "ranking",
            "scholar",
            "knowledge",
            "faq",
            "rag",
            "retrieval",
            "sitemaps",
        ],
        &["Bing", "Brave Search", "Semantic Scholar", "Algolia"],
    ),
    (
        "iot",
        &["read", "toggle", "configure", "monitor"],
        &[
            "temperature sensor",
            "smart light",
            "thermostat",
            "door lock",
            "energy meter",
            "security camera",
            "device firmware",
            "motion sensor",
        ],
        &[
            "smarthome",
            "sensors",
            "devices",
            "energy",
            "mqtt",
            "automation",
            "lights",
            "locks",
            "cameras",
            "firmware",
            "zigbee",
            "thermostat",
        ],
        &["Home Assistant", "MQTT", "Philips Hue", "Nest"],
    ),
    (
        "legal",
        &["draft", "review", "compare", "search"],
        &[
            "contract clause",
            "nda",
            "privacy policy",
            "case law",
            "terms of service",
            "gdpr request",
            "trademark",
            "compliance checklist",
        ],
        &[
            "contracts",
            "gdpr",
            "privacy",
            "compliance",
            "caselaw",
            "trademarks",
            "nda",
            "policies",
            "regulation",
            "clauses",
            "litigation",
            "ip",
        ],
        &["LexisNexis", "DocuSign", "Ironclad", "EUR-Lex"],
    ),
    (
        "education",
        &["create", "grade", "explain", "quiz"],
        &[
            "lesson plan",
            "flashcards",
            "essay",
            "math problem",
            "course outline",
            "reading list",
            "vocabulary list",
            "exam questions",
        ],
        &[
            "teaching",
            "learning",
            "quizzes",
            "grading",
            "courses",
            "students",
            "flashcards",
            "essays",
            "curriculum",
            "languages",
            "tutoring",
            "exams",
        ],
        &["Canvas", "Moodle", "Anki", "Khan Academy"],
    ),
    (
        "analytics",
        &["report", "aggregate", "forecast", "visualize"],
        &[
            "web traffic",
            "conversion funnel",
            "user cohorts",
            "revenue metrics",
            "event stream",
            "ab test results",
            "retention curve",
            "dashboard",
        ],
        &[
            "metrics",
            "dashboards",
            "funnels",
            "cohorts",
            "events",
            "ab-testing",
            "retention",
            "bi",
            "charts",
            "kpi",
            "revenue",
            "tracking",
        ],
        &["Google Analytics", "Mixpanel", "Amplitude", "Looker"],
    ),
];
const QUALIFIERS: &[&str] = &[
    "in bulk",
    "for a given date range",
    "with pagination",
    "by identifier",
    "for the current user",
    "across all workspaces",
    "incrementally",
    "with retries",
    "in real time",
    "as a background job",
    "for a team",
    "from a public dataset",
    "with caching",
    "on a schedule",
    "with filters",
];
const EXTRA: &[&str] = &[
    "Returns JSON.",
    "Requires an API key.",
    "Rate limited to 60 calls per minute.",
    "Read-only.",
    "Idempotent; safe to retry.",
    "Results are sorted newest first.",
    "Supports dry runs.",
    "Answers within a second for typical inputs.",
    "",
];
const ARG_TYPES: &[(&str, &str)] = &[
    ("query", "string"),
    ("limit", "integer"),
    ("id", "string"),
    ("start_date", "string"),
    ("end_date", "string"),
    ("format", "string"),
    ("verbose", "boolean"),
    ("threshold", "number"),
    ("region", "string"),
    ("tags", "array"),
    ("page", "integer"),
    ("language", "string"),
];
const QUERY_LEADS: &[&str] = &[
    "I need to",
    "how can I",
    "tool to",
    "find a way to",
    "help me",
    "",
    "quickly",
    "automatically",
];

/// SplitMix64: small, fast and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    /// `n` distinct indices below `len`.
    fn sample(&mut self, len: usize, n: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..len).collect();
        for i in 0..n {
            let j = i + self.below(len - i);
            all.swap(i, j);
        }
        all.truncate(n);
        all
    }
}

fn slug(s: &str) -> String {
    s.to_lowercase()
        .replace('-', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn make_tool(rng: &mut Rng, i: usize) -> Tool {
    let (cat, verbs, objs, tags, providers) = DOMAINS[i % DOMAINS.len()];
    let (verb, obj) = (rng.pick(verbs), rng.pick(objs));
    let (qual, provider) = (rng.pick(QUALIFIERS), rng.pick(providers));
    let mut name = format!("{}_{}_{i:06x}", slug(verb), slug(obj));
    if rng.chance(0.3) {
        name = format!("{cat}.{name}");
    }
    let description = format!(
        "{} {obj} {qual} using {provider}. {}",
        capitalize(verb),
        rng.pick(EXTRA)
    )
    .trim()
    .to_owned();
    let mut props = Map::new();
    let mut required = Vec::new();
    let nargs = 1 + rng.below(5);
    for a in rng.sample(ARG_TYPES.len(), nargs) {
        let (arg, typ) = ARG_TYPES[a];
        let mut spec = json!({"type": typ, "description": format!("The {} for the {obj}", arg.replace('_', " "))});
        if typ == "array" {
            spec["items"] = json!({"type": "string"});
        }
        props.insert(arg.to_owned(), spec);
        if rng.chance(0.5) {
            required.push(Value::from(arg));
        }
    }
    let mut schema = json!({"type": "object", "properties": props});
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    let ntags = 2 + rng.below(3);
    let tags = rng
        .sample(tags.len(), ntags)
        .into_iter()
        .map(|t| tags[t].to_owned())
        .collect();
    let long_description = rng.chance(0.4).then(|| {
        format!(
            "{description} Works with {provider} accounts; {obj} data is fetched {qual} and \
             normalised. Errors are reported per item."
        )
    });
    let examples = if rng.chance(0.5) {
        vec![format!("{verb} {obj} {}", rng.pick(QUALIFIERS))]
    } else {
        vec![]
    };
    let now = Utc::now();
    Tool {
        id: i as i64 + 1,
        name,
        description,
        long_description,
        category: cat.to_owned(),
        tags,
        examples,
        input_schema: schema,
        output_schema: None,
        version: "1.0.0".into(),
        author: None,
        config: json!({}),
        created_at: now,
        updated_at: now,
    }
}

fn make_query(rng: &mut Rng) -> String {
    let (_, verbs, objs, _, providers) = DOMAINS[rng.below(DOMAINS.len())];
    let mut parts = vec![
        rng.pick(QUERY_LEADS),
        rng.pick(verbs),
        rng.pick(objs),
        rng.pick(QUALIFIERS),
    ];
    let with = format!("with {}", rng.pick(providers));
    if rng.chance(0.3) {
        parts.push(&with);
    }
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn index_doc(embedder: &BuiltinEmbedder, tool: &Tool) -> anyhow::Result<IndexDoc> {
    let text = embedded_text(
        &tool.name,
        &tool.description,
        tool.long_description.as_deref(),
        &tool.tags,
        &tool.examples,
    );
    let embedding =
        Embedding::parse(embedder.embed_text(&text), DIMENSION).map_err(anyhow::Error::msg)?;
    Ok(IndexDoc::from_tool(tool, Some(&embedding)))
}

/// `VmRSS` and `RssAnon` of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("RssAnon:"))
}

/// p50 and p95 of `times`, in milliseconds.
fn percentiles(mut times: Vec<Duration>) -> String {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    format!(
        "p50 {:.3} ms, p95 {:.3} ms (n={})",
        at(0.5),
        at(0.95),
        times.len()
    )
}

/// Where the MetaTool benchmark lives, relative to the crate.
const METATOOL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/datasets/metatool");

/// Candidate counts swept to show what recall each buys.
const SWEEP: &[usize] = &[250, 500, 1_000, 2_000, 4_000, 8_000];

/// A query: its text (empty for generated vectors) and its embedding.
type Query = (String, Vec<f32>);

/// The 199 MetaTool tools as index entries with ids from `first_id`, and the dataset's
/// queries: real tools and real questions, unlike anything the generator makes.
fn metatool(
    embedder: &BuiltinEmbedder,
    first_id: i64,
) -> anyhow::Result<(Vec<Change>, Vec<Query>)> {
    let dir = std::path::Path::new(METATOOL);
    let tools = toolbox::eval::load_tools(&dir.join("tools.jsonl"))?;
    let now = Utc::now();
    let changes = tools
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let tool = Tool {
                id: first_id + i as i64,
                name: t.name.as_str().to_owned(),
                description: t.description,
                long_description: t.long_description,
                category: t.category,
                tags: t.tags,
                examples: t.examples,
                input_schema: t.input_schema,
                output_schema: t.output_schema,
                version: t.version,
                author: t.author,
                config: t.config,
                created_at: now,
                updated_at: now,
            };
            index_doc(embedder, &tool).map(Change::Upsert)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let queries = toolbox::eval::load_queries(&dir.join("queries.jsonl"))?
        .into_iter()
        .map(|q| {
            let v = embedder.embed_text(&q.query);
            (q.query, v)
        })
        .collect();
    Ok((changes, queries))
}

/// `n` evenly spaced items of `xs` (all if it has fewer).
fn spread<T: Clone>(xs: &[T], n: usize) -> Vec<T> {
    if xs.len() <= n {
        return xs.to_vec();
    }
    (0..n).map(|i| xs[i * xs.len() / n].clone()).collect()
}

/// A standard normal deviate (Box–Muller).
fn gaussian(rng: &mut Rng) -> f32 {
    let u = |rng: &mut Rng| ((rng.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let (a, b) = (u(rng), u(rng));
    ((-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()) as f32
}

/// Dense vectors shaped like a sentence model's: a large component shared by all (cosines
/// between unrelated texts 0.7–0.9), a decaying spectrum (few directions carry most of the
/// variance) and topics (clusters) with noise around them.
struct Dense {
    mean: Vec<f32>,
    scale: Vec<f32>,
    centres: Vec<Vec<f32>>,
}

impl Dense {
    fn new(rng: &mut Rng, clusters: usize) -> Self {
        let mean = (0..DIMENSION).map(|_| gaussian(rng)).collect::<Vec<_>>();
        let norm = mean.iter().map(|x| x * x).sum::<f32>().sqrt();
        let scale = (0..DIMENSION)
            .map(|j| 1.0 / (1.0 + j as f32 / 32.0).sqrt())
            .collect();
        let centres = (0..clusters)
            .map(|_| (0..DIMENSION).map(|_| gaussian(rng)).collect())
            .collect();
        Self {
            mean: mean.iter().map(|x| x / norm).collect(),
            scale,
            centres,
        }
    }

    /// A vector of a random topic.
    fn sample(&self, rng: &mut Rng) -> Vec<f32> {
        let centre = &self.centres[rng.below(self.centres.len())];
        (0..DIMENSION)
            .map(|j| self.mean[j] + self.scale[j] * (0.045 * centre[j] + 0.032 * gaussian(rng)))
            .collect()
    }
}

fn dense_doc(id: i64, v: Vec<f32>, category: &str) -> IndexDoc {
    IndexDoc {
        id,
        name: format!("dense_{id}"),
        category: category.to_owned(),
        tags: vec![],
        name_words: String::new(),
        tag_words: String::new(),
        description: String::new(),
        long_description: String::new(),
        examples: String::new(),
        parameters: String::new(),
        server: None,
        embedding: Some(v),
    }
}

/// How a search method fared on a set of queries against the exact scan.
#[derive(Default)]
struct Score {
    times: Vec<Duration>,
    found: usize,
    wanted: usize,
    /// Hits whose similarity differs from the exact one by more than 1e-5.
    inexact: usize,
    /// Mean CPU time a query.
    cpu: Duration,
}

impl Score {
    fn recall(&self) -> f64 {
        self.found as f64 / self.wanted.max(1) as f64
    }
}

/// CPU time this process has run so far (`/proc/self/schedstat`), which, unlike the wall
/// clock, a loaded machine does not inflate by preempting the benchmark.
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// The exact top `k` of each query, and what the exact scan took.
fn exact(
    index: &SearchIndex,
    queries: &[Query],
    filter: &IndexFilter,
    k: usize,
) -> (Vec<Vec<(i64, f32)>>, Vec<Duration>) {
    queries
        .iter()
        .map(|(_, v)| {
            let t = Instant::now();
            let hits = index.vector_top_k_exact(v, filter, k, None);
            (hits, t.elapsed())
        })
        .unzip()
}

/// Runs `search` on every query and compares it with `exact`.
fn score(
    index: &SearchIndex,
    queries: &[Query],
    exact: &[Vec<(i64, f32)>],
    k: usize,
    search: impl Fn(&[f32]) -> Vec<(i64, f32)>,
) -> Score {
    let mut s = Score::default();
    let cpu = cpu_time();
    for ((_, v), want) in queries.iter().zip(exact) {
        let t = Instant::now();
        let got = search(v);
        s.times.push(t.elapsed());
        let want = &want[..want.len().min(k)];
        s.wanted += want.len();
        s.found += got
            .iter()
            .filter(|h| want.iter().any(|w| w.0 == h.0))
            .count();
        s.inexact += got
            .iter()
            .filter(|(id, sim)| {
                index
                    .similarity(*id, v)
                    .is_none_or(|e| (e - sim).abs() > 1e-5)
            })
            .count();
    }
    // Includes the similarity checks above: a float dot product a hit, small beside a search.
    s.cpu = (cpu_time() - cpu) / queries.len().max(1) as u32;
    s
}

/// Time and recall of the default search for k = 10 and 50, against the exact scan.
fn vector_figures(index: &SearchIndex, label: &str, queries: &[Query], filter: &IndexFilter) {
    let cpu = cpu_time();
    let (reference, exact_times) = exact(index, queries, filter, 50);
    let cpu = (cpu_time() - cpu) / queries.len().max(1) as u32;
    println!(
        "  exact scan top-50 {label}: {}, CPU {:.3} ms a query",
        percentiles(exact_times),
        cpu.as_secs_f64() * 1e3
    );
    for k in [10, 50] {
        let s = score(index, queries, &reference, k, |v| {
            index.vector_top_k(v, filter, k, None)
        });
        println!(
            "  vector top-{k} {label}: {}, CPU {:.3} ms a query, recall@{k} vs exact {:.4}, inexact similarities {}",
            percentiles(s.times.clone()),
            s.cpu.as_secs_f64() * 1e3,
            s.recall(),
            s.inexact
        );
    }
}

/// Recall and time for each candidate count of [`SWEEP`], k = 10 and 50.
fn sweep(index: &SearchIndex, label: &str, queries: &[Query]) {
    let all = IndexFilter::default();
    let (reference, _) = exact(index, queries, &all, 50);
    for &c in SWEEP {
        let line: Vec<String> = [10, 50]
            .iter()
            .map(|&k| {
                let s = score(index, queries, &reference, k, |v| {
                    index.vector_top_k_rescoring(v, &all, k, None, c)
                });
                let mut t = s.times.clone();
                t.sort();
                format!(
                    "@{k} {:.4} (p50 {:.3} ms, CPU {:.3} ms)",
                    s.recall(),
                    t[t.len() / 2].as_secs_f64() * 1e3,
                    s.cpu.as_secs_f64() * 1e3
                )
            })
            .collect();
        println!(
            "  {label}, {c:>5} rescored: recall{}",
            line.join(", recall")
        );
    }
}

/// Writes the index's vectors (ids 1..=`rows`) and both query sets as little-endian `f32`
/// rows, for studying codes outside Rust.
fn dump(
    index: &SearchIndex,
    rows: usize,
    queries: &[Query],
    island: &[Query],
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let write = |name: &str, vs: &mut dyn Iterator<Item = Vec<f32>>| -> anyhow::Result<()> {
        let bytes: Vec<u8> = vs
            .flat_map(|v| v.into_iter().flat_map(f32::to_le_bytes))
            .collect();
        Ok(std::fs::write(dir.join(name), bytes)?)
    };
    write(
        "vectors.f32",
        &mut (1..=rows as i64).filter_map(|id| index.vector(id)),
    )?;
    write("queries.f32", &mut queries.iter().map(|q| q.1.clone()))?;
    write("island.f32", &mut island.iter().map(|q| q.1.clone()))?;
    Ok(())
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(Ok(100_000), |a| a.parse())?;
    let nq: usize = args.get(1).map_or(Ok(300), |a| a.parse())?;
    let embedder = BuiltinEmbedder::new(DIMENSION);
    let (rss0, anon0) = memory();
    println!("tools: {n} synthetic + 199 MetaTool, dimension {DIMENSION}, queries {nq}");
    println!("memory before: VmRSS {rss0:.1} MiB, RssAnon {anon0:.1} MiB");

    let index = SearchIndex::new(DIMENSION)?;
    let mut rng = Rng(42);
    let (mut generate, mut apply) = (Duration::ZERO, Duration::ZERO);
    let mut start = 0;
    while start < n {
        let t = Instant::now();
        let batch = (start..n.min(start + BATCH))
            .map(|i| index_doc(&embedder, &make_tool(&mut rng, i)).map(Change::Upsert))
            .collect::<anyhow::Result<Vec<_>>>()?;
        generate += t.elapsed();
        let t = Instant::now();
        index.apply(batch)?;
        apply += t.elapsed();
        start += BATCH;
    }
    // The island: real tools among the synthetic ones, queried with their own questions.
    let (island, island_queries) = metatool(&embedder, n as i64 + 1)?;
    index.apply(island)?;
    let (rss1, anon1) = memory();
    println!(
        "build: generate+embed {:.1} s, index apply {:.1} s ({} docs, {} vectors, {} segments)",
        generate.as_secs_f64(),
        apply.as_secs_f64(),
        index.len(),
        index.vector_len(),
        index.text_segments()
    );
    println!(
        "memory after: VmRSS {rss1:.1} MiB, RssAnon {anon1:.1} MiB (+{:.1} MiB anon, \
         including the allocator's hold on freed batches); vector side {:.1} MiB = {:.0} bytes a tool",
        anon1 - anon0,
        mib(index.vector_bytes()),
        index.vector_bytes() as f64 / index.vector_len().max(1) as f64
    );

    let mut qrng = Rng(43);
    let queries: Vec<Query> = (0..nq)
        .map(|i| {
            let q = format!("{} {i}", make_query(&mut qrng));
            let v = embedder.embed_text(&q);
            (q, v)
        })
        .collect();
    let island_queries = spread(&island_queries, nq);
    if let Ok(dir) = std::env::var("BENCH_DUMP") {
        dump(
            &index,
            n + 199,
            &queries,
            &island_queries,
            std::path::Path::new(&dir),
        )?;
    }
    let all = IndexFilter::default();
    let finance = IndexFilter {
        category: Some("finance".into()),
        tags: vec![],
        allowed: None,
    };
    for (label, filter) in [("unfiltered", &all), ("category=finance", &finance)] {
        let mut text = Vec::new();
        for (q, _) in &queries {
            let t = Instant::now();
            index.text_top_k(q, filter, 10)?;
            text.push(t.elapsed());
        }
        println!("text top-10 {label}: {}", percentiles(text));
    }
    println!("vector search (default candidates), generated queries:");
    for (label, filter) in [("unfiltered", &all), ("category=finance", &finance)] {
        vector_figures(&index, label, &queries, filter);
    }
    println!(
        "vector search (default candidates), {} MetaTool queries (out of distribution):",
        island_queries.len()
    );
    vector_figures(&index, "unfiltered", &island_queries, &all);
    println!("recall against candidates rescored:");
    sweep(&index, "generated", &queries);
    sweep(&index, "MetaTool", &island_queries);

    // One write, then a search that must see it: commit + reader reload per write.
    let mut writes = Vec::new();
    for w in 0..50 {
        let mut tool = make_tool(&mut Rng(1_000 + w), (w as usize * 7_919) % n);
        // Letters only: a digit would split the marker into two words.
        let marker: String = format!("zyxwrite{w:03}")
            .chars()
            .map(|c| c.to_digit(10).map_or(c, |d| char::from(b'a' + d as u8)))
            .collect();
        tool.description = format!("{} {marker}", tool.description);
        let doc = index_doc(&embedder, &tool)?;
        let t = Instant::now();
        index.upsert(doc)?;
        writes.push(t.elapsed());
        let hits = index.text_top_k(&marker, &all, 1)?;
        anyhow::ensure!(
            hits.first().map(|h| h.0) == Some(tool.id),
            "write {w} not visible"
        );
    }
    println!("single upsert until visible: {}", percentiles(writes));
    let (rss2, anon2) = memory();
    println!("memory at end: VmRSS {rss2:.1} MiB, RssAnon {anon2:.1} MiB");
    drop(index);
    let (_, anon3) = memory();
    println!(
        "dropping the index returned {:.1} MiB anon (its own share, less what the allocator keeps)",
        anon2 - anon3
    );

    // Dense model-like vectors: the method must not depend on the built-in embedder.
    let dn = n.min(100_000);
    let mut drng = Rng(44);
    let dense = Dense::new(&mut drng, 2_000);
    let index = SearchIndex::new(DIMENSION)?;
    index.apply(
        (0..dn)
            .map(|i| {
                Change::Upsert(dense_doc(
                    i as i64 + 1,
                    dense.sample(&mut drng),
                    DOMAINS[i % DOMAINS.len()].0,
                ))
            })
            .collect(),
    )?;
    let dense_queries: Vec<Query> = (0..nq)
        .map(|_| (String::new(), dense.sample(&mut drng)))
        .collect();
    let cosines: Vec<f32> = dense_queries
        .iter()
        .zip(dense_queries.iter().skip(1))
        .map(|(a, b)| {
            let (a, b) = (&a.1, &b.1);
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
            dot / (norm(a) * norm(b))
        })
        .collect();
    println!(
        "dense vectors: {dn} tools, cosine between consecutive queries {:.2}..{:.2}",
        cosines.iter().copied().fold(f32::INFINITY, f32::min),
        cosines.iter().copied().fold(f32::NEG_INFINITY, f32::max)
    );
    vector_figures(&index, "unfiltered", &dense_queries, &all);
    vector_figures(&index, "category=finance", &dense_queries, &finance);
    sweep(&index, "dense", &dense_queries);
    Ok(())
}
