// The strict Prometheus text parser used on /metrics (tests/support): it
// accepts what the registry renders and refuses each kind of bad exposition.
#include "../../support/prometheus_text.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "firewarden/telemetry/metrics.hpp"

namespace prometheus = firewarden::testing::prometheus;
using firewarden::telemetry::Registry;

namespace {

std::string error_of(const std::string& text) {
  const auto parsed = prometheus::parse(text);
  if (const auto* error = std::get_if<std::string>(&parsed)) return *error;
  return {};
}

const std::string kHistogram =
    "# HELP h_seconds Latency.\n"
    "# TYPE h_seconds histogram\n"
    "h_seconds_bucket{le=\"0.1\"} 1\n"
    "h_seconds_bucket{le=\"1\"} 2\n"
    "h_seconds_bucket{le=\"+Inf\"} 3\n"
    "h_seconds_sum 4.5\n"
    "h_seconds_count 3\n";

}  // namespace

TEST_CASE("prometheus parser: the registry's rendering is accepted and read back") {
  Registry registry;
  registry.counter("x_requests_total", "Requests, \\ and\nnewline.", {"method", "rule"})
      .with({"get", "a\"b\\c\nd"})
      .increment(3);
  registry.gauge("x_up", "Up.").with({}).set(1);
  registry.gauge("x_empty", "A family without series yet.", {"principal"});
  auto& latency = registry.histogram("x_duration_seconds", "Latency.", {"route"});
  latency.with({"a"}).observe(0.0002);
  latency.with({"a"}).observe(3);
  latency.with({"b"}).observe(100);  // only in +Inf
  const auto parsed = prometheus::parse(registry.render());
  REQUIRE(std::holds_alternative<prometheus::Exposition>(parsed));
  const auto& exposition = std::get<prometheus::Exposition>(parsed);
  CHECK(exposition.value("x_requests_total", {{"rule", "a\"b\\c\nd"}}) == 3);
  CHECK(exposition.family("x_requests_total")->help == "Requests, \\ and\nnewline.");
  CHECK(exposition.value("x_up") == 1);
  REQUIRE(exposition.family("x_empty") != nullptr);
  CHECK(exposition.family("x_empty")->samples.empty());
  CHECK(exposition.value("x_duration_seconds_count", {{"route", "a"}}) == 2);
  CHECK(exposition.value("x_duration_seconds_bucket", {{"route", "a"}, {"le", "0.00025"}}) == 1);
  CHECK(exposition.value("x_duration_seconds_bucket", {{"route", "b"}, {"le", "60"}}) == 0);
  CHECK(exposition.value("x_duration_seconds_bucket", {{"route", "b"}, {"le", "+Inf"}}) == 1);
  CHECK(exposition.family("x_duration_seconds")->type == "histogram");
}

TEST_CASE("prometheus parser: a well-formed histogram and plain comments pass") {
  CHECK(error_of(kHistogram) == "");
  CHECK(error_of("# a comment\n" + kHistogram) == "");
  CHECK(error_of("# HELP g G.\n# TYPE g gauge\ng{} 1 1700000000000\n") == "");
  CHECK(error_of("# HELP g G.\n# TYPE g gauge\ng NaN\ng{a=\"1\"} -Inf\ng{a=\"2\"} 1e-05\n") == "");
}

TEST_CASE("prometheus parser: refuses each malformed exposition") {
  struct Case {
    std::string what;
    std::string text;
    std::string error;
  };
  const std::string head = "# HELP c_total C.\n# TYPE c_total counter\n";
  const std::vector<Case> cases{
      {"no final newline", head + "c_total 1", "newline"},
      {"empty line", head + "\nc_total 1\n", "empty line"},
      {"no HELP", "# TYPE c_total counter\nc_total 1\n", "no # HELP"},
      {"no TYPE", "# HELP c_total C.\nc_total 1\n", "before its # TYPE"},
      {"sample before any TYPE", "c_total 1\n", "before any # TYPE"},
      {"two TYPEs", head + "# TYPE c_total counter\nc_total 1\n", "second # TYPE"},
      {"two HELPs", head + "# HELP c_total again\nc_total 1\n", "second # HELP"},
      {"TYPE after samples", "# HELP g G.\ng 1\n# TYPE g gauge\n", "before its # TYPE"},
      {"unknown type", "# HELP g G.\n# TYPE g meter\n", "unknown type"},
      {"counter without _total", "# HELP c C.\n# TYPE c counter\nc 1\n", "_total"},
      {"family split in two blocks", head + "# HELP g G.\n# TYPE g gauge\ng 1\n# HELP c_total C.\n",
       "appears twice"},
      {"sample of another family inside a block", head + "g 1\n", "outside its family"},
      {"bad metric name", "# HELP 1c_total C.\n", "bad metric name"},
      {"bad label name", head + "c_total{1a=\"x\"} 1\n", "bad label name"},
      {"reserved label name", head + "c_total{__name__=\"x\"} 1\n", "bad label name"},
      {"unquoted label value", head + "c_total{a=x} 1\n", "not quoted"},
      {"unknown escape in label value", head + "c_total{a=\"\\t\"} 1\n", "bad escape"},
      {"unknown escape in HELP", "# HELP c_total say \\\"hi\\\"\n", "bad escape"},
      {"unterminated label value", head + "c_total{a=\"x} 1\n", "unterminated"},
      {"trailing comma", head + "c_total{a=\"x\",} 1\n", "trailing comma"},
      {"duplicate label", head + "c_total{a=\"x\",a=\"y\"} 1\n", "twice"},
      {"duplicate series", head + "c_total{a=\"x\",b=\"y\"} 1\nc_total{b=\"y\",a=\"x\"} 2\n",
       "twice"},
      {"bad value", head + "c_total one\n", "bad value"},
      {"no value", head + "c_total\n", "no value"},
      {"bad timestamp", head + "c_total 1 soon\n", "bad timestamp"},
      {"negative counter", head + "c_total -1\n", "negative"},
      {"bucket without le", "# HELP h H.\n# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n",
       "without le"},
      {"bounds not increasing",
       "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"0.5\"} 1\n"
       "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "strictly increasing"},
      {"counts not cumulative",
       "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
       "h_sum 1\nh_count 1\n",
       "cumulative"},
      {"no +Inf bucket",
       "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "+Inf"},
      {"no _sum", "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
       "without _sum"},
      {"no _count", "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n",
       "without _count"},
      {"_count differs from +Inf",
       "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n", "differs"},
      {"le on _sum",
       "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum{le=\"1\"} 1\nh_count 1\n",
       "no bucket"},
      {"foreign histogram sample", "# HELP h H.\n# TYPE h histogram\nh 1\n", "no _bucket"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what, c.text);
    const std::string error = error_of(c.text);
    CHECK_THAT(error, Catch::Contains(c.error));
  }
}
