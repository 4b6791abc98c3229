#!/usr/bin/env python3
"""Turns bench/load.sh's results.jsonl (and bench/search_scale.sh's search.jsonl, when given)
into BENCHMARKS.md, printed on stdout."""

import datetime
import json
import os
import sys

FLOOR = {"find_warm": "knn", "find_category": "knn_category", "get_tool": "lookup"}
SCENARIOS = [
    ("find_warm", "find_tool, warm embedding cache (same query)"),
    ("find_category", "find_tool + category filter, warm cache"),
    ("find_distinct", "find_tool, distinct queries (embedded every time)"),
    ("get_tool", "GET /tools/{name} (varied names)"),
    ("list_filtered", "list_tools, category + 2 tags"),
    ("call_tool", "call_tool calculator, logged"),
    ("register", "POST /tools (embed + insert, index live)"),
]


LABEL = {"postgres": "PostgreSQL + pgvector", "sqlite": "SQLite (embedded)"}


def ms(us):
    return f"{us / 1000:.2f}"


def backend(r):
    """Results from before backends were measured side by side are PostgreSQL's."""
    return r.get("backend", "postgres")


def build(r):
    """Results from runs of one build carry no label."""
    return r.get("build", "")


def mean_results(results):
    """Several rounds of one measurement: each number averaged (counts summed)."""
    if len(results) == 1:
        return results[0]
    out = dict(results[0])
    for k, v in out.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            vals = [r[k] for r in results]
            out[k] = sum(vals) if k in ("requests", "non2xx", "socket_errors") else sum(vals) / len(vals)
    return out


def by_kind(R):
    facts = {}
    for r in R:
        if r["kind"] == "fact":
            facts.setdefault(r["name"], []).append(r["value"])
    facts = {k: (sum(v) / len(v) if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v) else v[0])
             for k, v in facts.items()}
    grouped = {"http": {}, "db": {}}
    for r in R:
        if r["kind"] in grouped:
            grouped[r["kind"]].setdefault((r["scenario"], r["c"]), []).append(r["result"])
    http, db = ({k: mean_results(v) for k, v in grouped[g].items()} for g in ("http", "db"))
    return facts, http, db


def service_recall(R):
    """Recall@10 through GET /tools/{name}/similar (older results: SQLite's exact scan)."""
    return next((r["result"] for r in R if r["kind"] == "recall" and r.get("via", "similar") == "similar"
                 and r["ef_search"] is None), None)


def side_by_side(rows, settings, n, backends, w):
    """One table per size: each scenario's throughput and p95 on every backend."""
    per = {b: [r for r in rows if r.get("n") == n and backend(r) == b] for b in backends}
    kinds = {b: by_kind(R) for b, R in per.items()}
    w(f"### {n:,} tools\n")
    head = " | ".join(f"{LABEL[b]} req/s | p95 ms" for b in backends)
    w(f"| Scenario | Clients | {head} |")
    w("|---|---:|" + "---:|---:|" * len(backends))
    for key, label in SCENARIOS:
        for c in settings["levels"]:
            cells = []
            for b in backends:
                h = kinds[b][1].get((key, c))
                cells.append(f"{h['rps']:.0f} | {ms(h['p95_us'])}" if h else "– | –")
            if any(k[1].get((key, c)) for k in kinds.values()):
                w(f"| {label} | {c} | {' | '.join(cells)} |")
    w("")
    w("| | " + " | ".join(LABEL[b] for b in backends) + " |")
    w("|---|" + "---|" * len(backends))

    def fact_row(what, fmt):
        w(f"| {what} | " + " | ".join(fmt(b, kinds[b][0], per[b]) for b in backends) + " |")

    def load(b, f, R):
        x = next((r["result"] for r in R if r["kind"] == "load"), None)
        return f"{x['seconds']} s ({x['per_second']}/s)" if x else "reused"

    def recall(b, f, R):
        x = service_recall(R)
        return f"{x['recall_at_10']} (similar vs brute force)" if x else "–"

    kib = lambda k: lambda b, f, R: f"{f[k] / 1024:.1f} MiB" if k in f else "–"
    fact_row(f"Load {n:,} tools via `{settings['load_via']}`", load)
    fact_row("Index build", lambda b, f, R: f"{f['index_build_ms'] / 1000:.1f} s" if "index_build_ms" in f else "none (in place during the load)" if f.get("sql_search") else "none (in-process index, built at startup)")
    fact_row("Database size", lambda b, f, R: f"{f['db_mb']} MiB" if "db_mb" in f else "–")
    fact_row("Startup to ready", lambda b, f, R: f"{f['startup_ms']} ms" if "startup_ms" in f else "–")
    fact_row("RSS idle (of which anonymous)", lambda b, f, R: f"{kib('idle_rss_kb')(b, f, R)} ({kib('idle_rss_anon_kb')(b, f, R)})")
    fact_row("RSS after the run (of which anonymous)", lambda b, f, R: f"{kib('loaded_rss_kb')(b, f, R)} ({kib('loaded_rss_anon_kb')(b, f, R)})")
    fact_row("Recall@10 of the vector search", recall)
    fact_row("call_tool responses without an execution row", lambda b, f, R: str(sum(max(0, r["responses"] - r["rows"]) for r in R if r["kind"] == "executions")) if any(r["kind"] == "executions" for r in R) else "–")
    w("")


