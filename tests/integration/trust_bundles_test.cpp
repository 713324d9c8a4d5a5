// mtls with two trust domains (SPIFFE federation, identity.trust_bundles):
// a client certificate is verified against the bundle of the trust domain
// in its own URI SAN, so neither CA can mint IDs of the other's trust
// domain; each bundle reloads on its own. Real binary, real emulator.
#include <catch2/catch.hpp>

#include "support/admin_views.hpp"
#include "support/file_facts.hpp"
#include "support/firewarden_instance.hpp"
#include "support/persistent_connection.hpp"
#include "support/projected_volume.hpp"
#include "support/run_binary.hpp"

using namespace firewarden::testing;

namespace {

constexpr const char* kOrders = "spiffe://cluster.local/ns/orders/sa/orders-api";
constexpr const char* kInvoices = "spiffe://partner.example/ns/billing/sa/invoices";

// Each workload may write only its own collection, named by its whole ID.
std::string write_policy(const TempDir& dir) {
  return dir.write("policy.yaml", std::string("version: 1\nrules:\n") +
                                      "  - name: orders-own-orders\n"
                                      "    subjects: {principals: [\"" +
                                      kOrders +
                                      "\"]}\n"
                                      "    collections: [orders]\n"
                                      "    actions: [read, write]\n"
                                      "  - name: partner-own-invoices\n"
                                      "    subjects: {principals: [\"" +
                                      kInvoices +
                                      "\"]}\n"
                                      "    collections: [invoices]\n"
                                      "    actions: [read, write]\n");
}

InstanceOptions federation(const std::string& policy_file, const std::string& partner_bundle) {
  return InstanceOptions{.mode = "mtls",
                         .policy_file = policy_file,
                         .trust_domains = "[cluster.local, partner.example]",
                         .trust_bundles = "{cluster.local: " + cert("ca") +
                                          ", partner.example: " + partner_bundle + "}"};
}

HttpRequestSpec commit(const FirewardenInstance& fw, const std::string& path) {
  return json_post(fw.documents() + ":commit", R"({"writes":[{"update":{"name":")" +
                                                   fw.document_name(path) +
                                                   R"(","fields":{"n":{"integerValue":"1"}}}}]})");
}

double handshake_failures(const FirewardenInstance& fw, const std::string& reason) {
  return metric_value(fw, "firewarden_tls_handshake_failures_total", {{"reason", reason}});
}

// Counted when the server's side of the handshake ends, which may be just
// after the client's.
bool counted(const FirewardenInstance& fw, const std::string& reason, double expected) {
  return eventually([&] { return handshake_failures(fw, reason) == expected; },
                    std::chrono::seconds(5));
}

}  // namespace

TEST_CASE("trust bundles: each trust domain's own CA authenticates its own IDs") {
  TempDir dir;
  FirewardenInstance fw(federation(write_policy(dir), cert("partner-ca")));
  const auto& project = fw.options().project;

  CHECK(fw.request(commit(fw, "orders/o1"), client_tls("orders")).status == 200);
  CHECK(emulator_get(project, "orders/o1").status == 200);
  CHECK(fw.request(commit(fw, "invoices/i1"), client_tls("partner")).status == 200);
  CHECK(emulator_get(project, "invoices/i1").status == 200);

  // Each is the identity its own bundle vouches for: the partner is not
  // granted orders.
  const auto denied = fw.request(commit(fw, "orders/o2"), client_tls("partner"));
  CHECK(denied.status == 403);
  CHECK_THAT(denied.body, Catch::Contains(kInvoices));
  CHECK(emulator_get(project, "orders/o2").status == 404);
}

TEST_CASE("trust bundles: a CA cannot mint IDs of another trust domain") {
  TempDir dir;
  FirewardenInstance fw(federation(write_policy(dir), cert("partner-ca")));
  const auto& project = fw.options().project;

  // The partner's CA signs a cluster.local ID: verified against the
  // cluster.local bundle only, it is refused, and nothing reaches Firestore.
  CHECK(fw.request(commit(fw, "orders/minted"), client_tls("partner-minted")).status == 0);
  CHECK(emulator_get(project, "orders/minted").status == 404);
  CHECK(counted(fw, "foreign_trust_domain_ca", 1));

  // The other way round: the cluster.local CA signs a partner ID.
  CHECK(fw.request(commit(fw, "invoices/minted"), client_tls("ca-minted-partner")).status == 0);
  CHECK(emulator_get(project, "invoices/minted").status == 404);
  CHECK(counted(fw, "foreign_trust_domain_ca", 2));

  // A CA in neither bundle, and a trust domain without a bundle.
  CHECK(fw.request(commit(fw, "orders/rogue"), client_tls("rogue")).status == 0);
  CHECK(emulator_get(project, "orders/rogue").status == 404);
  CHECK(counted(fw, "unknown_ca", 1));
  CHECK(fw.request(commit(fw, "orders/foreign"), client_tls("foreign-td")).status == 0);
  CHECK(emulator_get(project, "orders/foreign").status == 404);
  CHECK(counted(fw, "untrusted_trust_domain", 1));

  // Each refusal is in the access log with its reason.
  CHECK(eventually(
      [&] {
        return fw.access_log().find(R"("error":"foreign_trust_domain_ca")") != std::string::npos;
      },
      std::chrono::seconds(2)));
  // Genuine IDs still work on the same listener afterwards.
  CHECK(fw.request(commit(fw, "orders/o3"), client_tls("orders")).status == 200);
  CHECK(fw.request(commit(fw, "invoices/i3"), client_tls("partner")).status == 200);
}

