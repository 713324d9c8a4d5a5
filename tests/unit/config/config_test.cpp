#include "firewarden/config/config.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "config_test_support.hpp"

using namespace std::chrono_literals;
using firewarden::config::Config;
using firewarden::config::CredentialsType;
using firewarden::config::Diagnostics;
using firewarden::config::DocumentPaths;
using firewarden::config::EnvLookup;
using firewarden::config::IdentityMode;
using firewarden::config::load_config_file;
using firewarden::config::load_config_text;
using firewarden::config::LoadResult;
using firewarden::config::LogFormat;
using firewarden::config::LogLevel;
using firewarden::config::TlsVersion;
using firewarden::config::testing::fake_env;
using firewarden::config::testing::position_of;
using firewarden::config::testing::render;

namespace {

constexpr const char* kFile = "etc/firewarden.yaml";

// The sections a test case does not write itself: the smallest valid config
// (xfcc needs no TLS files, credentials none need no credentials file).
const std::vector<std::pair<std::string, std::string>> kBaseSections = {
    {"identity", "identity:\n  mode: xfcc\n"},
    {"firestore", "firestore:\n  project: demo-project\n"},
    {"credentials", "credentials:\n  type: none\n"},
};

// `case_text` first (so its positions are its own), then each base section
// it does not define.
std::string document(const std::string& case_text) {
  std::string text = case_text;
  for (const auto& [name, section] : kBaseSections) {
    const std::string head = name + ":";
    if (case_text.rfind(head, 0) != 0 && case_text.find("\n" + head) == std::string::npos) {
      text += section;
    }
  }
  return text;
}

Config load_ok(const std::string& text, const EnvLookup& env = fake_env()) {
  const LoadResult result = load_config_text(text, kFile, env);
  if (const auto* diagnostics = std::get_if<Diagnostics>(&result)) {
    FAIL("unexpected errors for:\n" << text << "\n" << render(*diagnostics));
  }
  return *std::get<std::shared_ptr<const Config>>(result);
}

Diagnostics load_errors(const std::string& text, const EnvLookup& env = fake_env()) {
  const LoadResult result = load_config_text(text, kFile, env);
  if (std::holds_alternative<std::shared_ptr<const Config>>(result)) {
    FAIL("expected errors, but this loaded:\n" << text);
  }
  return std::get<Diagnostics>(result);
}

// One refused value: the case's text (completed by document()), the text at
// whose first occurrence the error must stand, and what the message must
// contain besides the key path it starts with.
struct Refused {
  std::string text;
  std::string at;
  std::string key;       // the message starts with "KEY: "
  std::string contains;  // and contains this
};

void check_refused(const Refused& c, const EnvLookup& env = fake_env()) {
  const std::string text = document(c.text);
  INFO("document:\n" << text);
  const Diagnostics diagnostics = load_errors(text, env);
  INFO("diagnostics:\n" << render(diagnostics));
  REQUIRE(diagnostics.size() == 1);  // one mistake, one error: no cascades
  const auto expected = position_of(text, c.at);
  CHECK(diagnostics[0].file == kFile);
  CHECK(diagnostics[0].line == expected.line);
  CHECK(diagnostics[0].column == expected.column);
  CHECK_THAT(diagnostics[0].message, Catch::StartsWith(c.key + ": "));
  CHECK_THAT(diagnostics[0].message, Catch::Contains(c.contains));
}

}  // namespace

TEST_CASE("the smallest config gets every default of SPEC section 2") {
  const Config config = load_ok(
      "firestore:\n  project: p\n"
      "identity:\n  mode: xfcc\n"
      "credentials:\n  type: metadata\n");
  CHECK(config.source_file == kFile);
  CHECK(config.listener.address.to_string() == "0.0.0.0:8443");
  CHECK_FALSE(config.listener.tls);
  CHECK(config.identity.trust_domains == std::vector<std::string>{"cluster.local"});
  CHECK(config.identity.path_template == "/ns/{namespace}/sa/{service_account}");
  CHECK(config.identity.require_template);
  REQUIRE(config.identity.xfcc.trusted_peers.size() == 2);
  CHECK(config.identity.xfcc.trusted_peers[0].to_string() == "127.0.0.1/32");
  CHECK(config.identity.xfcc.trusted_peers[1].to_string() == "::1/128");
  CHECK(config.identity.fixed_id.empty());
  CHECK(config.policy.file == "/etc/firewarden/policy.yaml");
  CHECK(config.reload_interval == 2s);
  CHECK(config.firestore.endpoint.url == "https://firestore.googleapis.com");
  CHECK(config.firestore.endpoint.tls);
  CHECK(config.firestore.endpoint.host == "firestore.googleapis.com");
  CHECK(config.firestore.endpoint.port == 443);
  CHECK(config.firestore.endpoint.authority == "firestore.googleapis.com");
  CHECK_FALSE(config.firestore.endpoint_from_emulator_host);
  CHECK(config.firestore.project == "p");
  CHECK(config.firestore.databases == std::vector<std::string>{"(default)"});
  CHECK(config.firestore.ca_file.empty());
  CHECK(config.firestore.connect_timeout == 5s);
  CHECK(config.firestore.request_timeout == 60s);
  CHECK(config.firestore.max_idle_connections == 64);
  CHECK(config.credentials.type == CredentialsType::metadata);
  CHECK(config.credentials.file.empty());
  CHECK(config.credentials.token.empty());
  CHECK(config.credentials.scopes ==
        std::vector<std::string>{"https://www.googleapis.com/auth/datastore"});
  CHECK(config.credentials.token_lifetime == 3600s);
  CHECK(config.credentials.refresh_margin == 5min);
  CHECK(config.credentials.min_validity == 60s);
  CHECK(config.admin.address.to_string() == "127.0.0.1:9901");
  CHECK_FALSE(config.admin.enable_quit);
  CHECK(config.limits.max_connections == 10000);
  CHECK(config.limits.max_header_bytes == 16 * 1024);
  CHECK(config.limits.max_body_bytes == 10 * 1024 * 1024);
  CHECK(config.limits.header_timeout == 10s);
  CHECK(config.limits.idle_timeout == 60s);
  CHECK(config.limits.shutdown_delay == 0s);
  CHECK(config.limits.shutdown_grace == 20s);
  CHECK(config.logging.level == LogLevel::info);
  CHECK(config.logging.format == LogFormat::json);
  CHECK(config.logging.document_paths == DocumentPaths::full);
  CHECK(config.logging.access_log);
  CHECK(config.threads == 0);
}

TEST_CASE("limits.http2 defaults") {
  const Config config = load_ok(document(""));
  CHECK(config.limits.http2.max_concurrent_streams == 100);
  CHECK(config.limits.http2.reset_budget == 200);
  CHECK(config.limits.http2.control_frame_budget == 1000);
  CHECK(config.limits.http2.max_listen_targets == 1000);
  CHECK(config.limits.http2.max_stream_duration == std::chrono::hours(1));
}