def targets(rows, builds, keep, w):
    """The search-index issue's targets, checked against the largest catalogue measured, on
    each store and build."""
    R = [r for r in rows if "n" in r]
    if not R:
        return
    n = max(r["n"] for r in R)
    cols = [(b, bl) for b in LABEL for bl in builds if any(backend(r) == b and build(r) == bl for r in R)]
    checks = []

    def check(what, goal, fn):
        checks.append((what, goal, fn))

    def http_of(k, c):
        return lambda f, h, R: h.get((k, c))

    def rps(k, c, goal):
        return lambda f, h, R: (f"{h[(k, c)]['rps']:.0f} req/s", h[(k, c)]["rps"] >= goal) if (k, c) in h else None

    def lat(k, c, p, goal_ms):
        return lambda f, h, R: ((f"{ms(h[(k, c)][p])} ms", h[(k, c)][p] <= goal_ms * 1000) if (k, c) in h else None)

    def category(f, h, R):
        a, b = h.get(("find_category", 16)), h.get(("find_warm", 16))
        if not (a and b):
            return None
        return f"{a['rps']:.0f} vs {b['rps']:.0f} req/s", a["rps"] >= 0.95 * b["rps"]

    def load(f, h, R):
        x = next((r["result"] for r in R if r["kind"] == "load"), None)
        if not x:
            return None
        secs = x["seconds"] + f.get("index_build_ms", 0) / 1000
        return f"{secs:.1f} s", secs <= 60

    check("find_tool warm, 16 clients: throughput", "≥ 1,000 req/s", rps("find_warm", 16, 1000))
    check("find_tool warm, 16 clients: p95", "≤ 20 ms", lat("find_warm", 16, "p95_us", 20))
    check("find_tool warm, 1 client: p50", "≤ 3 ms", lat("find_warm", 1, "p50_us", 3))
    check("find_tool distinct queries, 16 clients", "≥ 500 req/s", rps("find_distinct", 16, 500))
    check("find_tool by category vs unfiltered, 16 clients", "no slower (within 5 %)", category)
    check(f"Bulk import of {n:,} tools" + (", indexes in place" if keep else " + HNSW build"), "≤ 60 s", load)
    check("Startup to ready (index built)", "≤ 5 s",
          lambda f, h, R: (f"{f['startup_ms'] / 1000:.2f} s", f["startup_ms"] <= 5000) if "startup_ms" in f else None)
    check("Anonymous memory once ready", "≤ 300 MiB",
          lambda f, h, R: (f"{f['idle_rss_anon_kb'] / 1024:.0f} MiB", f["idle_rss_anon_kb"] <= 300 * 1024) if "idle_rss_anon_kb" in f else None)
    check("Anonymous memory after the run", "≤ 300 MiB",
          lambda f, h, R: (f"{f['loaded_rss_anon_kb'] / 1024:.0f} MiB", f["loaded_rss_anon_kb"] <= 300 * 1024) if "loaded_rss_anon_kb" in f else None)
    check("Recall@10 (similar vs brute force)", "–",
          lambda f, h, R: (str(service_recall(R)["recall_at_10"]), None) if service_recall(R) else None)
    name = lambda b, bl: LABEL[b] + (f", {bl}" if bl else "")
    w(f"## Targets, {n:,} tools\n")
    w("Met: ✓ / **✗**.\n")
    w("| Target | Goal | " + " | ".join(name(b, bl) for b, bl in cols) + " |")
    w("|---|---|" + "---|" * len(cols))
    per = {c: [r for r in R if r["n"] == n and backend(r) == c[0] and build(r) == c[1]] for c in cols}
    kinds = {c: by_kind(per[c]) for c in cols}
    for what, goal, fn in checks:
        cells = []
        for c in cols:
            f, h, _ = kinds[c]
            v = fn(f, h, per[c])
            cells.append("–" if v is None else v[0] if v[1] is None else f"{v[0]} {'✓' if v[1] else '**✗**'}")
        w(f"| {what} | {goal} | " + " | ".join(cells) + " |")
    w("")


