// The CLI shell (SPEC §1): commands, usage errors (exit 2), --help, version.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/run_binary.hpp"

using firewarden::testing::run_firewarden;

TEST_CASE("version prints the version and exits 0") {
  const auto result = run_firewarden({"version"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::StartsWith("firewarden 0."));
  CHECK_THAT(result.out, Catch::Contains("openssl"));
}

TEST_CASE("version --json prints version, git revision and build type for machines") {
  const auto json = run_firewarden({"version", "--json"});
  REQUIRE(json.exit_code == 0);
  CHECK(json.err.empty());
  const auto build = nlohmann::json::parse(json.out);
  for (const char* field :
       {"version", "revision", "build_type", "compiler", "cplusplus", "boost", "openssl"}) {
    CAPTURE(field);
    CHECK(build.contains(field));
  }
  const auto version = build["version"].get<std::string>();
  const auto revision = build["revision"].get<std::string>();
  CHECK_THAT(version, Catch::Matches("[0-9]+\\.[0-9]+\\.[0-9]+"));
  // The short git hash CMake took at configure time; "unknown" only when the
  // source is not a git checkout.
  CHECK(revision == FIREWARDEN_EXPECTED_REVISION);
  if (std::filesystem::exists(FIREWARDEN_SOURCE_DIR "/.git")) {
    CHECK_THAT(revision, Catch::Matches("[0-9a-f]{7,40}"));
  }
  CHECK_FALSE(build["build_type"].get<std::string>().empty());

  // The text form says the same.
  const auto text = run_firewarden({"version"});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::StartsWith("firewarden " + version + "\nrevision: " + revision +
                                         "\nbuild: " + build["build_type"].get<std::string>()));
}

TEST_CASE("usage errors exit 2 and say what was wrong") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{}, "usage: firewarden COMMAND"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"check", "--bogus"}, "unknown option --bogus"},
      {{"check", "--config"}, "option --config needs a value"},
      {{"check", "--config", "a", "--config", "b"}, "option --config given twice"},
      {{"check", "extra"}, "unexpected argument 'extra'"},
      {{"check", "--log-level", "loud"}, "unknown log level 'loud'"},
      {{"version", "--config=x"}, "unknown option --config"},
      {{"version", "--json=yes"}, "option --json takes no value"},
      {{"version", "--json", "--json"}, "option --json given twice"},
      {{"suggest", "--access-log", "a", "--access-log", "b"}, "option --access-log given twice"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    const auto result = run_firewarden(c.args);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(c.message));
  }
}

TEST_CASE("--help works for the program and for every command") {
  for (const std::string command : {"run", "check", "explain", "test", "suggest", "version"}) {
    CAPTURE(command);
    const auto result = run_firewarden({command, "--help"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::StartsWith("usage: firewarden " + command));
  }
  const auto top = run_firewarden({"--help"});
  CHECK(top.exit_code == 0);
  CHECK_THAT(top.out, Catch::Contains("explain"));
}