TEST_CASE("each key accepts a valid value") {
  struct Accepted {
    std::string text;
    std::function<void(const Config&)> check;
  };
  const std::string tls =
      "listener:\n  tls:\n    cert_file: tls/cert.pem\n    key_file: /abs/key.pem\n"
      "    client_ca_file: ../ca.pem\n";
  const std::vector<Accepted> cases = {
      {"listener:\n  address: \"127.0.0.1:0\"\n",
       [](const Config& c) { CHECK(c.listener.address.to_string() == "127.0.0.1:0"); }},
      {"listener:\n  address: \"[::1]:8443\"\n",
       [](const Config& c) {
         CHECK(c.listener.address.ip.is_ipv6());
         CHECK(c.listener.address.port == 8443);
       }},
      {"listener:\n  address: 10.1.2.3:65535\n",
       [](const Config& c) { CHECK(c.listener.address.port == 65535); }},
      {"identity:\n  mode: mtls\n" + tls,
       [](const Config& c) {
         REQUIRE(c.listener.tls);
         // Relative to the config file's directory ("etc").
         CHECK(c.listener.tls->cert_file == "etc/tls/cert.pem");
         CHECK(c.listener.tls->key_file == "/abs/key.pem");
         CHECK(c.listener.tls->client_ca_file == "ca.pem");
         CHECK(c.listener.tls->min_version == TlsVersion::tls1_2);
       }},
      {"identity:\n  mode: mtls\n" + tls + "    min_version: \"1.3\"\n",
       [](const Config& c) { CHECK(c.listener.tls->min_version == TlsVersion::tls1_3); }},
      {"identity:\n  mode: mtls\n" + tls + "    min_version: 1.2\n",
       [](const Config& c) { CHECK(c.listener.tls->min_version == TlsVersion::tls1_2); }},
      {"identity:\n  mode: xfcc\n",
       [](const Config& c) { CHECK(c.identity.mode == IdentityMode::xfcc); }},
      {"identity:\n  mode: xfcc\n  trust_domains: [example.org, a_b-c.0, \"x\"]\n",
       [](const Config& c) {
         CHECK(c.identity.trust_domains == std::vector<std::string>{"example.org", "a_b-c.0", "x"});
       }},
      {"identity:\n  mode: xfcc\n  path_template: /ns/{namespace}\n",
       [](const Config& c) { CHECK(c.identity.path_template == "/ns/{namespace}"); }},
      {"identity:\n  mode: xfcc\n  path_template: \"/{service_account}/Team_1/{namespace}\"\n",
       [](const Config& c) {
         CHECK(c.identity.path_template == "/{service_account}/Team_1/{namespace}");
       }},
      {"identity:\n  mode: xfcc\n  path_template: /workload\n",
       [](const Config& c) { CHECK(c.identity.path_template == "/workload"); }},
      {"identity:\n  mode: xfcc\n  require_template: false\n",
       [](const Config& c) { CHECK_FALSE(c.identity.require_template); }},
      {"identity:\n  mode: xfcc\n  xfcc:\n    trusted_peers: [10.0.0.0/8, \"fd00::/8\", "
       "192.168.1.5, 127.0.0.6/32]\n",
       [](const Config& c) {
         const auto& peers = c.identity.xfcc.trusted_peers;
         REQUIRE(peers.size() == 4);
         CHECK(peers[0].to_string() == "10.0.0.0/8");
         CHECK(peers[1].to_string() == "fd00::/8");
         CHECK(peers[2].to_string() == "192.168.1.5/32");
       }},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/ns/a/sa/b\n"
       "listener:\n  address: 127.0.0.2:1\n",
       [](const Config& c) {
         CHECK(c.identity.mode == IdentityMode::fixed);
         CHECK(c.identity.fixed_id == "spiffe://cluster.local/ns/a/sa/b");
       }},
      {"identity:\n  mode: fixed\n  trust_domains: [a.org, b.org]\n  fixed_id: spiffe://b.org/x\n"
       "listener:\n  address: \"[::1]:8443\"\n",
       [](const Config& c) { CHECK(c.identity.fixed_id == "spiffe://b.org/x"); }},
      {"identity:\n  mode: xfcc\n  fixed_id: \"\"\n",  // "" = not set
       [](const Config& c) { CHECK(c.identity.fixed_id.empty()); }},
      {"policy:\n  file: policy.yaml\n",
       [](const Config& c) { CHECK(c.policy.file == "etc/policy.yaml"); }},
      {"policy:\n  file: /srv/policy.yaml\n",
       [](const Config& c) { CHECK(c.policy.file == "/srv/policy.yaml"); }},
      {"policy:\n  file: ./rules/../policy.yaml\n",
       [](const Config& c) { CHECK(c.policy.file == "etc/policy.yaml"); }},
      {"reload_interval: 250ms\n", [](const Config& c) { CHECK(c.reload_interval == 250ms); }},
      {"reload_interval: 1h\n", [](const Config& c) { CHECK(c.reload_interval == 1h); }},
      {"firestore:\n  project: p\n  endpoint: https://firestore.example:8443\n",
       [](const Config& c) {
         CHECK(c.firestore.endpoint.url == "https://firestore.example:8443");
         CHECK(c.firestore.endpoint.host == "firestore.example");
         CHECK(c.firestore.endpoint.port == 8443);
         CHECK(c.firestore.endpoint.authority == "firestore.example:8443");
       }},
      {"firestore:\n  project: p\n  endpoint: https://firestore.googleapis.com/\n",
       [](const Config& c) {
         CHECK(c.firestore.endpoint.url == "https://firestore.googleapis.com");
       }},
      {"firestore:\n  project: p\n  endpoint: http://127.0.0.1:8080\n",
       [](const Config& c) {
         CHECK_FALSE(c.firestore.endpoint.tls);
         CHECK(c.firestore.endpoint.host == "127.0.0.1");
         CHECK(c.firestore.endpoint.port == 8080);
       }},
      {"firestore:\n  project: p\n  endpoint: \"http://[::1]:8080\"\n",
       [](const Config& c) {
         CHECK(c.firestore.endpoint.host == "::1");
         CHECK(c.firestore.endpoint.authority == "[::1]:8080");
       }},
      {"firestore:\n  project: p\n  endpoint: http://firestore_emulator\n",
       [](const Config& c) { CHECK(c.firestore.endpoint.port == 80); }},
      {"firestore:\n  project: p\n  endpoint: \"\"\n",  // "" = default
       [](const Config& c) {
         CHECK(c.firestore.endpoint.url == "https://firestore.googleapis.com");
       }},
      {"firestore:\n  project: example.com:my-project\n",
       [](const Config& c) { CHECK(c.firestore.project == "example.com:my-project"); }},
      {"firestore:\n  project: my-project-123\n  databases: [\"(default)\", orders-db, abcd]\n",
       [](const Config& c) {
         CHECK(c.firestore.databases == std::vector<std::string>{"(default)", "orders-db", "abcd"});
       }},
      {"firestore:\n  project: p\n  ca_file: certs/ca.pem\n",
       [](const Config& c) { CHECK(c.firestore.ca_file == "etc/certs/ca.pem"); }},
      {"firestore:\n  project: p\n  connect_timeout: 10ms\n  request_timeout: 1h\n",
       [](const Config& c) {
         CHECK(c.firestore.connect_timeout == 10ms);
         CHECK(c.firestore.request_timeout == 1h);
       }},
      {"firestore:\n  project: p\n  max_idle_connections: 0\n",
       [](const Config& c) { CHECK(c.firestore.max_idle_connections == 0); }},
      {"firestore:\n  project: p\n  max_idle_connections: 10000\n",
       [](const Config& c) { CHECK(c.firestore.max_idle_connections == 10000); }},
      {"credentials:\n  type: metadata\n",
       [](const Config& c) { CHECK(c.credentials.type == CredentialsType::metadata); }},
      {"credentials:\n  type: external_account\n  file: gcp/sts.json\n",
       [](const Config& c) {
         CHECK(c.credentials.type == CredentialsType::external_account);
         CHECK(c.credentials.file == "etc/gcp/sts.json");
         CHECK_FALSE(c.credentials.file_from_environment);
       }},
      {"credentials:\n  type: service_account_key\n  file: /keys/sa.json\n",
       [](const Config& c) {
         CHECK(c.credentials.type == CredentialsType::service_account_key);
         CHECK(c.credentials.file == "/keys/sa.json");
       }},
      {"credentials:\n  type: static\n  token: owner\n",
       [](const Config& c) {
         CHECK(c.credentials.type == CredentialsType::static_token);
         CHECK(c.credentials.token == "owner");
       }},
      {"credentials:\n  type: none\n  token: \"\"\n  file: \"\"\n",
       [](const Config& c) { CHECK(c.credentials.type == CredentialsType::none); }},
      {"credentials:\n  type: none\n  scopes: [a, "
       "https://www.googleapis.com/auth/cloud-platform]\n",
       [](const Config& c) { CHECK(c.credentials.scopes.size() == 2); }},
      {"credentials:\n  type: none\n  token_lifetime: 12h\n  refresh_margin: 11h\n"
       "  min_validity: 0s\n",
       [](const Config& c) {
         CHECK(c.credentials.token_lifetime == 12h);
         CHECK(c.credentials.refresh_margin == 11h);
         CHECK(c.credentials.min_validity == 0s);
       }},
      {"credentials:\n  type: none\n  token_lifetime: 2s\n  refresh_margin: 1s\n"
       "  min_validity: 999ms\n",
       [](const Config& c) { CHECK(c.credentials.token_lifetime == 2s); }},
      {"admin:\n  address: \"[::1]:0\"\n  enable_quit: true\n",
       [](const Config& c) {
         CHECK(c.admin.address.to_string() == "[::1]:0");
         CHECK(c.admin.enable_quit);
       }},
      {"admin:\n  address: 0.0.0.0:9901\n",
       [](const Config& c) { CHECK(c.admin.address.port == 9901); }},
      {"listener:\n  address: 127.0.0.1:0\nadmin:\n  address: 127.0.0.1:0\n",  // both ephemeral
       [](const Config& c) { CHECK(c.admin.address.port == 0); }},
      {"limits:\n  max_connections: 1\n  max_header_bytes: 1KiB\n  max_body_bytes: 1024\n"
       "  header_timeout: 10ms\n  idle_timeout: 10ms\n  shutdown_delay: 0s\n"
       "  shutdown_grace: 0s\n",
       [](const Config& c) {
         CHECK(c.limits.max_connections == 1);
         CHECK(c.limits.max_header_bytes == 1024);
         CHECK(c.limits.max_body_bytes == 1024);
         CHECK(c.limits.header_timeout == 10ms);
         CHECK(c.limits.idle_timeout == 10ms);
         CHECK(c.limits.shutdown_grace == 0s);
       }},
      {"limits:\n  max_connections: 1000000\n  max_header_bytes: 1MiB\n"
       "  max_body_bytes: 64MiB\n  header_timeout: 10m\n  idle_timeout: 1h\n"
       "  shutdown_delay: 10m\n  shutdown_grace: 10m\n",
       [](const Config& c) {
         CHECK(c.limits.max_connections == 1000000);
         CHECK(c.limits.max_header_bytes == 1024 * 1024);
         CHECK(c.limits.max_body_bytes == 64 * 1024 * 1024);
         CHECK(c.limits.shutdown_delay == 10min);
       }},
      {"limits:\n  http2:\n    max_concurrent_streams: 1\n    reset_budget: 1\n"
       "    control_frame_budget: 1000000\n",
       [](const Config& c) {
         CHECK(c.limits.http2.max_concurrent_streams == 1);
         CHECK(c.limits.http2.reset_budget == 1);
         CHECK(c.limits.http2.control_frame_budget == 1000000);
       }},
      {"limits:\n  http2:\n    max_listen_targets: 1\n    max_stream_duration: 100ms\n",
       [](const Config& c) {
         CHECK(c.limits.http2.max_listen_targets == 1);
         CHECK(c.limits.http2.max_stream_duration == std::chrono::milliseconds(100));
       }},
      {"logging:\n  level: trace\n  format: text\n  access_log: false\n",
       [](const Config& c) {
         CHECK(c.logging.level == LogLevel::trace);
         CHECK(c.logging.format == LogFormat::text);
         CHECK_FALSE(c.logging.access_log);
       }},
      {"logging:\n  document_paths: hash\n",
       [](const Config& c) { CHECK(c.logging.document_paths == DocumentPaths::hash); }},
      {"logging:\n  level: warn\n",
       [](const Config& c) { CHECK(c.logging.level == LogLevel::warn); }},
      {"logging:\n  level: error\n",
       [](const Config& c) { CHECK(c.logging.level == LogLevel::error); }},
      {"logging:\n  level: debug\n",
       [](const Config& c) { CHECK(c.logging.level == LogLevel::debug); }},
      {"threads: 256\n", [](const Config& c) { CHECK(c.threads == 256); }},
      {"threads: 0\n", [](const Config& c) { CHECK(c.threads == 0); }},
      {"listener:\nidentity:\n  mode: xfcc\n  xfcc:\npolicy:\nadmin:\nlimits:\nlogging:\n",
       [](const Config& c) {  // empty sections read as absent
         CHECK(c.listener.address.port == 8443);
       }},
  };
  for (const auto& c : cases) {
    const std::string text = document(c.text);
    INFO("document:\n" << text);
    c.check(load_ok(text));
  }
}

