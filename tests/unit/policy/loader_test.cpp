// The policy loader: every error with its exact FILE:LINE:COL, all at once,
// and the example policy shipped in config/.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "policy_test_support.hpp"

namespace {

using namespace firewarden::policy::testing;  // NOLINT(google-build-using-namespace)
using firewarden::firestore::Action;

std::vector<std::string> messages(const std::string& yaml) {
  std::vector<std::string> out;
  for (const auto& error : load_errors(yaml)) out.push_back(error.to_string());
  return out;
}

// The diagnostics as one string, one per line.
std::string joined(const std::string& yaml) {
  std::string out;
  for (const std::string& message : messages(yaml)) out += (out.empty() ? "" : "\n") + message;
  return out;
}

// A rule body that is valid on its own, to vary one thing at a time.
const char* const kHeader = "version: 1\nrules:\n";

struct ErrorCase {
  const char* what;
  std::string yaml;
  std::string expected;  // the diagnostics, one per line
};

}  // namespace

TEST_CASE("loader: each error at its exact position", "[policy][loader]") {
  const std::string h = kHeader;
  const ErrorCase cases[] = {
      {"empty document", "", "policy.yaml: the document: expected a mapping, got nothing"},
      {"not a mapping", "- a\n", "policy.yaml:1:1: the document: expected a mapping, got a list"},
      {"version missing", "rules: []\n", "policy.yaml:1:1: version: required (version: 1)"},
      {"version 2", "version: 2\nrules: []\n",
       "policy.yaml:1:10: version: unsupported policy version 2 (this firewarden reads version 1)"},
      {"version not a number", "version: one\nrules: []\n",
       "policy.yaml:1:10: version: expected an integer, got \"one\""},
      {"rules missing", "version: 1\n",
       "policy.yaml:1:1: rules: required (write `rules: []` for a policy that denies everything)"},
      {"rules not a list", "version: 1\nrules: {}\n",
       "policy.yaml:2:8: rules: expected a list of rules"},
      {"unknown top-level key", "version: 1\nrules: []\npolicies: []\n",
       "policy.yaml:3:1: policies: unknown key"},
      {"duplicate top-level key", "version: 1\nrules: []\nrules: []\n",
       "policy.yaml:3:1: rules: duplicate key"},
      {"yaml syntax", "version: 1\nrules: [\n",
       "policy.yaml:3:1: YAML syntax error: end of sequence flow not found"},
      {"rule not a mapping", h + "  - orders\n",
       "policy.yaml:3:5: rules[0]: expected a mapping, got \"orders\""},
      {"unknown rule key",
       h + "  - name: r\n    subjects: {namespaces: [a]}\n    collections: [c]\n"
           "    actions: [get]\n    action: [list]\n",
       "policy.yaml:7:5: rules[0].action: unknown key"},
      {"unknown subject key",
       h + "  - name: r\n    subjects: {namespace: [a]}\n    collections: [c]\n    actions: "
           "[get]\n",
       // The rule is then also an allow rule without subjects: both are reported.
       "policy.yaml:4:15: rules[0].subjects: an allow rule must name its subjects (namespaces, "
       "service_accounts or principals); to allow every caller say principals: [\"*\"]\n"
       "policy.yaml:4:16: rules[0].subjects.namespace: unknown key"},
      {"name missing", h + "  - effect: deny\n    collections: [c]\n    actions: [get]\n",
       "policy.yaml:3:5: rules[0].name: required"},
      {"bad name",
       h + "  - name: \"my rule\"\n    effect: deny\n    collections: [c]\n"
           "    actions: [get]\n",
       "policy.yaml:3:11: rules[0].name: \"my rule\" is not a valid rule name (letters, digits, "
       "- _ . :, starting with a letter or digit, at most 128 bytes)"},
      {"duplicate rule names",
       h + "  - name: r\n    effect: deny\n    collections: [c]\n    actions: [get]\n"
           "  - name: r\n    effect: deny\n    collections: [d]\n    actions: [get]\n",
       "policy.yaml:7:11: rules[1].name: duplicate rule name \"r\" (first defined at line 3)"},
      {"bad effect",
       h + "  - name: r\n    effect: permit\n    collections: [c]\n    actions: [get]\n",
       "policy.yaml:4:13: rules[0].effect: expected one of allow, deny, got \"permit\""},
      {"bad mode",
       h + "  - name: r\n    effect: deny\n    mode: shadow\n    collections: [c]\n"
           "    actions: [get]\n",
       "policy.yaml:5:11: rules[0].mode: expected one of enforce, dry-run, got \"shadow\""},
      {"allow without subjects", h + "  - name: r\n    collections: [c]\n    actions: [get]\n",
       "policy.yaml:3:5: rules[0].subjects: an allow rule must name its subjects (namespaces, "
       "service_accounts or principals); to allow every caller say principals: [\"*\"]"},
      {"allow with empty subjects",
       h + "  - name: r\n    subjects: {}\n    collections: [c]\n    actions: [get]\n",
       "policy.yaml:4:15: rules[0].subjects: an allow rule must name its subjects (namespaces, "
       "service_accounts or principals); to allow every caller say principals: [\"*\"]"},
      {"empty subject list",
       h + "  - name: r\n    subjects: {namespaces: []}\n    collections: [c]\n    actions: "
           "[get]\n",
       "policy.yaml:4:28: rules[0].subjects.namespaces: must not be empty"},
      {"namespace with a slash",
       h + "  - name: r\n    subjects: {namespaces: [a, b/c]}\n    collections: [c]\n"
           "    actions: [get]\n",
       "policy.yaml:4:32: rules[0].subjects.namespaces[1]: must not contain '/'"},
      {"principal that is not a SPIFFE ID",
       h + "  - name: r\n    subjects: {principals: [\"cluster.local/ns/a/sa/b\"]}\n"
           "    collections: [c]\n    actions: [get]\n",
       "policy.yaml:4:29: rules[0].subjects.principals[0]: \"cluster.local/ns/a/sa/b\" is not a "
       "SPIFFE ID pattern (spiffe://TRUST_DOMAIN/PATH, * = any)"},
      {"collections missing", h + "  - name: r\n    effect: deny\n    actions: [get]\n",
       "policy.yaml:3:5: rules[0].collections: required"},
      {"collections empty",
       h + "  - name: r\n    effect: deny\n    collections: []\n    actions: [get]\n",
       "policy.yaml:5:18: rules[0].collections: must not be empty"},
      {"collections a scalar",
       h + "  - name: r\n    effect: deny\n    collections: orders\n    actions: [get]\n",
       "policy.yaml:5:18: rules[0].collections: expected a list, got \"orders\""},
      {"actions missing", h + "  - name: r\n    effect: deny\n    collections: [c]\n",
       "policy.yaml:3:5: rules[0].actions: required"},
      {"bad action",
       h + "  - name: r\n    effect: deny\n    collections: [c]\n    actions: [get, remove]\n",
       "policy.yaml:6:20: rules[0].actions[1]: unknown action \"remove\" (expected get, list, "
       "query, create, update, delete, list_collections, read or write)"},
      {"bad database",
       h + "  - name: r\n    effect: deny\n    databases: [\"(default)\", Prod]\n"
           "    collections: [c]\n    actions: [get]\n",
       "policy.yaml:5:30: rules[0].databases[1]: \"Prod\" is not a Firestore database ID "
       "((default), or 4-63 of a-z 0-9 -)"},
      {"impersonation without subjects",
       "version: 1\nrules: []\nimpersonation:\n"
       "  - service_account: a-account@my-project.iam.gserviceaccount.com\n",
       "policy.yaml:4:5: impersonation[0]: name the callers (namespaces, service_accounts or "
       "principals); for every caller say principals: [\"*\"]"},
      {"impersonation bad email",
       "version: 1\nrules: []\nimpersonation:\n  - namespaces: [a]\n"
       "    service_account: Orders@my-project.iam.gserviceaccount.com\n",
       "policy.yaml:5:22: impersonation[0].service_account: "
       "\"Orders@my-project.iam.gserviceaccount.com\" is not a Google service account email "
       "(NAME@PROJECT.iam.gserviceaccount.com)"},
      {"impersonation account missing",
       "version: 1\nrules: []\nimpersonation:\n  - namespaces: [a]\n",
       "policy.yaml:4:5: impersonation[0].service_account: required"},
      {"impersonation unknown key",
       "version: 1\nrules: []\nimpersonation:\n  - namespaces: [a]\n"
       "    service_account: a-account@my-project.iam.gserviceaccount.com\n    scopes: [x]\n",
       "policy.yaml:6:5: impersonation[0].scopes: unknown key"},
      {"impersonation_required not a boolean",
       "version: 1\nrules: []\nimpersonation_required: yes\n",
       "policy.yaml:3:25: impersonation_required: expected true or false, got \"yes\""},
      {"three stars in a principal",
       h + "  - name: r\n    subjects: {principals: [\"spiffe://td/***\"]}\n"
           "    collections: [c]\n    actions: [get]\n",
       "policy.yaml:4:29: rules[0].subjects.principals[0]: \"spiffe://td/***\": write * (within "
       "one path segment) or ** (across segments)"},
      {"unset environment variable",
       h + "  - name: r\n    effect: deny\n    collections: [\"${TENANT}\"]\n    actions: [get]\n",
       "policy.yaml:5:19: rules[0].collections[0]: environment variable TENANT is not set"},
  };
  for (const ErrorCase& c : cases) {
    INFO(c.what << "\n" << c.yaml);
    CHECK(joined(c.yaml) == c.expected);
  }
}

