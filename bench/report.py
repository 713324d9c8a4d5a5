#!/usr/bin/env python3
"""Turns a bench/run directory into bench/RESULTS.md, bench/results.json and
bench/latency.svg. Everything below the NOTES marker of an existing RESULTS.md
(the hand-written analysis) is kept.

Usage: report.py RUN_DIR RESULTS_MD MACHINE SETTINGS
"""
import glob
import json
import os
import subprocess
import sys

from bench_stats import TABLE_HEAD, ratio, summary, table_row

run, results_md, machine, settings = sys.argv[1:]
out_dir = os.path.dirname(os.path.abspath(results_md))
NOTES = "<!-- notes: hand-written below this line, kept by bench/report.py -->"
MIX_NAMES = {
    "a": "(a) GET one document, ~1 KB",
    "b": "(b) POST commit, 10 writes, ~4 KB",
    "c": "(c) runQuery, 1 MB streamed response",
    "d": "(d) new TLS connection per request (GET)",
    "a@rate": "(a@rate) GET at a fixed rate, open loop",
}
PROXIES = ["direct", "firewarden", "nginx", "haproxy"]

runs = []
for path in sorted(glob.glob(os.path.join(run, "out", "*-*-*.json"))):
    name = os.path.basename(path)
    if name.startswith(("idle-", "wrk")):
        continue
    runs.append(json.load(open(path)))

mixes = []
for r in runs:
    if r["mix"] not in mixes:
        mixes.append(r["mix"])
proxies = [p for p in PROXIES if any(r["proxy"] == p for r in runs)]


table = {m: {p: summary(runs, m, p) for p in proxies} for m in mixes}
memory = {}
for p in proxies:
    path = os.path.join(run, "out", f"idle-{p}.json")
    if os.path.exists(path):
        memory[p] = json.load(open(path))


lines = [
    "# Benchmark results",
    "",
    "Written by `bench/run` (see bench/README.md); numbers from one run on one machine.",
    "",
    f"- machine: {machine}",
    f"- settings: {settings}",
    "- pinning: every proxy (firewarden, nginx, HAProxy; one worker/thread each) with "
    "`taskset -c PROXY_CPU`; loadgen, wrk and the static upstream nginx with `taskset -c LOAD_CPU`",
    "- latency in µs; throughput in requests/s (mean of rounds, min–max in brackets); "
    "CPU = proxy user+system seconds per 10,000 requests (from /proc/PID/stat)",
    "",
    "## Throughput and latency",
    "",
]
for m in mixes:
    lines += [f"### {MIX_NAMES.get(m, m)}", ""]
    lines += TABLE_HEAD
    lines += [table_row(p, table[m][p]) for p in proxies if table[m][p]]
    lines.append("")

lines += ["## Ratios (firewarden / other; throughput ≥ 1.0 and p99 ≤ 1.0 are the targets)", ""]
lines += ["| mix | req/s fw/nginx | req/s fw/HAProxy | p99 fw/nginx | p99 fw/HAProxy | "
          "CPU fw/nginx | CPU fw/HAProxy | fw p50 − direct p50 (µs) |"]
lines += ["|---|---:|---:|---:|---:|---:|---:|---:|"]
ratios = {}
for m in mixes:
    fw, ng, ha, di = (table[m].get(p) for p in ("firewarden", "nginx", "haproxy", "direct"))
    if not fw:
        continue
    g = lambda s, k: s[k] if s else 0
    row = {
        "rps_fw_nginx": ratio(g(fw, "rps"), g(ng, "rps")),
        "rps_fw_haproxy": ratio(g(fw, "rps"), g(ha, "rps")),
        "p99_fw_nginx": ratio(g(fw, "p99"), g(ng, "p99")),
        "p99_fw_haproxy": ratio(g(fw, "p99"), g(ha, "p99")),
        "cpu_fw_nginx": ratio(g(fw, "cpu_per_10k"), g(ng, "cpu_per_10k")),
        "cpu_fw_haproxy": ratio(g(fw, "cpu_per_10k"), g(ha, "cpu_per_10k")),
        "added_p50_us": f"{g(fw, 'p50') - g(di, 'p50'):.0f}" if di else "–",
    }
    ratios[m] = row
    lines.append(f"| {m} | " + " | ".join(row.values()) + " |")
lines.append("")

lines += ["## Memory", ""]
lines += ["| proxy | RSS idle after start (MiB) | RSS with N idle keep-alive TLS connections (MiB) | "
          "open descriptors then | KiB per connection | RSS at 10,000 connections, extrapolated (MiB) | "
          "peak RSS, VmHWM over the run (MiB) |"]
lines += ["|---|---:|---:|---:|---:|---:|---:|"]
for p in proxies:
    d = memory.get(p, {})
    f = lambda k: f"{d[k] / 1024:.1f}" if k in d else "–"
    per, at10k = "–", "–"
    if "idle_conn_rss_kib" in d and d.get("idle_conn_fds", 0) > 20:
        conns = d["idle_conn_fds"] - 10  # listeners, logs, upstream pool: roughly
        base = d.get("before_idle_conn_rss_kib", d["idle_rss_kib"])
        per_kib = (d["idle_conn_rss_kib"] - base) / conns
        per = f"{per_kib:.1f}"
        at10k = f"{(d['idle_rss_kib'] + 10000 * per_kib) / 1024:.0f}"
    lines.append(f"| {p} | {f('idle_rss_kib')} | {f('idle_conn_rss_kib')} | "
                 f"{d.get('idle_conn_fds', '–')} | {per} | {at10k} | {f('peak_rss_kib')} |")
idle_runs = {}
for p in proxies:
    path = os.path.join(run, "out", f"idle-run-{p}.json")
    if os.path.exists(path):
        idle_runs[p] = json.load(open(path))
