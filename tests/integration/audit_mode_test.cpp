// policy.enforcement: audit, through the socket against the real emulator:
// a request the policy denies is decided, logged and counted as a deny but
// forwarded (the document exists, the status is upstream's, a write's
// response is cut); what is not a policy decision (an unreadable request,
// an unauthenticated caller, another project) is still refused and reaches
// nothing. The default, enforce, refuses the same write with 403.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/admin_views.hpp"
#include "support/firewarden_instance.hpp"

using namespace firewarden::testing;
using json = nlohmann::json;

namespace {

// analytics may read orders but never write (rule analytics-never-writes in
// config/policy.example.yaml).
constexpr const char* kAnalyticsId = "spiffe://cluster.local/ns/analytics/sa/reporter";
constexpr const char* kSecret = "s3cr3t-audit-value";

HttpRequestSpec create_order(const FirewardenInstance& fw, const std::string& id,
                             const std::string& request_id) {
  auto spec =
      json_post(fw.documents() + "/orders?documentId=" + id,
                std::string(R"({"fields":{"secret":{"stringValue":")") + kSecret + R"("}}})");
  spec.headers.emplace_back("x-request-id", request_id);
  return spec;
}

// The access line of `request_id`, once written.
json access_line(const FirewardenInstance& fw, const std::string& request_id) {
  json found;
  eventually(
      [&] {
        std::istringstream in(fw.access_log());
        for (std::string line; std::getline(in, line);) {
          const json parsed = json::parse(line);
          if (parsed.value("request_id", "") == request_id) {
            found = parsed;
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(5));
  INFO("access log:\n" << fw.access_log());
  REQUIRE(found.is_object());
  return found;
}

double requests(const FirewardenInstance& fw, const std::string& decision,
                const std::string& code) {
  return metric_value(fw, "firewarden_requests_total",
                      {{"method", "createDocument"}, {"decision", decision}, {"code", code}});
}

}  // namespace

TEST_CASE("audit: a denied write is forwarded, logged and counted as a deny") {
  FirewardenInstance fw({.fixed_id = kAnalyticsId, .enforcement = "audit"});
  const auto response = fw.request(create_order(fw, "a1", "audit-denied-create"));
  INFO(response.body << response.error);
  REQUIRE(response.status == 200);  // upstream's answer, not firewarden's 403
  CHECK(emulator_get(fw.options().project, "orders/a1").status == 200);
  // The denied caller does not see the written document (fail closed).
  CHECK(json::parse(response.body)["name"] == fw.document_name("orders/a1"));
  CHECK_THAT(response.body, !Catch::Contains(kSecret));

  const json line = access_line(fw, "audit-denied-create");
  CHECK(line["decision"] == "deny");
  CHECK(line["rule"] == "analytics-never-writes");
  CHECK(line["enforcement"] == "audit");
  CHECK(line["status"] == 200);
  CHECK(line["upstream_status"] == 200);
  CHECK(requests(fw, "deny", "200") == 1);
  CHECK(requests(fw, "allow", "200") == -1);
}

TEST_CASE("audit: an allowed request is unchanged, and its line says audit") {
  FirewardenInstance fw({.enforcement = "audit"});  // orders-api owns orders
  const auto response = fw.request(create_order(fw, "a2", "audit-allowed-create"));
  REQUIRE(response.status == 200);
  CHECK_THAT(response.body, Catch::Contains(kSecret));  // it may read what it wrote
  const json line = access_line(fw, "audit-allowed-create");
  CHECK(line["decision"] == "allow");
  CHECK(line["enforcement"] == "audit");
  CHECK(requests(fw, "allow", "200") == 1);
}

TEST_CASE("audit: unreadable requests, other projects and unknown callers are still refused") {
  FirewardenInstance fw({.mode = "xfcc", .enforcement = "audit"});
  const std::string caller = std::string("URI=") + kAnalyticsId;
  const std::string project = fw.options().project;

  SECTION("no identity: 401") {
    auto spec = create_order(fw, "u1", "audit-unauthenticated");
    const auto response = fw.request(spec);
    CHECK(response.status == 401);
    CHECK(emulator_get(project, "orders/u1").status == 404);
    const json line = access_line(fw, "audit-unauthenticated");
    CHECK(line["decision"] == "error");
    CHECK(line["enforcement"] == "audit");
    CHECK(line["upstream_status"].is_null());
  }
  SECTION("a duplicate JSON key: 400") {
    auto spec = json_post(fw.documents() + ":commit",
                          R"({"writes":[],"writes":[{"update":{"name":")" +
                              fw.document_name("orders/u2") + R"(","fields":{}}}]})");
    spec.headers.emplace_back("x-forwarded-client-cert", caller);
    const auto response = fw.request(spec);
    CHECK(response.status == 400);
    CHECK(emulator_get(project, "orders/u2").status == 404);
  }
  SECTION("another project: 403") {
    const std::string other = unique_project();
    auto spec = json_post("/v1/projects/" + other + "/databases/(default)/documents/orders",
                          R"({"fields":{}})");
    spec.target += "?documentId=u3";
    spec.headers.emplace_back("x-forwarded-client-cert", caller);
    spec.headers.emplace_back("x-request-id", "audit-other-project");
    const auto response = fw.request(spec);
    CHECK(response.status == 403);
    CHECK(emulator_get(other, "orders/u3").status == 404);
    const json line = access_line(fw, "audit-other-project");
    CHECK(line["upstream_status"].is_null());
  }
  SECTION("an unsupported method: 501") {
    auto spec = json_post(fw.documents() + ":listen", "{}");
    spec.headers.emplace_back("x-forwarded-client-cert", caller);
    spec.headers.emplace_back("x-request-id", "audit-unsupported");
    const auto response = fw.request(spec);
    CHECK(response.status == 501);
    CHECK(access_line(fw, "audit-unsupported")["upstream_status"].is_null());
  }
}

