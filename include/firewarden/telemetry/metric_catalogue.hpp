#pragma once
// Every metric family firewarden exports, declared once (name, help, labels,
// buckets) in metric_catalogue.cpp: the idea of Envoy's ALL_RBAC_FILTER_STATS.
// The daemon builds one catalogue over its registry at start-up, so every
// family is in /metrics from the first scrape, and hands it to the modules;
// a module takes its families from here, never by name from the registry.
//
// Labels are closed vocabularies or bounded by the configuration (rule names,
// impersonated service accounts): never paths, document ids, request ids or
// SPIFFE IDs.
#include "firewarden/telemetry/metrics.hpp"

namespace firewarden::telemetry {

struct MetricCatalogue {
  // Registers every family in `registry` (idempotent: a second catalogue over
  // the same registry gets the same families). `registry` must outlive it.
  explicit MetricCatalogue(Registry& registry);

  Registry& registry;

  // Requests (proxy/).
  Family<Counter>& requests_total;              // method, decision, code, protocol
  Family<Histogram>& request_duration_seconds;  // method, decision
  Family<Histogram>& upstream_duration_seconds;
  Family<Counter>& upstream_connections_total;  // result: reused | new
  Family<Counter>& rule_matches_total;          // rule, mode: enforce | dry-run
  Family<Counter>& dry_run_verdicts_total;      // rule, verdict: allow | deny
  Family<Counter>& identity_refusals_total;     // reason
  Family<Gauge>& enforcement_mode;              // mode: enforce | audit
  // Bidirectional gRPC streams (proxy/).
  Family<Counter>& stream_messages_total;  // method: Listen | Write, decision
  Family<Gauge>& listen_targets;           // live targets of every Listen stream

  // Client connections (net/).
  Family<Gauge>& connections_active;
  Family<Counter>& connections_accepted_total;
  Family<Counter>& connections_refused_total;     // reason: max_connections
  Family<Counter>& connections_closed_total;      // reason: header_timeout, idle_timeout, ...
  Family<Counter>& tls_handshake_failures_total;  // reason

  // Policy and serving certificate (app/).
  Family<Gauge>& policy_generation;
  Family<Gauge>& policy_info;  // sha256 of the policy in force, always 1
  Family<Gauge>& policy_last_reload_success_timestamp_seconds;
  Family<Counter>& policy_reloads_total;       // result: success | failure
  Family<Counter>& certificate_reloads_total;  // result: success | failure
  Family<Gauge>& certificate_expiry_timestamp_seconds;

  // Google access tokens (credentials/).
  Family<Counter>& token_refreshes_total;         // result, principal
  Family<Gauge>& token_expiry_timestamp_seconds;  // principal

  // The process (sampled from /proc when /metrics is scraped) and the build.
  Family<Gauge>& build_info;                 // version, revision
  Family<Counter>& log_lines_dropped_total;  // stream: access | diagnostic
  Family<Gauge>& process_cpu_seconds_total;  // rendered as a counter
  Family<Gauge>& process_resident_memory_bytes;
  Family<Gauge>& process_virtual_memory_bytes;
  Family<Gauge>& process_open_fds;
  Family<Gauge>& process_max_fds;
  Family<Gauge>& process_start_time_seconds;
};

}  // namespace firewarden::telemetry
