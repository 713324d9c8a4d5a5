// impersonation_required (policy, top level): a caller that matches no
// impersonation entry is refused with 403 and never forwarded with
// firewarden's own Google identity. External-account credentials against a
// local fake STS and IAM Credentials; the HTTPS recording upstream shows what
// was forwarded, and with which token.
#include <catch2/catch.hpp>

#include "fake_google/fake_google.hpp"
#include "support/firewarden_instance.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;

namespace {

constexpr const char* kOrdersAccount = "orders-rw@my-project.iam.gserviceaccount.com";

// Orders and billing may both read orders; only orders has an account.
constexpr const char* kPolicy = R"(version: 1
impersonation_required: true
rules:
  - name: read-orders
    subjects: {namespaces: [orders, billing]}
    collections: [orders]
    actions: [read]
impersonation:
  - namespaces: [orders]
    service_account: orders-rw@my-project.iam.gserviceaccount.com
)";

std::string write_credential_file(const TempDir& dir, const FakeGoogle& google) {
  return dir.write("credentials.json", google.external_account_json(
                                           dir.write("subject-token", "header.payload.signature")));
}

HttpRequestSpec get_as(const FirewardenInstance& fw, const std::string& path,
                       const std::string& spiffe_id) {
  return {
      "GET", fw.documents() + "/" + path, {}, {{"x-forwarded-client-cert", "URI=" + spiffe_id}}};
}

}  // namespace

TEST_CASE("impersonation_required: no matching entry is 403, nothing forwarded") {
  // Audit mode forwards what the rules deny, but never with firewarden's own
  // identity when the policy requires impersonation.
  const std::string enforcement = GENERATE(std::string("enforce"), std::string("audit"));
  CAPTURE(enforcement);
  FakeGoogleThread peer;
  TempDir dir;
  RecordingUpstream upstream(UpstreamTlsFiles{cert("server"), certs_dir() + "/server.key"});
  FirewardenInstance fw({
      .mode = "xfcc",
      .upstream = upstream.url(),
      .policy_file = dir.write("policy.yaml", kPolicy),
      .enforcement = enforcement,
      .credentials = external_account_credentials(write_credential_file(dir, peer.google)),
      .firestore_ca_file = cert("ca"),
      .env = {{"FIREWARDEN_IAM_CREDENTIALS_ENDPOINT", peer.google.iam_endpoint()}},
  });

  // Billing is allowed by the rules, but no entry names it.
  const auto refused =
      fw.request(get_as(fw, "orders/o1", "spiffe://cluster.local/ns/billing/sa/api"));
  CHECK(refused.status == 403);
  CHECK_THAT(refused.body, Catch::Contains("\"status\":\"PERMISSION_DENIED\""));
  CHECK_THAT(refused.body, Catch::Contains("no impersonation entry matches"));
  CHECK(upstream.requests().empty());
  CHECK(peer.google.count(Endpoint::iam) == 0);

  // Orders has an entry: forwarded with that account's token.
  const auto served =
      fw.request(get_as(fw, "orders/o1", "spiffe://cluster.local/ns/orders/sa/api"));
  CHECK(served.status == 200);
  REQUIRE(upstream.requests().size() == 1);
  const auto calls = peer.google.requests(Endpoint::iam);
  REQUIRE(calls.size() == 1);
  CHECK(calls.back().service_account() == kOrdersAccount);
  CHECK(upstream.requests().back().header("authorization") ==
        "Bearer " + peer.google.issued_tokens().back());
}
