// The metric catalogue: every family declared once, exported from the first
// scrape, and a second declaration of a name with other labels refused.
#include "firewarden/telemetry/metric_catalogue.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

using firewarden::telemetry::MetricCatalogue;
using firewarden::telemetry::Registry;

namespace {

// "# TYPE name type" lines of a rendering, by name (each counted).
std::map<std::string, int> declared_types(const std::string& text) {
  std::map<std::string, int> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    ++out[line.substr(7, line.find(' ', 7) - 7)];
  }
  return out;
}

}  // namespace

TEST_CASE("the catalogue exports every family once, before any value is recorded") {
  Registry registry;
  const MetricCatalogue metrics(registry);
  const auto types = declared_types(registry.render());
  for (const std::string name :
       {"firewarden_requests_total", "firewarden_request_duration_seconds",
        "firewarden_upstream_duration_seconds", "firewarden_rule_matches_total",
        "firewarden_dry_run_verdicts_total", "firewarden_policy_generation",
        "firewarden_policy_reloads_total", "firewarden_token_refreshes_total",
        "firewarden_token_expiry_timestamp_seconds",
        "firewarden_certificate_expiry_timestamp_seconds", "firewarden_connections_active",
        "firewarden_tls_handshake_failures_total", "firewarden_build_info",
        "firewarden_enforcement_mode"}) {
    CAPTURE(name);
    CHECK(types.count(name) == 1);
  }
  for (const auto& [name, count] : types) {
    CAPTURE(name);
    CHECK(count == 1);
  }
}

TEST_CASE("a second catalogue over the same registry shares its families") {
  Registry registry;
  const MetricCatalogue first(registry);
  const MetricCatalogue second(registry);
  CHECK(&first.requests_total == &second.requests_total);
  CHECK(&first.dry_run_verdicts_total == &second.dry_run_verdicts_total);
  second.dry_run_verdicts_total.with({"no-deletes", "deny"}).increment();
  CHECK(first.dry_run_verdicts_total.with({"no-deletes", "deny"}).value() == 1);
  Registry once;
  const MetricCatalogue only(once);
  CHECK(declared_types(registry.render()) == declared_types(once.render()));
}

TEST_CASE("the dry-run verdict counter renders by rule and verdict") {
  Registry registry;
  const MetricCatalogue metrics(registry);
  metrics.dry_run_verdicts_total.with({"no-deletes", "deny"}).increment(2);
  metrics.dry_run_verdicts_total.with({"reports-read", "allow"}).increment();
  const std::string text = registry.render();
  CHECK_THAT(text, Catch::Contains("# TYPE firewarden_dry_run_verdicts_total counter\n"));
  CHECK_THAT(text,
             Catch::Contains(
                 "firewarden_dry_run_verdicts_total{rule=\"no-deletes\",verdict=\"deny\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("firewarden_dry_run_verdicts_total{rule=\"reports-read\","
                                   "verdict=\"allow\"} 1\n"));
}

TEST_CASE("a family declared again with other labels, or used with the wrong labels, throws") {
  Registry registry;
  const MetricCatalogue metrics(registry);
  CHECK_THROWS_AS(registry.counter("firewarden_requests_total", "elsewhere", {"method"}),
                  std::logic_error);
  CHECK_THROWS_AS(metrics.requests_total.with({"get", "allow"}), std::logic_error);
  CHECK_THROWS_AS(metrics.policy_generation.with({"extra"}), std::logic_error);
  // Nothing half-made was rendered.
  CHECK_THAT(registry.render(), !Catch::Contains("firewarden_requests_total{"));
  CHECK_THAT(registry.render(), !Catch::Contains("firewarden_policy_generation{"));
}
