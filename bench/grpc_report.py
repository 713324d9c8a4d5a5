#!/usr/bin/env python3
"""bench/grpc's results.

  grpc_report.py parse BASE ROUND MODE RPC PROXY LOAD
      reads h2load's output BASE.txt and per-request log BASE.log, writes BASE.json
  grpc_report.py report RUN_DIR RESULTS_MD RESULTS_JSON MACHINE SETTINGS
      writes the "gRPC" section of RESULTS_MD (between the BEGIN/END markers,
      placed before the hand-written notes; bench/report.py keeps it) and RESULTS_JSON
"""
import glob
import json
import os
import re
import statistics
import sys

from bench_stats import replace_section

BEGIN = "<!-- bench/grpc: begin (generated; rerun bench/grpc to update) -->"
END = "<!-- bench/grpc: end -->"
NOTES = "## Notes (hand-written; kept by bench/report.py)"
PROXIES = ["direct", "firewarden", "nginx", "haproxy"]
RPCS = {
    "GetDocument": "GetDocument, ~1 KB document",
    "BatchGetDocuments": "BatchGetDocuments, one ~1 KB document (server-streaming)",
    "Commit": "Commit, 10 writes (~5 KB request)",
}
MODES = {"plain": "plaintext (h2c prior knowledge)", "tls": "mTLS (client certificate required)"}


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def parse(base, rnd, mode, rpc, proxy, load, before="", after="", ticks_per_second="100",
          wall_seconds="0"):
    """One h2load run. `before`/`after` are the proxy's "USER SYSTEM" clock
    ticks around h2load's whole run (warm-up included), which lasted
    `wall_seconds`: its core's busy share, and CPU per call at the run's
    rate."""
    text = open(base + ".txt").read() if os.path.exists(base + ".txt") else ""
    result = {"round": int(rnd), "mode": mode, "rpc": rpc, "proxy": proxy, "loadavg": load}
    if before and after and float(wall_seconds) > 0:
        ticks = sum(map(int, after.split())) - sum(map(int, before.split()))
        result["cpu_seconds"] = ticks / int(ticks_per_second)
        result["wall_seconds"] = float(wall_seconds)
    m = re.search(r"finished in ([\d.]+)s, ([\d.]+) req/s", text)
    result["rps"] = float(m.group(2)) if m else 0.0
    m = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                  r"(\d+) errored, (\d+) timeout", text)
    if m:
        result.update(total=int(m.group(1)), done=int(m.group(2)), succeeded=int(m.group(3)),
                      failed=int(m.group(4)), errored=int(m.group(5)), timeout=int(m.group(6)))
    durations = []
    if os.path.exists(base + ".log"):
        for line in open(base + ".log"):
            parts = line.split("\t")
            if len(parts) >= 3 and parts[1].strip().isdigit() and parts[1].strip().startswith("2"):
                durations.append(int(parts[2]))
    result["latency_us"] = {f"p{p}": percentile(durations, p) for p in (50, 90, 99)}
    if result.get("cpu_seconds") is not None and result["rps"] > 0:
        result["cpu_busy"] = result["cpu_seconds"] / result["wall_seconds"]
        result["cpu_us_per_call"] = 1e6 * result["cpu_busy"] / result["rps"]
    result["logged"] = len(durations)
    json.dump(result, open(base + ".json", "w"))


def percent(v):
    return "–" if v is None else f"{100 * v:.0f} %"


def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def category(where, binary):
    """A self-cost line's owner: the firewarden module, or the library.
    `binary` is the profiled program's file name (the "[object]" of its
    lines); source paths may be relative (ccache's base directory)."""
    ours = f"/{binary}]" in where
    m = re.search(r"(?:^|/)src/(\w+)/", where)
    if m and ours:
        return f"firewarden {m.group(1)}/"
    if "malloc.c" in where or "operator new" in where or "operator delete" in where:
        return "malloc/free"
    if "libnghttp2" in where:
        return "nghttp2 (HTTP/2 codec)"
    if "libcrypto" in where or "libssl" in where:
        return "OpenSSL"
    if "boost/asio" in where or "boost/beast" in where:
        return "Asio/Beast (coroutines, executors, strands)"
    if "/string/" in where:
        return "memcpy/memcmp/strlen"
    if "pthread_mutex" in where:
        return "mutexes"
    if "libstdc++" in where or "/c++/" in where:
        return "C++ standard library"
    if ours:
        return "firewarden, other"
    return "other (kernel entry, libc)"


