// Reading the files the commands load.
#include "firewarden/app/load.hpp"

#include <catch2/catch.hpp>

namespace {

std::optional<std::string> no_environment(const std::string&) { return std::nullopt; }

}  // namespace

TEST_CASE("loader: files", "[app][load]") {
  const auto missing =
      firewarden::app::load_policy_file("/nonexistent/policy.yaml", no_environment);
  const auto* errors = std::get_if<firewarden::yaml::Diagnostics>(&missing);
  REQUIRE(errors != nullptr);
  REQUIRE(errors->size() == 1);
  CHECK(errors->front().to_string() == "/nonexistent/policy.yaml: cannot open policy file");
}