TEST_CASE("each kind of invalid value is refused at its position, naming the key") {
  const std::string tls =
      "listener:\n  tls:\n    cert_file: c.pem\n    key_file: k.pem\n    client_ca_file: ca.pem\n";
  const std::vector<Refused> cases = {
      // listener
      {"listener:\n  address: localhost:8443\n", "localhost", "listener.address", "no host names"},
      {"listener:\n  address: \"127.0.0.1\"\n", "\"127", "listener.address", "host:port"},
      {"listener:\n  address: 127.0.0.1:65536\n", "127", "listener.address", "0 to 65535"},
      {"listener:\n  address: \"::1:80\"\n", "\"::1", "listener.address", "brackets"},
      {"listener:\n  address: [1, 2]\n", "[1", "listener.address", "expected a string"},
      {"listener: 8443\n", "8443", "listener", "expected a mapping"},
      {"identity:\n  mode: mtls\n" + tls + "    min_version: \"1.1\"\n", "\"1.1",
       "listener.tls.min_version", "expected one of 1.2, 1.3"},
      {"identity:\n  mode: mtls\nlistener:\n  tls:\n    key_file: k\n    client_ca_file: c\n",
       "key_file", "listener.tls.cert_file", "required"},
      {"identity:\n  mode: mtls\nlistener:\n  tls:\n    cert_file: \"\"\n    key_file: k\n"
       "    client_ca_file: c\n",
       "\"\"", "listener.tls.cert_file", "must not be empty"},
      {"identity:\n  mode: mtls\nlistener:\n  tls: yes\n", "yes", "listener.tls",
       "expected a mapping"},
      // identity
      {"identity:\n  mode: spiffe\n", "spiffe", "identity.mode",
       "expected one of mtls, xfcc, fixed"},
      {"identity:\n  mode: MTLS\n", "MTLS", "identity.mode", "expected one of"},
      {"identity:\n  mode: xfcc\n  trust_domains: [ok.org, Cluster.local]\n", "Cluster",
       "identity.trust_domains[1]", "lowercase"},
      {"identity:\n  mode: xfcc\n  trust_domains: [\"\"]\n", "\"\"", "identity.trust_domains[0]",
       "must not be empty"},
      {"identity:\n  mode: xfcc\n  trust_domains: [\"a b\"]\n", "\"a b",
       "identity.trust_domains[0]", "lowercase"},
      {"identity:\n  mode: xfcc\n  trust_domains: [a.org, a.org]\n", "a.org]",
       "identity.trust_domains[1]", "listed twice"},
      {"identity:\n  mode: xfcc\n  trust_domains: cluster.local\n", "cluster.local",
       "identity.trust_domains", "expected a list"},
      {"identity:\n  mode: xfcc\n  path_template: ns/{namespace}\n", "ns/",
       "identity.path_template", "must start with '/'"},
      {"identity:\n  mode: xfcc\n  path_template: /ns/{ns}\n", "/ns", "identity.path_template",
       "{namespace} or {service_account}"},
      {"identity:\n  mode: xfcc\n  path_template: /ns-{namespace}\n", "/ns",
       "identity.path_template", "whole segment"},
      {"identity:\n  mode: xfcc\n  path_template: /ns/{trust_domain}\n", "/ns",
       "identity.path_template", "whole segment"},
      {"identity:\n  mode: xfcc\n  path_template: /a//b\n", "/a/", "identity.path_template",
       "empty path segment"},
      {"identity:\n  mode: xfcc\n  path_template: /a/\n", "/a/", "identity.path_template",
       "empty path segment"},
      {"identity:\n  mode: xfcc\n  path_template: /a/../b\n", "/a/", "identity.path_template",
       "\"..\""},
      {"identity:\n  mode: xfcc\n  path_template: /a/b@c\n", "/a/", "identity.path_template",
       "may contain only"},
      {"identity:\n  mode: xfcc\n  path_template: /{namespace}/x/{namespace}\n", "/{",
       "identity.path_template", "appears twice"},
      {"identity:\n  mode: xfcc\n  path_template: \"\"\n", "\"\"", "identity.path_template",
       "must start with '/'"},
      {"identity:\n  mode: xfcc\n  xfcc:\n    trusted_peers: [10.0.0.0/8, 10.0.0.1/8]\n",
       "10.0.0.1", "identity.xfcc.trusted_peers[1]", "host bits"},
      {"identity:\n  mode: xfcc\n  xfcc:\n    trusted_peers: [10.0.0.0/33]\n", "10.0.0.0",
       "identity.xfcc.trusted_peers[0]", "0 to 32"},
      {"identity:\n  mode: xfcc\n  xfcc:\n    trusted_peers: [0.0.0.0/0]\n", "0.0.0.0",
       "identity.xfcc.trusted_peers[0]", "every peer"},
      {"identity:\n  mode: xfcc\n  xfcc:\n    trusted_peers: [\"::/0\"]\n",
       "\"::", "identity.xfcc.trusted_peers[0]", "every peer"},
      {"identity:\n  mode: xfcc\n  xfcc:\n    trusted_peers: [envoy]\n", "envoy",
       "identity.xfcc.trusted_peers[0]", "expected an IPv4 or IPv6 address"},
      {"identity:\n  mode: xfcc\n  xfcc:\n    trusted_peers: [::1/128, ::1/128]\n", "::1/128]",
       "identity.xfcc.trusted_peers[1]", "listed twice"},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local\nlistener:\n  address: "
       "127.0.0.1:1\n",
       "spiffe", "identity.fixed_id", "needs a path"},
      {"identity:\n  mode: fixed\n  fixed_id: https://cluster.local/a\nlistener:\n  address: "
       "127.0.0.1:1\n",
       "https", "identity.fixed_id", "expected a SPIFFE ID"},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://Cluster.local/a\nlistener:\n  address: "
       "127.0.0.1:1\n",
       "spiffe", "identity.fixed_id", "lowercase"},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/a//b\nlistener:\n  address: "
       "127.0.0.1:1\n",
       "spiffe", "identity.fixed_id", "empty path segment"},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local:8443/a\nlistener:\n  address: "
       "127.0.0.1:1\n",
       "spiffe", "identity.fixed_id", "lowercase"},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/a?b\nlistener:\n  address: "
       "127.0.0.1:1\n",
       "spiffe", "identity.fixed_id", "may contain only"},
      {"identity: [mtls]\n", "[mtls", "identity", "expected a mapping"},
      // policy and reload
      {"policy:\n  file: \"\"\n", "\"\"", "policy.file", "must not be empty"},
      {"policy: /etc/policy.yaml\n", "/etc", "policy", "expected a mapping"},
      {"reload_interval: five\n", "five", "reload_interval",
       "expected a duration like 5s, got \"five\""},
      {"reload_interval: 10ms\n", "10ms", "reload_interval", "between 100ms and 1h, got 10ms"},
      {"reload_interval: 2h\n", "2h", "reload_interval", "between 100ms and 1h"},
      // firestore
      {"firestore:\n  project: p\n  endpoint: ftp://x\n", "ftp", "firestore.endpoint",
       "http:// or https://"},
      {"firestore:\n  project: p\n  endpoint: https://x/v1\n", "https", "firestore.endpoint",
       "path"},
      {"firestore:\n  project: p\n  endpoint: https://u:pw@x\n", "https", "firestore.endpoint",
       "user info"},
      {"firestore:\n  project: p\n  endpoint: https://x?y=1\n", "https", "firestore.endpoint",
       "query"},
      {"firestore:\n  project: p\n  endpoint: https://x:0\n", "https", "firestore.endpoint",
       "1 to 65535"},
      {"firestore:\n  project: p\n  endpoint: https://x:65536\n", "https", "firestore.endpoint",
       "1 to 65535"},
      {"firestore:\n  project: p\n  endpoint: \"https://x:\"\n", "\"https", "firestore.endpoint",
       "1 to 65535"},
      {"firestore:\n  project: p\n  endpoint: https://\n", "https", "firestore.endpoint",
       "invalid host"},
      {"firestore:\n  project: p\n  endpoint: \"https://bad host\"\n", "\"https",
       "firestore.endpoint", "invalid host"},
      {"firestore:\n  project: p\n  endpoint: \"https://[::1\"\n", "\"https", "firestore.endpoint",
       "IPv6"},
      {"firestore:\n  project: p\n  endpoint: firestore.googleapis.com\n", "firestore.g",
       "firestore.endpoint", "http:// or https://"},
      {"firestore:\n  project: My-Project\n", "My", "firestore.project", "project id"},
      {"firestore:\n  project: 1abc\n", "1abc", "firestore.project", "project id"},
      {"firestore:\n  project: \"\"\n", "\"\"", "firestore.project", "project id"},
      {"firestore:\n  project: p/databases/x\n", "p/", "firestore.project", "project id"},
      {"firestore:\n  project: p\n  databases: [Orders]\n", "Orders", "firestore.databases[0]",
       "database id"},
      {"firestore:\n  project: p\n  databases: [abc]\n", "abc", "firestore.databases[0]",
       "database id"},
      {"firestore:\n  project: p\n  databases: [\"(default)\", \"(default)\"]\n", "\"(default)\"]",
       "firestore.databases[1]", "listed twice"},
      {"firestore:\n  project: p\n  connect_timeout: five\n", "five", "firestore.connect_timeout",
       "expected a duration like 5s, got \"five\""},
      {"firestore:\n  project: p\n  connect_timeout: 0s\n", "0s", "firestore.connect_timeout",
       "between 10ms and 5m"},
      {"firestore:\n  project: p\n  connect_timeout: 5\n", "5", "firestore.connect_timeout",
       "expected a duration"},
      {"firestore:\n  project: p\n  request_timeout: 2h\n", "2h", "firestore.request_timeout",
       "between 10ms and 1h"},
      {"firestore:\n  project: p\n  max_idle_connections: -1\n", "-1",
       "firestore.max_idle_connections", "between 0 and 10000"},
      {"firestore:\n  project: p\n  max_idle_connections: 10001\n", "10001",
       "firestore.max_idle_connections", "between 0 and 10000"},
      {"firestore:\n  project: p\n  max_idle_connections: many\n", "many",
       "firestore.max_idle_connections", "expected an integer"},
      // credentials
      {"credentials:\n  type: gcloud\n", "gcloud", "credentials.type",
       "external_account, metadata, service_account_key, static, none"},
      {"credentials:\n  type: none\n  scopes: []\n", "[]", "credentials.scopes",
       "must not be empty"},
      {"credentials:\n  type: none\n  scopes: [\"\"]\n", "\"\"", "credentials.scopes[0]",
       "must not be empty"},
      {"credentials:\n  type: none\n  scopes: [\"a b\"]\n", "\"a b", "credentials.scopes[0]",
       "spaces"},
      {"credentials:\n  type: none\n  token_lifetime: 13h\n", "13h", "credentials.token_lifetime",
       "between 1s and 12h"},
      {"credentials:\n  type: none\n  token_lifetime: 0s\n", "0s", "credentials.token_lifetime",
       "between 1s and 12h"},
      {"credentials:\n  type: none\n  refresh_margin: 13h\n", "13h", "credentials.refresh_margin",
       "between 0s and 12h"},
      {"credentials:\n  type: none\n  min_validity: soon\n", "soon", "credentials.min_validity",
       "expected a duration"},
      {"credentials:\n  type: static\n  token: ${TOKEN}\n", "${TOKEN}", "credentials.token",
       "environment variable TOKEN is not set"},
      // admin
      {"admin:\n  address: localhost:9901\n", "localhost", "admin.address", "no host names"},
      {"admin:\n  enable_quit: yes\n", "yes", "admin.enable_quit", "expected true or false"},
      {"admin:\n  enable_quit: 1\n", "1", "admin.enable_quit", "expected true or false"},
      // limits
      {"limits:\n  max_connections: 0\n", "0", "limits.max_connections", "between 1 and 1000000"},
      {"limits:\n  max_connections: 1e6\n", "1e6", "limits.max_connections", "expected an integer"},
      {"limits:\n  max_header_bytes: 512\n", "512", "limits.max_header_bytes",
       "between 1KiB and 1MiB, got 512"},
      {"limits:\n  max_header_bytes: 2MiB\n", "2MiB", "limits.max_header_bytes",
       "between 1KiB and 1MiB, got 2MiB"},
      {"limits:\n  max_header_bytes: 16KB\n", "16KB", "limits.max_header_bytes",
       "expected a size like 16KiB"},
      {"limits:\n  max_body_bytes: 65MiB\n", "65MiB", "limits.max_body_bytes",
       "between 1KiB and 64MiB"},
      {"limits:\n  max_body_bytes: 1GiB\n", "1GiB", "limits.max_body_bytes", "between"},
      {"limits:\n  header_timeout: 0s\n", "0s", "limits.header_timeout", "between 10ms and 10m"},
      {"limits:\n  idle_timeout: 2h\n", "2h", "limits.idle_timeout", "between 10ms and 1h"},
      {"limits:\n  shutdown_delay: 11m\n", "11m", "limits.shutdown_delay", "between 0s and 10m"},
      {"limits:\n  shutdown_grace: -1s\n", "-1s", "limits.shutdown_grace", "expected a duration"},
      {"limits:\n  http2:\n    max_concurrent_streams: 0\n", "0",
       "limits.http2.max_concurrent_streams", "between 1 and 10000"},
      {"limits:\n  http2:\n    max_concurrent_streams: 10001\n", "10001",
       "limits.http2.max_concurrent_streams", "between 1 and 10000"},
      {"limits:\n  http2:\n    reset_budget: 0\n", "0", "limits.http2.reset_budget",
       "between 1 and 1000000"},
      {"limits:\n  http2:\n    control_frame_budget: many\n", "many",
       "limits.http2.control_frame_budget", "expected an integer"},
      // logging and threads
      {"logging:\n  level: verbose\n", "verbose", "logging.level",
       "expected one of trace, debug, info, warn, error"},
      {"logging:\n  level: INFO\n", "INFO", "logging.level", "expected one of"},
      {"logging:\n  format: xml\n", "xml", "logging.format", "expected one of json, text"},
      {"logging:\n  access_log: maybe\n", "maybe", "logging.access_log", "expected true or false"},
      {"logging:\n  document_paths: sha1\n", "sha1", "logging.document_paths",
       "expected one of full, hash, omit"},
      {"identity:\n  mode: xfcc\n  require_template: no_thanks\n", "no_thanks",
       "identity.require_template", "expected true or false"},
      {"threads: 257\n", "257", "threads", "between 0 and 256"},
      {"threads: -1\n", "-1", "threads", "between 0 and 256"},
      {"threads: auto\n", "auto", "threads", "expected an integer"},
  };
  for (const auto& c : cases) check_refused(c);
}

