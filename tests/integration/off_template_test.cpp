// SPIFFE IDs that do not fit identity.path_template, through the socket
// (xfcc mode) against the real emulator: refused with 401 by default; with
// require_template: false admitted, but every deny rule that selects by
// namespace or service account still denies them. Nothing refused reaches
// the emulator.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/firewarden_instance.hpp"

using namespace firewarden::testing;

namespace {

// Anyone may write `open` and `shared`; analytics may not write `shared`,
// and no service account named `reporter` may write `reports`.
constexpr const char* kPolicy = R"(version: 1
rules:
  - name: everyone-writes
    subjects: {principals: ["*"]}
    collections: ["open", "shared", "reports"]
    actions: [read, write]
  - name: no-analytics-shared
    effect: deny
    subjects: {namespaces: ["analytics"]}
    collections: ["shared"]
    actions: [write]
  - name: no-reporter-reports
    effect: deny
    subjects: {service_accounts: ["reporter"]}
    collections: ["reports"]
    actions: [write]
)";

// Too many segments, too few, a literal in the wrong case, a namespace that
// is no Kubernetes name.
const std::vector<std::string> kOffTemplate = {
    "spiffe://cluster.local/ns/analytics/sa/reporter/extra",
    "spiffe://cluster.local/ns/analytics",
    "spiffe://cluster.local/NS/analytics/sa/reporter",
    "spiffe://cluster.local/ns/Analytics/sa/reporter",
};

InstanceOptions xfcc_options(const TempDir& dir, const std::string& identity_extra = "") {
  return {.mode = "xfcc",
          .identity_extra = identity_extra,
          .policy_file = dir.write("policy.yaml", kPolicy)};
}

HttpRequestSpec commit_as(const FirewardenInstance& fw, const std::string& path,
                          const std::string& spiffe_id) {
  auto spec =
      json_post(fw.documents() + ":commit", R"({"writes":[{"update":{"name":")" +
                                                fw.document_name(path) + R"(","fields":{}}}]})");
  spec.headers.emplace_back("x-forwarded-client-cert", "URI=" + spiffe_id);
  return spec;
}

}  // namespace

TEST_CASE("off-template: IDs that do not fit path_template are 401 by default") {
  TempDir dir;
  FirewardenInstance fw(xfcc_options(dir));
  for (std::size_t i = 0; i < kOffTemplate.size(); ++i) {
    CAPTURE(kOffTemplate[i]);
    const std::string path = "open/o" + std::to_string(i);
    const auto response = fw.request(commit_as(fw, path, kOffTemplate[i]));
    CHECK(response.status == 401);
    CHECK_THAT(response.body, Catch::Contains("\"status\":\"UNAUTHENTICATED\""));
    CHECK_THAT(response.body, Catch::Contains("off_template"));
    CHECK(emulator_get(fw.options().project, path).status == 404);
  }
  // A fitting ID is served: the refusals above were the identity, not the setup.
  REQUIRE(
      fw.request(commit_as(fw, "open/fits", "spiffe://cluster.local/ns/orders/sa/api")).status ==
      200);
  CHECK(emulator_get(fw.options().project, "open/fits").status == 200);
  const auto metrics = fw.admin("/metrics");
  CHECK_THAT(metrics.body,
             Catch::Contains("firewarden_identity_refusals_total{reason=\"off_template\"} 4"));
  // And logged: each access line names the reason (written after the response).
  const auto refusals_logged = [&] {
    const std::string log = fw.access_log();
    std::size_t count = 0;
    for (std::size_t at = log.find("refused: off_template"); at != std::string::npos;
         at = log.find("refused: off_template", at + 1)) {
      ++count;
    }
    return count == kOffTemplate.size();
  };
  CHECK(eventually(refusals_logged, std::chrono::seconds(5)));
}

TEST_CASE("off-template: with require_template false a namespace deny still denies") {
  TempDir dir;
  FirewardenInstance fw(xfcc_options(dir, "  require_template: false\n"));
  for (std::size_t i = 0; i < kOffTemplate.size(); ++i) {
    CAPTURE(kOffTemplate[i]);
    const std::string suffix = std::to_string(i);
    // Authenticated: an allow rule by principal serves it.
    const auto open = fw.request(commit_as(fw, "open/o" + suffix, kOffTemplate[i]));
    CHECK(open.status == 200);
    CHECK(emulator_get(fw.options().project, "open/o" + suffix).status == 200);
    // A deny by namespace, and one by service account, cannot be escaped.
    for (const std::string collection : {"shared", "reports"}) {
      const std::string path = collection + "/o" + suffix;
      const auto denied = fw.request(commit_as(fw, path, kOffTemplate[i]));
      CHECK(denied.status == 403);
      CHECK_THAT(denied.body, Catch::Contains("\"status\":\"PERMISSION_DENIED\""));
      CHECK_THAT(denied.body, Catch::Contains("(denied by rule no-"));
      CHECK(emulator_get(fw.options().project, path).status == 404);
    }
  }
  // The deny rules select only what they name for a fitting caller.
  REQUIRE(
      fw.request(commit_as(fw, "shared/fits", "spiffe://cluster.local/ns/orders/sa/api")).status ==
      200);
  CHECK(emulator_get(fw.options().project, "shared/fits").status == 200);
}

TEST_CASE("off-template: a fixed_id that does not fit the template refuses to start") {
  TempDir dir;
  InstanceOptions options{.fixed_id = "spiffe://cluster.local/ns/orders/sa/api/extra",
                          .policy_file = dir.write("policy.yaml", kPolicy),
                          .wait_until_ready = false};
  CHECK_THROWS_WITH(FirewardenInstance(options), Catch::Contains("off_template"));
  // Allowed on purpose, it starts and is denied by the namespace deny.
  options.identity_extra = "  require_template: false\n";
  options.fixed_id = "spiffe://cluster.local/ns/orders/sa/api/extra";
  FirewardenInstance fw(options);
  const auto denied = fw.request(json_post(
      fw.documents() + ":commit", R"({"writes":[{"update":{"name":")" +
                                      fw.document_name("shared/f1") + R"(","fields":{}}}]})"));
  CHECK(denied.status == 403);
  CHECK(emulator_get(fw.options().project, "shared/f1").status == 404);
}
