#!/usr/bin/env python3
"""Turns a bench/shared run directory into the "Shared cores" section of
bench/RESULTS.md (between its BEGIN/END markers; bench/report.py keeps it)
and bench/shared-results.json.

Usage: shared_report.py RUN_DIR RESULTS_MD RESULTS_JSON MACHINE SETTINGS
"""
import glob
import json
import os
import sys

from bench_stats import TABLE_HEAD, ratio, replace_section, summary, table_row

BEGIN = "<!-- bench/shared: begin (generated; rerun bench/shared to update) -->"
END = "<!-- bench/shared: end -->"
GRPC_BEGIN = "<!-- bench/grpc: begin"
MIX_NAMES = {"a": "(a) GET one document, ~1 KB", "b": "(b) POST commit, 10 writes, ~4 KB"}
PROXIES = ["direct", "firewarden-xfcc", "firewarden-fixed", "nginx", "haproxy"]


def main(run, results_md, results_json, machine, settings):
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(run, "out", "*-*-*.json")))]
    mixes = [m for m in MIX_NAMES if any(r["mix"] == m for r in runs)]
    proxies = [p for p in PROXIES if any(r["proxy"] == p for r in runs)]
    table = {m: {p: summary(runs, m, p) for p in proxies} for m in mixes}

    lines = [BEGIN, "## Shared cores, plaintext (bench/shared)", "",
             "The sidecar's own setting: plaintext on loopback, nothing pinned; the proxy, the load "
             "generator (loadgen, 2 threads) and the static upstream (nginx, 1 worker) share the "
             "machine's cores. firewarden with `threads: 2`, nginx with `worker_processes 2`, HAProxy "
             "with `nbthread 2`. firewarden runs in xfcc mode (each request carries an Istio-style "
             "`x-forwarded-client-cert`) and in fixed mode, with the 1,000-rule policy and its access "
             "log on; every round runs each proxy once per mix, the order rotated every round.", "",
             f"- machine: {machine}", f"- settings: {settings}",
             "- latency in µs; throughput in requests/s (mean of rounds, min–max in brackets); CPU = the "
             "proxy's user+system seconds per 10,000 requests (from /proc/PID/stat)", ""]
    for m in mixes:
        lines += [f"### {MIX_NAMES[m]}", ""] + TABLE_HEAD
        lines += [table_row(p, table[m][p]) for p in proxies if table[m][p]]
        lines.append("")

    lines += ["### Ratios (firewarden / other; throughput ≥ 1.0, p99 ≤ 1.0 and CPU ≤ 1.0 are the targets)", "",
              "| mix | firewarden mode | req/s fw/nginx | req/s fw/HAProxy | p99 fw/nginx | p99 fw/HAProxy | "
              "CPU fw/nginx | CPU fw/HAProxy |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    ratios = {}
    for m in mixes:
        ng, ha = table[m].get("nginx"), table[m].get("haproxy")
        for mode in ("xfcc", "fixed"):
            fw = table[m].get(f"firewarden-{mode}")
            if not fw:
                continue
            g = lambda s, k: s[k] if s else 0
            row = {"rps_fw_nginx": ratio(fw["rps"], g(ng, "rps")),
                   "rps_fw_haproxy": ratio(fw["rps"], g(ha, "rps")),
                   "p99_fw_nginx": ratio(fw["p99"], g(ng, "p99")),
                   "p99_fw_haproxy": ratio(fw["p99"], g(ha, "p99")),
                   "cpu_fw_nginx": ratio(fw["cpu_per_10k"], g(ng, "cpu_per_10k")),
                   "cpu_fw_haproxy": ratio(fw["cpu_per_10k"], g(ha, "cpu_per_10k"))}
            ratios[f"{m}/{mode}"] = row
            lines.append(f"| {m} | {mode} | " + " | ".join(row.values()) + " |")
    lines.append("")

    refused = {}
    for mode in ("xfcc", "fixed"):
        path = os.path.join(run, "out", f"firewarden-{mode}-other.txt")
        if os.path.exists(path) and open(path).read().strip() not in ("", "0"):
            refused[mode] = open(path).read().strip()
    if refused:
        lines += ["**firewarden access lines that are not `allow`** (the run is not valid): " +
                  ", ".join(f"{m} {n}" for m, n in refused.items()), ""]
    profile = os.path.join(run, "out", "callgrind.txt")
    if os.path.exists(profile):
        lines += ["### Instructions per request (callgrind: firewarden in xfcc mode, and nginx)", "",
                  open(profile).read().strip(), ""]
    lines.append(END)

    replace_section(results_md, BEGIN, END, "\n".join(lines) + "\n", GRPC_BEGIN)
    json.dump({"machine": machine, "settings": settings, "table": table, "ratios": ratios, "runs": runs},
              open(results_json, "w"), indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:])