def before_after(rows, settings, builds, ns, w):
    """Two or more builds: each scenario's figures on the first and the last, and the ratio."""
    a, b = builds[0], builds[-1]
    w(f"## {a} → {b}\n")
    w(f"Ratios are {b} / {a}: above 1 is faster for req/s, below 1 is faster for latency.\n")
    for n in ns:
        for be in LABEL:
            Ra = [r for r in rows if r.get("n") == n and backend(r) == be and build(r) == a]
            Rb = [r for r in rows if r.get("n") == n and backend(r) == be and build(r) == b]
            if not (Ra and Rb):
                continue
            (fa, ha, _), (fb, hb, _) = by_kind(Ra), by_kind(Rb)
            w(f"### {n:,} tools, {LABEL[be]}\n")
            w(f"| Scenario | Clients | req/s {a} | req/s {b} | × | p50 ms {a} | p50 ms {b} | × | p95 ms {a} | p95 ms {b} | × |")
            w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for key, label in SCENARIOS:
                for c in settings["levels"]:
                    x, y = ha.get((key, c)), hb.get((key, c))
                    if not (x and y):
                        continue
                    ratio = lambda k: f"{y[k] / x[k]:.2f}" if x[k] else "–"
                    w(f"| {label} | {c} | {x['rps']:.0f} | {y['rps']:.0f} | {ratio('rps')} | {ms(x['p50_us'])} | "
                      f"{ms(y['p50_us'])} | {ratio('p50_us')} | {ms(x['p95_us'])} | {ms(y['p95_us'])} | {ratio('p95_us')} |")
            w("")
            load = lambda R: next((r["result"] for r in R if r["kind"] == "load"), None)
            la, lb = load(Ra), load(Rb)
            mib = lambda f, k: f"{f[k] / 1024:.0f} MiB" if k in f else "–"
            rec = lambda R: str(service_recall(R)["recall_at_10"]) if service_recall(R) else "–"
            w(f"| | {a} | {b} |\n|---|---:|---:|")
            w(f"| Bulk load, indexes in place | {la['seconds'] if la else '–'} s | {lb['seconds'] if lb else '–'} s |")
            w(f"| Startup to ready | {fa.get('startup_ms', '–')} ms | {fb.get('startup_ms', '–')} ms |")
            w(f"| Anonymous RSS once ready | {mib(fa, 'idle_rss_anon_kb')} | {mib(fb, 'idle_rss_anon_kb')} |")
            w(f"| Anonymous RSS after the run | {mib(fa, 'loaded_rss_anon_kb')} | {mib(fb, 'loaded_rss_anon_kb')} |")
            w(f"| Peak RSS | {mib(fa, 'peak_rss_kb')} | {mib(fb, 'peak_rss_kb')} |")
            w(f"| Recall@10, similar vs brute force | {rec(Ra)} | {rec(Rb)} |")
            w(f"| Database size | {fa.get('db_mb', '–')} MiB | {fb.get('db_mb', '–')} MiB |")
            la1 = lambda f: f"{f.get('loadavg', '–')} → {f.get('loadavg_end', '–')}"
            w(f"| 1-min load average, start → end of this run | {la1(fa)} | {la1(fb)} |")
            w("")


