// A Listen stream lives for minutes to hours; certificate rotation and
// upstream token refresh happen meanwhile and must not touch it. Real
// binary in mtls mode, its serving certificate in a Secret-like volume,
// tokens from the fake STS, and the real emulator behind a TLS relay
// (firewarden sends Google tokens only over https). The stream opened
// before the rotation and before the refresh still delivers later changes
// and is never removed nor ended; new connections see the new certificate
// and are served.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>

#include "fake_google/fake_google.hpp"
#include "support/admin_views.hpp"
#include "support/file_facts.hpp"
#include "support/firestore_messages.hpp"
#include "support/firewarden_instance.hpp"
#include "support/grpc_call.hpp"
#include "support/listen_responses.hpp"
#include "support/persistent_connection.hpp"
#include "support/projected_volume.hpp"
#include "support/tls_relay.hpp"

using namespace firewarden::testing;
using namespace std::chrono_literals;

namespace {

// The serving certificate NAME.pem and its key, as a Secret volume holds them.
std::map<std::string, std::string> serving_files(const std::string& name) {
  return {{"tls.crt", read_file_bytes(cert(name))},
          {"tls.key", read_file_bytes(certs_dir() + "/" + name + ".key")},
          {"ca.crt", read_file_bytes(cert("ca"))}};
}

// Writes `path` into the emulator directly (another client) and waits for
// `stream` to deliver it; false if it did not come, or if anything on the
// way removed a target or the stream ended.
bool delivers_change(const FirewardenInstance& fw, GrpcBidiCall& stream, const std::string& path) {
  emulator_put(fw.options().project, path, R"({"n":{"integerValue":"1"}})");
  bool disturbed = false;
  const auto change = wait_for(
      stream, document_named(fw.document_name(path)),
      [&](const ListenEvent& event) {
        if (event.kind == ListenEvent::Kind::target_change && event.change_type == 2) {
          disturbed = true;  // REMOVE
        }
      },
      10s);
  UNSCOPED_INFO(path << ": " << stream.transport_error() << " " << stream.status_message());
  return change.has_value() && !disturbed;
}

double token_refreshes(const FirewardenInstance& fw) {
  return metric_value(fw, "firewarden_token_refreshes_total",
                      {{"result", "success"}, {"principal", "default"}});
}

}  // namespace

TEST_CASE("listen: certificate rotation and token refresh leave an open stream undisturbed") {
  FakeGoogleThread peer;
  // Tokens live 90 s and are refreshed 80 s before they expire: a refresh
  // about every 10 s. A stream ends 30 s before the token it was opened
  // with expires, ~60 s after that token was issued; this test is done
  // long before (asserted at the end), so any end of the stream is a
  // disturbance.
  peer.google.set_token_lifetime(90s);
  TlsRelay upstream(emulator_port(), cert("server"), certs_dir() + "/server.key");
  TempDir dir;
  ProjectedVolume secret(dir.path() + "/tls");
  REQUIRE(certificate_sha256(cert("server")) != certificate_sha256(cert("server2")));
  secret.publish(serving_files("server"));
  InstanceOptions options;
  options.mode = "mtls";
  options.tls_cert_file = secret.path("tls.crt");
  options.tls_key_file = secret.path("tls.key");
  options.tls_client_ca_file = secret.path("ca.crt");
  options.upstream = upstream.url();
  options.firestore_ca_file = cert("ca");
  options.credentials = external_account_credentials(
      dir.write("credentials.json",
                peer.google.external_account_json(dir.write("subject-token", "eyJ.sub.sig"))),
      "refresh_margin: 80s, min_validity: 5s");
  options.policy_file = dir.write("policy.yaml", kOrdersReadPolicy);  // no impersonation
  const auto started = std::chrono::steady_clock::now();  // before the first token is issued
  FirewardenInstance fw(options);                         // ready: a token is held
  emulator_put(fw.options().project, "orders/a1", R"({"n":{"integerValue":"1"}})");

  GrpcBidiCall stream(fw.port(), "Listen", {}, true, client_tls("orders"));
  REQUIRE(stream.send(add_query_target(fw, "orders", 1)));
  CHECK(wait_for(stream, document_named(fw.document_name("orders/a1"))));
  REQUIRE(wait_for(stream, current(1)));
  REQUIRE(upstream.connections() >= 1);  // the target went through the relay

  // (a) The serving certificate rotates: new handshakes present it...
  secret.publish(serving_files("server2"));
  REQUIRE(eventually([&] { return status_json(fw)["certificate"]["generation"] == 2; }, 3s));
  PersistentConnection after_rotation(fw.port(), client_tls("orders"));
  REQUIRE(after_rotation.connected());
  CHECK(after_rotation.server_certificate_sha256() == certificate_sha256(cert("server2")));
  // ...and the stream opened on the old one goes on.
  CHECK(delivers_change(fw, stream, "orders/after-rotation"));

  // (b) The token broker refreshes its token while the stream is open.
  const auto issued = peer.google.issued_tokens().size();
  const auto refreshed = token_refreshes(fw);
  REQUIRE(eventually([&] { return peer.google.issued_tokens().size() > issued; }, 25s));
  REQUIRE(eventually([&] { return token_refreshes(fw) > refreshed; }, 3s));
  CHECK(delivers_change(fw, stream, "orders/after-refresh"));

  // A new connection after both, on the new certificate, is served.
  GrpcBidiCall second(fw.port(), "Listen", {}, true, client_tls("orders"));
  REQUIRE(second.send(add_query_target(fw, "orders", 7)));
  CHECK(wait_for(second, current(7)));

  // The first stream never ended, and the test stayed clear of its token end.
  CHECK_FALSE(stream.wait_status(0ms));
  CHECK(stream.transport_error().empty());
  CHECK(std::chrono::steady_clock::now() - started < 50s);
  REQUIRE(stream.half_close());
  CHECK(stream.wait_status(10s) == 0);
}
