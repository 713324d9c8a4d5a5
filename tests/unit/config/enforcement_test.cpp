// policy.enforcement: enforce (the default) or audit, nothing else.
#include <catch2/catch.hpp>
#include <string>

#include "config_test_support.hpp"
#include "firewarden/config/config.hpp"

using firewarden::config::Config;
using firewarden::config::Diagnostics;
using firewarden::config::Enforcement;
using firewarden::config::load_config_text;
using firewarden::config::LoadResult;
using firewarden::config::testing::fake_env;
using firewarden::config::testing::position_of;

namespace {

constexpr const char* kFile = "etc/firewarden.yaml";

// The smallest valid config with `policy` as its policy section.
std::string with_policy(const std::string& policy) {
  return policy +
         "identity:\n  mode: xfcc\n"
         "firestore:\n  project: demo-project\n"
         "credentials:\n  type: none\n";
}

LoadResult load(const std::string& text) { return load_config_text(text, kFile, fake_env()); }

}  // namespace

TEST_CASE("policy.enforcement defaults to enforce") {
  const auto result = load(with_policy(""));
  REQUIRE(std::holds_alternative<std::shared_ptr<const Config>>(result));
  CHECK(std::get<std::shared_ptr<const Config>>(result)->policy.enforcement ==
        Enforcement::enforce);
}

TEST_CASE("policy.enforcement reads enforce and audit") {
  for (const auto& [text, expected] :
       {std::pair{"enforce", Enforcement::enforce}, std::pair{"audit", Enforcement::audit}}) {
    CAPTURE(text);
    const auto result = load(with_policy(std::string("policy:\n  enforcement: ") + text + "\n"));
    REQUIRE(std::holds_alternative<std::shared_ptr<const Config>>(result));
    const auto& config = *std::get<std::shared_ptr<const Config>>(result);
    CHECK(config.policy.enforcement == expected);
    CHECK(firewarden::config::to_string(config.policy.enforcement) == text);
  }
}

TEST_CASE("policy.enforcement refuses anything but enforce and audit, at the value") {
  // Near misses of both spellings, and the dry-run wording of rules: the
  // mode that forwards denied requests is only ever switched on exactly.
  for (const char* value :
       {"Audit", "AUDIT", "enforcing", "dry-run", "dry_run", "off", "true", "\"\"", "[audit]"}) {
    CAPTURE(value);
    const std::string text = with_policy(std::string("policy:\n  enforcement: ") + value + "\n");
    const auto result = load(text);
    REQUIRE(std::holds_alternative<Diagnostics>(result));
    const auto& diagnostics = std::get<Diagnostics>(result);
    REQUIRE(diagnostics.size() == 1);
    const auto at = position_of(text, value);
    CHECK(diagnostics[0].line == at.line);
    CHECK(diagnostics[0].column == at.column);
    CHECK_THAT(diagnostics[0].message, Catch::StartsWith("policy.enforcement: "));
  }
}
