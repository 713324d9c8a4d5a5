// Hot reload (SPEC §11, issue 6) with the files laid out as Kubernetes
// mounts them: policy in a ConfigMap volume, serving certificate, key and
// client CA in a Secret volume, each a symlink into ..data that kubelet
// swaps with one rename(2). Real binary, real emulator.
#include <catch2/catch.hpp>
#include <csignal>
#include <regex>
#include <thread>

#include "support/admin_views.hpp"
#include "support/file_facts.hpp"
#include "support/firewarden_instance.hpp"
#include "support/persistent_connection.hpp"
#include "support/projected_volume.hpp"

using namespace firewarden::testing;

namespace {

// orders may read orders; with `items_writable`, it may also write items.
std::string policy_text(bool items_writable) {
  std::string text =
      "version: 1\nrules:\n  - name: orders-read-orders\n    subjects: {namespaces: [orders]}\n"
      "    collections: [orders]\n    actions: [read]\n";
  if (items_writable) {
    text +=
        "  - name: orders-write-items\n    subjects: {namespaces: [orders]}\n"
        "    collections: [items]\n    actions: [read, write]\n";
  }
  return text;
}

HttpRequestSpec create_item(const FirewardenInstance& fw, const std::string& id) {
  return json_post(fw.documents() + ":commit", R"({"writes":[{"update":{"name":")" +
                                                   fw.document_name("items/" + id) +
                                                   R"(","fields":{"n":{"integerValue":"1"}}}}]})");
}

std::uint64_t policy_generation(const FirewardenInstance& fw) {
  return status_json(fw)["policy"]["generation"].get<std::uint64_t>();
}