TEST_CASE("unknown keys are refused at every level") {
  const std::string tls =
      "listener:\n  tls:\n    cert_file: c\n    key_file: k\n    client_ca_file: ca\n";
  const std::vector<Refused> cases = {
      {"listner:\n  address: 127.0.0.1:1\n", "listner", "listner", "unknown key"},
      {"listener:\n  adress: 127.0.0.1:1\n", "adress", "listener.adress", "unknown key"},
      {"identity:\n  mode: mtls\n" + tls + "    client_ca: ca\n",
       "client_ca:", "listener.tls.client_ca", "unknown key"},
      {"identity:\n  mode: xfcc\n  trust_domain: [a]\n", "trust_domain:", "identity.trust_domain",
       "unknown key"},
      {"identity:\n  mode: xfcc\n  xfcc:\n    trusted_peer: [10.0.0.0/8]\n",
       "trusted_peer:", "identity.xfcc.trusted_peer", "unknown key"},
      {"policy:\n  files: p.yaml\n", "files", "policy.files", "unknown key"},
      {"firestore:\n  project: p\n  databse: [x]\n", "databse", "firestore.databse", "unknown key"},
      {"credentials:\n  type: none\n  scope: [a]\n", "scope:", "credentials.scope", "unknown key"},
      {"admin:\n  enable_quitquitquit: true\n", "enable_", "admin.enable_quitquitquit",
       "unknown key"},
      {"limits:\n  max_body: 1MiB\n", "max_body", "limits.max_body", "unknown key"},
      {"logging:\n  lvl: info\n", "lvl", "logging.lvl", "unknown key"},
      {"thread: 4\n", "thread", "thread", "unknown key"},
      // yaml-cpp has no merge keys: "<<" is just an unknown key.
      {"base: &b\n  x: 1\n", "base", "base", "unknown key"},
  };
  for (const auto& c : cases) check_refused(c);
}

