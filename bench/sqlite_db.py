#!/usr/bin/env python3
"""What bench/load.sh does with psql on PostgreSQL, for the embedded SQLite file.

    sqlite_db.py FILE count-tools            tools in the catalogue
    sqlite_db.py FILE count-executions       rows in tool_executions
    sqlite_db.py FILE file-mb                the database file plus its WAL, in MiB
    sqlite_db.py FILE drop-registered        deletes the tools the register scenario added
    sqlite_db.py FILE recall BASE [N]        recall@10 of GET BASE/tools/{name}/similar
                                             against a brute-force scan (numpy), N tools
    sqlite_db.py - pg-recall BASE [N]        the same for PostgreSQL: the tools and their
                                             vectors as `COPY ... TO STDOUT` text on stdin

Reads go through Python's sqlite3 beside the running service (WAL mode allows it); the
deletion runs with the service stopped.
"""

import json
import os
import sqlite3
import sys
import time
import urllib.parse
import urllib.request


def connect(path):
    db = sqlite3.connect(path, timeout=30)
    db.execute("PRAGMA foreign_keys = ON")
    return db


def scalar(db, sql):
    return db.execute(sql).fetchone()[0]


def drop_registered(db):
    with db:
        ids = "SELECT id FROM tools WHERE name LIKE 'bench\\_%' ESCAPE '\\'"
        # Builds before the in-process index keep an FTS5 table beside the tools.
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'tools_fts'").fetchone():
            db.execute(f"DELETE FROM tools_fts WHERE rowid IN ({ids})")
        n = db.execute(f"DELETE FROM tools WHERE id IN ({ids})").rowcount
    return n


def recall(names, m, base, samples):
    """Each sampled tool's 10 nearest by the service against the exact 10 nearest by numpy.
    A returned tool counts when its similarity reaches the exact 10th best (ties count).
    `names` and `m` (one float32 row per tool) are the store's tools and embeddings."""
    import numpy as np

    m = m.astype(np.float64)
    norms = np.linalg.norm(m, axis=1)
    m = m / np.where(norms > 0, norms, 1)[:, None]
    step = max(1, len(names) // samples)
    picked = list(range(0, len(names), step))[:samples]
    hits = total = 0
    spent = 0.0
    for i in picked:
        sims = m @ m[i]
        sims[i] = -np.inf
        top = np.sort(sims)[::-1][:10]
        by_name = dict(zip(names, sims))
        url = f"{base}/tools/{urllib.parse.quote(names[i], safe='')}/similar?limit=10"
        t0 = time.perf_counter()
        with urllib.request.urlopen(url) as r:
            got = [h["name"] for h in json.load(r)]
        spent += time.perf_counter() - t0
        hits += sum(1 for n in got if by_name.get(n, -np.inf) >= top[-1] - 1e-6)
        total += len(top)
    return {
        "recall_at_10": round(hits / max(total, 1), 4),
        "queries": len(picked),
        "http_ms_per_query": round(spent * 1000 / max(len(picked), 1), 3),
    }


def pg_recall(base, samples):
    """recall() over the rows psql's COPY prints: name TAB [x,y,...] (pgvector's text form)."""
    import numpy as np

    names, vecs = [], []
    for line in sys.stdin:
        name, vec = line.rstrip("\n").split("\t")
        names.append(name)
        vecs.append(np.fromstring(vec[1:-1], dtype=np.float32, sep=","))
    return recall(names, np.stack(vecs), base, samples)


def main():
    path, cmd = sys.argv[1], sys.argv[2]
    if cmd == "pg-recall":
        samples = int(sys.argv[4]) if len(sys.argv) > 4 else 200
        print(json.dumps(pg_recall(sys.argv[3], samples)))
        return
    db = connect(path)
    if cmd == "count-tools":
        print(scalar(db, "SELECT count(*) FROM tools"))
    elif cmd == "count-executions":
        print(scalar(db, "SELECT count(*) FROM tool_executions"))
    elif cmd == "file-mb":
        size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
        print(size // 1048576)
    elif cmd == "drop-registered":
        print(drop_registered(db))
    elif cmd == "recall":
        import numpy as np

        samples = int(sys.argv[4]) if len(sys.argv) > 4 else 200
        rows = db.execute("SELECT name, embedding FROM tools WHERE embedding IS NOT NULL ORDER BY id").fetchall()
        m = np.stack([np.frombuffer(r[1], dtype="<f4") for r in rows])
        print(json.dumps(recall([r[0] for r in rows], m, sys.argv[3], samples)))
    else:
        sys.exit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main()
