#pragma once
// One JSON access line per request on stdout (SPEC §10). Tokens, keys and
// document contents never appear: the record has no field that could hold
// them. Every field is on every line; a field without a value is null,
// never "" (an empty string would read as a value that happens to be empty).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace firewarden::telemetry {

// Empty strings below are written as null.
struct AccessRecord {
  std::string request_id;
  std::string trace_id;
  std::string span_id;                        // ours, the parent upstream sees
  std::optional<std::string> parent_span_id;  // the caller's span; null: we started the trace
  std::string peer;                           // "ip:port"
  std::optional<std::string> user_agent;
  std::string identity;
  std::optional<std::string> namespace_name;
  std::optional<std::string> service_account;
  // mtls: the client certificate's serial and SHA-256 fingerprint (hex).
  std::optional<std::string> peer_certificate_serial;
  std::optional<std::string> peer_certificate_sha256;
  std::string_view protocol = "rest";  // "rest" or "grpc", a string literal
  std::string http_method;             // the request line's method; empty when no request was read
  std::string method;                  // Firestore RPC ("commit") or the HTTP method when unknown
  // A message of a bidirectional stream (Listen, Write) decided on its own
  // line: "add_target 5", "remove_target 5", "reload remove_target 5",
  // "write"; empty (null) on a request's or a stream's own line.
  std::string stream_message;
  // The documents the request names as logging.document_paths shows them
  // (paths, digests); nullopt when omitted or the request was not classified.
  std::optional<std::vector<std::string>> document_paths;
  std::vector<std::pair<std::string, std::string>> required;  // (action, collection)
  std::string decision;                                       // allow | deny | error
  std::string rule;                                           // empty: no rule decided
  std::vector<std::pair<std::string, std::string>> dry_run;   // (rule, would: allow|deny)
  unsigned status = 0;
  std::optional<unsigned> upstream_status;
  std::optional<bool> upstream_reused;  // a pooled upstream connection; null if not forwarded
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  double duration_ms = 0;
  std::optional<double> upstream_ms;
  std::optional<std::string> impersonated;
  // policy.enforcement ("enforce" | "audit"), a string literal: with audit,
  // decision "deny" and an upstream status mark a denied request forwarded.
  std::string_view enforcement = "enforce";
  std::string error;  // why the request was refused or failed, when it was
  // The request's path (no query) for Cloud Logging's httpRequest.requestUrl;
  // empty unless logging.document_paths is full (the path names documents).
  std::string request_url;
};

std::string to_json_line(const AccessRecord& record);                 // one line, no newline
void append_json_line(std::string& out, const AccessRecord& record);  // the same, appended

// logging.format: gcp. The same line with Cloud Logging's structured fields
// first (https://cloud.google.com/logging/docs/structured-logging): severity,
// message, httpRequest, logging.googleapis.com/trace ("projects/PROJECT/
// traces/TRACE_ID") and logging.googleapis.com/spanId; every firewarden field
// follows unchanged, so tools reading json lines read these too.
void append_gcp_line(std::string& out, const AccessRecord& record, std::string_view project);
// ERROR for a 5xx, WARNING for any other refusal or a deny (audit), else INFO.
std::string_view gcp_access_severity(const AccessRecord& record);
// A duration as google.protobuf.Duration's JSON: "0.012s", "1.000250s", "3s".
std::string gcp_latency(double milliseconds);

// How the daemon writes access lines: JSON, or gcp with the trace under
// firestore.project.
struct AccessLineFormat {
  bool gcp = false;
  std::string project;
};

// A TLS handshake that failed: no request was read, so no AccessRecord; one
// line of its own in the same stream, {"log":"tls_handshake", ...}, so that
// refused clients show up next to the requests (SPEC §10, issue 6).
// With `gcp`, severity WARNING and a message come after "time".
std::string handshake_failure_json_line(std::uint64_t connection, const std::string& peer,
                                        const std::string& reason, bool gcp = false);

// Lines are formatted on the request's thread and written by a background
// thread (off the hot path: one write(2) per batch instead of one per
// request), at the latest kFlushInterval after they were logged, and all of
// them when the log is destroyed. When the writer falls behind by more than
// kMaxPendingBytes the logging thread writes itself (back-pressure, bounded
// memory).
class BackgroundWriter;

class AccessLog {
 public:
  static constexpr auto kFlushInterval = std::chrono::milliseconds(50);
  static constexpr std::size_t kMaxPendingBytes = 1024 * 1024;

  explicit AccessLog(bool enabled, std::FILE* out = stdout);
  // Lines go through `writer` instead (the daemon): never blocking a request
  // on a stuck destination; what does not fit is dropped and counted
  // (docs/faults.md). No flusher thread of its own then.
  AccessLog(bool enabled, BackgroundWriter& writer, AccessLineFormat format = {});
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void write(const AccessRecord& record) const;
  void write_handshake_failure(std::uint64_t connection, const std::string& peer,
                               const std::string& reason) const;
  void flush() const;  // everything logged so far is written when this returns
  bool enabled() const { return enabled_; }

 private:
  void flush_loop();
  void write_line(std::string_view line) const;  // with its newline

  bool enabled_;
  std::FILE* out_;
  mutable std::mutex write_mutex_;  // held while writing a batch: batches stay in order
  mutable std::mutex pending_mutex_;
  mutable std::condition_variable wake_;
  mutable std::string pending_;
  bool stopping_ = false;
  std::thread flusher_;
  BackgroundWriter* writer_ = nullptr;
  AccessLineFormat format_;
};

}  // namespace firewarden::telemetry
