// The Kubernetes probes on the admin listener: /livez (= /healthz),
// /startup (policy, certificates and a first token loaded; once 200, stays
// 200) and /readyz with admin.readiness_requires_token, tested against the
// running binary with the fake Google token endpoints.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_google/fake_google.hpp"
#include "support/firewarden_instance.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A workload identity federation credential against the fake STS; tokens
// live 20 s and are usable until 10 s before expiry, refreshed from 16 s
// before it, so an STS outage makes the held token unusable ~10 s after issue.
void external_account(const TempDir& dir, FakeGoogleThread& peer, RecordingUpstream& upstream,
                      InstanceOptions& options) {
  peer.google.set_token_lifetime(20s);
  const std::string file =
      dir.write("credentials.json",
                peer.google.external_account_json(dir.write("subject-token", "eyJ.sub.sig")));
  options.upstream = upstream.url();
  options.firestore_ca_file = cert("ca");
  options.credentials =
      external_account_credentials(file, "refresh_margin: 16s, min_validity: 10s");
  options.policy_file = dir.write("policy.yaml", kOrdersReadPolicy);
}

UpstreamTlsFiles dev_server_tls() {
  return UpstreamTlsFiles{cert("server"), certs_dir() + "/server.key"};
}

HttpResponse get_order(const FirewardenInstance& fw) {
  return fw.request({"GET", fw.documents() + "/orders/o1", {}, {}});
}

json body_of(const HttpResponse& response) { return json::parse(response.body, nullptr, false); }

}  // namespace

TEST_CASE("probes: /livez answers as /healthz, also while start-up is not over") {
  FakeGoogleThread peer;
  peer.google.set_fault(Endpoint::sts, Fault::http_error(500, "backend error"));
  TempDir dir;
  RecordingUpstream upstream(dev_server_tls());
  InstanceOptions options;
  external_account(dir, peer, upstream, options);
  options.wait_until_ready = false;
  FirewardenInstance fw(options);

  REQUIRE(fw.admin("/startup").status == 503);
  for (const std::string path : {"/livez", "/healthz"}) {
    INFO(path);
    const auto response = fw.admin(path);
    CHECK(response.status == 200);
    CHECK(response.body == fw.admin("/healthz").body);
    CHECK(response.headers.at("content-type") == fw.admin("/healthz").headers.at("content-type"));
  }
  CHECK(fw.admin("/livez", "POST").status == 405);
  CHECK(fw.admin("/startup", "POST").status == 405);
}

TEST_CASE("probes: /startup is 503 naming the token until the first token, then 200") {
  FakeGoogleThread peer;
  // The STS refuses every exchange until the faults are cleared.
  peer.google.set_fault(Endpoint::sts, Fault::http_error(500, "backend error"));
  TempDir dir;
  RecordingUpstream upstream(dev_server_tls());
  InstanceOptions options;
  external_account(dir, peer, upstream, options);
  options.wait_until_ready = false;
  FirewardenInstance fw(options);

  // Policy and process are fine; only the token is missing, and it is named.
  std::string token_detail;
  const bool named = eventually(
      [&] {
        const auto startup = fw.admin("/startup");
        const json body = body_of(startup);
        if (startup.status != 503 || !body.is_object() || !body["failing"].contains("token")) {
          return false;
        }
        token_detail = body["failing"]["token"].get<std::string>();
        return token_detail.find("HTTP 500") != std::string::npos;
      },
      10s);
  REQUIRE(named);
  const json waiting = body_of(fw.admin("/startup"));
  CHECK(waiting["started"] == false);
  CHECK(waiting["failing"].size() == 1);
  CHECK(fw.admin("/readyz").status == 503);
  CHECK(peer.google.issued_tokens().empty());

  peer.google.clear_faults();
  REQUIRE(eventually([&] { return fw.admin("/startup").status == 200; }, 30s));
  const json started = body_of(fw.admin("/startup"));
  CHECK(started["started"] == true);
  CHECK(started["failing"].empty());
  CHECK(peer.google.issued_tokens().size() == 1);
  CHECK(get_order(fw).status == 200);
}

TEST_CASE(
    "probes: readiness_requires_token false: a token outage keeps /readyz and /startup 200, "
    "requests 503 UNAVAILABLE") {
  FakeGoogleThread peer;
  TempDir dir;
  RecordingUpstream upstream(dev_server_tls());
  InstanceOptions options;
  external_account(dir, peer, upstream, options);
  options.admin_extra = "  readiness_requires_token: false\n";
  FirewardenInstance fw(options);
  // The instance waits for /readyz, which here does not wait for the first
  // token: /startup turns 200 once that token is held (fetched at start).
  REQUIRE(eventually([&] { return fw.admin("/startup").status == 200; }, 10s));
  REQUIRE(get_order(fw).status == 200);
  const auto forwarded = upstream.requests().size();
  peer.google.set_fault(Endpoint::sts, Fault::http_error(503, "backend unavailable"));

  // Until the held token is no longer usable, requests are served; then 503.
  HttpResponse unavailable;
  const auto start = Clock::now();
  while (Clock::now() - start < 25s) {
    unavailable = get_order(fw);
    if (unavailable.status != 200) break;
    CHECK(fw.admin("/readyz").status == 200);
    std::this_thread::sleep_for(250ms);
  }
  REQUIRE(unavailable.status == 503);
  const json error = body_of(unavailable);
  REQUIRE(error.is_object());
  CHECK(error["error"]["status"] == "UNAVAILABLE");
  CHECK_THAT(error["error"]["message"].get<std::string>(), Catch::Contains("token"));
  CHECK_THAT(error["error"]["message"].get<std::string>(), Catch::Contains("HTTP 503"));
  const auto served = upstream.requests().size();
  CHECK(served > forwarded);

  // During the outage: still ready and started, the outage visible in
  // /status, and nothing reaches upstream.
  const auto readyz = fw.admin("/readyz");
  CHECK(readyz.status == 200);
  CHECK_FALSE(body_of(readyz)["failing"].contains("token"));
  CHECK(fw.admin("/startup").status == 200);
  CHECK(fw.admin("/livez").status == 200);
  const json status = body_of(fw.admin("/status"));
  REQUIRE(status["tokens"].is_array());
  REQUIRE_FALSE(status["tokens"].empty());
  CHECK_FALSE(status["tokens"][0]["last_error"].is_null());
  CHECK(get_order(fw).status == 503);
  CHECK(upstream.requests().size() == served);

  // The STS is back: requests are served again.
  peer.google.clear_faults();
  REQUIRE(eventually([&] { return get_order(fw).status == 200; }, 30s));
  CHECK(upstream.requests().size() > served);
}

TEST_CASE("probes: readiness_requires_token true (default): a token outage fails /readyz only") {
  FakeGoogleThread peer;
  TempDir dir;
  RecordingUpstream upstream(dev_server_tls());
  InstanceOptions options;
  external_account(dir, peer, upstream, options);
  FirewardenInstance fw(options);
  peer.google.set_fault(Endpoint::sts, Fault::http_error(503, "backend unavailable"));

  REQUIRE(eventually([&] { return fw.admin("/readyz").status == 503; }, 25s));
  CHECK(body_of(fw.admin("/readyz"))["failing"].contains("token"));
  // Start-up is over: /startup does not go back to 503, and the process lives.
  CHECK(fw.admin("/startup").status == 200);
  CHECK(fw.admin("/livez").status == 200);
  CHECK(get_order(fw).status == 503);
}
