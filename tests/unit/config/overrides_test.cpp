// Values given by --set and FIREWARDEN_* over the file: precedence, the
// environment names, errors naming their origin, and the printed config.
#include "firewarden/config/overrides.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "config_test_support.hpp"

using firewarden::config::Config;
using firewarden::config::config_keys;
using firewarden::config::Diagnostic;
using firewarden::config::Diagnostics;
using firewarden::config::environment_name;
using firewarden::config::environment_overrides;
using firewarden::config::load_config_text;
using firewarden::config::LoadResult;
using firewarden::config::Override;
using firewarden::config::Overrides;
using firewarden::config::parse_set_option;
using firewarden::config::print_config;
using firewarden::config::testing::fake_env;
using firewarden::config::testing::render;

namespace {

constexpr const char* kFile = "etc/firewarden.yaml";

const std::string kBase =
    "listener: {address: \"127.0.0.1:8443\"}\n"
    "identity: {mode: fixed, fixed_id: \"spiffe://cluster.local/ns/a/sa/b\"}\n"
    "firestore: {endpoint: \"http://127.0.0.1:8080\", project: from-file}\n"
    "credentials: {type: static, token: owner}\n";

LoadResult load(const std::string& text, const Overrides& overrides) {
  return load_config_text(text, kFile, fake_env(), overrides);
}

const Config& loaded(const LoadResult& result) {
  if (const auto* problems = std::get_if<Diagnostics>(&result)) FAIL(render(*problems));
  return *std::get<std::shared_ptr<const Config>>(result);
}

std::string problems(const LoadResult& result) {
  const auto* found = std::get_if<Diagnostics>(&result);
  REQUIRE(found != nullptr);
  return render(*found);
}

Override flag(const std::string& key, const std::string& value) { return {"--set", key, value}; }
Override env(const std::string& key, const std::string& value) {
  return {"env " + environment_name(key), key, value};
}

}  // namespace

TEST_CASE("overrides: a later value wins, so --set after env wins over both and the file") {
  const auto file_only = load(kBase, {});
  CHECK(loaded(file_only).firestore.project == "from-file");
  const auto env_only = load(kBase, {env("firestore.project", "from-env")});
  CHECK(loaded(env_only).firestore.project == "from-env");
  const auto both =
      load(kBase, {env("firestore.project", "from-env"), flag("firestore.project", "from-flag")});
  CHECK(loaded(both).firestore.project == "from-flag");
}

TEST_CASE("overrides: keys the file leaves out, nested keys and lists") {
  const auto result = load(kBase, {flag("limits.header_timeout", "3s"),
                                   flag("identity.trust_domains", "[cluster.local, b.example]"),
                                   flag("identity.mode", "xfcc"), flag("identity.fixed_id", ""),
                                   flag("identity.xfcc.trusted_peers", "[10.0.0.0/8]")});
  const Config& config = loaded(result);
  CHECK(config.limits.header_timeout == std::chrono::seconds(3));
  CHECK(config.identity.trust_domains == std::vector<std::string>{"cluster.local", "b.example"});
  REQUIRE(config.identity.xfcc.trusted_peers.size() == 1);
  CHECK(config.identity.xfcc.trusted_peers[0].to_string() == "10.0.0.0/8");
  // A key given only by an override reports later problems at its origin.
  CHECK(config.diagnostic("limits.header_timeout", "x").to_string() ==
        "--set: limits.header_timeout: x");
}

TEST_CASE("overrides: an empty value unsets the key (its default applies)") {
  const auto result =
      load(kBase + "limits: {idle_timeout: 5s}\n", {flag("limits.idle_timeout", "")});
  CHECK(loaded(result).limits.idle_timeout == Config().limits.idle_timeout);
}

TEST_CASE("overrides: errors name the origin, file errors keep FILE:LINE:COL") {
  const auto result =
      load(kBase + "threads: -1\n",
           {flag("firestore.projet", "x"), env("limits.max_connections", "0"),
            flag("limits.header_timeout", "soon"), flag("firestore.project", "[x")});
  // Sorted by position; those without one (the overrides) in the order found:
  // a value that is no YAML at all when it is grafted, the others when read.
  CHECK(problems(result) ==
        "--set: firestore.project: YAML syntax error: end of sequence flow not found\n"
        "--set: firestore.projet: unknown key\n"
        "env FIREWARDEN_LIMITS_MAX_CONNECTIONS: limits.max_connections: must be between 1 and "
        "1000000, got 0\n"
        "--set: limits.header_timeout: expected a duration like 5s, got \"soon\"\n"
        "etc/firewarden.yaml:5:10: threads: must be between 0 and 256, got -1\n");
}

TEST_CASE("overrides: a cross-field rule points at the override that broke it") {
  const auto result = load(kBase, {flag("listener.tls.cert_file", "a.pem")});
  const std::string text = problems(result);
  CHECK_THAT(text, Catch::Contains("--set: listener.tls.key_file: required"));
  CHECK_THAT(text, Catch::Contains("--set: listener.tls: only allowed when identity.mode is mtls"));
}

