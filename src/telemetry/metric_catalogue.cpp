// The one place where metric names, help texts and label names are written
// (docs/operations.md lists them for operators).
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::telemetry {

MetricCatalogue::MetricCatalogue(Registry& r)
    : registry(r),
      requests_total(r.counter("firewarden_requests_total",
                               "Requests and gRPC calls answered, by Firestore method, decision, "
                               "code (HTTP status for REST, gRPC status for gRPC) and protocol.",
                               {"method", "decision", "code", "protocol"})),
      request_duration_seconds(
          r.histogram("firewarden_request_duration_seconds",
                      "Time from a complete request to the end of its response, by Firestore "
                      "method and decision.",
                      {"method", "decision"})),
      upstream_duration_seconds(
          r.histogram("firewarden_upstream_duration_seconds",
                      "Time from sending a request upstream to its response head.")),
      upstream_connections_total(
          r.counter("firewarden_upstream_connections_total",
                    "Upstream connections requests were sent on: a pooled idle one "
                    "(reused) or a new one.",
                    {"result"})),
      rule_matches_total(
          r.counter("firewarden_rule_matches_total",
                    "Policy rules that decided a request (enforce) or would have (dry-run).",
                    {"rule", "mode"})),
      dry_run_verdicts_total(
          r.counter("firewarden_dry_run_verdicts_total",
                    "Verdicts of dry-run rules on requests they are relevant to (allow or deny), "
                    "by rule; they never change a decision.",
                    {"rule", "verdict"})),
      identity_refusals_total(
          r.counter("firewarden_identity_refusals_total",
                    "Forwarded client identities (xfcc) refused with 401, by reason.", {"reason"})),
      enforcement_mode(r.gauge("firewarden_enforcement_mode",
                               "policy.enforcement: 1 for the active mode (enforce or audit).",
                               {"mode"})),
      stream_messages_total(
          r.counter("firewarden_stream_messages_total",
                    "Messages of Listen and Write streams decided on their own (a target "
                    "added or removed, a write), by RPC and decision: allow, deny (a target "
                    "removed after a policy reload counts here too) or error.",
                    {"method", "decision"})),
      listen_targets(r.gauge("firewarden_listen_targets",
                             "Targets (listeners) live on the Listen streams being served.")),
      connections_active(
          r.gauge("firewarden_connections_active", "Client connections currently open.")),
      connections_accepted_total(
          r.counter("firewarden_connections_accepted_total",
                    "Client connections accepted (within limits.max_connections).")),
      connections_refused_total(
          r.counter("firewarden_connections_refused_total",
                    "Client connections closed at once, by reason (max_connections: the "
                    "limit was reached).",
                    {"reason"})),
      connections_closed_total(
          r.counter("firewarden_connections_closed_total",
                    "Client connections the server closed because they were too slow, by "
                    "reason: header_timeout, idle_timeout, tls_handshake_timeout, "
                    "http2_write_timeout; whose TLS handshake failed: tls_handshake_failure; "
                    "or that broke HTTP/2's rules or limits: http2_protocol_error, "
                    "http2_flood, http2_rapid_reset.",
                    {"reason"})),
      tls_handshake_failures_total(r.counter("firewarden_tls_handshake_failures_total",
                                             "TLS handshakes that failed, by reason.", {"reason"})),
      policy_generation(
          r.gauge("firewarden_policy_generation", "Generation of the policy in force.")),
      policy_info(r.gauge("firewarden_policy_info",
                          "The policy in force, by the SHA-256 of its file; always 1.",
                          {"sha256"})),
      policy_last_reload_success_timestamp_seconds(
          r.gauge("firewarden_policy_last_reload_success_timestamp_seconds",
                  "When the policy in force was loaded (Unix time).")),
      policy_reloads_total(
          r.counter("firewarden_policy_reloads_total", "Policy loads, by result.", {"result"})),
      certificate_reloads_total(r.counter("firewarden_certificate_reloads_total",
                                          "Serving certificate loads, by result.", {"result"})),
      certificate_expiry_timestamp_seconds(
          r.gauge("firewarden_certificate_expiry_timestamp_seconds",
                  "notAfter of the serving certificate.")),
      token_refreshes_total(
          r.counter("firewarden_token_refreshes_total",
                    "Google access token exchanges, by result and principal (default, "
                    "default (cloud-platform) or the impersonated service account).",
                    {"result", "principal"})),
      token_expiry_timestamp_seconds(r.gauge("firewarden_token_expiry_timestamp_seconds",
                                             "Expiry of the cached Google access token (Unix time)",
                                             {"principal"})),
      build_info(r.gauge("firewarden_build_info", "Build information.", {"version", "revision"})),
      log_lines_dropped_total(
          r.counter("firewarden_log_lines_dropped_total",
                    "Log lines dropped because their destination did not keep up "
                    "or failed (stream: access = stdout, diagnostic = stderr).",
                    {"stream"})),
      // The process_* families: the names and meanings of the Prometheus
      // client libraries' process collector.
      process_cpu_seconds_total(r.sampled_counter("process_cpu_seconds_total",
                                                  "Total user and system CPU time spent in "
                                                  "seconds.")),
      process_resident_memory_bytes(
          r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.")),
      process_virtual_memory_bytes(
          r.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.")),
      process_open_fds(r.gauge("process_open_fds", "Number of open file descriptors.")),
      process_max_fds(r.gauge("process_max_fds", "Maximum number of open file descriptors.")),
      process_start_time_seconds(r.gauge(
          "process_start_time_seconds", "Start time of the process since unix epoch in seconds.")) {
}

}  // namespace firewarden::telemetry
