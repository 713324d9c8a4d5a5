#include "firewarden/telemetry/metrics.hpp"

#include <catch2/catch.hpp>
#include <string>

using firewarden::telemetry::Registry;

TEST_CASE("counters render with labels in registration order") {
  Registry registry;
  auto& requests = registry.counter("firewarden_requests_total", "Requests handled.",
                                    {"method", "decision", "code"});
  requests.with({"commit", "allow", "200"}).increment();
  requests.with({"commit", "allow", "200"}).increment(2);
  requests.with({"get", "deny", "403"}).increment();
  const std::string text = registry.render();
  CHECK_THAT(text, Catch::Contains("# TYPE firewarden_requests_total counter\n"));
  CHECK_THAT(
      text,
      Catch::Contains(
          "firewarden_requests_total{method=\"commit\",decision=\"allow\",code=\"200\"} 3\n"));
  CHECK_THAT(text,
             Catch::Contains(
                 "firewarden_requests_total{method=\"get\",decision=\"deny\",code=\"403\"} 1\n"));
}

TEST_CASE("label values are escaped") {
  Registry registry;
  registry.counter("c_total", "help", {"rule"}).with({"a\"b\\c\nd"}).increment();
  CHECK_THAT(registry.render(), Catch::Contains("c_total{rule=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST_CASE("histograms are cumulative with +Inf, sum and count") {
  Registry registry;
  auto& latency = registry.histogram("d_seconds", "help", {}, {0.1, 1});
  latency.with({}).observe(0.05);
  latency.with({}).observe(0.5);
  latency.with({}).observe(5);
  const std::string text = registry.render();
  CHECK_THAT(text, Catch::Contains("d_seconds_bucket{le=\"0.1\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("d_seconds_bucket{le=\"1\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("d_seconds_bucket{le=\"+Inf\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("d_seconds_count 3\n"));
  CHECK_THAT(text, Catch::Contains("d_seconds_sum 5.5"));
}

TEST_CASE("gauges and the same family registered twice") {
  Registry registry;
  registry.gauge("g", "help").with({}).set(2);
  registry.gauge("g", "help").with({}).add(0.5);
  CHECK_THAT(registry.render(), Catch::Contains("g 2.5\n"));
}