TEST_CASE("trust bundles: one bundle rotated alone decides its trust domain from then on") {
  TempDir dir;
  ProjectedVolume partner_bundle(dir.path() + "/partner-bundle");
  partner_bundle.publish({{"bundle.pem", read_file_bytes(cert("partner-ca"))}});
  FirewardenInstance fw(federation(write_policy(dir), partner_bundle.path("bundle.pem")));
  const HttpRequestSpec read_invoice{"GET", fw.documents() + "/invoices/none", {}, {}};
  const HttpRequestSpec read_order{"GET", fw.documents() + "/orders/none", {}, {}};
  // The status a new connection with `client`'s certificate gets; 0 when
  // refused (in TLS 1.3 the refusal shows on the first request).
  const auto status_for = [&](const std::string& client, const HttpRequestSpec& read) {
    PersistentConnection connection(fw.port(), client_tls(client));
    return connection.connected() ? connection.request(read).status : 0;
  };
  CHECK(status_for("partner", read_invoice) == 404);
  CHECK(status_for("partner-next", read_invoice) == 0);
  PersistentConnection old_connection(fw.port(), client_tls("partner"));
  REQUIRE(old_connection.connected());
  CHECK(old_connection.request(read_invoice).status == 404);

  // Only the partner's bundle changes, to its next CA.
  partner_bundle.publish({{"bundle.pem", read_file_bytes(cert("partner-ca-next"))}});
  REQUIRE(eventually([&] { return status_json(fw)["certificate"]["generation"] == 2; },
                     std::chrono::seconds(3)));
  CHECK(status_for("partner", read_invoice) == 0);
  CHECK(status_for("partner-next", read_invoice) == 404);
  // The other trust domain's bundle is untouched...
  CHECK(status_for("orders", read_order) == 404);
  CHECK(status_for("partner-minted", read_order) == 0);
  // ...and a connection verified before the rotation keeps its identity.
  CHECK(old_connection.request(read_invoice).status == 404);
  CHECK(metric_value(fw, "firewarden_certificate_reloads_total", {{"result", "failure"}}) == 0);
}

namespace {

// An mtls config for `firewarden check`, with the development certificates.
std::string check_config(const std::string& policy_file, const std::string& identity,
                         const std::string& tls_extra) {
  return "listener:\n  address: \"127.0.0.1:0\"\n  tls:\n    cert_file: " + cert("server") +
         "\n    key_file: " + certs_dir() + "/server.key\n" + tls_extra +
         "identity:\n  mode: mtls\n" + identity + "policy:\n  file: " + policy_file +
         "\nfirestore: {endpoint: \"http://127.0.0.1:8080\", project: p}\n"
         "credentials: {type: static, token: owner}\n";
}

}  // namespace

TEST_CASE("trust bundles: check refuses several trust domains with one client_ca_file") {
  TempDir dir;
  const std::string policy = write_policy(dir);
  // Lines: 1 listener, 2 address, 3 tls, 4 cert, 5 key, 6 client_ca_file,
  // 7 identity, 8 mode, 9 trust_domains.
  const std::string path = dir.write(
      "firewarden.yaml", check_config(policy, "  trust_domains: [cluster.local, partner.example]\n",
                                      "    client_ca_file: " + cert("ca") + "\n"));
  const auto refused = run_firewarden({"check", "--config", path});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains(path + ":9:18: identity.trust_domains: 2 trust domains"));

  const std::string good =
      dir.write("good.yaml",
                check_config(policy,
                             "  trust_domains: [cluster.local, partner.example]\n  trust_bundles:\n"
                             "    cluster.local: " +
                                 cert("ca") + "\n    partner.example: " + cert("partner-ca") + "\n",
                             ""));
  const auto accepted = run_firewarden({"check", "--config", good});
  CHECK(accepted.err.empty());
  CHECK(accepted.exit_code == 0);
}

TEST_CASE("trust bundles: check verifies each bundle, reported at its own key") {
  TempDir dir;
  const std::string policy = write_policy(dir);
  const std::string empty = dir.write("empty.pem", "");
  const std::string identity =
      "  trust_domains: [cluster.local, partner.example]\n"
      "  trust_bundles:\n    cluster.local: " +
      cert("ca") + "\n    partner.example: ";
  // Line 11: partner.example's bundle, its value at column 22.
  const std::string missing =
      dir.write("missing.yaml", check_config(policy, identity + dir.path() + "/nope.pem\n", ""));
  const auto unreadable = run_firewarden({"check", "--config", missing});
  CHECK(unreadable.exit_code == 1);
  CHECK_THAT(
      unreadable.err,
      Catch::Contains(missing + ":11:22: identity.trust_bundles.partner.example: cannot read"));

  const std::string no_certificate =
      dir.write("empty.yaml", check_config(policy, identity + empty + "\n", ""));
  const auto refused = run_firewarden({"check", "--config", no_certificate});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err,
             Catch::Contains(no_certificate +
                             ":11:22: identity.trust_bundles.partner.example: " + empty + ": "));
}
