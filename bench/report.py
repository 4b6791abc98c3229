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


def by_kind(R):
    facts = {r["name"]: r["value"] for r in R if r["kind"] == "fact"}
    http = {(r["scenario"], r["c"]): r["result"] for r in R if r["kind"] == "http"}
    db = {(r["scenario"], r["c"]): r["result"] for r in R if r["kind"] == "db"}
    return facts, http, db


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
        rec = [r for r in R if r["kind"] == "recall"]
        mine = next((r for r in rec if r["ef_search"] in (None, settings["hnsw_ef_search"])), None)
        if not mine:
            return "–"
        how = "exact scan" if mine["ef_search"] is None else f"HNSW, ef_search={mine['ef_search']}"
        return f"{mine['result']['recall_at_10']} ({how})"

    kib = lambda k: lambda b, f, R: f"{f[k] / 1024:.1f} MiB" if k in f else "–"
    fact_row(f"Load {n:,} tools via `{settings['load_via']}`", load)
    fact_row("Index build", lambda b, f, R: f"{f['index_build_ms'] / 1000:.1f} s" if "index_build_ms" in f else "none (exact in-memory index, built at startup)" if b == "sqlite" else "–")
    fact_row("Database size", lambda b, f, R: f"{f['db_mb']} MiB" if "db_mb" in f else "–")
    fact_row("Startup to ready", lambda b, f, R: f"{f['startup_ms']} ms" if "startup_ms" in f else "–")
    fact_row("RSS idle (of which anonymous)", lambda b, f, R: f"{kib('idle_rss_kb')(b, f, R)} ({kib('idle_rss_anon_kb')(b, f, R)})")
    fact_row("RSS after the run (of which anonymous)", lambda b, f, R: f"{kib('loaded_rss_kb')(b, f, R)} ({kib('loaded_rss_anon_kb')(b, f, R)})")
    fact_row("Recall@10 of the vector search", recall)
    fact_row("call_tool responses without an execution row", lambda b, f, R: str(sum(max(0, r["responses"] - r["rows"]) for r in R if r["kind"] == "executions")) if any(r["kind"] == "executions" for r in R) else "–")
    w("")


def targets(rows, settings, ns, w):
    """The issue's targets, checked against the largest catalogue measured."""
    if not ns:
        return
    R = [r for r in rows if backend(r) == "postgres" and "n" in r]
    if not R:
        return
    n = max(r["n"] for r in R)
    R = [r for r in R if r["n"] == n]
    facts, http, db = by_kind(R)
    best = lambda key: max((v["rps"] for (k, _), v in http.items() if k == key), default=0)
    lines = []

    def row(what, target, value, ok):
        lines.append(f"| {what} | {target} | {value} | {'yes' if ok else '**no**'} |")

    fw, fdb = http.get(("find_warm", 16)), db.get(("knn", 16))
    if fw:
        row("find_tool warm, 16 clients: p95", "≤ 10 ms", f"{ms(fw['p95_us'])} ms", fw["p95_us"] <= 10_000)
        row("find_tool warm, 16 clients: throughput", "≥ 1,000 req/s", f"{fw['rps']:.0f} req/s", fw["rps"] >= 1000)
    if fw and fdb:
        ratio = fw["p50_us"] / max(fdb["p50_us"], 1)
        row("find_tool warm p50 / same query in PostgreSQL", "≤ 1.5×", f"{ratio:.2f}×", ratio <= 1.5)
    g = http.get(("get_tool", 16))
    if g:
        row("GET /tools/{name}, 16 clients: p95", "≤ 2 ms", f"{ms(g['p95_us'])} ms", g["p95_us"] <= 2000)
        row("GET /tools/{name}: best throughput", "≥ 10,000 req/s", f"{best('get_tool'):.0f} req/s", best("get_tool") >= 10_000)
    ex = [r for r in R if r["kind"] == "executions"]
    if ex:
        lost = sum(max(0, r["responses"] - r["rows"]) for r in ex)
        row("call_tool: best throughput", "≥ 3,000 req/s", f"{best('call_tool'):.0f} req/s", best("call_tool") >= 3000)
        row("call_tool: responses without an execution row", "0", str(lost), lost == 0)
    rec = next((r for r in R if r["kind"] == "recall" and r["ef_search"] == settings["hnsw_ef_search"]), None)
    if rec:
        v = rec["result"]["recall_at_10"]
        row(f"HNSW recall@10 at ef_search={settings['hnsw_ef_search']}", "≥ 0.98", str(v), v >= 0.98)
    if "startup_ms" in facts:
        row("startup to ready (migrated database)", "≤ 1 s", f"{facts['startup_ms']} ms", facts["startup_ms"] <= 1000)
    if "idle_rss_kb" in facts:
        mb = facts["idle_rss_kb"] / 1024
        row("idle RSS", "≤ 50 MB", f"{mb:.1f} MiB", facts["idle_rss_kb"] * 1024 <= 50e6)
    w(f"## Targets (issue 10), PostgreSQL at {n:,} tools\n")
    w("| Target | Goal | Measured | Met |\n|---|---|---|---|")
    for l in lines:
        w(l)
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
    w(f"| Release binary | {machine['binary_bytes'] / 1048576:.1f} MiB |")
    w("")
    w("## Method\n")
    w(f"- `{settings['command']}`: {settings['duration_s']} s per measured run after a "
      f"{settings['warmup_s']} s warm-up (none for distinct queries, call_tool and registration), "
      f"at {', '.join(map(str, settings['levels']))} concurrent connections (wrk, closed loop).")
    w(f"- Tools loaded via `{settings['load_via']}` (the service's own ingestion) with the HNSW index "
      f"dropped, then the index built with the service's definition (m={settings['hnsw_m']}, "
      f"ef_construction={settings['hnsw_ef_construction']}); searches at ef_search={settings['hnsw_ef_search']}; "
      f"pool {settings['pool_size']} connections. Built-in lexical embedder (384 dimensions).")
    w("- The floor: the same SQL the service sends (bench/sql/*.sql; for find_tool the candidate "
      "query of the default hybrid search), run by `pgbench -M prepared` with the same parameters "
      "at the same concurrency against the same database; *× floor* is HTTP p50 / database p50.")
    w("- Recall@10 on PostgreSQL: 200 distinct queries, HNSW results against exact search (index "
      "scans off), a hit being any result within the exact 10th distance. On SQLite: 200 tools' "
      "`GET /tools/{name}/similar?limit=10` against a brute-force scan of the file's vectors "
      "(numpy, bench/sqlite_db.py), same tie rule.")
    w("- SQLite runs the same scenarios on the same generated tools; it has no pgbench floor.\n")

    targets(measured, settings, ns, w)
    search_quality(rows, w)
    if len(backends) > 1:
        w("## Side by side\n")
        for n in ns:
            side_by_side(measured, settings, n, backends, w)
    for n, b in [(n, b) for n in ns for b in backends]:
        R = [r for r in measured if r.get("n") == n and backend(r) == b]
        if not R:
            continue
        facts, http, db = by_kind(R)
        load = next((r["result"] for r in R if r["kind"] == "load"), None)
        w(f"## {n:,} tools, {LABEL[b]}\n")
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
        exact = next((r["result"] for r in R if r["kind"] == "recall" and r["ef_search"] is None), None)
        if exact:
            w(f"Recall@10 of the exact in-memory scan over {exact['queries']} tools' similar-tools "
              f"requests: {exact['recall_at_10']} ({exact['http_ms_per_query']} ms per request).\n")
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
