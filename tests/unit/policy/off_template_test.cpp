// Callers whose SPIFFE ID does not fit identity.path_template (admitted only
// with identity.require_template: false), and impersonation_required. The
// identities come from the identity module, as on the request path.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "firewarden/identity/identity_rules.hpp"
#include "policy_test_support.hpp"

namespace {

using namespace firewarden::policy::testing;  // NOLINT(google-build-using-namespace)
using firewarden::firestore::Action;
using firewarden::identity::Identity;
using firewarden::identity::IdentityRules;

const char* const kPolicy = R"(
version: 1
rules:
  - name: everyone-reads
    subjects: {principals: ["*"]}
    collections: ["public", "secrets", "prod", "audit"]
    actions: [read]
  - name: analytics-reads-reports
    subjects: {namespaces: ["analytics"]}
    collections: ["reports"]
    actions: [read]
  - name: x-writes-jobs
    subjects: {service_accounts: ["x"]}
    collections: ["jobs"]
    actions: [write]
  - name: no-analytics-secrets
    effect: deny
    subjects: {namespaces: ["analytics"]}
    collections: ["secrets"]
    actions: [read]
  - name: no-prod-namespaces
    effect: deny
    subjects: {namespaces: ["prod-*"]}
    collections: ["prod"]
    actions: [read]
  - name: no-x-audit
    effect: deny
    subjects: {service_accounts: ["x"]}
    collections: ["audit"]
    actions: [read]
  - name: own-tenant
    subjects: {principals: ["spiffe://cluster.local/**"]}
    collections: ["tenants/{namespace}/**"]
    actions: [read]
  - name: no-own-tenant-private
    effect: deny
    collections: ["tenants/{namespace}/private"]
    actions: [read]
impersonation:
  - namespaces: ["analytics"]
    service_account: analytics@my-project.iam.gserviceaccount.com
)";

// The four shapes the issue names: too many segments, too few, a literal in
// the wrong case, and a namespace that is no Kubernetes name.
const std::vector<std::string> kOffTemplate = {
    "spiffe://cluster.local/ns/analytics/sa/x/y",
    "spiffe://cluster.local/ns/analytics",
    "spiffe://cluster.local/NS/analytics/sa/x",
    "spiffe://cluster.local/ns/Analytics/sa/x",
};

IdentityRules rules(bool require_template) {
  auto made = firewarden::identity::make_identity_rules(
      {"cluster.local"}, "/ns/{namespace}/sa/{service_account}", require_template);
  REQUIRE(std::holds_alternative<IdentityRules>(made));
  return std::get<IdentityRules>(std::move(made));
}

Identity admitted(const std::string& id, bool require_template) {
  auto who = firewarden::identity::identity_from_string(id, rules(require_template));
  REQUIRE(std::holds_alternative<Identity>(who));
  return std::get<Identity>(std::move(who));
}

struct Row {
  const char* what;
  Action action;
  const char* collection;
  bool fitting_allowed;  // spiffe://cluster.local/ns/analytics/sa/x
  const char* fitting_rule;
  bool off_template_allowed;  // each of kOffTemplate, require_template: false
  const char* off_template_rule;
};

}  // namespace

TEST_CASE("off-template IDs are refused while require_template is true", "[policy][identity]") {
  for (const std::string& id : kOffTemplate) {
    INFO(id);
    auto who = firewarden::identity::identity_from_string(id, rules(true));
    REQUIRE(std::holds_alternative<firewarden::identity::Error>(who));
    CHECK(std::get<firewarden::identity::Error>(who).reason == "off_template");
  }
  CHECK(admitted("spiffe://cluster.local/ns/analytics/sa/x", true).fits_template);
}

