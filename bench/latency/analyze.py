#!/usr/bin/env python3
"""Reads bench/latency.sh's stamp files and phase windows; prints commit ->
receipt percentiles per phase for walguard's alerts (consumed from Kafka)
and for pg_recvlogical's commit records (the reference), plus misses.

argv: alerts.stamps ref.stamps phases.tsv
phases.tsv: name, start, end (Unix s), injected, pgbench tps, walguard CPU %.
"""
import datetime
import json
import sys


def parse_ts(text):
    # walguard: 2026-12-03T10:40:01.123456Z; wal2json: 2026-12-03 10:40:01.123456+00
    text = text.replace("T", " ").replace("Z", "+00:00")
    if text.endswith("+00"):
        text += ":00"
    return datetime.datetime.fromisoformat(text).timestamp()


def pct(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    i = min(len(s) - 1, max(0, int(-(-q * len(s) // 1)) - 1))  # nearest rank
    return s[i]


def load(path, extract):
    samples = []  # (commit_s, latency_ms)
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            recv, _, body = line.rstrip("\n").partition("\t")
            commit = extract(body)
            if commit is not None:
                samples.append((commit, (float(recv) - commit) * 1000.0))
    return samples


def alert_commit(body):
    try:
        m = json.loads(body)
    except ValueError:
        return None
    if m.get("type") != "ledger_imbalance" or m.get("state") != "firing":
        return None
    return parse_ts(m["commit_time"])


def ref_commit(body):
    try:
        m = json.loads(body)
    except ValueError:
        return None
    if m.get("action") != "C" or "timestamp" not in m:
        return None
    return parse_ts(m["timestamp"])


def main():
    alerts = load(sys.argv[1], alert_commit)
    ref = load(sys.argv[2], ref_commit)
    print("%-6s %8s %8s %7s %8s %8s %8s %8s %7s %9s %9s %9s %7s" %
          ("phase", "pg tx/s", "wg CPU%", "alerts", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "misses",
           "ref p50", "ref p99", "ref p99.9", "ref n"))
    with open(sys.argv[3]) as f:
        for row in f:
            name, start, end, injected, tps, cpu = row.split()
            start, end, injected = float(start), float(end), int(injected)
            a = [lat for c, lat in alerts if start <= c <= end]
            r = [lat for c, lat in ref if start <= c <= end]
            print("%-6s %8s %8s %7d %8.1f %8.1f %8.1f %8.1f %7d %9.1f %9.1f %9.1f %7d" %
                  (name, tps, cpu, len(a), pct(a, 0.5), pct(a, 0.99), pct(a, 0.999), max(a or [float("nan")]),
                   injected - len(a), pct(r, 0.5), pct(r, 0.99), pct(r, 0.999), len(r)))
    print("p99.9 with fewer than 1000 samples is the max of the sample; misses = injected - firing alerts received")


main()