TEST_CASE("loader: bad collection patterns", "[policy][loader]") {
  struct PatternCase {
    const char* pattern;
    const char* message;
  };
  const PatternCase cases[] = {
      {"orders/o1",
       "\"orders/o1\" has an even number of segments, so it names documents, not collections "
       "(a collection path is collection/document/collection/…)"},
      {"/orders",
       "must not start with '/': patterns are relative to the database's documents, e.g. "
       "orders/*/items"},
      {"orders/", "must not end with '/'"},
      {"a//b", "empty segment (\"//\")"},
      {"ord*",
       "partial wildcard \"ord*\": a wildcard must be a whole segment, * (one segment) or ** "
       "(any depth)"},
      {"a/***/b",
       "partial wildcard \"***\": a wildcard must be a whole segment, * (one segment) or ** "
       "(any depth)"},
      {"{tenant}/x/y",
       "unknown variable \"{tenant}\" (known: {namespace}, {service_account}, {trust_domain})"},
      {"t-{namespace}",
       "braces in \"t-{namespace}\": a variable must be a whole segment such as {namespace}"},
      {"a/../b", "segment \"..\" is not a Firestore ID"},
      {"__name__",
       "segment \"__name__\" can never match: Firestore reserves IDs of the form __…__"},
      {"", "empty collection pattern"},
      {"a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/"
       "s/t/u/v/w",
       "more than 48 segments; use ** for deep paths"},
  };
  for (const PatternCase& c : cases) {
    const std::string yaml = std::string(kHeader) +
                             "  - name: r\n    effect: deny\n    collections: [\"" + c.pattern +
                             "\"]\n    actions: [get]\n";
    INFO(c.pattern);
    CHECK(messages(yaml) == std::vector<std::string>{"policy.yaml:5:19: rules[0].collections[0]: " +
                                                     std::string(c.message)});
  }
}

