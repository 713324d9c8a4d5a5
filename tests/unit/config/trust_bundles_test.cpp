// identity.trust_bundles and listener.tls.client_ca_file: which roots verify
// client certificates of which trust domain (mtls, SPIFFE federation).
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config_test_support.hpp"
#include "firewarden/config/config.hpp"

using firewarden::config::Config;
using firewarden::config::Diagnostics;
using firewarden::config::load_config_text;
using firewarden::config::LoadResult;
using firewarden::config::testing::fake_env;
using firewarden::config::testing::position_of;
using firewarden::config::testing::render;

namespace {

constexpr const char* kFile = "etc/firewarden.yaml";

// An mtls config: `identity` lines go under identity:, `tls` lines under
// listener.tls: (after cert_file and key_file).
std::string mtls_config(const std::string& identity, const std::string& tls) {
  return "identity:\n  mode: mtls\n" + identity + "listener:\n  tls:\n    cert_file: c.pem\n" +
         "    key_file: k.pem\n" + tls + "firestore:\n  project: p\ncredentials:\n  type: none\n";
}

Config load_ok(const std::string& text) {
  const LoadResult result = load_config_text(text, kFile, fake_env());
  if (const auto* diagnostics = std::get_if<Diagnostics>(&result)) {
    FAIL("unexpected errors for:\n" << text << "\n" << render(*diagnostics));
  }
  return *std::get<std::shared_ptr<const Config>>(result);
}

struct Refused {
  std::string text;
  std::string at;  // the error stands at the first occurrence of this text
  std::string key;
  std::string contains;
};

// Exactly one error (no cascade), at its position, naming its key.
void check_refused(const Refused& c) {
  INFO("document:\n" << c.text);
  const LoadResult result = load_config_text(c.text, kFile, fake_env());
  REQUIRE(std::holds_alternative<Diagnostics>(result));
  const auto& diagnostics = std::get<Diagnostics>(result);
  INFO("diagnostics:\n" << render(diagnostics));
  REQUIRE(diagnostics.size() == 1);
  const auto expected = position_of(c.text, c.at);
  CHECK(diagnostics[0].line == expected.line);
  CHECK(diagnostics[0].column == expected.column);
  CHECK_THAT(diagnostics[0].message, Catch::StartsWith(c.key + ": "));
  CHECK_THAT(diagnostics[0].message, Catch::Contains(c.contains));
}

const std::string kTwoDomains = "  trust_domains: [cluster.local, partner.example]\n";
const std::string kTwoBundles =
    "  trust_bundles:\n    cluster.local: tls/cluster.pem\n"
    "    partner.example: /etc/partner.pem\n";

}  // namespace

TEST_CASE("trust bundles: client_ca_file alone is the bundle of the one trust domain") {
  const Config config = load_ok(mtls_config("", "    client_ca_file: ca.pem\n"));
  const auto bundles = client_trust_bundles(config);
  REQUIRE(bundles.size() == 1);
  CHECK(bundles[0].trust_domain == "cluster.local");
  CHECK(bundles[0].key == "listener.tls.client_ca_file");
  CHECK(bundles[0].path == "etc/ca.pem");

  const Config other =
      load_ok(mtls_config("  trust_domains: [example.org]\n", "    client_ca_file: ca.pem\n"));
  REQUIRE(client_trust_bundles(other).size() == 1);
  CHECK(client_trust_bundles(other)[0].trust_domain == "example.org");
}

