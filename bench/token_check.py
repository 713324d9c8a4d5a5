#!/usr/bin/env python3
"""Token exchanges over a bench run (issue 8: "one token exchange per token
lifetime regardless of load"); see bench/README.md, "Token exchanges".

    token_check.py STATS_URL METRICS_URL FIREWARDEN_STARTED REFRESH_MARGIN_S [LOADGEN_JSON] > tokens.json
    token_check.py --summary tokens.json

STATS_URL is bench/token_server.py's /_bench/stats, METRICS_URL firewarden's
admin /metrics, FIREWARDEN_STARTED the unix time firewarden was started,
LOADGEN_JSON loadgen's result for the load of the step (throughput, latency).

firewarden refreshes a token refresh_margin before it expires, so over
`elapsed` seconds from the first exchange the run needs at most
    tokens_needed = 1 + floor(elapsed / (lifetime - refresh_margin))
exchanges. "Exchanges per token lifetime" is token_requests / tokens_needed:
1.00 when every token was fetched once and used until its refresh, above 1
when anything (load, a retry, a per-request fetch) caused more. The check is
met when it is at most 1 and the token server refused nothing.
"""
import json
import math
import sys
import time
import urllib.request


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode()


def metric_sum(text, name, label_filter=""):
    """Sum of every sample of `name` (optionally only samples whose labels
    contain label_filter) in Prometheus text format."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        key, _, value = line.rpartition(" ")
        metric = key.split("{", 1)[0]
        if metric == name and label_filter in key:
            total += float(value)
    return total


def check(stats, metrics, started, margin, load=None):
    now = time.time()
    times = stats["times"]
    lifetime = stats["lifetime_s"]
    interval = lifetime - margin
    first = times[0] if times else now
    elapsed = now - first
    tokens_needed = 1 + math.floor(elapsed / interval)
    requests = stats["token_requests"]
    served = int(metric_sum(metrics, "firewarden_requests_total"))
    gaps = [b - a for a, b in zip(times, times[1:])]
    per_lifetime = requests / tokens_needed
    result = {
        "credentials": "metadata (bench/token_server.py)",
        "token_requests": requests,
        "refused_token_requests": stats["refused"],
        "elapsed_s": round(elapsed, 1),
        "firewarden_uptime_s": round(now - started, 1),
        "token_lifetime_s": lifetime,
        "refresh_margin_s": margin,
        "refresh_interval_s": interval,
        "tokens_needed": tokens_needed,
        "requests_served": served,
        "requests_per_exchange": round(served / requests) if requests else None,
        "shortest_gap_between_exchanges_s": round(min(gaps), 1) if gaps else None,
        "token_refreshes_success_metric": int(
            metric_sum(metrics, "firewarden_token_refreshes_total", 'result="success"')),
        "exchanges_per_lifetime": round(per_lifetime, 2),
        "met": bool(requests >= 1 and stats["refused"] == 0 and per_lifetime <= 1.0),
    }
    if load:
        latency = load.get("latency_us", {})
        result["load"] = {"rps": load.get("rps"), "p50_us": latency.get("p50"),
                          "p99_us": latency.get("p99"),
                          "errors": load.get("errors", 0) + load.get("non_2xx", 0)}
    return result


def summary(tokens):
    t = tokens
    verdict = "met" if t["met"] else "NOT MET"
    return (f"token exchanges: {t['token_requests']} in {t['elapsed_s']} s "
            f"(lifetime {t['token_lifetime_s']} s, refresh every {t['refresh_interval_s']} s: "
            f"at most {t['tokens_needed']} needed) for {t['requests_served']} requests served; "
            f"exchanges per token lifetime {t['exchanges_per_lifetime']:.2f} ({verdict})")


def main(argv):
    if argv[1] == "--summary":
        print(summary(json.load(open(argv[2]))))
        return 0
    stats_url, metrics_url, started, margin = argv[1:5]
    load = json.load(open(argv[5])) if len(argv) > 5 else None
    tokens = check(json.loads(fetch(stats_url)), fetch(metrics_url), float(started), float(margin),
                   load)
    print(json.dumps(tokens, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
