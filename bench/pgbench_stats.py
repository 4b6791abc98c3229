#!/usr/bin/env python3
"""Summarises pgbench per-transaction logs: `pgbench_stats.py TPS LOGFILE...` prints one JSON
object with the same keys wrk.lua prints (latencies in microseconds)."""

import json
import sys


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def main():
    tps, files = sys.argv[1], sys.argv[2:]
    lat = []
    for path in files:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]))
    lat.sort()
    print(json.dumps({
        "requests": len(lat), "rps": float(tps or 0),
        "p50_us": pct(lat, 50), "p95_us": pct(lat, 95), "p99_us": pct(lat, 99),
        "max_us": lat[-1] if lat else 0,
        "mean_us": round(sum(lat) / len(lat), 1) if lat else 0,
    }))


if __name__ == "__main__":
    main()