TEST_CASE("duplicate keys are refused") {
  check_refused({"threads: 1\nthreads: 2\n", "threads: 2", "threads", "duplicate key"});
  check_refused({"firestore:\n  project: a\n  project: b\n", "project: b", "firestore.project",
                 "duplicate key"});
}

TEST_CASE("cross-field rules") {
  const std::string tls =
      "listener:\n  tls:\n    cert_file: c\n    key_file: k\n    client_ca_file: ca\n";
  const std::string loopback = "listener:\n  address: 127.0.0.1:8443\n";
  const std::vector<Refused> cases = {
      // listener.tls exactly in mtls mode.
      {"identity:\n  mode: mtls\n", "mtls", "listener.tls", "required when identity.mode is mtls"},
      {"identity:\n  trust_domains: [a.org]\n", "trust_domains", "listener.tls",
       "required when identity.mode is mtls"},  // mtls is the default mode
      {"identity:\n  mode: xfcc\n" + tls, "cert_file", "listener.tls",
       "only allowed when identity.mode is mtls"},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/a\n" + tls +
           "  address: 127.0.0.1:1\n",
       "cert_file", "listener.tls", "only allowed when identity.mode is mtls"},
      // fixed_id exactly in fixed mode, from a listed trust domain.
      {"identity:\n  mode: fixed\n" + loopback, "fixed", "identity.fixed_id",
       "required when identity.mode is fixed"},
      {"identity:\n  mode: fixed\n  fixed_id: \"\"\n" + loopback, "fixed", "identity.fixed_id",
       "required when identity.mode is fixed"},
      {"identity:\n  mode: xfcc\n  fixed_id: spiffe://cluster.local/a\n", "spiffe",
       "identity.fixed_id", "only allowed when identity.mode is fixed"},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://other.org/a\n" + loopback, "spiffe",
       "identity.fixed_id", "trust domain \"other.org\" is not in identity.trust_domains"},
      // fixed mode listens on loopback only.
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/a\n", "fixed",
       "listener.address",
       "must be a loopback address (127.0.0.0/8 or [::1]) when identity.mode "
       "is fixed, got 0.0.0.0:8443"},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/a\nlistener:\n  address: "
       "10.0.0.1:8443\n",
       "10.0", "listener.address", "must be a loopback address"},
      {"identity:\n  mode: fixed\n  fixed_id: spiffe://cluster.local/a\nlistener:\n  address: "
       "\"[::]:8443\"\n",
       "\"[::]", "listener.address", "must be a loopback address"},
      // xfcc.trusted_peers: non-empty in xfcc mode, default elsewhere.
      {"identity:\n  mode: xfcc\n  xfcc:\n    trusted_peers: []\n", "[]",
       "identity.xfcc.trusted_peers", "must not be empty when identity.mode is xfcc"},
      {"identity:\n  mode: mtls\n  xfcc:\n    trusted_peers: [10.0.0.0/8]\n" + tls, "[10",
       "identity.xfcc.trusted_peers", "only used when identity.mode is xfcc"},
      {"identity:\n  mode: mtls\n  xfcc:\n    trusted_peers: []\n" + tls, "[]",
       "identity.xfcc.trusted_peers", "only used when identity.mode is xfcc"},
      // trust domains, databases, scopes non-empty.
      {"identity:\n  mode: xfcc\n  trust_domains: []\n", "[]", "identity.trust_domains",
       "must not be empty"},
      {"firestore:\n  project: p\n  databases: []\n", "[]", "firestore.databases",
       "must not be empty"},
      // project is required.
      {"firestore:\n  databases: [\"(default)\"]\n", "databases", "firestore.project", "required"},
      // credentials.token exactly for type static; credentials.file for
      // external_account and service_account_key.
      {"credentials:\n  type: metadata\n  token: t\n", "t\n", "credentials.token",
       "only allowed when credentials.type is static (credentials.type is metadata)"},
      {"credentials:\n  token: t\n  file: f.json\n", "t\n", "credentials.token",
       "only allowed when credentials.type is static (credentials.type is external_account)"},
      {"credentials:\n  type: static\n", "static", "credentials.token",
       "required when credentials.type is static"},
      {"credentials:\n  type: static\n  token: \"\"\n", "static", "credentials.token", "required"},
      {"credentials:\n  type: metadata\n  file: f.json\n", "f.json", "credentials.file",
       "only allowed when credentials.type is external_account or service_account_key"},
      {"credentials:\n  type: static\n  token: t\n  file: f.json\n", "f.json", "credentials.file",
       "only allowed"},
      {"credentials:\n  type: service_account_key\n", "service_account_key", "credentials.file",
       "required for type service_account_key (set it, or GOOGLE_APPLICATION_CREDENTIALS)"},
      {"credentials:\n  scopes: [a]\n", "scopes", "credentials.file",
       "required for type external_account"},
      // token timing.
      {"credentials:\n  type: none\n  token_lifetime: 5m\n", "5m", "credentials.refresh_margin",
       "must be shorter than credentials.token_lifetime (5m >= 5m)"},
      {"credentials:\n  type: none\n  token_lifetime: 1h\n  refresh_margin: 2h\n", "2h",
       "credentials.refresh_margin", "(2h >= 1h)"},
      {"credentials:\n  type: none\n  min_validity: 5m\n", "5m", "credentials.min_validity",
       "must be shorter than credentials.refresh_margin (5m >= 5m)"},
      {"credentials:\n  type: none\n  refresh_margin: 30s\n", "30s", "credentials.min_validity",
       "(1m >= 30s)"},
      // plain http only without real Google credentials.
      {"firestore:\n  project: p\n  endpoint: http://10.0.0.1:8080\ncredentials:\n  type: "
       "metadata\n",
       "http", "firestore.endpoint", "would send Google access tokens unencrypted"},
      {"firestore:\n  project: p\n  endpoint: http://h:1\n  ca_file: ca.pem\n", "ca.pem",
       "firestore.ca_file", "only used with an https endpoint"},
      // admin and data plane cannot share a port.
      {"listener:\n  address: 127.0.0.1:9901\n", "127", "admin.address",
       "127.0.0.1:9901 collides with listener.address 127.0.0.1:9901"},
      {"admin:\n  address: 127.0.0.1:8443\n", "127", "admin.address",
       "collides with listener.address 0.0.0.0:8443"},
  };
  for (const auto& c : cases) check_refused(c);
}