// How long until `predicate` holds, polling every 10 ms, at most `limit`.
template <typename Predicate>
std::optional<std::chrono::milliseconds> time_until(Predicate predicate,
                                                    std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (predicate()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("reload: ConfigMap ..data swap flips allowed to denied and back without restart") {
  TempDir dir;
  ProjectedVolume volume(dir.path() + "/policy");
  volume.publish({{"policy.yaml", policy_text(true)}});
  FirewardenInstance fw({.policy_file = volume.path("policy.yaml")});
  const auto pid = fw.process().pid();
  const auto& project = fw.options().project;

  REQUIRE(fw.request(create_item(fw, "i1")).status == 200);
  CHECK(emulator_get(project, "items/i1").status == 200);
  CHECK(policy_generation(fw) == 1);

  // allowed -> denied: the swap lands within a few reload intervals (200 ms).
  volume.publish({{"policy.yaml", policy_text(false)}});
  const auto to_denied =
      time_until([&] { return policy_generation(fw) == 2; }, std::chrono::seconds(3));
  REQUIRE(to_denied);
  WARN("denied policy in force after " << to_denied->count() << " ms (reload_interval 200 ms)");
  CHECK(*to_denied < std::chrono::milliseconds(1500));
  const auto denied = fw.request(create_item(fw, "i2"));
  CHECK(denied.status == 403);
  CHECK(emulator_get(project, "items/i2").status == 404);  // nothing reached Firestore

  // denied -> allowed.
  volume.publish({{"policy.yaml", policy_text(true)}});
  REQUIRE(eventually([&] { return policy_generation(fw) == 3; }, std::chrono::seconds(3)));
  CHECK(fw.request(create_item(fw, "i3")).status == 200);
  CHECK(emulator_get(project, "items/i3").status == 200);

  // The same process throughout, and the generation counter agrees.
  CHECK(fw.process().running());
  CHECK(fw.process().pid() == pid);
  CHECK(metric_value(fw, "firewarden_policy_generation") == 3);
  CHECK(metric_value(fw, "firewarden_policy_reloads_total", {{"result", "success"}}) == 3);
  CHECK(metric_value(fw, "firewarden_policy_reloads_total", {{"result", "failure"}}) == 0);
}

TEST_CASE("reload: /status names the policy in force by generation, sha256, load time, rules") {
  TempDir dir;
  ProjectedVolume volume(dir.path() + "/policy");
  volume.publish({{"policy.yaml", policy_text(false)}});
  FirewardenInstance fw({.policy_file = volume.path("policy.yaml")});
  auto policy = status_json(fw)["policy"];
  CHECK(policy["generation"] == 1);
  CHECK(policy["rules"] == 1);
  CHECK(policy["sha256"] == sha256_hex(policy_text(false)));
  CHECK(policy["file"] == volume.path("policy.yaml"));
  CHECK(policy["last_error"].is_null());
  // RFC 3339, UTC, taken when the file was loaded.
  const std::string loaded_at = policy["loaded_at"];
  CHECK(std::regex_match(loaded_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")));

  volume.publish({{"policy.yaml", policy_text(true)}});
  REQUIRE(eventually([&] { return policy_generation(fw) == 2; }, std::chrono::seconds(3)));
  policy = status_json(fw)["policy"];
  CHECK(policy["rules"] == 2);
  CHECK(policy["sha256"] == sha256_hex(read_file_bytes(volume.path("policy.yaml"))));
  CHECK(policy["sha256"] == sha256_hex(policy_text(true)));
  CHECK(policy["loaded_at"].get<std::string>() >= loaded_at);
}

TEST_CASE("reload: SIGHUP applies a new policy at once, long before reload_interval") {
  TempDir dir;
  ProjectedVolume volume(dir.path() + "/policy");
  volume.publish({{"policy.yaml", policy_text(false)}});
  FirewardenInstance fw({.policy_file = volume.path("policy.yaml"), .reload_interval = "1h"});
  CHECK(fw.request(create_item(fw, "i1")).status == 403);

  volume.publish({{"policy.yaml", policy_text(true)}});
  // No timer will notice within this test: the reload comes from SIGHUP.
  CHECK(policy_generation(fw) == 1);
  fw.process().signal(SIGHUP);
  const auto applied =
      time_until([&] { return policy_generation(fw) == 2; }, std::chrono::seconds(3));
  REQUIRE(applied);
  WARN("SIGHUP reload took " << applied->count() << " ms");
  CHECK(fw.request(create_item(fw, "i2")).status == 200);
  CHECK(emulator_get(fw.options().project, "items/i2").status == 200);
  // (log lines reach the file through a writer: wait for it, bounded)
  CHECK(eventually([&] { return fw.logs().find("SIGHUP") != std::string::npos; },
                   std::chrono::seconds(3)));
  CHECK(fw.process().running());
}

TEST_CASE("reload: an invalid policy is refused with FILE:LINE:COL, the last good one stays") {
  TempDir dir;
  ProjectedVolume volume(dir.path() + "/policy");
  volume.publish({{"policy.yaml", policy_text(true)}});
  FirewardenInstance fw({.policy_file = volume.path("policy.yaml")});
  const std::string good_sha256 = sha256_hex(policy_text(true));

  // Line 5, column 5: a key the policy language does not have.
  volume.publish({{"policy.yaml",
                   "version: 1\nrules:\n  - name: r1\n    subjects: {namespaces: [orders]}\n"
                   "    colections: [payments]\n    collections: [items]\n"
                   "    actions: [write]\n"}});
  REQUIRE(eventually(
      [&] {
        return metric_value(fw, "firewarden_policy_reloads_total", {{"result", "failure"}}) == 1;
      },
      std::chrono::seconds(3)));
  const auto policy = status_json(fw)["policy"];
  REQUIRE(policy["last_error"].is_string());
  const std::string error = policy["last_error"];
  CAPTURE(error);
  CHECK(error.starts_with(volume.path("policy.yaml") + ":5:5: "));
  CHECK(policy["generation"] == 1);
  CHECK(policy["sha256"] == good_sha256);
  // The diagnostic line may be written just after the count: wait for it.
  CHECK(eventually(
      [&] { return fw.logs().find(volume.path("policy.yaml") + ":5:5: ") != std::string::npos; },
      std::chrono::seconds(3)));

  // The last good policy still decides: items stay writable.
  CHECK(fw.request(create_item(fw, "i1")).status == 200);
  CHECK(emulator_get(fw.options().project, "items/i1").status == 200);
  // The same bad file is refused once, not every interval.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(metric_value(fw, "firewarden_policy_reloads_total", {{"result", "failure"}}) == 1);

  // A YAML syntax error is located too.
  volume.publish({{"policy.yaml", "version: 1\nrules: [\n"}});
  REQUIRE(eventually(
      [&] {
        return metric_value(fw, "firewarden_policy_reloads_total", {{"result", "failure"}}) == 2;
      },
      std::chrono::seconds(3)));
  const std::string syntax = status_json(fw)["policy"]["last_error"];
  CAPTURE(syntax);
  CHECK(std::regex_search(syntax, std::regex("^" + volume.path("policy.yaml") + R"(:\d+:\d+: )")));

  // Fixed: installed, and the error is gone.
  volume.publish({{"policy.yaml", policy_text(false)}});
  REQUIRE(eventually([&] { return policy_generation(fw) == 2; }, std::chrono::seconds(3)));
  CHECK(status_json(fw)["policy"]["last_error"].is_null());
  CHECK(fw.request(create_item(fw, "i2")).status == 403);
  CHECK(emulator_get(fw.options().project, "items/i2").status == 404);
}

TEST_CASE("reload: every request is answered while the policy is swapped again and again") {
  TempDir dir;
  ProjectedVolume volume(dir.path() + "/policy");
  volume.publish({{"policy.yaml", policy_text(true)}});
  FirewardenInstance fw({.policy_file = volume.path("policy.yaml"), .reload_interval = "100ms"});
  // The emulator's first answer for a project can take seconds: not part of
  // what is measured here.
  REQUIRE(fw.request({"GET", fw.documents() + "/items/missing", {}, {}}).status == 404);
  std::atomic<bool> done{false};
  std::atomic<int> answered{0};
  std::vector<std::string> unexpected;
  std::thread client([&] {
    PersistentConnection connection(fw.port());
    while (!done) {
      // A read of items: 404 (allowed, absent) or 403 (denied); never a
      // dropped connection or a 5xx while policies change under it.
      const auto response =
          connection.connected()
              ? connection.request({"GET", fw.documents() + "/items/missing", {}, {}})
              : fw.request({"GET", fw.documents() + "/items/missing", {}, {}});
      if (response.status == 404 || response.status == 403) {
        ++answered;
      } else {
        unexpected.push_back(std::to_string(response.status) + " " + response.error);
      }
    }
  });
  // At least 20 swaps, 20 answers and 5 policy generations, within 20 s.
  // (Swaps come faster than reload_interval, so two of them can cancel out
  // between checks; a slow build, say under sanitizers, needs more swaps.)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int i = 0; (i < 20 || answered <= 20 || policy_generation(fw) <= 5) &&
                  std::chrono::steady_clock::now() < deadline;
       ++i) {
    volume.publish({{"policy.yaml", policy_text(i % 2 == 1)}});
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
  }
  done = true;
  client.join();
  CAPTURE(unexpected);
  CHECK(unexpected.empty());
  CHECK(answered > 20);
  CHECK(policy_generation(fw) > 5);
  CHECK(metric_value(fw, "firewarden_policy_reloads_total", {{"result", "failure"}}) == 0);
}

TEST_CASE(
    "reload: certificate rotation in a Secret volume keeps old connections, new ones see it") {
  TempDir dir;
  ProjectedVolume secret(dir.path() + "/tls");
  const auto files = [](const std::string& cert, const std::string& key) {
    return std::map<std::string, std::string>{
        {"tls.crt", read_file_bytes(cert)},
        {"tls.key", read_file_bytes(key)},
        {"ca.crt", read_file_bytes(firewarden::testing::cert("ca"))}};
  };
  const std::string first = cert("server");
  const std::string second = cert("server2");
  const std::string first_key = certs_dir() + "/server.key";
  const std::string second_key = certs_dir() + "/server2.key";
  REQUIRE(certificate_sha256(first) != certificate_sha256(second));
  secret.publish(files(first, first_key));
  FirewardenInstance fw({.mode = "mtls",
                         .tls_cert_file = secret.path("tls.crt"),
                         .tls_key_file = secret.path("tls.key"),
                         .tls_client_ca_file = secret.path("ca.crt")});
  const HttpRequestSpec read{"GET", fw.documents() + "/orders/o1", {}, {}};

  // A long-lived keep-alive connection, opened before the rotation.
  PersistentConnection old_connection(fw.port(), client_tls("orders"));
  REQUIRE(old_connection.connected());
  CHECK(old_connection.server_certificate_sha256() == certificate_sha256(first));
  CHECK(old_connection.request(read).status == 404);
  auto certificate = status_json(fw)["certificate"];
  CHECK(certificate["sha256"] == certificate_sha256(first));
  CHECK(certificate["serial"] == certificate_serial(first));
  CHECK(certificate["generation"] == 1);

  secret.publish(files(second, second_key));
  REQUIRE(eventually([&] { return status_json(fw)["certificate"]["generation"] == 2; },
                     std::chrono::seconds(3)));
  certificate = status_json(fw)["certificate"];
  CHECK(certificate["sha256"] == certificate_sha256(second));
  CHECK(certificate["serial"] == certificate_serial(second));
  CHECK(certificate["last_error"].is_null());

  // New handshakes present the new certificate...
  PersistentConnection new_connection(fw.port(), client_tls("orders"));
  REQUIRE(new_connection.connected());
  CHECK(new_connection.server_certificate_sha256() == certificate_sha256(second));
  CHECK(new_connection.server_certificate_serial() == certificate_serial(second));
  CHECK(new_connection.request(read).status == 404);
  // ...and the old connection was not dropped: it keeps working.
  CHECK(old_connection.connected());
  CHECK(old_connection.request(read).status == 404);
  CHECK(old_connection.request(read).status == 404);

  // A certificate with a key that is not its own is refused: the rotated
  // certificate stays in use, the error is counted and shown.
  secret.publish(files(first, second_key));
  REQUIRE(eventually(
      [&] {
        return metric_value(fw, "firewarden_certificate_reloads_total", {{"result", "failure"}}) ==
               1;
      },
      std::chrono::seconds(3)));
  certificate = status_json(fw)["certificate"];
  CHECK(certificate["generation"] == 2);
  CHECK(certificate["sha256"] == certificate_sha256(second));
  REQUIRE(certificate["last_error"].is_string());
  const std::string refused = certificate["last_error"];
  CAPTURE(refused);
  CHECK_THAT(refused, Catch::Contains(secret.path("tls.key")));
  CHECK(std::regex_search(refused, std::regex("mismatch|does not match")));
  // Log lines reach stderr in batches (up to ~20 ms after the metric moved).
  CHECK(eventually([&] { return fw.logs().find("TLS reload refused") != std::string::npos; },
                   std::chrono::seconds(2)));
  PersistentConnection after_mismatch(fw.port(), client_tls("orders"));
  REQUIRE(after_mismatch.connected());
  CHECK(after_mismatch.server_certificate_sha256() == certificate_sha256(second));
  CHECK(after_mismatch.request(read).status == 404);
  CHECK(old_connection.request(read).status == 404);
  CHECK(fw.admin("/readyz").status == 200);
  CHECK(metric_value(fw, "firewarden_certificate_reloads_total", {{"result", "success"}}) == 2);
}

TEST_CASE("reload: a client CA bundle rotated alone decides who may connect from then on") {
  TempDir dir;
  ProjectedVolume secret(dir.path() + "/tls");
  const auto files = [](const std::string& client_ca) {
    return std::map<std::string, std::string>{
        {"tls.crt", read_file_bytes(cert("server"))},
        {"tls.key", read_file_bytes(certs_dir() + "/server.key")},
        {"ca.crt", read_file_bytes(cert(client_ca))}};
  };
  secret.publish(files("ca"));
  FirewardenInstance fw({.mode = "mtls",
                         .tls_cert_file = secret.path("tls.crt"),
                         .tls_key_file = secret.path("tls.key"),
                         .tls_client_ca_file = secret.path("ca.crt")});
  const HttpRequestSpec read{"GET", fw.documents() + "/orders/o1", {}, {}};
  // The status a new connection with `client`'s certificate gets, 0 when it
  // is refused (in TLS 1.3 the client's handshake ends before the server has
  // checked its certificate: the refusal shows on the first request).
  const auto new_connection_status = [&](const std::string& client) {
    PersistentConnection connection(fw.port(), client_tls(client));
    return connection.connected() ? connection.request(read).status : 0;
  };
  PersistentConnection old_connection(fw.port(), client_tls("orders"));
  REQUIRE(old_connection.connected());
  CHECK(old_connection.request(read).status == 404);
  CHECK(new_connection_status("rogue") == 0);  // signed by the other CA

  // Only ca.crt changes: the serving certificate stays, the trust bundle is
  // now the other CA's.
  secret.publish(files("other-ca"));
  REQUIRE(eventually([&] { return status_json(fw)["certificate"]["generation"] == 2; },
                     std::chrono::seconds(3)));
  CHECK(status_json(fw)["certificate"]["sha256"] == certificate_sha256(cert("server")));

  // Every new connection is checked against the new bundle (a full
  // handshake each time: nothing is resumed)...
  CHECK(new_connection_status("orders") == 0);
  CHECK(new_connection_status("rogue") != 0);
  // ...while a connection verified before the rotation keeps its identity.
  CHECK(old_connection.request(read).status == 404);
}