def profile_section(text, calls=2000):
    """Self cost by owner and the top functions. The stack frames that hold
    the whole run (main, io_context::run: counters were zeroed mid-run, which
    leaves them owning everything) are left out."""
    total = re.search(r"^\s*([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text, re.M)
    if not total:
        return []
    ir = int(total.group(1).replace(",", ""))
    target = re.search(r"^Profiled target:\s+(\S+)", text, re.M)
    binary = os.path.basename(target.group(1)) if target else "firewarden"
    rows = []
    # The function list only: it follows the "file:function" header and ends
    # at the next rule (annotated sources come after, with call costs).
    listing = text.split("file:function", 1)[-1].split("\n-----", 2)[1]
    for line in listing.splitlines():
        m = re.match(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*)$", line)
        if not m or float(m.group(2)) > 90:
            continue
        rows.append((int(m.group(1).replace(",", "")), m.group(3)))
    by_owner = {}
    for cost, where in rows:
        owner = category(where, binary)
        by_owner[owner] = by_owner.get(owner, 0) + cost
    out = ["### Where firewarden's time goes (callgrind, plaintext, 1,000 GetDocument + 1,000 Commit)", "",
           f"{ir:,} instructions, {ir // calls:,} per call (both RPCs, everything the process did). "
           "Self cost by owner (profile: `build-bench/grpc-run/out/grpc.callgrind.1`):", "",
           "| owner | instructions per call | share |", "|---|---|---|"]
    for owner, cost in sorted(by_owner.items(), key=lambda kv: -kv[1]):
        out.append(f"| {owner} | {cost // calls:,} | {100 * cost / ir:.1f}% |")
    out += ["", "Top functions by self cost:", "", "```"]
    for cost, where in rows[:20]:
        name = re.sub(r"\s*\[[^\]]*\]$", "", where)
        name = re.sub(r"^.*?:(?=[^/:]*(::|\())", "", name) if ":" in name else name
        out.append(f"{cost // calls:>8,}/call  {name[:130]}")
    out += ["```", ""]
    return out


def mean_of(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.mean(values) if values else None


def report(run, results_md, results_json, machine, settings):
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(run, "out", "*-*-*-*.json")))
            if not os.path.basename(p).startswith("idle-")]
    table = {}
    for r in runs:
        table.setdefault((r["mode"], r["rpc"], r["proxy"]), []).append(r)

    def summary(mode, rpc, proxy):
        rs = table.get((mode, rpc, proxy))
        if not rs:
            return None
        rps = [r["rps"] for r in rs]
        return {
            "rps": statistics.mean(rps), "rps_min": min(rps), "rps_max": max(rps),
            "p50": statistics.mean([r["latency_us"]["p50"] or 0 for r in rs]),
            "p99": statistics.mean([r["latency_us"]["p99"] or 0 for r in rs]),
            "failed": sum(r.get("failed", 0) + r.get("errored", 0) + r.get("timeout", 0) for r in rs),
            "cpu_busy": mean_of(rs, "cpu_busy"),
            "cpu_us": mean_of(rs, "cpu_us_per_call"),
            "loads": [r["loadavg"] for r in rs],
        }

    lines = [BEGIN, "## gRPC (bench/grpc)", "",
             f"Machine: {machine}. Settings: {settings}. h2load closed loop, one stream per "
             "connection; every proxy one thread/worker on the proxy core, h2load and the "
             "static upstream on the other. Load average at each measurement in results JSON "
             "(`bench/grpc-results.json`); the machine is shared, so read the ratios (each round "
             "runs every proxy back to back), not the absolute rates. \"Proxy core busy\" is the "
             "proxy's CPU time (user + system) over h2load's run divided by its length, and "
             "\"CPU µs per call\" that share over the rate: near 100 % the proxy limited the "
             "rate; below, the load core did.", ""]
    summaries, ratios = {}, {}
    for mode, mode_title in MODES.items():
        lines += [f"### {mode_title}", ""]
        lines += ["| RPC | proxy | req/s (min–max) | p50 µs | p99 µs | failed | proxy core busy | CPU µs per call |",
                  "|---|---|---|---|---|---|---|---|"]
        for rpc, rpc_title in RPCS.items():
            for proxy in PROXIES:
                s = summary(mode, rpc, proxy)
                if s is None:
                    continue
                summaries[f"{mode}/{rpc}/{proxy}"] = s
                lines.append(f"| {rpc} | {proxy} | {fmt(s['rps'])} ({fmt(s['rps_min'])}–{fmt(s['rps_max'])}) "
                             f"| {fmt(s['p50'])} | {fmt(s['p99'])} | {s['failed']} "
                             f"| {percent(s['cpu_busy'])} | {fmt(s['cpu_us'], 1)} |")
        lines.append("")
    lines += ["### Ratios (firewarden / other: throughput ≥ 1.0 and p99 ≤ 1.0 are the targets; "
              "CPU per call ≤ 1.0 is what would get there)", "",
              "| mode | RPC | vs | throughput | p99 | CPU per call |", "|---|---|---|---|---|---|"]
    for mode in MODES:
        for rpc in RPCS:
            fw = summaries.get(f"{mode}/{rpc}/firewarden")
            for other in ("nginx", "haproxy"):
                o = summaries.get(f"{mode}/{rpc}/{other}")
                if not fw or not o or not o["rps"] or not o["p99"]:
                    continue
                r = {"throughput": fw["rps"] / o["rps"], "p99": fw["p99"] / o["p99"]}
                if fw.get("cpu_us") and o.get("cpu_us"):
                    r["cpu_per_call"] = fw["cpu_us"] / o["cpu_us"]
                ratios[f"{mode}/{rpc}/{other}"] = r
                cpu = f"{r['cpu_per_call']:.2f}" if "cpu_per_call" in r else "–"
                lines.append(f"| {mode} | {rpc} | {other} | {r['throughput']:.2f} | {r['p99']:.2f} | {cpu} |")
    lines.append("")

    idle = {}
    for path in sorted(glob.glob(os.path.join(run, "out", "idle-*.json"))):
        d = json.load(open(path))
        if d.get("connections"):
            d["kib_per_connection"] = (d["rss_after_kib"] - d["rss_before_kib"]) / d["connections"]
        idle[f"{d['mode']}/{d['proxy']}"] = d
    if idle:
        lines += ["### RSS per idle HTTP/2 connection", "",
                  "Each connection made one GetDocument call, then stayed open and idle; RSS of the "
                  "proxy's processes (nginx: master and worker) before and after.", "",
                  "| mode | proxy | connections | RSS before KiB | RSS after KiB | KiB per connection |",
                  "|---|---|---|---|---|---|"]
        for key, d in idle.items():
            lines.append(f"| {d['mode']} | {d['proxy']} | {d['connections']} | {d['rss_before_kib']:,} "
                         f"| {d['rss_after_kib']:,} | {fmt(d.get('kib_per_connection'), 1)} |")
        lines.append("")

    not_ok = {}
    for mode in MODES:
        path = os.path.join(run, "out", f"firewarden-{mode}-not-ok.txt")
        if os.path.exists(path):
            not_ok[mode] = int(open(path).read().strip() or 0)
    if not_ok:
        lines += ["firewarden access lines with a status other than 0 (OK): " +
                  ", ".join(f"{m} {n}" for m, n in not_ok.items()) + ".", ""]

    profile = os.path.join(run, "out", "callgrind-self.txt")
    if os.path.exists(profile):
        lines += profile_section(open(profile).read())
    lines.append(END)

    block = "\n".join(lines) + "\n"
    replace_section(results_md, BEGIN, END, block, NOTES)
    json.dump({"machine": machine, "settings": settings, "summaries": summaries, "ratios": ratios,
               "idle": idle, "runs": runs}, open(results_json, "w"), indent=1)
    print(block)


if __name__ == "__main__":
    if sys.argv[1] == "parse":
        parse(*sys.argv[2:12])
    else:
        report(*sys.argv[2:7])