TEST_CASE("cross-field rules accept what they should") {
  // The default trusted_peers, written out, is fine in any mode.
  load_ok(
      document("identity:\n  mode: mtls\n  xfcc:\n    trusted_peers: [127.0.0.1/32, "
               "\"::1/128\"]\nlistener:\n  tls:\n    cert_file: c\n    key_file: k\n"
               "    client_ca_file: ca\n"));
  // http with static or none credentials (an emulator on another host).
  load_ok(
      document("firestore:\n  project: p\n  endpoint: http://emulator:8080\n"
               "credentials:\n  type: static\n  token: owner\n"));
  // Different ports, or same port on different specific addresses.
  load_ok(document("listener:\n  address: 127.0.0.1:9901\nadmin:\n  address: 127.0.0.2:9901\n"));
}

TEST_CASE("credentials.file defaults to GOOGLE_APPLICATION_CREDENTIALS") {
  const auto env = fake_env({{"GOOGLE_APPLICATION_CREDENTIALS", "rel/creds.json"}});
  const Config config = load_ok(document("credentials:\n  type: external_account\n"), env);
  // Relative to the working directory, as the Google SDKs read it.
  CHECK(config.credentials.file == "rel/creds.json");
  CHECK(config.credentials.file_from_environment);
  const auto files = referenced_files(config);
  REQUIRE(files.size() == 2);
  CHECK(files[1].key == "credentials.file (from $GOOGLE_APPLICATION_CREDENTIALS)");
  CHECK(files[1].path == "rel/creds.json");
  CHECK(config.diagnostic(files[1].key, "cannot read").line == 0);

  // The file's own setting wins.
  const Config own =
      load_ok(document("credentials:\n  type: service_account_key\n  file: /k.json\n"), env);
  CHECK(own.credentials.file == "/k.json");
  CHECK_FALSE(own.credentials.file_from_environment);

  // Not consulted for other types.
  const Config metadata = load_ok(document("credentials:\n  type: metadata\n"), env);
  CHECK(metadata.credentials.file.empty());
}

TEST_CASE("FIRESTORE_EMULATOR_HOST supplies an unset endpoint") {
  const auto env = fake_env({{"FIRESTORE_EMULATOR_HOST", "127.0.0.1:8080"}});
  const std::string base = "identity:\n  mode: xfcc\nfirestore:\n  project: demo-project\n";

  SECTION("with static token owner when credentials are not chosen") {
    const Config config = load_ok(base, env);
    CHECK(config.firestore.endpoint.url == "http://127.0.0.1:8080");
    CHECK_FALSE(config.firestore.endpoint.tls);
    CHECK(config.firestore.endpoint.port == 8080);
    CHECK(config.firestore.endpoint_from_emulator_host);
    CHECK(config.credentials.type == CredentialsType::static_token);
    CHECK(config.credentials.token == "owner");
  }
  SECTION("an explicit endpoint wins") {
    const Config config = load_ok(base +
                                      "  endpoint: https://firestore.googleapis.com\n"
                                      "credentials:\n  type: metadata\n",
                                  env);
    CHECK(config.firestore.endpoint.tls);
    CHECK_FALSE(config.firestore.endpoint_from_emulator_host);
    CHECK(config.credentials.type == CredentialsType::metadata);
  }
  SECTION("an explicit credentials type stands") {
    const Config config = load_ok(base + "credentials:\n  type: none\n", env);
    CHECK(config.firestore.endpoint_from_emulator_host);
    CHECK(config.credentials.type == CredentialsType::none);
  }
  SECTION("a token given without a type is used") {
    const Config config = load_ok(base + "credentials:\n  token: secret\n", env);
    CHECK(config.credentials.type == CredentialsType::static_token);
    CHECK(config.credentials.token == "secret");
  }
  SECTION("real credentials over the emulator's plain http are refused") {
    check_refused({base + "credentials:\n  type: metadata\n", "metadata", "credentials.type",
                   "metadata would send Google access tokens unencrypted to the plain http "
                   "endpoint from FIRESTORE_EMULATOR_HOST"},
                  env);
  }
  SECTION("a malformed FIRESTORE_EMULATOR_HOST is an error") {
    check_refused({base, "project", "FIRESTORE_EMULATOR_HOST",
                   "expected host:port, got \"http://127.0.0.1:8080\""},
                  fake_env({{"FIRESTORE_EMULATOR_HOST", "http://127.0.0.1:8080"}}));
  }
  SECTION("an empty FIRESTORE_EMULATOR_HOST is ignored") {
    const Config config = load_ok(base + "credentials:\n  type: metadata\n",
                                  fake_env({{"FIRESTORE_EMULATOR_HOST", ""}}));
    CHECK(config.firestore.endpoint.tls);
  }
  SECTION("the project is still required") {
    const auto diagnostics = load_errors("identity:\n  mode: xfcc\n", env);
    REQUIRE(diagnostics.size() == 1);
    CHECK(diagnostics[0].to_string() == "etc/firewarden.yaml:1:1: firestore.project: required");
  }
}

TEST_CASE("credentials.iam_credentials_endpoint: https, Google's by default") {
  const Config defaults = load_ok(document("credentials:\n  type: metadata\n"));
  CHECK(defaults.credentials.iam_credentials_endpoint.url ==
        "https://iamcredentials.googleapis.com");
  CHECK_FALSE(defaults.credentials.iam_credentials_endpoint_from_environment);

  // A Private Service Connect endpoint.
  const Config psc = load_ok(
      document("credentials:\n  type: metadata\n"
               "  iam_credentials_endpoint: https://iamcredentials-psc.p.googleapis.com/\n"));
  CHECK(psc.credentials.iam_credentials_endpoint.url ==
        "https://iamcredentials-psc.p.googleapis.com");

  check_refused({"credentials:\n  type: metadata\n  iam_credentials_endpoint: http://iam.local\n",
                 "http://iam.local", "credentials.iam_credentials_endpoint",
                 "must be https: it receives a token with the cloud-platform scope"});
  check_refused({"credentials:\n  type: metadata\n  iam_credentials_endpoint: iam.local\n",
                 "iam.local", "credentials.iam_credentials_endpoint",
                 "expected an http:// or https:// URL"});
  check_refused(
      {"credentials:\n  type: metadata\n  iam_credentials_endpoint: https://iam.local/v1\n",
       "https://iam.local/v1", "credentials.iam_credentials_endpoint", "must not have a path"});
}

