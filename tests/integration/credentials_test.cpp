// Credentials end to end (issue 5, SPEC §2 `credentials`, §4 `impersonation`,
// §6, §7): the real binary with an external_account credential file gets its
// Google access token from a local fake STS (and IAM Credentials for
// impersonation), and the HTTPS recording upstream shows which token each
// request carried. A token outage is 503 UNAVAILABLE and not ready.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fake_google/fake_google.hpp"
#include "support/firewarden_instance.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;
using json = nlohmann::json;

namespace {

constexpr const char* kAudience =
    "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/"
    "pool/providers/kubernetes";
constexpr const char* kSubjectToken = "eyJhbGciOiJSUzI1NiJ9.projected-sa-token.signature";
constexpr const char* kDatastore = "https://www.googleapis.com/auth/datastore";
constexpr const char* kCloudPlatform = "https://www.googleapis.com/auth/cloud-platform";
constexpr const char* kOrdersAccount = "orders-rw@my-project.iam.gserviceaccount.com";
constexpr const char* kAnalyticsAccount = "analytics-ro@my-project.iam.gserviceaccount.com";
constexpr const char* kOrdersId = "spiffe://cluster.local/ns/orders/sa/orders-api";
constexpr const char* kAnalyticsId = "spiffe://cluster.local/ns/analytics/sa/reporter";

// A workload identity federation credential file, as
// `gcloud iam workload-identity-pools create-cred-config` writes it, whose
// subject token is a file (a projected Kubernetes service-account token).
std::string write_credential_file(const TempDir& dir, const FakeGoogle& google,
                                  const std::string& impersonate = "") {
  json file = {
      {"type", "external_account"},
      {"audience", kAudience},
      {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
      {"token_url", google.sts_token_url()},
      {"credential_source", {{"file", dir.write("subject-token", kSubjectToken)}}},
  };
  if (!impersonate.empty()) {
    file["service_account_impersonation_url"] = google.impersonation_url(impersonate);
  }
  return dir.write("credentials.json", file.dump(2));
}

// HTTPS upstream with the development server certificate (SAN IP:127.0.0.1).
UpstreamTlsFiles dev_server_tls() {
  return UpstreamTlsFiles{cert("server"), certs_dir() + "/server.key"};
}

InstanceOptions external_account_options(const RecordingUpstream& upstream,
                                         const std::string& credential_file) {
  InstanceOptions options;
  options.upstream = upstream.url();
  options.firestore_ca_file = cert("ca");
  options.credentials = external_account_credentials(credential_file);
  return options;
}

HttpRequestSpec get_as(const FirewardenInstance& fw, const std::string& path,
                       const std::string& spiffe_id) {
  return {
      "GET", fw.documents() + "/" + path, {}, {{"x-forwarded-client-cert", "URI=" + spiffe_id}}};
}

std::string bearer(const UpstreamRequest& request) { return request.header("authorization"); }

// Everything firewarden logged, once the access lines of `requests` requests
// are written (each is written after its response has been sent).
std::string all_logs(const FirewardenInstance& fw, std::size_t requests) {
  eventually(
      [&] {
        const auto text = fw.access_log();
        return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) >= requests;
      },
      std::chrono::seconds(5));
  return fw.logs() + fw.access_log();
}

}  // namespace

TEST_CASE("credentials: the token from the STS exchange is the bearer token upstream") {
  FakeGoogleThread peer;
  peer.google.set_expected_subject_token(kSubjectToken);  // any other is invalid_grant
  TempDir dir;
  RecordingUpstream upstream(dev_server_tls());
  auto options = external_account_options(upstream, write_credential_file(dir, peer.google));
  options.policy_file = dir.write("policy.yaml", kOrdersReadPolicy);
  FirewardenInstance fw(options);  // ready: the base token is held

  const HttpRequestSpec get_order{
      "GET", fw.documents() + "/orders/o1", {}, {{"authorization", "Bearer client-token"}}};
  for (int i = 0; i < 3; ++i) REQUIRE(fw.request(get_order).status == 200);

  // One exchange, with the subject token read from credential_source.file.
  const auto exchanges = peer.google.requests(Endpoint::sts);
  REQUIRE(exchanges.size() == 1);
  CHECK(exchanges[0].answered == 200);
  CHECK(exchanges[0].form().at("subject_token") == kSubjectToken);
  CHECK(exchanges[0].form().at("audience") == kAudience);
  // Exactly credentials.scopes: no cloud-platform on a token sent to Firestore.
  CHECK(exchanges[0].scopes() == std::vector<std::string>{kDatastore});
  const auto issued = peer.google.issued_tokens();
  REQUIRE(issued.size() == 1);

  // Every request went upstream over TLS with exactly that token, never the
  // client's own.
  const auto seen = upstream.requests();
  REQUIRE(seen.size() == 3);
  for (const auto& request : seen) {
    CHECK(request.headers.count("authorization") == 1);
    CHECK(bearer(request) == "Bearer " + issued[0]);
  }
  CHECK(peer.google.count(Endpoint::iam) == 0);
  const std::string logs = all_logs(fw, 3);
  CHECK_THAT(logs, !Catch::Contains(issued[0]));
  CHECK_THAT(logs, !Catch::Contains(kSubjectToken));
}