if idle_runs:
    first = next(iter(idle_runs.values()))
    lines += ["", f"Idle-connection step: loadgen opened up to {first['connections']} TLS connections "
              "and held them (one GET each per cycle); descriptors counted in /proc/PID/fd when RSS was sampled; " + ", ".join(
                  f"{p}: {d['ok']} ok, {d['errors'] + d['non_2xx']} failed" for p, d in idle_runs.items())]
lines.append("")

lines += ["## Cross-check: loadgen vs wrk (plaintext, direct to the upstream, mix a)", ""]
wrk_path = os.path.join(run, "out", "wrk.txt")
lg_path = os.path.join(run, "out", "wrk-loadgen.json")
if os.path.exists(wrk_path):
    lines += ["```", open(wrk_path).read().strip(), "```", ""]
if os.path.exists(lg_path):
    d = json.load(open(lg_path))
    l = d["latency_us"]
    lines += [f"loadgen, same settings: {d['rps']:.0f} req/s, p50 {l['p50']:.0f} µs, "
              f"p90 {l['p90']:.0f} µs, p99 {l['p99']:.0f} µs", ""]

tokens = None
tokens_path = os.path.join(run, "out", "tokens.json")
if os.path.exists(tokens_path):
    tokens = json.load(open(tokens_path))
    t = tokens
    lines += ["## Token exchanges (one per token lifetime regardless of load)", "",
              "A second firewarden (the bench config with `credentials: metadata` and the upstream's "
              "TLS listener) got its Google access tokens from a local metadata server "
              "(`bench/token_server.py`) issuing short-lived tokens, under closed-loop load of mixes "
              "(a), (b), (c). At most `1 + floor(elapsed / (lifetime − refresh_margin))` exchanges are "
              "needed; exchanges per token lifetime = exchanges / that (target: at most 1.00; a fetch "
              "per request would show about the requests per exchange).", "",
              "| token requests | refused | elapsed (s) | token lifetime (s) | refresh margin (s) | "
              "needed at most | requests served | requests per exchange | shortest gap (s) | "
              "exchanges per token lifetime | target met |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
              f"| {t['token_requests']} | {t['refused_token_requests']} | {t['elapsed_s']} | "
              f"{t['token_lifetime_s']} | {t['refresh_margin_s']:g} | {t['tokens_needed']} | "
              f"{t['requests_served']} | {t['requests_per_exchange']} | "
              f"{t['shortest_gap_between_exchanges_s'] if t['shortest_gap_between_exchanges_s'] is not None else '–'} | "
              f"{t['exchanges_per_lifetime']:.2f} | {'yes' if t['met'] else '**no**'} |", ""]
    if t.get("load"):
        l = t["load"]
        lines += [f"Under that load (https upstream, token broker): {l['rps']:.0f} req/s, "
                  f"p50 {l['p50_us']:.0f} µs, p99 {l['p99_us']:.0f} µs, {l['errors']} errors.", ""]

cg_path = os.path.join(run, "out", "callgrind.txt")
if os.path.exists(cg_path):
    lines += ["## Instructions per request (callgrind; the regression baseline)", "",
              open(cg_path).read().strip(), ""]

# --- plot -------------------------------------------------------------------------
plot_mixes = [m for m in mixes if any(table[m][p] for p in proxies)]
dat = os.path.join(run, "latency.dat")
with open(dat, "w") as f:
    for m in plot_mixes:
        f.write(f'"{m}"\n')
        f.write("pct " + " ".join(proxies) + "\n")
        for i, key in enumerate(("p50", "p90", "p99", "p99_9")):
            f.write(f"{key} " + " ".join(
                f"{table[m][p][key] if table[m][p] else 0:.0f}" for p in proxies) + "\n")
        f.write("\n\n")
svg = os.path.join(out_dir, "latency.svg")
cols = len(plot_mixes)
script = [
    f"set terminal svg size {360 * cols},420 dynamic font 'sans,11'",
    f"set output '{svg}'",
    f"set multiplot layout 1,{cols} title 'Latency percentiles (µs, log scale) per proxy and mix'",
    "set logscale y", "set style data histograms", "set style histogram clustered gap 1",
    "set style fill solid 0.8 border -1", "set key top left font ',9'", "set grid ytics",
]
for idx, m in enumerate(plot_mixes):
    script.append(f"set title 'mix {m}'")
    plots = ", ".join(
        f"'{dat}' index {idx} using {c + 2}:xtic(1) skip 1 title '{p}'" for c, p in enumerate(proxies))
    script.append(f"plot {plots}")
script.append("unset multiplot")
subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=False)
if os.path.exists(svg):
    lines += ["## Plot", "", "![latency percentiles](latency.svg)", ""]

notes = ""
kept = []  # bench/grpc's and bench/shared's sections, written by their own runs
if os.path.exists(results_md):
    old = open(results_md).read()
    head = old
    if NOTES in old:
        head, notes = old.split(NOTES, 1)  # kept whole, with the sections inside it
    for begin, end in (("<!-- bench/shared: begin", "<!-- bench/shared: end -->"),
                       ("<!-- bench/grpc: begin", "<!-- bench/grpc: end -->")):
        if begin in head and end in head:  # an older layout had them above the notes
            kept += [begin + head.split(begin, 1)[1].split(end, 1)[0] + end, ""]
lines += kept + [NOTES]
with open(results_md, "w") as f:
    f.write("\n".join(lines) + notes.rstrip("\n") + "\n")
json.dump({"machine": machine, "settings": settings, "table": table, "ratios": ratios,
           "memory": memory, "tokens": tokens}, open(os.path.join(out_dir, "results.json"), "w"), indent=1)
print("\n".join(lines))
