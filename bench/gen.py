#!/usr/bin/env python3
"""Deterministic generator of synthetic but realistic tool definitions for bench/load.sh.

    bench/gen.py N OUT_DIR [--seed S] [--queries Q]

Writes into OUT_DIR:
  tools.jsonl    N tool definitions, one POST /tools body per line
  names.txt      the N names, shuffled (GET /tools/{name})
  queries.txt    Q distinct natural-language queries (find_tool, distinct-query scenario)
  recall.txt     200 further queries for the recall@10 measurement
  meta.json      the warm query, the filters used by the filtered scenarios

The same N and seed always give byte-identical files (Python's `random.Random` is stable).
Tools are spread over 24 categories, each with its own vocabulary and tag set, so category
and tag filters have realistic selectivities (a category holds ~1/24 of the catalogue).
"""

import json
import os
import random
import sys

# category -> (verbs, objects, tags, providers)
DOMAINS = {
    "weather": (["get", "fetch", "forecast", "lookup"], ["current weather", "hourly forecast", "rain probability", "uv index", "air quality", "wind speed", "storm alerts", "snow depth"], ["forecast", "climate", "meteo", "alerts", "temperature", "rain", "wind", "geo", "realtime", "daily", "hourly", "public-data"], ["OpenMeteo", "NOAA", "MetOffice", "WeatherKit"]),
    "finance": (["convert", "quote", "calculate", "fetch"], ["exchange rate", "stock price", "loan interest", "currency amount", "portfolio value", "dividend history", "inflation rate", "bond yield"], ["currency", "stocks", "fx", "markets", "banking", "interest", "crypto", "pricing", "realtime", "history", "tax", "portfolio"], ["ECB", "Yahoo Finance", "Alpaca", "Plaid"]),
    "geo": (["geocode", "reverse", "route", "measure"], ["street address", "gps coordinates", "driving route", "walking distance", "time zone", "postal code", "country borders", "elevation"], ["maps", "location", "routing", "address", "coordinates", "distance", "timezone", "travel", "gis", "places", "navigation", "postal"], ["OpenStreetMap", "Mapbox", "HERE", "Nominatim"]),
    "email": (["send", "draft", "search", "archive"], ["email message", "mail thread", "attachment", "newsletter", "inbox folder", "auto reply", "mailing list", "spam report"], ["smtp", "inbox", "messaging", "notifications", "outreach", "templates", "imap", "attachments", "marketing", "support", "gmail", "outlook"], ["Gmail", "SendGrid", "Mailgun", "Postmark"]),
    "calendar": (["create", "list", "reschedule", "cancel"], ["meeting", "calendar event", "room booking", "availability slot", "reminder", "recurring event", "agenda", "out of office"], ["scheduling", "meetings", "events", "availability", "reminders", "booking", "ical", "teams", "productivity", "timezone", "rooms", "invites"], ["Google Calendar", "Outlook", "CalDAV", "Calendly"]),
    "files": (["upload", "download", "convert", "compress"], ["pdf document", "image file", "spreadsheet", "zip archive", "text file", "folder listing", "file metadata", "shared link"], ["storage", "documents", "pdf", "images", "conversion", "archive", "sharing", "s3", "drive", "metadata", "backup", "sync"], ["S3", "Google Drive", "Dropbox", "Box"]),
    "database": (["query", "insert", "export", "migrate"], ["sql table", "customer records", "query results", "database schema", "index statistics", "backup snapshot", "replication lag", "slow queries"], ["sql", "postgres", "mysql", "analytics", "schema", "backup", "etl", "reporting", "nosql", "tables", "replication", "performance"], ["PostgreSQL", "MySQL", "BigQuery", "Snowflake"]),
    "devops": (["deploy", "restart", "scale", "inspect"], ["kubernetes pod", "docker container", "ci pipeline", "build logs", "server metrics", "load balancer", "dns record", "tls certificate"], ["kubernetes", "docker", "ci", "cd", "monitoring", "logs", "infrastructure", "cloud", "dns", "certificates", "scaling", "incidents"], ["Kubernetes", "GitHub Actions", "Terraform", "Datadog"]),
    "code": (["lint", "format", "search", "review"], ["source code", "pull request", "git commit", "code snippet", "dependency list", "test coverage", "stack trace", "api docs"], ["git", "github", "python", "rust", "javascript", "testing", "review", "refactoring", "security", "dependencies", "docs", "linting"], ["GitHub", "GitLab", "Sourcegraph", "SonarQube"]),
    "text": (["summarize", "translate", "classify", "extract"], ["article text", "keywords", "named entities", "sentiment", "language", "key phrases", "reading level", "document summary"], ["nlp", "translation", "summarization", "sentiment", "entities", "language", "classification", "keywords", "writing", "grammar", "ocr", "multilingual"], ["DeepL", "spaCy", "HuggingFace", "AWS Comprehend"]),
    "media": (["resize", "transcode", "caption", "detect"], ["video clip", "audio track", "thumbnail", "photo", "subtitles", "faces", "music metadata", "podcast episode"], ["video", "audio", "images", "transcoding", "subtitles", "vision", "thumbnails", "streaming", "music", "podcasts", "ffmpeg", "captions"], ["FFmpeg", "Cloudinary", "Mux", "Rekognition"]),
    "crm": (["create", "update", "find", "merge"], ["contact", "sales lead", "deal stage", "company account", "support ticket", "customer note", "pipeline report", "duplicate contacts"], ["sales", "customers", "leads", "deals", "accounts", "support", "tickets", "pipeline", "contacts", "b2b", "salesforce", "hubspot"], ["Salesforce", "HubSpot", "Pipedrive", "Zendesk"]),
    "ecommerce": (["list", "update", "refund", "track"], ["product listing", "order status", "shipment", "inventory level", "shopping cart", "discount code", "customer review", "return request"], ["orders", "products", "inventory", "shipping", "payments", "refunds", "catalog", "shopify", "checkout", "returns", "reviews", "coupons"], ["Shopify", "WooCommerce", "Stripe", "ShipStation"]),
    "social": (["post", "schedule", "analyze", "search"], ["social post", "tweet", "follower growth", "hashtag trends", "mentions", "comment thread", "profile stats", "engagement report"], ["twitter", "linkedin", "instagram", "analytics", "posting", "engagement", "hashtags", "mentions", "marketing", "community", "trends", "scheduling"], ["X", "LinkedIn", "Instagram", "Mastodon"]),
    "security": (["scan", "rotate", "audit", "verify"], ["api key", "password strength", "vulnerability report", "access log", "ssl configuration", "user permissions", "secret value", "two factor code"], ["vulnerabilities", "secrets", "auth", "audit", "compliance", "passwords", "iam", "encryption", "tls", "scanning", "mfa", "logs"], ["Vault", "Snyk", "Okta", "Trivy"]),
    "hr": (["onboard", "list", "approve", "schedule"], ["new employee", "leave request", "payroll run", "job posting", "interview", "performance review", "org chart", "timesheet"], ["hiring", "payroll", "employees", "recruiting", "leave", "onboarding", "reviews", "timesheets", "benefits", "org", "interviews", "people"], ["Workday", "BambooHR", "Greenhouse", "Gusto"]),
    "travel": (["search", "book", "cancel", "compare"], ["flight", "hotel room", "train ticket", "rental car", "travel itinerary", "visa requirements", "airport delays", "seat map"], ["flights", "hotels", "booking", "trains", "airlines", "itinerary", "visa", "cars", "airports", "fares", "trips", "loyalty"], ["Amadeus", "Skyscanner", "Booking.com", "Sabre"]),
    "health": (["log", "lookup", "calculate", "remind"], ["medication dose", "heart rate", "sleep data", "calorie intake", "symptom", "step count", "blood pressure", "appointment"], ["fitness", "medical", "nutrition", "sleep", "wearables", "medication", "symptoms", "wellness", "steps", "vitals", "appointments", "diet"], ["Fitbit", "Apple Health", "FHIR", "MyFitnessPal"]),
    "math": (["solve", "compute", "plot", "convert"], ["equation", "matrix", "statistics summary", "unit conversion", "integral", "probability", "regression", "prime factors"], ["algebra", "statistics", "calculus", "units", "matrices", "plotting", "probability", "numbers", "geometry", "regression", "symbolic", "numeric"], ["SymPy", "Wolfram", "NumPy", "R"]),
    "search": (["search", "crawl", "index", "rank"], ["web pages", "news articles", "academic papers", "images", "site map", "search results", "knowledge base", "faq entries"], ["web", "news", "papers", "crawler", "indexing", "ranking", "scholar", "knowledge", "faq", "rag", "retrieval", "sitemaps"], ["Bing", "Brave Search", "Semantic Scholar", "Algolia"]),
    "iot": (["read", "toggle", "configure", "monitor"], ["temperature sensor", "smart light", "thermostat", "door lock", "energy meter", "security camera", "device firmware", "motion sensor"], ["smarthome", "sensors", "devices", "energy", "mqtt", "automation", "lights", "locks", "cameras", "firmware", "zigbee", "thermostat"], ["Home Assistant", "MQTT", "Philips Hue", "Nest"]),
    "legal": (["draft", "review", "compare", "search"], ["contract clause", "nda", "privacy policy", "case law", "terms of service", "gdpr request", "trademark", "compliance checklist"], ["contracts", "gdpr", "privacy", "compliance", "caselaw", "trademarks", "nda", "policies", "regulation", "clauses", "litigation", "ip"], ["LexisNexis", "DocuSign", "Ironclad", "EUR-Lex"]),
    "education": (["create", "grade", "explain", "quiz"], ["lesson plan", "flashcards", "essay", "math problem", "course outline", "reading list", "vocabulary list", "exam questions"], ["teaching", "learning", "quizzes", "grading", "courses", "students", "flashcards", "essays", "curriculum", "languages", "tutoring", "exams"], ["Canvas", "Moodle", "Anki", "Khan Academy"]),
    "analytics": (["report", "aggregate", "forecast", "visualize"], ["web traffic", "conversion funnel", "user cohorts", "revenue metrics", "event stream", "ab test results", "retention curve", "dashboard"], ["metrics", "dashboards", "funnels", "cohorts", "events", "ab-testing", "retention", "bi", "charts", "kpi", "revenue", "tracking"], ["Google Analytics", "Mixpanel", "Amplitude", "Looker"]),
}