TEST_CASE("FIREWARDEN_IAM_CREDENTIALS_ENDPOINT (tests) wins over the file, plain http allowed") {
  const std::string text =
      document("credentials:\n  type: metadata\n  iam_credentials_endpoint: https://psc.example\n");
  const Config config =
      load_ok(text, fake_env({{"FIREWARDEN_IAM_CREDENTIALS_ENDPOINT", "http://127.0.0.1:9"}}));
  CHECK(config.credentials.iam_credentials_endpoint.url == "http://127.0.0.1:9");
  CHECK(config.credentials.iam_credentials_endpoint_from_environment);

  const Config empty = load_ok(text, fake_env({{"FIREWARDEN_IAM_CREDENTIALS_ENDPOINT", ""}}));
  CHECK(empty.credentials.iam_credentials_endpoint.url == "https://psc.example");

  const auto diagnostics =
      load_errors(text, fake_env({{"FIREWARDEN_IAM_CREDENTIALS_ENDPOINT", "127.0.0.1:9"}}));
  REQUIRE(diagnostics.size() == 1);
  CHECK_THAT(diagnostics[0].message,
             Catch::StartsWith("FIREWARDEN_IAM_CREDENTIALS_ENDPOINT: expected an http://"));
}

TEST_CASE("env expansion applies to string values") {
  const auto env = fake_env({{"PROJECT", "from-env"}, {"PORT", "9443"}});
  const Config config =
      load_ok(document("firestore:\n  project: ${PROJECT}\n  databases: [\"${DB:-(default)}\"]\n"
                       "listener:\n  address: 127.0.0.1:${PORT}\n"),
              env);
  CHECK(config.firestore.project == "from-env");
  CHECK(config.firestore.databases == std::vector<std::string>{"(default)"});
  CHECK(config.listener.address.port == 9443);
  check_refused({"firestore:\n  project: ${NOPE}\n", "${NOPE}", "firestore.project",
                 "environment variable NOPE is not set"});
}

TEST_CASE("all errors are reported at once, in file order") {
  const std::string text =
      "listener:\n"
      "  address: nowhere\n"  // 2:12
      "identity:\n"
      "  mode: xfcc\n"
      "  trust_domains: [BAD]\n"  // 5:19
      "firestore:\n"
      "  project: p\n"
      "  connect_timeout: five\n"  // 8:20
      "credentials:\n"
      "  type: none\n"
      "limits:\n"
      "  max_body_bytez: 1MiB\n"  // 12:3
      "threads: 1000\n";          // 13:10
  const auto diagnostics = load_errors(text);
  INFO(render(diagnostics));
  REQUIRE(diagnostics.size() == 5);
  CHECK(diagnostics[0].to_string() ==
        "etc/firewarden.yaml:2:12: listener.address: expected host:port, got \"nowhere\"");
  CHECK(diagnostics[1].line == 5);
  CHECK(diagnostics[1].column == 19);
  CHECK(diagnostics[2].to_string() ==
        "etc/firewarden.yaml:8:20: firestore.connect_timeout: expected a duration like 5s, got "
        "\"five\"");
  CHECK(diagnostics[3].to_string() ==
        "etc/firewarden.yaml:12:3: limits.max_body_bytez: unknown key");
  CHECK(diagnostics[4].to_string() ==
        "etc/firewarden.yaml:13:10: threads: must be between 0 and 256, got 1000");
}

TEST_CASE("documents that are not a config") {
  SECTION("empty: only the missing project") {
    const auto diagnostics = load_errors("");
    INFO(render(diagnostics));
    REQUIRE(diagnostics.size() >= 1);
    CHECK(diagnostics[0].line == 1);
    CHECK_THAT(render(diagnostics), Catch::Contains("firestore.project: required"));
  }
  SECTION("a list") {
    const auto diagnostics = load_errors("- a\n- b\n");
    REQUIRE(diagnostics.size() == 1);
    CHECK_THAT(diagnostics[0].message, Catch::Contains("expected a mapping"));
  }
  SECTION("a YAML syntax error") {
    const auto diagnostics = load_errors("firestore:\n  project: [p\n");
    REQUIRE(diagnostics.size() == 1);
    CHECK_THAT(diagnostics[0].message, Catch::StartsWith("YAML syntax error"));
  }
  SECTION("an unreadable file is one diagnostic without a line") {
    const LoadResult result = load_config_file("/nonexistent/firewarden.yaml", fake_env());
    REQUIRE(std::holds_alternative<Diagnostics>(result));
    const auto& diagnostics = std::get<Diagnostics>(result);
    REQUIRE(diagnostics.size() == 1);
    CHECK(diagnostics[0].line == 0);
    CHECK(diagnostics[0].to_string() ==
          "/nonexistent/firewarden.yaml: cannot read the config file: No such file or directory");
  }
  SECTION("a directory is not a config file") {
    const std::string dir = std::string(FIREWARDEN_SOURCE_DIR) + "/config";
    const LoadResult result = load_config_file(dir, fake_env());
    REQUIRE(std::holds_alternative<Diagnostics>(result));
    CHECK(std::get<Diagnostics>(result)[0].to_string() ==
          dir + ": cannot read the config file: it is a directory");
  }
}

TEST_CASE("positions and referenced files") {
  const std::string text =
      "identity:\n"
      "  mode: mtls\n"
      "listener:\n"
      "  tls:\n"
      "    cert_file: tls/cert.pem\n"
      "    key_file: tls/key.pem\n"
      "    client_ca_file: /bundle.pem\n"
      "policy:\n"
      "  file: p.yaml\n"
      "firestore:\n"
      "  project: p\n"
      "  ca_file: ca.pem\n"
      "credentials:\n"
      "  type: service_account_key\n"
      "  file: sa.json\n";
  const Config config = load_ok(text);
  const auto files = referenced_files(config);
  REQUIRE(files.size() == 6);
  CHECK(files[0].key == "policy.file");
  CHECK(files[0].path == "etc/p.yaml");
  CHECK(files[1].key == "listener.tls.cert_file");
  CHECK(files[1].path == "etc/tls/cert.pem");
  CHECK(files[2].path == "etc/tls/key.pem");
  CHECK(files[3].path == "/bundle.pem");
  CHECK(files[4].key == "firestore.ca_file");
  CHECK(files[4].path == "etc/ca.pem");
  CHECK(files[5].key == "credentials.file");
  CHECK(files[5].path == "etc/sa.json");
  CHECK(config.diagnostic("listener.tls.cert_file", "no such file").to_string() ==
        "etc/firewarden.yaml:5:16: listener.tls.cert_file: no such file");
  CHECK(config.diagnostic("firestore.project", "x").line == 11);
  // A key that was not written has no position.
  CHECK(config.diagnostic("listener.address", "cannot bind").to_string() ==
        "etc/firewarden.yaml: listener.address: cannot bind");

  const Config xfcc = load_ok(document("identity:\n  mode: xfcc\n  trust_domains: [a, b]\n"));
  CHECK(xfcc.positions.at("identity.trust_domains[1]").line == 3);
  CHECK(xfcc.positions.at("identity.trust_domains[1]").column == 22);
  const auto xfcc_files = referenced_files(xfcc);
  REQUIRE(xfcc_files.size() == 1);  // the default policy file only
  CHECK(xfcc_files[0].path == "/etc/firewarden/policy.yaml");
}

