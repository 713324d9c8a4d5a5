#include "firewarden/telemetry/access_log.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include "firewarden/telemetry/line_writer.hpp"
#include "firewarden/telemetry/time_format.hpp"
#include "json_line_writer.hpp"

namespace firewarden::telemetry {

using detail::LineWriter;

std::string to_json_line(const AccessRecord& record) {
  std::string line;
  append_json_line(line, record);
  return line;
}

namespace {

// Every firewarden field of an access line after "time", in every format.
void append_fields(LineWriter& w, const AccessRecord& r) {
  w.text("log", "access");
  w.text("request_id", r.request_id);
  w.text_or_null("trace_id", r.trace_id);
  w.text_or_null("span_id", r.span_id);
  w.optional_text("parent_span_id", r.parent_span_id);
  w.text("peer", r.peer);
  w.optional_text("user_agent", r.user_agent);
  w.text_or_null("identity", r.identity);
  w.optional_text("namespace", r.namespace_name);
  w.optional_text("service_account", r.service_account);
  w.optional_text("peer_certificate_serial", r.peer_certificate_serial);
  w.optional_text("peer_certificate_sha256", r.peer_certificate_sha256);
  w.text("protocol", r.protocol);
  w.text_or_null("http_method", r.http_method);
  w.text("method", r.method);
  w.text_or_null("stream_message", r.stream_message);
  w.optional_strings("document_paths", r.document_paths);
  w.pairs("required", r.required, "action", "collection");
  w.text("decision", r.decision);
  w.text_or_null("rule", r.rule);
  w.pairs("dry_run", r.dry_run, "rule", "would");
  w.integer("status", std::uint64_t{r.status});
  w.optional_integer("upstream_status", r.upstream_status);
  w.optional_boolean("upstream_reused", r.upstream_reused);
  w.integer("bytes_in", r.bytes_in);
  w.integer("bytes_out", r.bytes_out);
  w.real("duration_ms", r.duration_ms);
  w.optional_real("upstream_ms", r.upstream_ms);
  w.optional_text("impersonated", r.impersonated);
  w.text("enforcement", r.enforcement);
  w.text_or_null("error", r.error);
}

std::string decimal(std::uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  return std::string(digits, end);
}

// "POST commit 200 allow": what the request was, how it ended.
std::string access_message(const AccessRecord& r) {
  std::string message;
  if (!r.http_method.empty() && r.http_method != r.method) message += r.http_method + ' ';
  message += r.method;
  message += ' ';
  message += decimal(r.status);
  message += ' ';
  message += r.decision;
  return message;
}

// The gRPC codes whose HTTP equivalent is a 5xx (google.rpc.Code's HTTP
// mapping): the server side failed, not the caller.
bool grpc_server_error(unsigned code) {
  switch (code) {
    case 2:   // UNKNOWN: 500
    case 4:   // DEADLINE_EXCEEDED: 504
    case 12:  // UNIMPLEMENTED: 501
    case 13:  // INTERNAL: 500
    case 14:  // UNAVAILABLE: 503
    case 15:  // DATA_LOSS: 500
      return true;
    default:
      return false;
  }
}

bool is_grpc(const AccessRecord& r) { return r.protocol == "grpc"; }

// Cloud Logging's httpRequest.status is the HTTP status: a gRPC call is
// answered 200 and carries its own status in the trailers (firewarden's
// `status` field keeps the gRPC code).
unsigned http_status(const AccessRecord& r) { return is_grpc(r) ? 200U : r.status; }

}  // namespace

void append_json_line(std::string& line, const AccessRecord& r) {
  LineWriter w(line);
  w.timestamp("time", std::chrono::system_clock::now());
  append_fields(w, r);
  w.close();
}

std::string_view gcp_access_severity(const AccessRecord& r) {
  const bool server_error = is_grpc(r) ? grpc_server_error(r.status) : r.status >= 500;
  const bool refused = is_grpc(r) ? r.status != 0 : r.status >= 400;
  if (server_error) return "ERROR";
  if (refused || r.decision != "allow") return "WARNING";  // audit: a deny forwarded
  return "INFO";
}

std::string gcp_latency(double milliseconds) {
  // google.protobuf.Duration in JSON: seconds with 0, 3, 6 or 9 fractional
  // digits and an "s"; microseconds are all a duration here has.
  const auto micros =
      static_cast<std::uint64_t>(std::llround(std::max(milliseconds, 0.0) * 1000.0));
  std::string out = decimal(micros / 1'000'000);
  const std::uint64_t fraction = micros % 1'000'000;
  if (fraction != 0) {
    std::string digits = decimal(fraction);
    digits.insert(0, 6 - digits.size(), '0');
    if (fraction % 1000 == 0) digits.resize(3);
    out += '.' + digits;
  }
  out += 's';
  return out;
}

void append_gcp_line(std::string& line, const AccessRecord& r, std::string_view project) {
  LineWriter w(line);
  w.timestamp("time", std::chrono::system_clock::now());
  w.text("severity", gcp_access_severity(r));
  w.text("message", access_message(r));
  // Cloud Logging's HttpRequest; int64 fields are strings in its JSON form.
  w.begin_object("httpRequest");
  w.text_or_null("requestMethod", r.http_method);
  w.text_or_null("requestUrl", r.request_url);
  w.integer("status", std::uint64_t{http_status(r)});
  w.text("latency", gcp_latency(r.duration_ms));
  w.text("remoteIp", r.peer);
  w.optional_text("userAgent", r.user_agent);
  w.text("requestSize", decimal(r.bytes_in));
  w.text("responseSize", decimal(r.bytes_out));
  w.end_object();
  if (r.trace_id.empty()) {
    w.text_or_null("logging.googleapis.com/trace", "");
  } else {
    w.text("logging.googleapis.com/trace",
           "projects/" + std::string(project) + "/traces/" + r.trace_id);
  }
  w.text_or_null("logging.googleapis.com/spanId", r.span_id);
  append_fields(w, r);
  w.close();
}

std::string handshake_failure_json_line(std::uint64_t connection, const std::string& peer,
                                        const std::string& reason, bool gcp) {
  std::string line;
  LineWriter w(line);
  w.timestamp("time", std::chrono::system_clock::now());
  if (gcp) {
    w.text("severity", "WARNING");
    w.text("message", "TLS handshake failed: " + reason);
  }
  w.text("log", "tls_handshake");
  w.integer("connection", connection);
  w.text("peer", peer);
  w.text("decision", "error");
  w.text("error", reason);
  w.close();
  return line;
}

AccessLog::AccessLog(bool enabled, std::FILE* out) : enabled_(enabled), out_(out) {
  if (enabled_) flusher_ = std::thread([this] { flush_loop(); });
}

AccessLog::AccessLog(bool enabled, BackgroundWriter& writer, AccessLineFormat format)
    : enabled_(enabled), out_(stdout), writer_(&writer), format_(std::move(format)) {}

AccessLog::~AccessLog() {
  if (!enabled_ || writer_ != nullptr) return;
  {
    std::lock_guard lock(pending_mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  flusher_.join();
  flush();
}

void AccessLog::write(const AccessRecord& record) const {
  if (!enabled_) return;
  // One buffer per thread, reused: no allocation per access line.
  thread_local std::string line;
  line.clear();
  if (format_.gcp) {
    append_gcp_line(line, record, format_.project);
  } else {
    append_json_line(line, record);
  }
  line += '\n';
  write_line(line);
}

void AccessLog::write_handshake_failure(std::uint64_t connection, const std::string& peer,
                                        const std::string& reason) const {
  if (enabled_)
    write_line(handshake_failure_json_line(connection, peer, reason, format_.gcp) + '\n');
}

void AccessLog::write_line(std::string_view line) const {
  if (writer_ != nullptr) {
    writer_->write(line);
    return;
  }
  bool behind = false;
  {
    std::lock_guard lock(pending_mutex_);
    pending_ += line;  // whole lines, never interleaved
    behind = pending_.size() >= kMaxPendingBytes;
  }
  if (behind) flush();
}

void AccessLog::flush() const {
  if (writer_ != nullptr) {
    writer_->flush(std::chrono::seconds(2));  // bounded: the destination may be stuck
    return;
  }
  std::lock_guard writing(write_mutex_);
  std::string batch;
  {
    std::lock_guard lock(pending_mutex_);
    batch.swap(pending_);
  }
  if (batch.empty()) return;
  std::fwrite(batch.data(), 1, batch.size(), out_);
  std::fflush(out_);
}

void AccessLog::flush_loop() {
  std::unique_lock lock(pending_mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kFlushInterval, [this] { return stopping_; });
    lock.unlock();
    flush();
    lock.lock();
  }
}

}  // namespace firewarden::telemetry
