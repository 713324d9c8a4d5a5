// limits.overload_threshold_percent: from which share of max_connections the
// timeouts are cut (1 to 100, default 80).
#include <catch2/catch.hpp>
#include <string>

#include "config_test_support.hpp"
#include "firewarden/config/config.hpp"

using firewarden::config::Config;
using firewarden::config::Diagnostics;
using firewarden::config::load_config_text;
using firewarden::config::LoadResult;
using firewarden::config::testing::fake_env;
using firewarden::config::testing::render;

namespace {

constexpr const char* kFile = "etc/firewarden.yaml";

std::string with_limits(const std::string& limits) {
  return limits +
         "identity:\n  mode: xfcc\n"
         "firestore:\n  project: demo-project\n"
         "credentials:\n  type: none\n";
}

LoadResult load(const std::string& text) { return load_config_text(text, kFile, fake_env()); }

}  // namespace

TEST_CASE("limits.overload_threshold_percent defaults to 80") {
  const auto result = load(with_limits(""));
  REQUIRE(std::holds_alternative<std::shared_ptr<const Config>>(result));
  CHECK(std::get<std::shared_ptr<const Config>>(result)->limits.overload_threshold_percent == 80);
}

TEST_CASE("limits.overload_threshold_percent reads 1 to 100") {
  for (const unsigned percent : {1U, 50U, 100U}) {
    CAPTURE(percent);
    const auto result = load(
        with_limits("limits:\n  overload_threshold_percent: " + std::to_string(percent) + "\n"));
    REQUIRE(std::holds_alternative<std::shared_ptr<const Config>>(result));
    CHECK(std::get<std::shared_ptr<const Config>>(result)->limits.overload_threshold_percent ==
          percent);
  }
}

TEST_CASE("limits.overload_threshold_percent refuses values outside 1 to 100") {
  for (const char* value : {"0", "101", "-5", "0.8", "80%", "high"}) {
    CAPTURE(value);
    const auto result =
        load(with_limits(std::string("limits:\n  overload_threshold_percent: ") + value + "\n"));
    REQUIRE(std::holds_alternative<Diagnostics>(result));
    CHECK_THAT(render(std::get<Diagnostics>(result)),
               Catch::Contains("limits.overload_threshold_percent"));
  }
}