QUALIFIERS = ["in bulk", "for a given date range", "with pagination", "by identifier", "for the current user",
              "across all workspaces", "incrementally", "with retries", "in real time", "as a background job",
              "for a team", "from a public dataset", "with caching", "on a schedule", "with filters"]
EXTRA = ["Returns JSON.", "Requires an API key.", "Rate limited to 60 calls per minute.", "Read-only.",
         "Idempotent; safe to retry.", "Results are sorted newest first.", "Supports dry runs.",
         "Answers within a second for typical inputs.", ""]
ARG_TYPES = [("query", "string"), ("limit", "integer"), ("id", "string"), ("start_date", "string"),
             ("end_date", "string"), ("format", "string"), ("verbose", "boolean"), ("threshold", "number"),
             ("region", "string"), ("tags", "array"), ("page", "integer"), ("language", "string")]
QUERY_LEADS = ["I need to", "how can I", "tool to", "find a way to", "help me", "", "quickly", "automatically"]


def slug(s):
    return "_".join(s.lower().replace("-", " ").split())


def make_tool(rng, i, cat):
    verbs, objs, tags, providers = DOMAINS[cat]
    verb, obj = rng.choice(verbs), rng.choice(objs)
    qual, provider = rng.choice(QUALIFIERS), rng.choice(providers)
    name = f"{slug(verb)}_{slug(obj)}_{i:06x}"
    if rng.random() < 0.3:
        name = f"{cat}.{name}"
    desc = f"{verb.capitalize()} {obj} {qual} using {provider}. {rng.choice(EXTRA)}".strip()
    props, required = {}, []
    for arg, typ in rng.sample(ARG_TYPES, rng.randint(1, 5)):
        spec = {"type": typ, "description": f"The {arg.replace('_', ' ')} for the {obj}"}
        if typ == "array":
            spec["items"] = {"type": "string"}
        props[arg] = spec
        if rng.random() < 0.5:
            required.append(arg)
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    tool = {
        "name": name,
        "description": desc,
        "category": cat,
        "tags": rng.sample(tags, rng.randint(2, 4)),
        "input_schema": schema,
        "version": f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.0",
    }
    if rng.random() < 0.4:
        tool["long_description"] = (f"{desc} Works with {provider} accounts; {obj} data is fetched "
                                    f"{qual} and normalised. Errors are reported per item.")
    if rng.random() < 0.5:
        tool["examples"] = [f"{verb} {obj} {rng.choice(QUALIFIERS)}"]
    if rng.random() < 0.2:
        tool["author"] = rng.choice(["platform-team", "data-team", "community", "acme"])
    return tool


