// mtls mode: the client certificate's SVID is the identity; every refused
// certificate shape of SPEC §3 is refused and reaches nothing.
#include <catch2/catch.hpp>

#include "support/firewarden_instance.hpp"
#include "support/persistent_connection.hpp"

using namespace firewarden::testing;

namespace {

HttpRequestSpec commit(const FirewardenInstance& fw, const std::string& path) {
  return json_post(fw.documents() + ":commit", R"({"writes":[{"update":{"name":")" +
                                                   fw.document_name(path) +
                                                   R"(","fields":{"n":{"integerValue":"1"}}}}]})");
}

}  // namespace

TEST_CASE("mtls: orders may write orders, analytics may read but not write") {
  FirewardenInstance fw({.mode = "mtls"});
  CHECK(fw.request(commit(fw, "orders/o1"), client_tls("orders")).status == 200);
  CHECK(emulator_get(fw.options().project, "orders/o1").status == 200);

  const auto read =
      fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}, client_tls("analytics"));
  CHECK(read.status == 200);

  const auto write = fw.request(commit(fw, "orders/o9"), client_tls("analytics"));
  CHECK(write.status == 403);
  CHECK_THAT(write.body, Catch::Contains("spiffe://cluster.local/ns/analytics/sa/reporter"));
  CHECK(emulator_get(fw.options().project, "orders/o9").status == 404);
}

TEST_CASE("mtls: certificates that fail the handshake reach nothing") {
  FirewardenInstance fw({.mode = "mtls"});
  for (const std::string name : {"rogue", "expired"}) {
    CAPTURE(name);
    const auto response = fw.request(commit(fw, "orders/" + name), client_tls(name));
    CHECK(response.status == 0);  // no HTTP response at all
    CHECK(emulator_get(fw.options().project, "orders/" + name).status == 404);
  }
  TlsClientFiles no_certificate{cert("ca"), "", ""};
  const auto response = fw.request(commit(fw, "orders/none"), no_certificate);
  CHECK(response.status == 0);
  CHECK(emulator_get(fw.options().project, "orders/none").status == 404);

  // Counted when the server's side of the handshake ends, which may be just
  // after the client's.
  for (const std::string reason : {"unknown_ca", "certificate_expired", "no_client_certificate"}) {
    CAPTURE(reason);
    const std::string counted =
        "firewarden_tls_handshake_failures_total{reason=\"" + reason + "\"} 1";
    CHECK(eventually([&] { return fw.admin("/metrics").body.find(counted) != std::string::npos; },
                     std::chrono::seconds(5)));
  }
}

// The leaf's SPIFFE ID names the trust domain whose bundle verifies it, so a
// leaf that is no acceptable X.509-SVID (or names a trust domain without a
// bundle) has nothing to be verified against: the handshake ends, as with
// Envoy's SPIFFE validator.
TEST_CASE("mtls: certificates that are no acceptable SVID end the handshake, with the reason") {
  FirewardenInstance fw({.mode = "mtls"});
  struct Case {
    std::string cert;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{{"foreign-td", "untrusted_trust_domain"},
                                         {"partner", "untrusted_trust_domain"},
                                         {"two-uris", "multiple_uri_sans"},
                                         {"ca-leaf", "ca_certificate"},
                                         {"no-uri", "no_uri_san"}}) {
    CAPTURE(c.cert);
    const auto response = fw.request(commit(fw, "orders/" + c.cert), client_tls(c.cert));
    CHECK(response.status == 0);  // no HTTP response at all
    CHECK(emulator_get(fw.options().project, "orders/" + c.cert).status == 404);
  }
  for (const auto& [reason, count] :
       std::vector<std::pair<std::string, int>>{{"untrusted_trust_domain", 2},
                                                {"multiple_uri_sans", 1},
                                                {"ca_certificate", 1},
                                                {"no_uri_san", 1}}) {
    CAPTURE(reason);
    const std::string counted = "firewarden_tls_handshake_failures_total{reason=\"" + reason +
                                "\"} " + std::to_string(count);
    CHECK(eventually([&] { return fw.admin("/metrics").body.find(counted) != std::string::npos; },
                     std::chrono::seconds(5)));
  }
}

TEST_CASE("mtls: an SVID whose path does not fit path_template gets 401 off_template") {
  FirewardenInstance fw({.mode = "mtls"});
  // A valid SVID of a trusted domain: the handshake completes, and the
  // identity rules refuse every request on the connection.
  const auto response = fw.request(commit(fw, "orders/off-template"), client_tls("off-template"));
  CHECK(response.status == 401);
  CHECK_THAT(response.body, Catch::Contains("UNAUTHENTICATED"));
  CHECK_THAT(response.body, Catch::Contains("off_template"));
  CHECK(emulator_get(fw.options().project, "orders/off-template").status == 404);
  const std::string counted = "firewarden_tls_handshake_failures_total{reason=\"off_template\"} 1";
  CHECK(eventually([&] { return fw.admin("/metrics").body.find(counted) != std::string::npos; },
                   std::chrono::seconds(5)));
}

// Identity comes from the chain verified in each full handshake; a resumed
// session would skip that. So no session is offered for resumption: no TLS
// 1.3 ticket (nor a session id to look up) reaches the client.
TEST_CASE("mtls: no connection is offered a session to resume") {
  FirewardenInstance fw({.mode = "mtls"});
  PersistentConnection connection(fw.port(), client_tls("orders"));
  REQUIRE(connection.connected());
  // Tickets would arrive after the handshake: read a response first.
  CHECK(connection.request({"GET", fw.documents() + "/orders/none", {}, {}}).status == 404);
  CHECK(connection.request({"GET", fw.documents() + "/orders/none", {}, {}}).status == 404);
  CHECK_FALSE(connection.session_resumable());
}
