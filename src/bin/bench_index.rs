//! Benchmark of the in-process search index alone (`bench_index N [QUERIES]`): generates N
//! synthetic tools shaped like `bench/gen.py`'s (24 categories, each with its own
//! vocabulary; deterministic), embeds them with the built-in embedder, builds the index in
//! batches, then prints build time, memory, per-query p50/p95 for text and vector top-10
//! (single thread, distinct queries) and what one write costs until it is visible.

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

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(Ok(100_000), |a| a.parse())?;
    let nq: usize = args.get(1).map_or(Ok(300), |a| a.parse())?;
    let embedder = BuiltinEmbedder::new(DIMENSION);
    let (rss0, anon0) = memory();
    println!("tools: {n}, dimension {DIMENSION}, queries {nq}");
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
        "memory after: VmRSS {rss1:.1} MiB, RssAnon {anon1:.1} MiB (+{:.1} MiB anon; vectors {:.1} MiB)",
        anon1 - anon0,
        index.vector_bytes() as f64 / (1024.0 * 1024.0)
    );

    let mut qrng = Rng(43);
    let queries: Vec<(String, Vec<f32>)> = (0..nq)
        .map(|i| {
            let q = format!("{} {i}", make_query(&mut qrng));
            let v = embedder.embed_text(&q);
            (q, v)
        })
        .collect();
    let all = IndexFilter::default();
    let finance = IndexFilter {
        category: Some("finance".into()),
        tags: vec![],
    };
    for (label, filter) in [("unfiltered", &all), ("category=finance", &finance)] {
        let (mut text, mut vector) = (Vec::new(), Vec::new());
        let mut returned = 0;
        for (q, v) in &queries {
            let t = Instant::now();
            returned += index.text_top_k(q, filter, 10)?.len();
            text.push(t.elapsed());
            let t = Instant::now();
            returned += index.vector_top_k(v, filter, 10, None).len();
            vector.push(t.elapsed());
        }
        println!("text top-10 {label}: {}", percentiles(text));
        println!(
            "vector top-10 {label}: {} ({returned} hits in all)",
            percentiles(vector)
        );
    }

    // The int8 scan with exact rescoring, against the exact scan.
    for candidates in [100, 300] {
        let (mut times, mut found, mut wanted) = (Vec::new(), 0usize, 0usize);
        for (_, v) in &queries {
            let exact: Vec<i64> = index
                .vector_top_k(v, &all, 10, None)
                .into_iter()
                .map(|h| h.0)
                .collect();
            let t = Instant::now();
            let approx = index.vector_top_k_int8(v, &all, 10, None, candidates);
            times.push(t.elapsed());
            wanted += exact.len();
            found += approx.iter().filter(|h| exact.contains(&h.0)).count();
        }
        println!(
            "vector top-10 int8, {candidates} rescored: {}, recall@10 vs exact {:.4}",
            percentiles(times),
            found as f64 / wanted.max(1) as f64
        );
    }

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
    Ok(())
}
