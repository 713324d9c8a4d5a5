#include "firewarden/telemetry/access_log.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

namespace firewarden::telemetry {
namespace {

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now - seconds).count();
  const std::time_t time = std::chrono::system_clock::to_time_t(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[40];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  return std::string(buffer, n) + fraction;
}

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
      {"time", now_rfc3339()},
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

AccessLog::AccessLog(bool enabled) : enabled_(enabled) {}

void AccessLog::write(const AccessRecord& record) const {
  if (!enabled_) return;
  std::string line = to_json_line(record);
  line += '\n';
  static std::mutex mutex;  // whole lines, never interleaved
  std::lock_guard lock(mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace firewarden::telemetry