TEST_CASE("trust bundles: one bundle per trust domain, each a referenced file") {
  const std::string text = mtls_config(kTwoDomains + kTwoBundles, "");
  const Config config = load_ok(text);
  CHECK(config.listener.tls->client_ca_file.empty());
  const auto bundles = client_trust_bundles(config);
  REQUIRE(bundles.size() == 2);
  CHECK(bundles[0].trust_domain == "cluster.local");
  CHECK(bundles[0].key == "identity.trust_bundles.cluster.local");
  CHECK(bundles[0].path == "etc/tls/cluster.pem");  // relative to the config file
  CHECK(bundles[1].trust_domain == "partner.example");
  CHECK(bundles[1].path == "/etc/partner.pem");

  // `check` verifies each bundle and reports a problem at its own value.
  std::vector<std::string> keys;
  for (const auto& file : referenced_files(config)) keys.push_back(file.key);
  CHECK(std::count(keys.begin(), keys.end(), "identity.trust_bundles.cluster.local") == 1);
  CHECK(std::count(keys.begin(), keys.end(), "identity.trust_bundles.partner.example") == 1);
  CHECK(std::count(keys.begin(), keys.end(), "listener.tls.client_ca_file") == 0);
  const auto at = position_of(text, "/etc/partner.pem");
  const auto diagnostic = config.diagnostic("identity.trust_bundles.partner.example", "x");
  CHECK(diagnostic.line == at.line);
  CHECK(diagnostic.column == at.column);
}

TEST_CASE("trust bundles: none outside mtls") {
  const Config xfcc =
      load_ok("identity:\n  mode: xfcc\nfirestore:\n  project: p\ncredentials:\n  type: none\n");
  CHECK(client_trust_bundles(xfcc).empty());
}

TEST_CASE("trust bundles: what is refused, where") {
  const std::string ca_file = "    client_ca_file: ca.pem\n";
  const std::vector<Refused> cases = {
      // One file mixing several trust domains' roots: refused.
      {mtls_config(kTwoDomains, ca_file), "[cluster", "identity.trust_domains",
       "2 trust domains, but listener.tls.client_ca_file is the bundle of one"},
      // Exactly one of the two.
      {mtls_config(kTwoDomains + kTwoBundles, ca_file), "cluster.local: tls",
       "identity.trust_bundles", "set only one of them"},
      {mtls_config("", ""), "cert_file", "listener.tls.client_ca_file",
       "required when identity.mode is mtls (or identity.trust_bundles"},
      // Bundles name exactly the listed trust domains.
      {mtls_config(kTwoBundles, ""), "/etc/partner.pem", "identity.trust_bundles.partner.example",
       "trust domain \"partner.example\" is not in identity.trust_domains"},
      {mtls_config(kTwoDomains + "  trust_bundles:\n    cluster.local: c.pem\n", ""),
       "cluster.local: c.pem", "identity.trust_bundles",
       "no bundle for trust domain \"partner.example\""},
      // Each entry on its own.
      {mtls_config("  trust_domains: [Cluster.local]\n", ca_file), "Cluster",
       "identity.trust_domains[0]", "lowercase"},
      {mtls_config("  trust_bundles:\n    Cluster.Local: c.pem\n", ""), "Cluster",
       "identity.trust_bundles", "lowercase"},
      {mtls_config("  trust_bundles:\n    cluster.local: \"\"\n", ""), "\"\"",
       "identity.trust_bundles.cluster.local", "must not be empty"},
      {mtls_config("  trust_bundles:\n    cluster.local: [a.pem]\n", ""), "[a",
       "identity.trust_bundles.cluster.local", "expected a string"},
      {mtls_config("  trust_bundles: {}\n", ""), "{}", "identity.trust_bundles",
       "must not be empty"},
      {mtls_config("  trust_bundles: [a.pem]\n", ""), "[a", "identity.trust_bundles",
       "expected a mapping"},
      {mtls_config("  trust_bundles:\n    cluster.local: a.pem\n    cluster.local: b.pem\n", ""),
       "cluster.local: b", "identity.trust_bundles.cluster.local", "duplicate key"},
      // Only mtls verifies certificates.
      {"identity:\n  mode: xfcc\n  trust_bundles:\n    cluster.local: c.pem\nfirestore:\n"
       "  project: p\ncredentials:\n  type: none\n",
       "cluster.local: c.pem", "identity.trust_bundles", "only allowed when identity.mode is mtls"},
  };
  for (const auto& c : cases) check_refused(c);
}