TEST_CASE("credentials: the credential file's own service account impersonation") {
  FakeGoogleThread peer;
  TempDir dir;
  const std::string account = "firewarden@my-project.iam.gserviceaccount.com";
  RecordingUpstream upstream(dev_server_tls());
  auto options =
      external_account_options(upstream, write_credential_file(dir, peer.google, account));
  options.policy_file = dir.write("policy.yaml", kOrdersReadPolicy);
  FirewardenInstance fw(options);

  REQUIRE(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);

  // STS first, then generateAccessToken for the file's account, called with
  // the federated token; upstream gets the impersonated token.
  const auto issued = peer.google.issued_tokens();
  REQUIRE(issued.size() == 2);
  const auto calls = peer.google.requests(Endpoint::iam);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].service_account() == account);
  CHECK(calls[0].headers.at("authorization") == "Bearer " + issued[0]);
  // The federated token only calls IAM (cloud-platform); the token sent to
  // Firestore has exactly credentials.scopes.
  CHECK(peer.google.requests(Endpoint::sts).at(0).scopes() ==
        std::vector<std::string>{kCloudPlatform});
  CHECK(calls[0].scopes() == std::vector<std::string>{kDatastore});
  const auto seen = upstream.requests();
  REQUIRE(seen.size() == 1);
  CHECK(bearer(seen[0]) == "Bearer " + issued[1]);
}

TEST_CASE("credentials: per-namespace impersonation picks the caller's Google service account") {
  FakeGoogleThread peer;
  TempDir dir;
  RecordingUpstream upstream(dev_server_tls());
  auto options = external_account_options(upstream, write_credential_file(dir, peer.google));
  options.mode = "xfcc";
  // config/policy.example.yaml: orders -> orders-rw@…, analytics -> analytics-ro@….
  // IAM Credentials at the fake (the test hook; plain http).
  options.env = {{"FIREWARDEN_IAM_CREDENTIALS_ENDPOINT", peer.google.iam_endpoint()}};
  FirewardenInstance fw(options);
  REQUIRE(peer.google.count(Endpoint::sts) == 1);
  const std::string base_token = peer.google.issued_tokens().at(0);
  CHECK(peer.google.requests(Endpoint::sts).at(0).scopes() == std::vector<std::string>{kDatastore});
  // The token that calls IAM Credentials: the second exchange, cloud-platform
  // only, made when the first caller is impersonated.
  const auto caller_token = [&] {
    const auto exchanges = peer.google.requests(Endpoint::sts);
    REQUIRE(exchanges.size() == 2);
    CHECK(exchanges[1].scopes() == std::vector<std::string>{kCloudPlatform});
    return peer.google.issued_tokens().at(1);
  };

  // Sequential requests, so the token issued last belongs to the account of
  // the generateAccessToken call made last.
  const auto impersonated_for = [&](const std::string& spiffe_id, const std::string& account) {
    const auto before = peer.google.count(Endpoint::iam);
    const auto response = fw.request(get_as(fw, "orders/o1", spiffe_id));
    REQUIRE(response.status == 200);
    const auto calls = peer.google.requests(Endpoint::iam);
    REQUIRE(calls.size() == before + 1);
    CHECK(calls.back().service_account() == account);
    CHECK(calls.back().answered == 200);
    CHECK(calls.back().headers.at("authorization") == "Bearer " + caller_token());
    const json body = json::parse(calls.back().body);
    CHECK(body.at("scope") == json::array({kDatastore}));  // exactly credentials.scopes
    return peer.google.issued_tokens().back();
  };
  const std::string orders_token = impersonated_for(kOrdersId, kOrdersAccount);
  CHECK(bearer(upstream.requests().back()) == "Bearer " + orders_token);
  const std::string analytics_token = impersonated_for(kAnalyticsId, kAnalyticsAccount);
  CHECK(bearer(upstream.requests().back()) == "Bearer " + analytics_token);
  CHECK(orders_token != analytics_token);
  CHECK(orders_token != base_token);
  CHECK(caller_token() != base_token);

  // Tokens are cached per account: no further exchange, each caller still
  // gets its own account's token.
  REQUIRE(fw.request(get_as(fw, "orders/o2", kOrdersId)).status == 200);
  CHECK(bearer(upstream.requests().back()) == "Bearer " + orders_token);
  REQUIRE(fw.request(get_as(fw, "orders/o2", kAnalyticsId)).status == 200);
  CHECK(bearer(upstream.requests().back()) == "Bearer " + analytics_token);
  CHECK(peer.google.count(Endpoint::iam) == 2);
  CHECK(peer.google.count(Endpoint::sts) == 2);  // the base token and the IAM caller's
  for (const auto& request : upstream.requests()) {
    CHECK(bearer(request) != "Bearer " + caller_token());  // never sent to Firestore
  }
  CHECK(upstream.requests().size() == 4);
}

