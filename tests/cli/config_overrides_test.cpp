// `--set KEY=VALUE`, FIREWARDEN_* environment values and
// `check --print-config`, through the real binary.
#include <catch2/catch.hpp>

#include "support/run_binary.hpp"

using firewarden::testing::run_firewarden;
using firewarden::testing::TempDir;

namespace {

const std::string kPolicy = std::string(FIREWARDEN_SOURCE_DIR) + "/config/policy.example.yaml";

std::string write_config(TempDir& dir) {
  return dir.write("firewarden.yaml",
                   "listener: {address: \"127.0.0.1:8443\"}\n"
                   "identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/ns/orders/sa/api\n"
                   "policy:\n  file: " +
                       kPolicy +
                       "\n"
                       "firestore: {endpoint: \"http://127.0.0.1:8080\", project: from-file}\n"
                       "credentials: {type: static, token: very-secret}\n"
                       "threads: 1\n");
}

}  // namespace

TEST_CASE("config overrides: --print-config shows the file's values, the token redacted") {
  TempDir dir;
  const auto result = run_firewarden({"check", "--config", write_config(dir), "--print-config"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("project: \"from-file\""));
  CHECK_THAT(result.out, Catch::Contains("token: \"<redacted>\""));
  CHECK_THAT(result.out, !Catch::Contains("very-secret"));
  CHECK_THAT(result.out, !Catch::Contains(": ok"));
}

TEST_CASE("config overrides: --set wins over the environment, which wins over the file") {
  TempDir dir;
  const std::string path = write_config(dir);
  const auto env = run_firewarden({"check", "--config", path, "--print-config"},
                                  {"FIREWARDEN_FIRESTORE_PROJECT=from-env"});
  CHECK(env.exit_code == 0);
  CHECK_THAT(env.out, Catch::Contains("project: \"from-env\""));
  const auto flag = run_firewarden({"check", "--config", path, "--print-config", "--set",
                                    "firestore.project=from-flag", "--set=threads=3"},
                                   {"FIREWARDEN_FIRESTORE_PROJECT=from-env"});
  CHECK(flag.exit_code == 0);
  CHECK_THAT(flag.out, Catch::Contains("project: \"from-flag\""));
  CHECK_THAT(flag.out, Catch::Contains("threads: 3"));
}

TEST_CASE("config overrides: errors name --set, the variable, or FILE:LINE:COL") {
  TempDir dir;
  const std::string path = write_config(dir);
  const auto result = run_firewarden({"check", "--config", path, "--set", "firestore.projet=x",
                                      "--set", "limits.idle_timeout=soon"},
                                     {"FIREWARDEN_LIMITS_MAX_CONNECTIONS=0"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("--set: firestore.projet: unknown key"));
  CHECK_THAT(result.err, Catch::Contains("--set: limits.idle_timeout: expected a duration"));
  CHECK_THAT(result.err, Catch::Contains("env FIREWARDEN_LIMITS_MAX_CONNECTIONS: "
                                         "limits.max_connections: must be between 1 and"));
  CHECK(result.out.empty());

  const auto unknown_env =
      run_firewarden({"check", "--config", path}, {"FIREWARDEN_FIRESTORE_PROJET=x"});
  CHECK(unknown_env.exit_code == 1);
  CHECK_THAT(unknown_env.err,
             Catch::Contains("env FIREWARDEN_FIRESTORE_PROJET: firestore.projet: unknown key"));

  const auto file = run_firewarden({"check", "--config", path, "--set", "threads=-1"});
  CHECK_THAT(file.err, Catch::Contains("--set: threads: must be between 0 and 256, got -1"));
  // --set wins over a bad environment value: it is never read.
  const auto flag_wins = run_firewarden({"check", "--config", path, "--set", "threads=2"},
                                        {"FIREWARDEN_THREADS=many"});
  CHECK(flag_wins.exit_code == 0);
  // The file's own errors keep their position.
  TempDir other;
  const std::string bad_file =
      other.write("firewarden.yaml", "listener: {address: \"127.0.0.1:8443\"}\nthreads: many\n");
  const auto in_file =
      run_firewarden({"check", "--config", bad_file, "--set", "firestore.project=p"});
  CHECK(in_file.exit_code == 1);
  CHECK_THAT(in_file.err, Catch::Contains(bad_file + ":2:10: threads:"));
}

TEST_CASE("config overrides: a bad --set is refused by run before it starts") {
  TempDir dir;
  const auto result =
      run_firewarden({"run", "--config", write_config(dir), "--set", "no-equals-sign"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("--set: expected KEY=VALUE"));
}
