#!/usr/bin/env python3
"""Statistics shared by bench/report.py and bench/shared_report.py, and the
step that stores one measurement (bench/run, bench/shared):

  bench_stats.py record OUT ROUND MIX PROXY "USER SYS" "USER SYS" CLK_TCK LOADAVG
      reads OUT.loadgen (loadgen's --json) and writes OUT with the round,
      mix, proxy, the proxy's CPU seconds (from its user and system clock
      ticks before and after) and the load average added.
"""
import json
import statistics
import sys


def record(out, rnd, mix, proxy, before, after, hz, load):
    try:
        result = json.load(open(out + ".loadgen"))
    except Exception as e:  # a crashed run is reported, not skipped
        result = {"error": str(e), "rps": 0, "requests": 0, "latency_us": {}}
    (user0, system0), (user1, system1) = (map(int, t.split()) for t in (before, after))
    user, system = (user1 - user0) / int(hz), (system1 - system0) / int(hz)
    result.update(round=int(rnd), mix=mix, proxy=proxy, cpu_seconds=user + system,
                  user_seconds=user, system_seconds=system, loadavg=load)
    json.dump(result, open(out, "w"))


def summary(runs, mix, proxy):
    """Mean throughput and latency of every round of (mix, proxy); CPU per 10k requests."""
    rs = [r for r in runs if r["mix"] == mix and r["proxy"] == proxy]
    if not rs:
        return None
    lat = lambda key: statistics.mean(r["latency_us"].get(key, 0) for r in rs)
    requests = sum(r.get("requests", 0) for r in rs)
    cpu = sum(r.get("cpu_seconds", 0) for r in rs)
    user = sum(r.get("user_seconds", 0) for r in rs)
    system = sum(r.get("system_seconds", 0) for r in rs)
    return {
        "rps": statistics.mean(r["rps"] for r in rs),
        "rps_min": min(r["rps"] for r in rs),
        "rps_max": max(r["rps"] for r in rs),
        "p50": lat("p50"),
        "p90": lat("p90"),
        "p99": lat("p99"),
        "p99_9": lat("p99_9"),
        "errors": sum(r.get("errors", 0) + r.get("non_2xx", 0) for r in rs),
        "cpu_per_10k": cpu / requests * 10000 if requests else 0,
        "user_per_10k": user / requests * 10000 if requests else 0,
        "system_per_10k": system / requests * 10000 if requests else 0,
        "loadavg": [r.get("loadavg", "") for r in rs],
        "rounds": len(rs),
    }


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "–"


def table_row(name, s):
    """One row of the throughput and latency table."""
    return (f"| {name} | {s['rps']:.0f} [{s['rps_min']:.0f}–{s['rps_max']:.0f}] | {s['p50']:.0f} | "
            f"{s['p90']:.0f} | {s['p99']:.0f} | {s['p99_9']:.0f} | {s['cpu_per_10k']:.2f} "
            f"({s['user_per_10k']:.2f} + {s['system_per_10k']:.2f}) | "
            f"{s['errors']} | {'; '.join(s['loadavg'])} |")


TABLE_HEAD = ["| proxy | req/s | p50 | p90 | p99 | p99.9 | CPU s/10k (user + system) | errors | "
              "load avg per round |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|"]


def replace_section(results_md, begin, end, block, notes_marker):
    """Writes block (from begin to end marker) into results_md: in place of
    the old one, else before the hand-written notes, else at the end."""
    import os
    old = open(results_md).read() if os.path.exists(results_md) else ""
    if begin in old and end in old:
        new = old.split(begin, 1)[0] + block.rstrip("\n") + old.split(end, 1)[1]
    elif notes_marker in old:
        head, notes = old.split(notes_marker, 1)
        new = head + block + "\n" + notes_marker + notes
    else:
        new = old + ("\n" if old else "") + block
    open(results_md, "w").write(new)


if __name__ == "__main__" and len(sys.argv) == 10 and sys.argv[1] == "record":
    record(*sys.argv[2:])
elif __name__ == "__main__":
    sys.exit(__doc__)
