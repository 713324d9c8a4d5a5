#include "firewarden/telemetry/access_log.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

#include "firewarden/telemetry/time_format.hpp"

namespace firewarden::telemetry {
namespace {

template <typename T>
nlohmann::json optional_value(const std::optional<T>& value) {
  if (value) return *value;
  return nullptr;
}

}  // namespace

std::string to_json_line(const AccessRecord& r) {
  nlohmann::json required = nlohmann::json::array();
  for (const auto& [action, collection] : r.required) {
    required.push_back({{"action", action}, {"collection", collection}});
  }
  nlohmann::json dry_run = nlohmann::json::array();
  for (const auto& [rule, would] : r.dry_run) dry_run.push_back({{"rule", rule}, {"would", would}});
  nlohmann::json line = {
      {"time", format_rfc3339_millis(std::chrono::system_clock::now())},
      {"log", "access"},
      {"request_id", r.request_id},
      {"trace_id", r.trace_id},
      {"peer", r.peer},
      {"identity", r.identity},
      {"namespace", optional_value(r.namespace_name)},
      {"service_account", optional_value(r.service_account)},
      {"method", r.method},
      {"required", std::move(required)},
      {"decision", r.decision},
      {"rule", r.rule},
      {"dry_run", std::move(dry_run)},
      {"status", r.status},
      {"upstream_status", optional_value(r.upstream_status)},
      {"bytes_in", r.bytes_in},
      {"bytes_out", r.bytes_out},
      {"duration_ms", r.duration_ms},
      {"upstream_ms", optional_value(r.upstream_ms)},
      {"impersonated", optional_value(r.impersonated)},
  };
  if (!r.error.empty()) line["error"] = r.error;
  // Client-controlled strings may be invalid UTF-8: replaced, never thrown on.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string handshake_failure_json_line(std::uint64_t connection, const std::string& peer,
                                        const std::string& reason) {
  const nlohmann::json line = {
      {"time", format_rfc3339_millis(std::chrono::system_clock::now())},
      {"log", "tls_handshake"},
      {"connection", connection},
      {"peer", peer},
      {"decision", "error"},
      {"error", reason},
  };
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

void write_line(std::string line) {
  line += '\n';
  static std::mutex mutex;  // whole lines, never interleaved
  std::lock_guard lock(mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

AccessLog::AccessLog(bool enabled) : enabled_(enabled) {}

void AccessLog::write(const AccessRecord& record) const {
  if (enabled_) write_line(to_json_line(record));
}

void AccessLog::write_handshake_failure(std::uint64_t connection, const std::string& peer,
                                        const std::string& reason) const {
  if (enabled_) write_line(handshake_failure_json_line(connection, peer, reason));
}

}  // namespace firewarden::telemetry