TEST_CASE("audit: a denied write over max_body_bytes is still 413 and reaches nothing") {
  FirewardenInstance fw({.fixed_id = kAnalyticsId,
                         .enforcement = "audit",
                         .limits = "{shutdown_grace: 3s, max_body_bytes: 1KiB}"});
  auto spec =
      json_post(fw.documents() + "/orders?documentId=big",
                R"({"fields":{"pad":{"stringValue":")" + std::string(2048, 'x') + R"("}}})");
  const auto response = fw.request(spec);
  CHECK(response.status == 413);
  CHECK(emulator_get(fw.options().project, "orders/big").status == 404);
}

TEST_CASE("enforce (the default): the same denied write is 403 and reaches nothing") {
  FirewardenInstance fw({.fixed_id = kAnalyticsId});
  const auto response = fw.request(create_order(fw, "e1", "enforce-denied-create"));
  CHECK(response.status == 403);
  CHECK_THAT(response.body, Catch::Contains("PERMISSION_DENIED"));
  CHECK(emulator_get(fw.options().project, "orders/e1").status == 404);
  const json line = access_line(fw, "enforce-denied-create");
  CHECK(line["decision"] == "deny");
  CHECK(line["enforcement"] == "enforce");
  CHECK(line["status"] == 403);
  CHECK(line["upstream_status"].is_null());
  CHECK(requests(fw, "deny", "403") == 1);
}

TEST_CASE("audit: /status and firewarden_enforcement_mode show the mode") {
  for (const std::string mode : {"audit", "enforce"}) {
    CAPTURE(mode);
    FirewardenInstance fw({.enforcement = mode});
    CHECK(status_json(fw)["enforcement"] == mode);
    const std::string other = mode == "audit" ? "enforce" : "audit";
    CHECK(metric_value(fw, "firewarden_enforcement_mode", {{"mode", mode}}) == 1);
    CHECK(metric_value(fw, "firewarden_enforcement_mode", {{"mode", other}}) == 0);
  }
  FirewardenInstance by_default;
  CHECK(status_json(by_default)["enforcement"] == "enforce");
}

TEST_CASE("audit: check warns on stderr and still succeeds, and run warns at start") {
  TempDir dir;
  const std::string policy = std::string(FIREWARDEN_SOURCE_DIR) + "/config/policy.example.yaml";
  const auto config = [&](const std::string& enforcement) {
    return dir.write("firewarden-" + enforcement + ".yaml",
                     "identity:\n  mode: xfcc\npolicy:\n  file: " + policy +
                         "\n  enforcement: " + enforcement +
                         "\nfirestore:\n  project: demo-project\ncredentials:\n  type: none\n");
  };
  const auto audit = run_firewarden({"check", "--config", config("audit")});
  CHECK(audit.exit_code == 0);
  CHECK_THAT(audit.err, Catch::Contains("policy.enforcement") && Catch::Contains("warning") &&
                            Catch::Contains("audit"));
  const auto enforce = run_firewarden({"check", "--config", config("enforce")});
  CHECK(enforce.exit_code == 0);
  CHECK(enforce.err.empty());

  FirewardenInstance fw({.enforcement = "audit"});
  // (diagnostics reach the log through a writer thread: wait, bounded)
  CHECK(
      eventually([&] { return fw.logs().find("policy.enforcement is audit") != std::string::npos; },
                 std::chrono::seconds(3)));
}