TEST_CASE("loader: good patterns and accounts load", "[policy][loader]") {
  const auto policy = load(R"(
version: 1
rules:
  - name: patterns
    effect: deny
    mode: dry-run
    collections: ["a", "a/*/b", "**", "a/**", "**/b", "a/**/b/*/c", "{namespace}/x/{service_account}",
                  "t/{trust_domain}/**", "a/**/**", "a b", "ünïcode", "$$dollar"]
    actions: [get, list, query, create, update, delete, list_collections, read, write]
impersonation:
  - principals: ["*"]
    service_account: rw-account@my-project.iam.gserviceaccount.com
  - principals: ["*"]
    service_account: rw-account@my-project.example.com.iam.gserviceaccount.com
  - principals: ["*"]
    service_account: 123456789-compute@developer.gserviceaccount.com
  - principals: ["*"]
    service_account: my-project@appspot.gserviceaccount.com
)");
  CHECK(policy->rule_count() == 1);
  // `$$` is the escape for a literal `$` in every string value.
  const auto decision = policy->decide(workload("a", "b"), request({{Action::get, "$dollar"}}));
  REQUIRE(decision.dry_run.size() == 1);
  CHECK(decision.dry_run[0].rule == "patterns");
}

TEST_CASE("loader: environment variables expand in string values", "[policy][loader]") {
  const auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "TEAM") return "orders";
    return std::nullopt;
  };
  const auto result = firewarden::policy::load_policy_text(R"(
version: 1
rules:
  - name: team
    subjects: {namespaces: ["${TEAM}"]}
    collections: ["${TEAM}", "${OTHER:-fallback}"]
    actions: [get]
)",
                                                           "p.yaml", env);
  const auto* policy = std::get_if<std::shared_ptr<const firewarden::policy::Policy>>(&result);
  REQUIRE(policy != nullptr);
  CHECK((*policy)->decide(workload("orders", "x"), request({{Action::get, "orders"}})).allowed);
  CHECK((*policy)->decide(workload("orders", "x"), request({{Action::get, "fallback"}})).allowed);
}