TEST_CASE("the SPEC section 2 example loads") {
  const std::string spec_example = R"yaml(listener:
  address: "0.0.0.0:8443"          # data plane
  tls:                             # required when identity.mode is mtls, refused otherwise
    cert_file: /etc/firewarden/tls/cert.pem      # serving certificate (chain)
    key_file: /etc/firewarden/tls/key.pem
    client_ca_file: /etc/firewarden/tls/bundle.pem  # trust bundle for client SVIDs
    min_version: "1.2"             # "1.2" | "1.3"
identity:
  mode: mtls                       # mtls | xfcc | fixed
  trust_domains: ["cluster.local"] # SPIFFE IDs from any other trust domain are refused
  path_template: "/ns/{namespace}/sa/{service_account}"
  require_template: true           # IDs that do not fit path_template are refused (401)
  xfcc:
    trusted_peers: ["127.0.0.1/32", "::1/128"]  # only these TCP peers may send XFCC
  fixed_id: ""                     # mode fixed: the one identity every request gets
policy:
  file: /etc/firewarden/policy.yaml
reload_interval: 2s                # how often policy and certificate files are checked
firestore:
  endpoint: "https://firestore.googleapis.com"   # or http://127.0.0.1:8080 (emulator)
  project: "my-project"            # requests naming any other project are refused
  databases: ["(default)"]         # requests naming any other database are refused
  ca_file: ""                      # default: the system trust store
  connect_timeout: 5s
  request_timeout: 60s
  max_idle_connections: 64
credentials:
  type: external_account           # external_account | metadata | service_account_key | static | none
  file: ""                         # default: $GOOGLE_APPLICATION_CREDENTIALS
  token: ""                        # type static only (e.g. "owner" for the emulator)
  scopes: ["https://www.googleapis.com/auth/datastore"]
  token_lifetime: 3600s            # lifetime asked for impersonated tokens
  refresh_margin: 5m               # refresh this long before expiry
  min_validity: 60s                # never forward a token that expires sooner than this
admin:
  address: "127.0.0.1:9901"
  enable_quit: false               # POST /quitquitquit
limits:
  max_connections: 10000
  max_header_bytes: 16KiB
  max_body_bytes: 10MiB            # Firestore's own request limit
  header_timeout: 10s              # time to receive a full request head
  idle_timeout: 60s                # keep-alive idle
  shutdown_delay: 0s               # after SIGTERM: keep serving (readiness already 503) this long
  shutdown_grace: 20s              # then drain in-flight requests at most this long
logging:
  level: info
  format: json                     # json | text
  access_log: true
threads: 0                         # worker threads; 0 = one per core
)yaml";
  const Config config = load_ok(
      spec_example, fake_env({{"GOOGLE_APPLICATION_CREDENTIALS", "/var/run/gcp/creds.json"}}));
  CHECK(config.identity.mode == IdentityMode::mtls);
  CHECK(config.firestore.project == "my-project");
  CHECK(config.credentials.file == "/var/run/gcp/creds.json");
}

namespace {

// Every key of SPEC section 2, to check that the example shows each one.
const std::vector<std::string> kAllKeys = {
    "listener.address",
    "identity.mode",
    "identity.trust_domains",
    "identity.path_template",
    "identity.require_template",
    "identity.xfcc.trusted_peers",
    "policy.file",
    "reload_interval",
    "firestore.endpoint",
    "firestore.project",
    "firestore.databases",
    "firestore.connect_timeout",
    "firestore.request_timeout",
    "firestore.max_idle_connections",
    "credentials.type",
    "credentials.scopes",
    "credentials.token_lifetime",
    "credentials.refresh_margin",
    "credentials.min_validity",
    "admin.address",
    "admin.enable_quit",
    "limits.max_connections",
    "limits.max_header_bytes",
    "limits.max_body_bytes",
    "limits.header_timeout",
    "limits.idle_timeout",
    "limits.shutdown_delay",
    "limits.shutdown_grace",
    "logging.level",
    "logging.format",
    "logging.access_log",
    "logging.document_paths",
    "threads",
    // Written as "" (not set): present in the file, so no position is kept.
    // identity.fixed_id, firestore.ca_file, credentials.file, credentials.token
};

}  // namespace

TEST_CASE("config/firewarden.example.yaml loads and shows every default") {
  const std::string path = std::string(FIREWARDEN_SOURCE_DIR) + "/config/firewarden.example.yaml";
  const LoadResult result = load_config_file(
      path, fake_env({{"GOOGLE_APPLICATION_CREDENTIALS", "/var/run/gcp/creds.json"}}));
  if (const auto* diagnostics = std::get_if<Diagnostics>(&result)) FAIL(render(*diagnostics));
  const Config& example = *std::get<std::shared_ptr<const Config>>(result);
  for (const auto& key : kAllKeys) {
    INFO(key);
    CHECK(example.positions.count(key) == 1);
  }
  // Apart from the placeholders every operator must fill in, the values shown
  // are the defaults, except where the example names no file outside the
  // repository (so `firewarden check` passes on a fresh checkout): xfcc mode
  // with listener.tls commented out, the example policy, metadata credentials.
  const Config defaults;
  CHECK(example.listener.address == defaults.listener.address);
  CHECK_FALSE(example.listener.tls);
  CHECK(example.identity.mode == IdentityMode::xfcc);
  CHECK(example.identity.trust_domains == defaults.identity.trust_domains);
  CHECK(example.identity.path_template == defaults.identity.path_template);
  CHECK(example.identity.require_template == defaults.identity.require_template);
  CHECK(example.identity.xfcc.trusted_peers == defaults.identity.xfcc.trusted_peers);
  CHECK(example.identity.fixed_id == defaults.identity.fixed_id);
  CHECK_THAT(example.policy.file, Catch::EndsWith("/config/policy.example.yaml"));
  CHECK(example.reload_interval == defaults.reload_interval);
  CHECK(example.firestore.endpoint.url == defaults.firestore.endpoint.url);
  CHECK(example.firestore.databases == defaults.firestore.databases);
  CHECK(example.firestore.ca_file == defaults.firestore.ca_file);
  CHECK(example.firestore.connect_timeout == defaults.firestore.connect_timeout);
  CHECK(example.firestore.request_timeout == defaults.firestore.request_timeout);
  CHECK(example.firestore.max_idle_connections == defaults.firestore.max_idle_connections);
  CHECK(example.credentials.type == CredentialsType::metadata);
  CHECK_FALSE(example.credentials.file_from_environment);
  CHECK(example.credentials.token == defaults.credentials.token);
  CHECK(example.credentials.scopes == defaults.credentials.scopes);
  CHECK(example.credentials.token_lifetime == defaults.credentials.token_lifetime);
  CHECK(example.credentials.refresh_margin == defaults.credentials.refresh_margin);
  CHECK(example.credentials.min_validity == defaults.credentials.min_validity);
  CHECK(example.admin.address == defaults.admin.address);
  CHECK(example.admin.enable_quit == defaults.admin.enable_quit);
  CHECK(example.limits.max_connections == defaults.limits.max_connections);
  CHECK(example.limits.max_header_bytes == defaults.limits.max_header_bytes);
  CHECK(example.limits.max_body_bytes == defaults.limits.max_body_bytes);
  CHECK(example.limits.header_timeout == defaults.limits.header_timeout);
  CHECK(example.limits.idle_timeout == defaults.limits.idle_timeout);
  CHECK(example.limits.shutdown_delay == defaults.limits.shutdown_delay);
  CHECK(example.limits.shutdown_grace == defaults.limits.shutdown_grace);
  CHECK(example.logging.level == defaults.logging.level);
  CHECK(example.logging.format == defaults.logging.format);
  CHECK(example.logging.access_log == defaults.logging.access_log);
  CHECK(example.threads == defaults.threads);

  // The example needs nothing from the environment (metadata credentials).
  CHECK(std::holds_alternative<std::shared_ptr<const Config>>(load_config_file(path, fake_env())));
}

TEST_CASE("config/firewarden.emulator.yaml loads for local use") {
  const std::string dir = std::string(FIREWARDEN_SOURCE_DIR) + "/config";
  const LoadResult result = load_config_file(dir + "/firewarden.emulator.yaml", fake_env());
  if (const auto* diagnostics = std::get_if<Diagnostics>(&result)) FAIL(render(*diagnostics));
  const Config& config = *std::get<std::shared_ptr<const Config>>(result);
  CHECK(config.identity.mode == IdentityMode::fixed);
  CHECK(config.listener.address.ip.is_loopback());
  CHECK_FALSE(config.listener.tls);
  CHECK(config.firestore.endpoint.url == "http://127.0.0.1:8080");
  CHECK(config.firestore.project == "demo-project");
  CHECK(config.credentials.type == CredentialsType::static_token);
  CHECK(config.credentials.token == "owner");
  // Relative to the config file's directory, made absolute.
  CHECK(config.policy.file == dir + "/policy.example.yaml");

  const LoadResult other = load_config_file(dir + "/firewarden.emulator.yaml",
                                            fake_env({{"FIRESTORE_PROJECT", "test-42"}}));
  REQUIRE(std::holds_alternative<std::shared_ptr<const Config>>(other));
  CHECK(std::get<std::shared_ptr<const Config>>(other)->firestore.project == "test-42");
}

TEST_CASE("enum names round-trip") {
  using firewarden::config::to_string;
  CHECK(to_string(CredentialsType::static_token) == "static");
  CHECK(to_string(IdentityMode::xfcc) == "xfcc");
  CHECK(to_string(TlsVersion::tls1_3) == "1.3");
  CHECK(to_string(LogLevel::warn) == "warn");
  CHECK(to_string(LogFormat::text) == "text");
}
