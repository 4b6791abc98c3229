#!/usr/bin/env python3
"""Loads tools.jsonl into a running toolbox through its own ingestion path.

    bench/load_tools.py BASE_URL tools.jsonl [--via post|bulk] [--concurrency C] [--chunk K]

--via post  (default) one POST /tools per tool from C concurrent keep-alive connections.
--via bulk  POST /tools/bulk with K tools per request (body {"tools": [...]}; at most
            BULK_MAX_TOOLS, default 1,000), each written in one transaction.
Prints one JSON line: {"loaded", "conflicts", "errors", "seconds", "per_second", "via"}.
A 409 (name already taken) counts as a conflict, not an error, so a re-run is harmless.
"""

import http.client
import json
import sys
import threading
import time
import urllib.parse


def bulk_body(tools):
    return json.dumps({"tools": tools}).encode()


def main():
    args = sys.argv[1:]
    opts = {"--via": "post", "--concurrency": "16", "--chunk": "500"}
    for k in list(opts):
        if k in args:
            i = args.index(k)
            opts[k] = args[i + 1]
            del args[i:i + 2]
    base, path = args
    url = urllib.parse.urlsplit(base)
    via, conc, chunk = opts["--via"], int(opts["--concurrency"]), int(opts["--chunk"])
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l]
    if via == "post":
        jobs = [("/tools", l.encode(), 1) for l in lines]
    elif via == "bulk":
        jobs = []
        for i in range(0, len(lines), chunk):
            part = [json.loads(l) for l in lines[i:i + chunk]]
            jobs.append(("/tools/bulk", bulk_body(part), len(part)))
    else:
        sys.exit(f"unknown --via {via}")
    lock = threading.Lock()
    state = {"next": 0, "loaded": 0, "conflicts": 0, "errors": 0, "first_error": None}

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= len(jobs):
                break
            route, body, count = jobs[i]
            for attempt in range(3):
                try:
                    conn.request("POST", route, body, {"content-type": "application/json"})
                    resp = conn.getresponse()
                    text = resp.read()
                    break
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
                    if attempt == 2:
                        raise
            with lock:
                if resp.status in (200, 201):
                    state["loaded"] += count
                elif resp.status == 409:
                    state["conflicts"] += count
                else:
                    state["errors"] += count
                    state["first_error"] = state["first_error"] or f"{resp.status}: {text[:300]!r}"

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(min(conc, len(jobs)) or 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - started
    out = {"loaded": state["loaded"], "conflicts": state["conflicts"], "errors": state["errors"],
           "seconds": round(secs, 2), "per_second": round(state["loaded"] / secs, 1) if secs else 0,
           "via": via}
    if state["first_error"]:
        out["first_error"] = state["first_error"]
    print(json.dumps(out))
    sys.exit(1 if state["errors"] else 0)


if __name__ == "__main__":
    main()