TEST_CASE("loader: all errors at once, in file order", "[policy][loader]") {
  const auto errors = messages(R"(version: 3
rules:
  - name: a
    effect: alow
    collections: ["orders/o1"]
    actions: [reed]
  - name: a
    subjects: {namespaces: [x]}
    collections: [c]
    actions: [get]
extra: true
)");
  CHECK(errors ==
        std::vector<std::string>{
            "policy.yaml:1:10: version: unsupported policy version 3 (this firewarden "
            "reads version 1)",
            "policy.yaml:4:13: rules[0].effect: expected one of allow, deny, got \"alow\"",
            "policy.yaml:5:19: rules[0].collections[0]: \"orders/o1\" has an even number "
            "of segments, so it names documents, not collections (a collection path is "
            "collection/document/collection/…)",
            "policy.yaml:6:15: rules[0].actions[0]: unknown action \"reed\" (expected "
            "get, list, query, create, update, delete, list_collections, read or write)",
            "policy.yaml:7:11: rules[1].name: duplicate rule name \"a\" (first defined "
            "at line 3)",
            "policy.yaml:11:1: extra: unknown key",
        });
}

TEST_CASE("example policy: loads and means what its comments say", "[policy][loader][example]") {
  const auto result = load_file(FIREWARDEN_SOURCE_DIR "/config/policy.example.yaml");
  if (const auto* errors = std::get_if<firewarden::yaml::Diagnostics>(&result)) {
    for (const auto& error : *errors) UNSCOPED_INFO(error.to_string());
    FAIL("example policy did not load");
  }
  const auto& policy = std::get<std::shared_ptr<const firewarden::policy::Policy>>(result);
  const auto orders = workload("orders", "api");
  const auto analytics = workload("analytics", "reporter");

  auto d = policy->decide(orders, request({{Action::create, "orders/o1/items"}}));
  CHECK(d.allowed);
  CHECK(d.impersonate == "orders-rw@my-project.iam.gserviceaccount.com");
  CHECK(policy->decide(orders, request({{Action::get, "orders"}})).allowed);
  CHECK(policy->decide(orders, request({{Action::update, "tenants/orders/settings"}})).allowed);
  CHECK_FALSE(
      policy->decide(orders, request({{Action::update, "tenants/billing/settings"}})).allowed);

  d = policy->decide(analytics, request({{Action::query, "orders/**/items"}}));
  CHECK(d.allowed);
  CHECK(d.impersonate == "analytics-ro@my-project.iam.gserviceaccount.com");
  CHECK(policy->decide(analytics, request({{Action::get, "orders/o1/items"}})).allowed);
  d = policy->decide(analytics, request({{Action::update, "orders/o1/items"}}));
  CHECK_FALSE(d.allowed);
  CHECK(d.rule == "analytics-never-writes");

  // The audit trail is append-only for everyone, including its owners.
  d = policy->decide(orders, request({{Action::remove, "orders/o1/audit"}}));
  CHECK_FALSE(d.allowed);
  CHECK(d.rule == "audit-is-append-only");
  CHECK(policy->decide(orders, request({{Action::create, "orders/o1/audit"}})).allowed);

  // The dry-run rule reports, never decides.
  d = policy->decide(analytics, request({{Action::query, "orders/**/payments"}}));
  CHECK(d.allowed);
  REQUIRE(d.dry_run.size() == 1);
  CHECK(d.dry_run[0].rule == "analytics-no-payments");
  CHECK_FALSE(d.dry_run[0].would_allow);

  // Strangers get nothing.
  CHECK_FALSE(policy->decide(workload("web", "x"), request({{Action::get, "orders"}})).allowed);
  CHECK_FALSE(policy->decide(untemplated("/x"), request({{Action::get, "orders"}})).allowed);
}
