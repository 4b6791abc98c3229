"""Upstream MCP servers: sync time and call overhead.

    python bench/upstream.py TOOLBOX_BASE UPSTREAM_MCP_URL [--calls N] [--syncs N]

Registers UPSTREAM_MCP_URL as server `bench` on the toolbox at TOOLBOX_BASE (replacing one of
that name), times `POST /servers/bench/sync` with nothing changed (a full listing plus the
comparison) and the first sync (registration, every tool written and embedded), then calls
the upstream's `echo` tool at 1 and 16 concurrent clients two ways: directly (JSON-RPC
`tools/call` over Streamable HTTP, one session per client) and through toolbox
(`POST /mcp/call_tool` on `bench__echo`). Prints p50/p95 latency of each, in ms, as JSON
lines. Both paths use the same HTTP client library (httpx2, from the MCP SDK's
dependencies), one connection per client.
"""

import asyncio
import json
import statistics
import sys
import time

import httpx2 as httpx

ARGS = {"message": "hello"}


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def direct_session(client, url):
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"}}}
    r = await client.post(url, json=init, headers=headers)
    r.raise_for_status()
    sid = r.headers.get("mcp-session-id")
    headers = dict(headers, **({"mcp-session-id": sid} if sid else {}),
                   **{"mcp-protocol-version": "2025-06-18"})
    await client.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                      headers=headers)
    return headers


async def direct_call(client, url, headers, i):
    body = {"jsonrpc": "2.0", "id": i, "method": "tools/call",
            "params": {"name": "echo", "arguments": ARGS}}
    r = await client.post(url, json=body, headers=headers)
    r.raise_for_status()
    text = r.text
    assert '"result"' in text, text[:200]


async def toolbox_call(client, base):
    r = await client.post(f"{base}/mcp/call_tool",
                          json={"tool_name": "bench__echo", "arguments": ARGS})
    assert r.status_code == 200 and r.json()["success"], r.text[:200]


async def run(kind, clients, calls, base, url):
    latencies = []

    async def worker():
        async with httpx.AsyncClient(timeout=30) as client:
            headers = await direct_session(client, url) if kind == "direct" else None
            for i in range(calls):
                t = time.perf_counter()
                if kind == "direct":
                    await direct_call(client, url, headers, i + 1)
                else:
                    await toolbox_call(client, base)
                latencies.append((time.perf_counter() - t) * 1000)

    # Warm-up (connections, the upstream session toolbox keeps).
    async with httpx.AsyncClient(timeout=30) as c:
        if kind == "direct":
            h = await direct_session(c, url)
            for i in range(20):
                await direct_call(c, url, h, i)
        else:
            for _ in range(20):
                await toolbox_call(c, base)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - started
    return {"path": kind, "clients": clients, "calls": len(latencies),
            "p50_ms": round(pct(latencies, 50), 2), "p95_ms": round(pct(latencies, 95), 2),
            "mean_ms": round(statistics.mean(latencies), 2),
            "calls_per_s": round(len(latencies) / wall, 1)}


async def main():
    base, url = sys.argv[1].rstrip("/"), sys.argv[2]
    calls = int(sys.argv[sys.argv.index("--calls") + 1]) if "--calls" in sys.argv else 200
    syncs = int(sys.argv[sys.argv.index("--syncs") + 1]) if "--syncs" in sys.argv else 10
    async with httpx.AsyncClient(timeout=60) as c:
        await c.delete(f"{base}/servers/bench")
        t = time.perf_counter()
        r = await c.post(f"{base}/servers", json={"name": "bench", "url": url})
        first = (time.perf_counter() - t) * 1000
        assert r.status_code == 201 and r.json()["health"]["status"] == "healthy", r.text
        tools = r.json()["health"]["tool_count"]
        times = []
        for _ in range(syncs):
            t = time.perf_counter()
            r = await c.post(f"{base}/servers/bench/sync")
            assert r.status_code == 200, r.text
            times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"sync": "registration (first sync)", "tools": tools, "ms": round(first, 1)}))
    print(json.dumps({"sync": "unchanged", "tools": tools, "runs": syncs,
                      "p50_ms": round(pct(times, 50), 1), "p95_ms": round(pct(times, 95), 1)}))
    for clients in (1, 16):
        for kind in ("direct", "toolbox"):
            per_client = max(10, calls // clients)
            print(json.dumps(await run(kind, clients, per_client, base, url)), flush=True)


asyncio.run(main())
