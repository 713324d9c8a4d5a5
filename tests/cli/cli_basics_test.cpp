// The CLI shell (SPEC §1): commands, usage errors (exit 2), --help, version.
#include <catch2/catch.hpp>

#include "support/run_binary.hpp"

using firewarden::testing::run_firewarden;

TEST_CASE("version prints the version and exits 0") {
  const auto result = run_firewarden({"version"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::StartsWith("firewarden 0."));
  CHECK_THAT(result.out, Catch::Contains("openssl"));
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
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    const auto result = run_firewarden(c.args);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(c.message));
  }
}

TEST_CASE("--help works for the program and for every command") {
  for (const std::string command : {"run", "check", "explain", "test", "version"}) {
    CAPTURE(command);
    const auto result = run_firewarden({command, "--help"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::StartsWith("usage: firewarden " + command));
  }
  const auto top = run_firewarden({"--help"});
  CHECK(top.exit_code == 0);
  CHECK_THAT(top.out, Catch::Contains("explain"));
}
