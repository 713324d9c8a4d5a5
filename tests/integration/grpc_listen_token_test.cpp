// A Listen stream outlives the upstream token it was opened with only if
// nobody ends it: Firestore ends such a stream with UNAUTHENTICATED once the
// token has expired, which an SDK reads as its own credentials failing.
// firewarden ends it first, with UNAVAILABLE, so the SDK reconnects and the
// new stream gets a fresh token. Tested with short-lived tokens from the
// fake STS and an HTTPS HTTP/2 upstream that holds Listen streams open.
#include <catch2/catch.hpp>
#include <chrono>

#include "../unit/net/http2_test_server.hpp"
#include "fake_google/fake_google.hpp"
#include "support/firestore_messages.hpp"
#include "support/firewarden_instance.hpp"
#include "support/grpc_call.hpp"

using namespace firewarden::testing;
using namespace std::chrono_literals;

TEST_CASE("listen: a stream ends with UNAVAILABLE before its upstream token expires") {
  FakeGoogleThread peer;
  peer.google.set_token_lifetime(34s);  // the stream must end 30 s before expiry: at ~4 s
  firewarden::transport::test::ServerSetup setup;
  setup.tls = true;
  setup.require_client_certificate = false;
  firewarden::transport::test::RunningServer upstream(setup);

  TempDir dir;
  InstanceOptions options;
  options.upstream = "https://127.0.0.1:" + std::to_string(upstream.port());
  options.firestore_ca_file = firewarden::transport::test::cert_file();
  options.credentials = external_account_credentials(
      dir.write("credentials.json",
                peer.google.external_account_json(dir.write("subject-token", "eyJ.sub.sig"))),
      "refresh_margin: 20s, min_validity: 5s");
  options.policy_file = dir.write("policy.yaml", kOrdersReadPolicy);  // no impersonation
  FirewardenInstance fw(options);                                     // ready: a token is held

  GrpcBidiCall stream(fw.port(), "Listen");
  REQUIRE(stream.send(add_query_target(fw, "orders", 1)));
  const auto started = std::chrono::steady_clock::now();
  const auto status = stream.wait_status(20s);
  INFO(stream.transport_error() << " " << stream.status_message());
  CHECK(status == 14);  // UNAVAILABLE: SDKs reconnect
  CHECK_THAT(stream.status_message(), Catch::Contains("token is about to expire"));
  // Well before the token's expiry, and after the target was forwarded.
  CHECK(std::chrono::steady_clock::now() - started < 15s);
  CHECK(upstream.handler.streams >= 1);
  CHECK(peer.google.issued_tokens().size() >= 1);
}
