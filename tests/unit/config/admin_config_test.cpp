// admin.readiness_requires_token: whether a token outage fails /readyz as
// well as the data path (the sidecar manifests turn it off).
#include <catch2/catch.hpp>
#include <string>

#include "config_test_support.hpp"
#include "firewarden/config/config.hpp"

using firewarden::config::Config;
using firewarden::config::Diagnostics;
using firewarden::config::load_config_file;
using firewarden::config::load_config_text;
using firewarden::config::LoadResult;
using firewarden::config::testing::fake_env;
using firewarden::config::testing::position_of;
using firewarden::config::testing::render;

namespace {

constexpr const char* kFile = "etc/firewarden.yaml";
// The smallest valid config besides the admin section under test.
constexpr const char* kBase =
    "identity:\n  mode: xfcc\nfirestore:\n  project: demo-project\n"
    "credentials:\n  type: none\n";

LoadResult load(const std::string& admin_section) {
  return load_config_text(admin_section + kBase, kFile, fake_env());
}

Config load_ok(const std::string& admin_section) {
  const LoadResult result = load(admin_section);
  if (const auto* diagnostics = std::get_if<Diagnostics>(&result)) FAIL(render(*diagnostics));
  return *std::get<std::shared_ptr<const Config>>(result);
}

}  // namespace

TEST_CASE("admin.readiness_requires_token defaults to true") {
  CHECK(Config{}.admin.readiness_requires_token);
  CHECK(load_ok("").admin.readiness_requires_token);
  CHECK(load_ok("admin:\n  enable_quit: true\n").admin.readiness_requires_token);
}

TEST_CASE("admin.readiness_requires_token reads true and false") {
  CHECK_FALSE(
      load_ok("admin:\n  readiness_requires_token: false\n").admin.readiness_requires_token);
  CHECK(load_ok("admin:\n  readiness_requires_token: true\n").admin.readiness_requires_token);
}

TEST_CASE("admin.readiness_requires_token refuses anything but true or false, with its position") {
  for (const std::string value : {"yes", "no", "0", "[false]", "off", "{}"}) {
    INFO(value);
    const std::string section = "admin:\n  readiness_requires_token: " + value + "\n";
    const LoadResult result = load(section);
    const auto* diagnostics = std::get_if<Diagnostics>(&result);
    REQUIRE(diagnostics != nullptr);
    REQUIRE(diagnostics->size() == 1);
    const auto& diagnostic = diagnostics->front();
    const auto at = position_of(section + kBase, value);
    CHECK(diagnostic.line == at.line);
    CHECK(diagnostic.column == at.column);
    CHECK_THAT(diagnostic.message, Catch::StartsWith("admin.readiness_requires_token: "));
  }
}

TEST_CASE("admin.readiness_requires_token: a misspelt key is refused, not ignored") {
  const LoadResult result = load("admin:\n  readiness_require_token: false\n");
  const auto* diagnostics = std::get_if<Diagnostics>(&result);
  REQUIRE(diagnostics != nullptr);
  CHECK_THAT(render(*diagnostics), Catch::Contains("admin.readiness_require_token"));
}

TEST_CASE("config/firewarden.example.yaml shows admin.readiness_requires_token at its default") {
  const std::string path = std::string(FIREWARDEN_SOURCE_DIR) + "/config/firewarden.example.yaml";
  const LoadResult result = load_config_file(
      path, fake_env({{"GOOGLE_APPLICATION_CREDENTIALS", "/var/run/gcp/creds.json"}}));
  if (const auto* diagnostics = std::get_if<Diagnostics>(&result)) FAIL(render(*diagnostics));
  const Config& example = *std::get<std::shared_ptr<const Config>>(result);
  CHECK(example.positions.count("admin.readiness_requires_token") == 1);
  CHECK(example.admin.readiness_requires_token == Config{}.admin.readiness_requires_token);
}