TEST_CASE("credentials: an STS outage from the start is 503 and not ready, never 403") {
  FakeGoogleThread peer;
  // The STS fails every exchange and echoes the subject token in its error.
  peer.google.set_fault(Endpoint::sts, Fault::http_error(500, "backend error for {subject_token}"));
  TempDir dir;
  RecordingUpstream upstream(dev_server_tls());
  auto options = external_account_options(upstream, write_credential_file(dir, peer.google));
  options.policy_file = dir.write("policy.yaml", kOrdersReadPolicy);
  options.wait_until_ready = false;
  FirewardenInstance fw(options);

  // /readyz names the failing token check with the token endpoint's answer.
  std::string token_check;
  const bool named = eventually(
      [&] {
        const auto ready = fw.admin("/readyz");
        const json body = json::parse(ready.body, nullptr, false);
        if (ready.status != 503 || !body.is_object() || !body["failing"].contains("token")) {
          return false;
        }
        token_check = body["failing"]["token"].get<std::string>();
        return token_check.find("HTTP 500") != std::string::npos;
      },
      std::chrono::seconds(10));
  REQUIRE(named);
  CHECK_THAT(token_check, Catch::Contains("token exchange"));
  CHECK_THAT(token_check, Catch::Contains(kAudience));
  CHECK_THAT(token_check, !Catch::Contains(kSubjectToken));

  // An allowed request is 503 UNAVAILABLE naming the credential problem.
  const auto response = fw.request({"GET", fw.documents() + "/orders/o1", {}, {}});
  CHECK(response.status == 503);
  const json error = json::parse(response.body, nullptr, false);
  REQUIRE(error.is_object());
  CHECK(error["error"]["status"] == "UNAVAILABLE");
  CHECK(error["error"]["code"] == 503);
  const std::string message = error["error"]["message"].get<std::string>();
  CHECK_THAT(message, Catch::Contains("token"));
  CHECK_THAT(message, Catch::Contains("HTTP 500"));
  CHECK_THAT(message, !Catch::Contains(kSubjectToken));
  // A request the policy denies stays 403: neither is reported as the other.
  CHECK(fw.request({"GET", fw.documents() + "/payments/p1", {}, {}}).status == 403);

  CHECK(upstream.requests().empty());
  CHECK(peer.google.count(Endpoint::sts) >= 1);
  CHECK(peer.google.issued_tokens().empty());
  CHECK_THAT(fw.admin("/metrics").body,
             Catch::Contains(
                 "firewarden_token_refreshes_total{result=\"failure\",principal=\"default\"}"));
  CHECK_THAT(all_logs(fw, 2), !Catch::Contains(kSubjectToken));

  // When the STS answers again, a retry gets a token: ready, and requests
  // reach upstream with it.
  peer.google.clear_faults();
  REQUIRE(eventually([&] { return fw.admin("/readyz").status == 200; }, std::chrono::seconds(30)));
  REQUIRE(fw.request({"GET", fw.documents() + "/orders/o1", {}, {}}).status == 200);
  const auto issued = peer.google.issued_tokens();
  REQUIRE(issued.size() == 1);
  REQUIRE(upstream.requests().size() == 1);
  CHECK(bearer(upstream.requests()[0]) == "Bearer " + issued[0]);
}