def search_quality(rows, w):
    """bench/search_scale.sh's runs: MetaTool retrieval with N distractors, per store."""
    runs = [r for r in rows if r["kind"] == "search"]
    if not runs:
        return
    backends = [b for b in LABEL if any(r["backend"] == b for r in runs)]
    w("## Search quality at scale\n")
    w("`bench/search_scale.sh`: `toolbox eval` on the labelled MetaTool set (199 tools, 1,227 "
      "queries, the find_tool code path) with N synthetic tools from bench/gen.py registered "
      "beside them as distractors, on each store. Recall@k: share of a query's relevant tools "
      "in the top k.\n")
    for embedder in dict.fromkeys(r["report"]["embedder"] for r in runs):
        mine = [r for r in runs if r["report"]["embedder"] == embedder]
        w(f"Embedder: {embedder}.\n")
        head = " | ".join(f"{LABEL[b]} R@1 | R@5 | NDCG@10 | MRR" for b in backends)
        w(f"| Catalogue | Method | {head} |")
        w("|---|---|" + "---:|---:|---:|---:|" * len(backends))
        for n in sorted({r["n"] for r in mine}):
            by_b = {r["backend"]: r["report"] for r in mine if r["n"] == n}
            methods = next(iter(by_b.values()))["methods"]
            for m in (x["method"] for x in methods):
                cells = []
                for b in backends:
                    x = next((y for y in by_b.get(b, {}).get("methods", []) if y["method"] == m), None)
                    cells.append(" | ".join(f"{x[k]:.3f}" for k in ("recall_at_1", "recall_at_5", "ndcg_at_10", "mrr"))
                                 if x else "– | – | – | –")
                w(f"| 199 + {n:,} | {m} | {' | '.join(cells)} |")
        w("")


