// The watched files (src/app/reloader.cpp), without a daemon: a watcher
// swaps the snapshot when its file changes and keeps the one in force when
// the new content is bad or the file is gone.
#include "firewarden/app/reloader.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "../../support/self_signed.hpp"

namespace firewarden::app {
namespace {

const std::string one_rule = R"(version: 1
rules:
  - name: orders
    subjects: {namespaces: ["orders"]}
    collections: ["orders"]
    actions: [get]
)";

const std::string two_rules = one_rule + R"(  - name: audit
    subjects: {namespaces: ["audit"]}
    collections: ["orders/**"]
    actions: [read]
)";

// A fresh directory, removed at the end of the test.
struct TempDir {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("firewarden-reloader-" + std::to_string(std::random_device{}()));
  TempDir() { std::filesystem::create_directories(dir); }
  ~TempDir() { std::filesystem::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name, std::ios::trunc) << text;
    return (dir / name).string();
  }
};

struct PolicyFile : TempDir {
  std::filesystem::path path = dir / "policy.yaml";
  void write(const std::string& text) const { TempDir::write("policy.yaml", text); }
};

std::string reloads(const telemetry::Registry& metrics, const std::string& result) {
  const std::string series = "firewarden_policy_reloads_total{result=\"" + result + "\"} ";
  const std::string text = metrics.render();
  const auto at = text.find(series);
  if (at == std::string::npos) return "<absent>";
  return text.substr(at + series.size(), text.find('\n', at) - at - series.size());
}

TEST_CASE("PolicyWatcher: a changed file swaps the snapshot, a bad one keeps it") {
  PolicyFile file;
  proxy::PolicyStore store;
  telemetry::Registry metrics;
  telemetry::MetricCatalogue catalogue(metrics);
  PolicyWatcher watcher(file.path.string(), store, catalogue);
  CHECK(reloads(metrics, "success") == "0");
  CHECK(reloads(metrics, "failure") == "0");

  file.write(one_rule);
  REQUIRE(watcher.check());
  const auto first = store.current();
  REQUIRE(first != nullptr);
  CHECK(first->generation == 1);
  CHECK(first->rules == 1);

  SECTION("unchanged content: nothing is loaded") {
    CHECK_FALSE(watcher.check());
    CHECK(store.current() == first);
    CHECK(reloads(metrics, "success") == "1");
  }
  SECTION("new content: a new snapshot, the old one intact for whoever holds it") {
    file.write(two_rules);
    CHECK(watcher.check());
    const auto second = store.current();
    REQUIRE(second != nullptr);
    CHECK(second != first);
    CHECK(second->generation == 2);
    CHECK(second->rules == 2);
    CHECK(first->rules == 1);
    CHECK(store.last_error().empty());
    CHECK(reloads(metrics, "success") == "2");
  }
  SECTION("content that does not load: the snapshot in force stays, the error is kept") {
    file.write("version: 1\nrules:\n  - name: broken\n    effect: maybe\n");
    CHECK_FALSE(watcher.check());
    CHECK(store.current() == first);
    CHECK_FALSE(store.last_error().empty());
    CHECK(reloads(metrics, "failure") == "1");
    // The same bad file is reported once, not at every interval.
    CHECK_FALSE(watcher.check());
    CHECK(reloads(metrics, "failure") == "1");
    // Reverting to the content in force clears the error without a reload.
    file.write(one_rule);
    CHECK_FALSE(watcher.check());
    CHECK(store.current() == first);
    CHECK(store.last_error().empty());
  }
  SECTION("a file that is gone: the snapshot in force stays") {
    std::filesystem::remove(file.path);
    CHECK_FALSE(watcher.check());
    CHECK(store.current() == first);
    CHECK(store.last_error() == "cannot read " + file.path.string());
    CHECK(reloads(metrics, "failure") == "1");
  }
}

TEST_CASE("CertificateWatcher: a rotated certificate swaps the context, a broken one keeps it") {
  TempDir files;
  const auto first_identity = testing::make_self_signed("DNS:localhost");
  auto config = std::make_shared<config::Config>();
  config->identity.mode = config::IdentityMode::mtls;
  config->listener.tls = config::ListenerTls{files.write("tls.crt", first_identity.cert_pem),
                                             files.write("tls.key", first_identity.key_pem),
                                             files.write("ca.crt", first_identity.cert_pem)};
  telemetry::Registry metrics;
  telemetry::MetricCatalogue catalogue(metrics);
  CertificateWatcher watcher(config, catalogue);
  CHECK(watcher.context() == nullptr);
  CHECK(watcher.not_after() == 0);

  REQUIRE(watcher.check());
  const auto first = watcher.context();
  REQUIRE(first != nullptr);
  CHECK(watcher.not_after() > 0);
  CHECK(watcher.state().generation == 1);
  CHECK_FALSE(watcher.check());  // unchanged
  CHECK(watcher.context() == first);

  SECTION("a key that does not match the certificate: the context in force stays") {
    files.write("tls.key", testing::make_self_signed("DNS:localhost").key_pem);
    CHECK_FALSE(watcher.check());
    CHECK(watcher.context() == first);
    CHECK(watcher.state().generation == 1);
    CHECK_FALSE(watcher.state().last_error.empty());
  }
  SECTION("a new certificate and key: a new context") {
    const auto second_identity = testing::make_self_signed("DNS:localhost");
    files.write("tls.crt", second_identity.cert_pem);
    files.write("tls.key", second_identity.key_pem);
    CHECK(watcher.check());
    CHECK(watcher.context() != first);
    CHECK(watcher.state().generation == 2);
    CHECK(watcher.state().last_error.empty());
  }
}

}  // namespace
}  // namespace firewarden::app