TEST_CASE("overrides: --set KEY=VALUE syntax") {
  const auto good = parse_set_option("identity.trust_domains=[a, b]");
  REQUIRE(std::holds_alternative<Override>(good));
  CHECK(std::get<Override>(good).key == "identity.trust_domains");
  CHECK(std::get<Override>(good).value == "[a, b]");
  const auto equals_in_value = parse_set_option("firestore.project=a=b");
  CHECK(std::get<Override>(equals_in_value).value == "a=b");
  for (const char* bad : {"nothing", "=x", ".a=x", "a.=x", "a..b=x"}) {
    INFO(bad);
    const auto parsed = parse_set_option(bad);
    REQUIRE(std::holds_alternative<Diagnostic>(parsed));
    CHECK(std::get<Diagnostic>(parsed).file == "--set");
  }
}

TEST_CASE("overrides: environment names map to keys, other FIREWARDEN_ names are left alone") {
  const auto result = environment_overrides(
      {"FIREWARDEN_THREADS=2", "PATH=/bin", "FIREWARDEN_CONFIG=/etc/f.yaml",
       "FIREWARDEN_LISTENER_TLS_CERT_FILE=c.pem", "FIREWARDEN_IAM_CREDENTIALS_ENDPOINT=http://x"});
  REQUIRE(std::holds_alternative<Overrides>(result));
  const auto& overrides = std::get<Overrides>(result);
  REQUIRE(overrides.size() == 2);
  CHECK(overrides[0].origin == "env FIREWARDEN_LISTENER_TLS_CERT_FILE");
  CHECK(overrides[0].key == "listener.tls.cert_file");
  CHECK(overrides[1].key == "threads");
  CHECK(overrides[1].value == "2");

  const auto unknown = environment_overrides({"FIREWARDEN_FIRESTORE_PROJET=x"});
  REQUIRE(std::holds_alternative<Diagnostics>(unknown));
  CHECK(render(std::get<Diagnostics>(unknown)) ==
        "env FIREWARDEN_FIRESTORE_PROJET: firestore.projet: unknown key\n");
}

TEST_CASE("overrides: every key has its own environment name and is a key the file reads") {
  std::set<std::string> names;
  for (std::string_view key : config_keys()) {
    INFO(key);
    CHECK(names.insert(environment_name(key)).second);
    // A list of a list is wrong for every key: the error must be about the
    // value, never "unknown key".
    const std::string text = problems(load(kBase, {flag(std::string(key), "[[x]]")}));
    CHECK_THAT(text, !Catch::Contains("unknown key"));
    CHECK_THAT(text, Catch::Contains("--set: "));
  }
}

TEST_CASE("print_config: the effective config, loadable again, with the token redacted") {
  const auto first = load(kBase, {flag("limits.header_timeout", "1500ms")});
  const std::string printed = print_config(loaded(first));
  CHECK_THAT(printed, Catch::Contains("header_timeout: 1500ms"));
  CHECK_THAT(printed, Catch::Contains("token: \"<redacted>\""));
  CHECK_THAT(printed, !Catch::Contains("owner"));
  // Every key is printed, and the output reads back to the same config
  // (the redacted token given back as the real one).
  for (std::string_view key : config_keys()) {
    if (key.starts_with("listener.tls") || key == "identity.trust_bundles") continue;  // unset
    const std::string leaf(key.substr(key.rfind('.') + 1));
    CHECK_THAT(printed, Catch::Contains(leaf + ":"));
  }
  const auto again = load(printed, {flag("credentials.token", "owner")});
  CHECK(print_config(loaded(again)) == printed);
}

// config_keys() is the list --set and FIREWARDEN_* are checked against; the
// example config is where every key is documented. A key added to the
// config reader and the example but forgotten in the list (or the other way
// round) fails here, not in an operator's environment.
TEST_CASE("overrides: every key the example config shows can be set, and it shows every such key") {
  const std::string path = std::string(FIREWARDEN_SOURCE_DIR) + "/config/firewarden.example.yaml";
  const auto example = firewarden::config::load_config_file(
      path, fake_env({{"GOOGLE_APPLICATION_CREDENTIALS", "/var/run/gcp/creds.json"}}));
  const auto& positions = loaded(example).positions;
  const std::set<std::string> settable(config_keys().begin(), config_keys().end());

  // The example's leaves: not a list element, not a section of other keys.
  std::set<std::string> shown;
  for (const auto& [key, position] : positions) {
    if (key.find('[') != std::string::npos) continue;
    const auto next = positions.upper_bound(key);
    if (next != positions.end() && next->first.starts_with(key + ".")) continue;
    shown.insert(key);
  }
  REQUIRE(shown.count("limits.http2.max_stream_duration") == 1);  // nested leaves are found
  REQUIRE(shown.count("limits.http2") == 0);                      // sections are not keys
  for (const auto& key : shown) {
    INFO(key << " is in config/firewarden.example.yaml");
    CHECK(settable.count(key) == 1);
  }
  // Keys the example leaves commented out (mtls only) or empty ("" is not
  // set, so it has no position): every other settable key is shown.
  const std::set<std::string> not_shown{
      "listener.tls.cert_file",   "listener.tls.key_file",  "listener.tls.client_ca_file",
      "listener.tls.min_version", "identity.trust_bundles", "identity.fixed_id",
      "firestore.ca_file",        "credentials.file",       "credentials.token"};
  for (const auto& key : settable) {
    INFO(key << " can be set with --set");
    CHECK((shown.count(key) == 1) != (not_shown.count(key) == 1));
  }
}