TEST_CASE("decide: an off-template caller escapes no deny and gains no allow",
          "[policy][decide][identity]") {
  const auto policy = load(kPolicy);
  const Row rows[] = {
      {"allow by principal applies to both", Action::get, "public", true, "everyone-reads", true,
       "everyone-reads"},
      {"deny by literal namespace", Action::get, "secrets", false, "no-analytics-secrets", false,
       "no-analytics-secrets"},
      {"deny by namespace glob", Action::get, "prod", true, "everyone-reads", false,
       "no-prod-namespaces"},
      {"deny by service account", Action::get, "audit", false, "no-x-audit", false, "no-x-audit"},
      {"allow by namespace", Action::get, "reports", true, "analytics-reads-reports", false, ""},
      {"allow by service account", Action::create, "jobs", true, "x-writes-jobs", false, ""},
      {"{namespace} in an allow rule matches nothing", Action::get, "tenants/analytics/docs", true,
       "own-tenant", false, ""},
      {"{namespace} in a deny rule matches any tenant", Action::get, "tenants/other/private", false,
       "", false, "no-own-tenant-private"},
      {"{namespace} in a deny rule, own tenant", Action::get, "tenants/analytics/private", false,
       "no-own-tenant-private", false, "no-own-tenant-private"},
  };
  const Identity fitting = admitted("spiffe://cluster.local/ns/analytics/sa/x", true);
  REQUIRE(fitting.namespace_name == "analytics");
  REQUIRE(fitting.service_account == "x");
  for (const Row& row : rows) {
    INFO(row.what);
    const auto request_model = request({{row.action, row.collection}});
    const auto decided = policy->decide(fitting, request_model);
    CHECK(decided.allowed == row.fitting_allowed);
    CHECK(decided.rule == row.fitting_rule);
    for (const std::string& id : kOffTemplate) {
      INFO(id);
      const Identity who = admitted(id, false);
      CHECK_FALSE(who.fits_template);
      CHECK_FALSE(who.namespace_name);
      CHECK_FALSE(who.service_account);
      const auto decision = policy->decide(who, request_model);
      CHECK(decision.allowed == row.off_template_allowed);
      CHECK(decision.rule == row.off_template_rule);
    }
  }
  // Impersonation entries select like allow rules: none for an off-template caller.
  CHECK(policy->decide(fitting, request({})).impersonate ==
        "analytics@my-project.iam.gserviceaccount.com");
  for (const std::string& id : kOffTemplate) {
    CHECK_FALSE(policy->decide(admitted(id, false), request({})).impersonate);
  }
}

TEST_CASE("decide: a deny rule with several keys matches an off-template caller",
          "[policy][decide][identity]") {
  const auto policy = load(R"(
version: 1
rules:
  - name: all-read
    subjects: {principals: ["*"]}
    collections: ["**"]
    actions: [read]
  - name: no-batch-orders
    effect: deny
    subjects: {namespaces: ["batch"], service_accounts: ["runner"]}
    collections: ["orders"]
    actions: [read]
  - name: no-partner-orders
    effect: deny
    subjects: {principals: ["spiffe://partner.example/**"], namespaces: ["*"]}
    collections: ["orders"]
    actions: [read]
)");
  const auto get_orders = request({{Action::get, "orders"}});
  // The principal key still has to match: only the keys the caller lacks widen.
  const auto off = policy->decide(admitted("spiffe://cluster.local/x", false), get_orders);
  CHECK_FALSE(off.allowed);
  CHECK(off.rule == "no-batch-orders");
  const auto fitting =
      policy->decide(admitted("spiffe://cluster.local/ns/batch/sa/other", true), get_orders);
  CHECK(fitting.allowed);
  CHECK(fitting.rule == "all-read");
}

TEST_CASE("decide: impersonation_required denies a caller no entry matches",
          "[policy][decide][impersonation]") {
  const auto policy = load(R"(
version: 1
impersonation_required: true
rules:
  - name: all-read
    subjects: {principals: ["*"]}
    collections: ["**"]
    actions: [read]
impersonation:
  - namespaces: ["orders"]
    service_account: orders-ro@my-project.iam.gserviceaccount.com
)");
  const auto get_orders = request({{Action::get, "orders"}});
  const auto matched = policy->decide(workload("orders", "api"), get_orders);
  CHECK(matched.allowed);
  CHECK(matched.rule == "all-read");
  CHECK_FALSE(matched.no_impersonation);
  CHECK(matched.impersonate == "orders-ro@my-project.iam.gserviceaccount.com");

  const Identity billing = workload("billing", "api");
  for (const auto& model : {get_orders, request({})}) {
    const auto unmatched = policy->decide(billing, model);
    CHECK_FALSE(unmatched.allowed);
    CHECK(unmatched.no_impersonation);
    CHECK(unmatched.rule.empty());
    CHECK_FALSE(unmatched.impersonate);
    CHECK(unmatched.first_denied() == nullptr);  // every requirement itself was allowed
    CHECK(firewarden::policy::denial_sentence(billing, unmatched) ==
          "spiffe://cluster.local/ns/billing/sa/api may not make this request (no impersonation "
          "entry matches it, and the policy requires one)");
  }
  // Off-template callers match no namespace entry either.
  CHECK(policy->decide(untemplated("/ns/orders"), get_orders).no_impersonation);
  // A denied requirement is still reported first.
  const auto denied = policy->decide(billing, request({{Action::remove, "orders"}}));
  CHECK_FALSE(denied.allowed);
  REQUIRE(denied.first_denied() != nullptr);
  CHECK(firewarden::policy::denial_sentence(billing, denied).find("(no rule allows it)") !=
        std::string::npos);
}

TEST_CASE("decide: impersonation_required defaults to false", "[policy][decide][impersonation]") {
  const auto policy = load(R"(
version: 1
rules:
  - name: all-read
    subjects: {principals: ["*"]}
    collections: ["**"]
    actions: [read]
)");
  const auto decision = policy->decide(workload("billing", "api"), request({{Action::get, "x"}}));
  CHECK(decision.allowed);
  CHECK_FALSE(decision.no_impersonation);
  CHECK_FALSE(decision.impersonate);
}