def make_query(rng):
    cat = rng.choice(list(DOMAINS))
    verbs, objs, _, providers = DOMAINS[cat]
    parts = [rng.choice(QUERY_LEADS), rng.choice(verbs), rng.choice(objs), rng.choice(QUALIFIERS)]
    if rng.random() < 0.3:
        parts.append("with " + rng.choice(providers))
    return " ".join(p for p in parts if p)


def main():
    args = sys.argv[1:]
    seed, nq = 42, 50_000
    if "--seed" in args:
        k = args.index("--seed"); seed = int(args[k + 1]); del args[k:k + 2]
    if "--queries" in args:
        k = args.index("--queries"); nq = int(args[k + 1]); del args[k:k + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    n, out = int(args[0]), args[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(seed)
    cats = list(DOMAINS)
    names = []
    with open(os.path.join(out, "tools.jsonl"), "w") as f:
        for i in range(n):
            t = make_tool(rng, i, cats[i % len(cats)])
            names.append(t["name"])
            f.write(json.dumps(t, separators=(",", ":")) + "\n")
    rng.shuffle(names)
    with open(os.path.join(out, "names.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    qrng = random.Random(seed + 1)
    seen, queries = set(), []
    while len(queries) < nq + 200:
        q = make_query(qrng)
        # A distinct suffix keeps every query unique (so every one misses the embedding cache)
        # without changing what it asks for much.
        q = f"{q} #{len(queries)}" if q in seen else q
        seen.add(q)
        queries.append(q)
    with open(os.path.join(out, "queries.txt"), "w") as f:
        f.write("\n".join(queries[:nq]) + "\n")
    with open(os.path.join(out, "recall.txt"), "w") as f:
        f.write("\n".join(queries[nq:]) + "\n")
    meta = {
        "n": n,
        "seed": seed,
        "warm_query": "convert an amount of money between currencies at the current exchange rate",
        "filter_category": "finance",
        # Two tags of one category: a selective list filter (~1/24 x ~1/20 of the catalogue).
        "list_filter": {"category": "finance", "tags": ["currency", "fx"]},
    }
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
