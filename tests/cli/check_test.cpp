// `firewarden check` (SPEC §1): exit 0 for a valid config, 1 with
// FILE:LINE:COL diagnostics otherwise.
#include <catch2/catch.hpp>

#include "support/run_binary.hpp"

using firewarden::testing::run_firewarden;
using firewarden::testing::TempDir;

namespace {

const std::string kExample = std::string(FIREWARDEN_SOURCE_DIR) + "/config/firewarden.example.yaml";
const std::string kPolicy = std::string(FIREWARDEN_SOURCE_DIR) + "/config/policy.example.yaml";

std::string fixed_config(const std::string& policy_file, const std::string& extra = "") {
  return "listener: {address: \"127.0.0.1:8443\"}\n"
         "identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/ns/orders/sa/api\n"
         "policy:\n  file: " +
         policy_file +
         "\n"
         "firestore: {endpoint: \"http://127.0.0.1:8080\", project: p}\n"
         "credentials: {type: static, token: owner}\n" +
         extra;
}

}  // namespace

TEST_CASE("check: the example config is valid") {
  const auto result = run_firewarden({"check", "--config", kExample});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("ok"));
  CHECK(result.err.empty());
}

TEST_CASE("check: FIREWARDEN_CONFIG is used when --config is absent") {
  const auto result = run_firewarden({"check"}, {"FIREWARDEN_CONFIG=" + kExample});
  CHECK(result.exit_code == 0);
}

TEST_CASE("check: a typo in a key is refused with file, line and column") {
  TempDir dir;
  const std::string path =
      dir.write("firewarden.yaml", fixed_config(kPolicy, "limits:\n  max_conections: 5\n"));
  const auto result = run_firewarden({"check", "--config", path});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains(path + ":10:3: limits.max_conections: unknown key"));
}

TEST_CASE("check: every error is reported, not only the first") {
  TempDir dir;
  const std::string path =
      dir.write("firewarden.yaml", fixed_config(kPolicy, "reload_interval: soon\nthreads: -1\n"));
  const auto result = run_firewarden({"check", "--config", path});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains(path + ":9:18: reload_interval"));
  CHECK_THAT(result.err, Catch::Contains(path + ":10:10: threads"));
}

TEST_CASE("check: referenced files must be readable") {
  TempDir dir;
  const std::string path = dir.write("firewarden.yaml", fixed_config(dir.path() + "/missing.yaml"));
  const auto result = run_firewarden({"check", "--config", path});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains(path + ":6:9: policy.file: cannot read"));
}

TEST_CASE("check: an invalid policy is reported with its own file, line and column") {
  TempDir dir;
  const std::string policy =
      dir.write("policy.yaml", "version: 1\nrules:\n  - name: a\n    effect: maybe\n");
  const std::string path = dir.write("firewarden.yaml", fixed_config(policy));
  const auto result = run_firewarden({"check", "--config", path});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains(policy + ":4:13:"));
}

TEST_CASE("check: a missing config file is an error naming it") {
  const auto result = run_firewarden({"check", "--config", "/nonexistent/firewarden.yaml"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("/nonexistent/firewarden.yaml"));
}

TEST_CASE("check: a fixed_id that does not fit path_template is refused at its position") {
  TempDir dir;
  const std::string off_template =
      "listener: {address: \"127.0.0.1:8443\"}\n"
      "identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/ns/orders/sa/api/extra\n"
      "policy:\n  file: " +
      kPolicy +
      "\n"
      "firestore: {endpoint: \"http://127.0.0.1:8080\", project: p}\n"
      "credentials: {type: static, token: owner}\n";
  const std::string path = dir.write("firewarden.yaml", off_template);
  const auto refused = run_firewarden({"check", "--config", path});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains(path + ":4:13: identity.fixed_id: off_template"));

  // Admitted on purpose: require_template: false.
  const std::string allowed =
      dir.write("allowed.yaml",
                "listener: {address: \"127.0.0.1:8443\"}\n"
                "identity:\n  mode: fixed\n  require_template: false\n"
                "  fixed_id: spiffe://cluster.local/ns/orders/sa/api/extra\n"
                "policy:\n  file: " +
                    kPolicy +
                    "\n"
                    "firestore: {endpoint: \"http://127.0.0.1:8080\", project: p}\n"
                    "credentials: {type: static, token: owner}\n");
  const auto ok = run_firewarden({"check", "--config", allowed});
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.empty());
}
