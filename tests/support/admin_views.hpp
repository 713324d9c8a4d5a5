#pragma once
// The admin endpoints of a running instance, parsed: /status as JSON and
// /metrics through the strict Prometheus parser (a parse error throws, with
// the offending line, so every scrape in a test is also a format check).
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "firewarden_instance.hpp"
#include "prometheus_text.hpp"

namespace firewarden::testing {

inline nlohmann::json status_json(const FirewardenInstance& fw) {
  const auto response = fw.admin("/status");
  if (response.status != 200) throw std::runtime_error("/status: " + response.error);
  return nlohmann::json::parse(response.body);
}

inline prometheus::Exposition scrape_metrics(const FirewardenInstance& fw) {
  const auto response = fw.admin("/metrics");
  if (response.status != 200) throw std::runtime_error("/metrics: " + response.error);
  auto parsed = prometheus::parse(response.body);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    throw std::runtime_error("/metrics is not valid Prometheus text: " + *error + "\n" +
                             response.body);
  }
  return std::get<prometheus::Exposition>(std::move(parsed));
}

// A metric's value now, or -1 when the series does not exist (yet).
inline double metric_value(const FirewardenInstance& fw, const std::string& name,
                           const prometheus::Labels& labels = {}) {
  return scrape_metrics(fw).value(name, labels).value_or(-1);
}

}  // namespace firewarden::testing