def main():
    rows = [json.loads(l) for a in sys.argv[1:] for l in open(a) if l.strip()]
    machine = next(r for r in rows if r["kind"] == "machine")
    settings = next(r for r in rows if r["kind"] == "settings")
    measured = [r for r in rows if r["kind"] != "search"]
    ns = sorted({r["n"] for r in measured if "n" in r})
    backends = [b for b in LABEL if any(backend(r) == b for r in measured if "n" in r)]
    builds = list(dict.fromkeys(build(r) for r in measured if "n" in r)) or [""]
    binaries = {r["label"]: r for r in rows if r["kind"] == "build"}
    out = []
    w = out.append
    w("# Benchmarks\n")
    also = " and `bench/search_scale.sh`" if any(r["kind"] == "search" for r in rows) else ""
    w(f"Generated by `{settings['command']}`{also} on "
      f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. Do not edit: re-run it.\n")
    note = os.environ.get("BENCH_NOTE")
    if note:
        w(f"> **{note}**\n")
    w("## Machine\n")
    w("| | |\n|---|---|")
    w(f"| CPU | {machine['cpu']}, {machine['nproc']} cores (nproc) |")
    w(f"| RAM | {machine['ram_gb']} GB |")
    w(f"| Kernel | {machine['kernel']} |")
    w(f"| Load average at start | {' '.join(machine['loadavg_at_start'])} |")
    w(f"| PostgreSQL | {machine['postgres']}, pgvector, on the same machine (fsync off: scripts/pg-env.sh) |")
    w("| SQLite | bundled with the binary (libsqlite3-sys), WAL, synchronous=FULL, file on the same disk |")
    w(f"| Load generator | {machine['wrk']} (separate process, same machine) |")
    if len(builds) > 1 and binaries:
        for bl in builds:
            x = binaries.get(bl)
            if x:
                w(f"| Release binary, {bl} | {x['binary_bytes'] / 1048576:.1f} MiB |")
    else:
        w(f"| Release binary | {machine['binary_bytes'] / 1048576:.1f} MiB |")
    w("")
    w("## Method\n")
    w(f"- `{settings['command']}`: {settings['duration_s']} s per measured run after a "
      f"{settings['warmup_s']} s warm-up (none for distinct queries, call_tool and registration), "
      f"at {', '.join(map(str, settings['levels']))} concurrent connections (wrk, closed loop)"
      + (f"; {settings['rounds']} rounds, the builds in reverse order on even rounds, figures "
         f"averaged over the rounds." if settings.get("rounds", 1) > 1 else "."))
    if len(builds) > 1:
        w(f"- Builds: {', '.join(f'`{b}`' for b in builds)}, each on its own database, for each N "
          f"one after the other on each store (`BENCH_BUILDS`).")
    kept = settings.get("keep_index", 0)
    w(f"- Tools loaded via `{settings['load_via']}` (the service's own ingestion) into the running "
      + ("service with its indexes in place, as an operator would import into a live registry. "
         if kept else "service; where an HNSW index exists it is dropped for the load and built "
         f"after with the service's definition (m={settings['hnsw_m']}, "
         f"ef_construction={settings['hnsw_ef_construction']}). ")
      + f"Where search runs in SQL (an HNSW index exists), searches at ef_search={settings['hnsw_ef_search']}. "
      f"Pool {settings['pool_size']} connections. Built-in lexical embedder (384 dimensions).")
    w("- Startup: the time from starting the binary on the loaded, migrated database until "
      "`/ready` answers 200; where search runs in the process, that includes building the index "
      "from the table. RSS is read 1 s after ready and again after the run; the anonymous part "
      "excludes SQLite's memory-mapped file pages.")
    w("- The floor (PostgreSQL, search in SQL only): the same SQL the service sends "
      "(bench/sql/*.sql; for find_tool the candidate query of the default hybrid search), run by "
      "`pgbench -M prepared` with the same parameters at the same concurrency against the same "
      "database; *× floor* is HTTP p50 / database p50. Where search runs in the process's index "
      "there is no search SQL, so no floor.")
    w("- Recall@10 on every store and build: 200 tools' `GET /tools/{name}/similar?limit=10` "
      "against a brute-force numpy scan of the store's vectors (bench/sqlite_db.py), a hit being "
      "any result within the exact 10th similarity. Where an HNSW index exists, also HNSW in SQL: "
      "200 distinct queries against exact search (index scans off) at several ef_search.\n")

    targets(measured, builds, settings.get("keep_index", 0), w)
    if len(builds) > 1:
        before_after(measured, settings, builds, ns, w)
    search_quality(rows, w)
    if len(backends) > 1 and len(builds) == 1:
        w("## Side by side\n")
        for n in ns:
            side_by_side(measured, settings, n, backends, w)
    for n, b, bl in [(n, b, bl) for n in ns for b in backends for bl in builds]:
        R = [r for r in measured if r.get("n") == n and backend(r) == b and build(r) == bl]
        if not R:
            continue
        facts, http, db = by_kind(R)
        load = next((r["result"] for r in R if r["kind"] == "load"), None)
        w(f"## {n:,} tools, {LABEL[b]}{f', {bl}' if bl else ''}\n")
        if load:
            w(f"- Loaded {load['loaded']:,} tools via `{load['via']}` in {load['seconds']} s "
              f"({load['per_second']}/s).")
        else:
            w("- Reused an already-loaded database (BENCH_REUSE=1).")
        if "index_build_ms" in facts:
            w(f"- HNSW index build: {facts['index_build_ms'] / 1000:.1f} s; index size {facts.get('index_mb', '?')} MiB.")
        w(f"- Startup to ready (already migrated): {facts.get('startup_ms', '?')} ms. RSS idle "
          f"{facts.get('idle_rss_kb', 0) / 1024:.1f} MiB, after the run {facts.get('loaded_rss_kb', 0) / 1024:.1f} MiB "
          f"(peak {facts.get('peak_rss_kb', 0) / 1024:.1f} MiB)."
          + (" On SQLite these count the memory-mapped database file once per open connection "
             "(page cache, shared); the anonymous part is in the side-by-side table." if b == "sqlite" else ""))
        w(f"- list_tools filter returns {facts.get('list_rows', '?')} tools.\n")
        w("| Scenario | Clients | req/s | p50 ms | p95 ms | p99 ms | errors | DB p50 ms | DB req/s | × floor (p50) |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key, label in SCENARIOS:
            for c in settings["levels"]:
                h = http.get((key, c))
                if not h:
                    continue
                f = db.get((FLOOR.get(key), c))
                floor = (f"{ms(f['p50_us'])} | {f['rps']:.0f} | {h['p50_us'] / max(f['p50_us'], 1):.1f}×"
                         if f else " | | ")
                w(f"| {label} | {c} | {h['rps']:.0f} | {ms(h['p50_us'])} | {ms(h['p95_us'])} | "
                  f"{ms(h['p99_us'])} | {h['non2xx'] + h['socket_errors']} | {floor} |")
        w("")
        ex = [r for r in R if r["kind"] == "executions"]
        if ex:
            w("| call_tool clients | responses | execution rows written | responses without a row |")
            w("|---:|---:|---:|---:|")
            for r in ex:
                w(f"| {r['c']} | {r['responses']} | {r['rows']} | {max(0, r['responses'] - r['rows'])} |")
            w("")
        exact = service_recall(R)
        if exact:
            w(f"Recall@10 of GET /tools/{{name}}/similar over {exact['queries']} tools, against a "
              f"brute-force scan: {exact['recall_at_10']} ({exact['http_ms_per_query']} ms per request).\n")
        rec = [r for r in R if r["kind"] == "recall" and r["ef_search"] is not None]
        if rec:
            w("| ef_search | recall@10 | HNSW ms/query | exact ms/query |")
            w("|---:|---:|---:|---:|")
            for r in rec:
                x = r["result"]
                w(f"| {r['ef_search']} | {x['recall_at_10']} | {x['ann_ms_per_query']} | {x['exact_ms_per_query']} |")
            w("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
