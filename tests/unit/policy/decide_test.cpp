// decide(): table-driven cases over one policy, then focused cases for dry
// run, impersonation and malformed models, then a randomized differential
// test of the indexed decision against a plain linear reference.
#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "policy_test_support.hpp"

namespace {

using namespace firewarden::policy::testing;  // NOLINT(google-build-using-namespace)
using firewarden::firestore::Action;
using firewarden::identity::Identity;

const char* const kPolicy = R"(
version: 1
rules:
  - name: orders-rw
    subjects: {namespaces: ["orders"]}
    collections: ["orders", "orders/**"]
    actions: [read, write]
  - name: orders-audit-readonly
    effect: deny
    subjects: {namespaces: ["orders"]}
    collections: ["orders/*/audit"]
    actions: [write]
  - name: analytics-read
    subjects: {namespaces: ["analytics"], service_accounts: ["reporter", "etl-*"]}
    collections: ["orders/**", "**/items"]
    actions: [read]
  - name: tenant-own-data
    subjects: {principals: ["spiffe://cluster.local/ns/**"]}
    collections: ["tenants/{namespace}/**"]
    actions: [read, write]
  - name: own-trust-domain
    subjects: {principals: ["spiffe://**"]}
    collections: ["domains/{trust_domain}/config"]
    actions: [get]
  - name: own-service-account
    subjects: {namespaces: ["*"]}
    collections: ["accounts/{service_account}/inbox"]
    actions: [create]
  - name: nobody-touches-secrets
    effect: deny
    collections: ["secrets/**"]
    actions: [read, write, list_collections]
  - name: admin-list-collections
    subjects: {principals: ["spiffe://cluster.local/ns/ops/sa/admin"]}
    collections: ["**"]
    actions: [list_collections, read]
  - name: legacy-db-only
    subjects: {namespaces: ["legacy"]}
    databases: ["legacy-db"]
    collections: ["**"]
    actions: [read]
  - name: untemplated-callers
    subjects: {principals: ["spiffe://cluster.local/batch/*"]}
    collections: ["jobs"]
    actions: [create, get]
)";

struct Row {
  const char* what;
  Identity who;
  firewarden::firestore::RequestModel request;
  bool allowed;
  const char* rule;  // Decision.rule
};

}  // namespace

TEST_CASE("decide: table", "[policy][decide]") {
  const auto policy = load(kPolicy);
  REQUIRE(policy->rule_count() == 10);
  const Identity orders = workload("orders", "api");
  const Identity analytics = workload("analytics", "reporter");
  const Identity etl = workload("analytics", "etl-nightly");
  const Identity intern = workload("analytics", "intern");
  const Identity admin = workload("ops", "admin");
  const Identity batch = untemplated("/batch/job-7");

  const Row rows[] = {
      // literal and ** patterns, read/write shorthands
      {"own collection get", orders, request({{Action::get, "orders"}}), true, "orders-rw"},
      {"deep subcollection create", orders, request({{Action::create, "orders/o1/items/i1/notes"}}),
       true, "orders-rw"},
      {"other namespace", analytics, request({{Action::create, "orders"}}), false, ""},
      {"default deny elsewhere", orders, request({{Action::get, "users"}}), false, ""},
      // deny wins, for one requirement or one in many
      {"deny beats allow", orders, request({{Action::update, "orders/o1/audit"}}), false,
       "orders-audit-readonly"},
      {"deny only for its actions", orders, request({{Action::get, "orders/o1/audit"}}), true,
       "orders-rw"},
      {"one denied write denies the commit", orders,
       request({{Action::update, "orders/o1/items"}, {Action::remove, "orders/o2/audit"}}), false,
       "orders-audit-readonly"},
      // a deny rule without subjects applies to everyone, via intersection
      {"global deny, concrete", orders, request({{Action::get, "secrets/s1/keys"}}), false,
       "nobody-touches-secrets"},
      {"global deny touches a kindless query", admin, request({{Action::query, "*"}}), false,
       "nobody-touches-secrets"},
      {"global deny touches a collection group query", admin,
       request({{Action::query, "orders/**/items"}, {Action::query, "**/items"}}), false,
       "nobody-touches-secrets"},
      {"global deny spares what it cannot touch", admin,
       request({{Action::query, "orders/**/items"}, {Action::query, "users/u1/*"}}), true,
       "admin-list-collections"},
      // collection group (**) and kindless (*) requirements need covering rules
      {"collection group under a covered root", analytics,
       request({{Action::query, "orders/**/items"}}), true, "analytics-read"},
      {"collection group under **/items", analytics, request({{Action::query, "users/**/items"}}),
       true, "analytics-read"},
      {"collection group not covered", analytics, request({{Action::query, "users/**/notes"}}),
       false, ""},
      {"kindless query not covered by **/items", analytics,
       request({{Action::query, "users/u1/*"}}), false, ""},
      // subjects: every given key must match; globs within a key
      {"service account glob", etl, request({{Action::list, "orders/o1/items"}}), true,
       "analytics-read"},
      {"service account not listed", intern, request({{Action::list, "orders/o1/items"}}), false,
       ""},
      {"read does not grant write", analytics, request({{Action::update, "orders/o1/items"}}),
       false, ""},
      // variables
      {"own tenant", orders, request({{Action::create, "tenants/orders/invoices"}}), true,
       "tenant-own-data"},
      {"someone else's tenant", orders, request({{Action::create, "tenants/analytics/invoices"}}),
       false, ""},
      {"tenant variable without namespace", batch, request({{Action::get, "tenants/orders/x"}}),
       false, ""},
      {"own trust domain", batch, request({{Action::get, "domains/cluster.local/config"}}), true,
       "own-trust-domain"},
      {"other trust domain", batch, request({{Action::get, "domains/other.org/config"}}), false,
       ""},
      {"own service account", intern, request({{Action::create, "accounts/intern/inbox"}}), true,
       "own-service-account"},
      {"other service account", intern, request({{Action::create, "accounts/reporter/inbox"}}),
       false, ""},
      // list_collections only by name
      {"read/write does not grant list_collections", orders,
       request({{Action::list_collections, "orders/o1/*"}}), false, ""},
      {"list_collections by name", admin, request({{Action::list_collections, "orders/o1/*"}}),
       true, "admin-list-collections"},
      {"list_collections at the root", admin, request({{Action::list_collections, "*"}}), false,
       "nobody-touches-secrets"},
      // subjects that need a namespace never match a caller without one
      {"namespace glob needs a namespace", batch, request({{Action::create, "accounts/x/inbox"}}),
       false, ""},
      {"principal glob matches an untemplated ID", batch, request({{Action::create, "jobs"}}), true,
       "untemplated-callers"},
      // databases
      {"rule for another database", workload("legacy", "app"), request({{Action::get, "orders"}}),
       false, ""},
      {"rule for this database", workload("legacy", "app"),
       request({{Action::get, "orders"}}, "legacy-db"), true, "legacy-db-only"},
      // nothing required: allowed, no rule
      {"beginTransaction", intern, request({}), true, ""},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    const auto decision = policy->decide(row.who, row.request);
    CHECK(decision.allowed == row.allowed);
    CHECK(decision.rule == row.rule);
    REQUIRE(decision.requirements.size() == row.request.requirements.size());
    for (std::size_t i = 0; i < decision.requirements.size(); ++i) {
      CHECK(decision.requirements[i].requirement == row.request.requirements[i]);
    }
    CHECK((decision.first_denied() == nullptr) == row.allowed);
  }
}

TEST_CASE("decide: per-requirement verdicts and first_denied", "[policy][decide]") {
  const auto policy = load(kPolicy);
  const auto decision =
      policy->decide(workload("orders", "api"), request({{Action::update, "orders/o1/items"},
                                                         {Action::get, "users"},
                                                         {Action::remove, "orders/o1/audit"}}));
  CHECK_FALSE(decision.allowed);
  REQUIRE(decision.requirements.size() == 3);
  CHECK(decision.requirements[0].allowed);
  CHECK(decision.requirements[0].rule == "orders-rw");
  CHECK_FALSE(decision.requirements[1].allowed);
  CHECK(decision.requirements[1].rule.empty());
  CHECK_FALSE(decision.requirements[2].allowed);
  CHECK(decision.requirements[2].rule == "orders-audit-readonly");
  // The first denied requirement is the default-denied one; the decision
  // names the explicit deny rule that fired.
  REQUIRE(decision.first_denied() == &decision.requirements[1]);
  CHECK(decision.rule == "orders-audit-readonly");
}

TEST_CASE("decide: malformed models are denied", "[policy][decide]") {
  const auto policy = load(R"(
version: 1
rules:
  - name: everything
    subjects: {principals: ["*"]}
    collections: ["**"]
    actions: [read, write, list_collections]
)");
  const Identity who = workload("a", "b");
  CHECK(policy->decide(who, request({{Action::get, "orders"}})).allowed);
  // An even segment count names a document, not a collection.
  CHECK_FALSE(policy->decide(who, request({{Action::get, "orders/o1"}})).allowed);
  // An empty segment.
  auto empty_segment = request({{Action::get, "orders"}});
  empty_segment.requirements[0].collection.segments[0].text.clear();
  CHECK_FALSE(policy->decide(who, empty_segment).allowed);
  // A segment holding a '/' (the classifier never makes one).
  auto slash_segment = request({{Action::get, "orders"}});
  slash_segment.requirements[0].collection.segments[0].text = "orders/o1/items";
  CHECK_FALSE(policy->decide(who, slash_segment).allowed);
  // No segments at all.
  auto no_segments = request({{Action::get, "orders"}});
  no_segments.requirements[0].collection.segments.clear();
  CHECK_FALSE(policy->decide(who, no_segments).allowed);
  // No database.
  CHECK_FALSE(policy->decide(who, request({{Action::get, "orders"}}, "")).allowed);
}

TEST_CASE("decide: a variable that is not a single segment", "[policy][decide]") {
  const auto policy = load(R"(
version: 1
rules:
  - name: own
    subjects: {principals: ["*"]}
    collections: ["tenants/{namespace}/**"]
    actions: [read]
  - name: no-own-private
    effect: deny
    collections: ["private/{namespace}/docs"]
    actions: [read]
  - name: private-reader
    subjects: {principals: ["*"]}
    collections: ["private/*/docs"]
    actions: [read]
)");
  // The identity module never produces these; the policy still fails closed.
  Identity odd = workload("a/b", "x");
  CHECK_FALSE(policy->decide(odd, request({{Action::get, "tenants/a/b/c"}})).allowed);
  const auto denied = policy->decide(odd, request({{Action::get, "private/zzz/docs"}}));
  CHECK_FALSE(denied.allowed);
  CHECK(denied.rule == "no-own-private");
  odd.namespace_name = "";
  CHECK_FALSE(policy->decide(odd, request({{Action::get, "tenants/x/y/z"}})).allowed);
  CHECK_FALSE(policy->decide(odd, request({{Action::get, "private/zzz/docs"}})).allowed);
  // A normal caller: the deny only touches its own entry.
  const Identity normal = workload("a", "x");
  CHECK(policy->decide(normal, request({{Action::get, "private/b/docs"}})).allowed);
  CHECK_FALSE(policy->decide(normal, request({{Action::get, "private/a/docs"}})).allowed);
}

TEST_CASE("decide: dry-run rules are reported, never decide", "[policy][decide][dry-run]") {
  const auto policy = load(R"(
version: 1
rules:
  - name: orders-read
    subjects: {namespaces: ["orders"]}
    collections: ["orders/**"]
    actions: [read]
  - name: try-deny-items
    effect: deny
    mode: dry-run
    subjects: {namespaces: ["orders"]}
    collections: ["orders/*/items"]
    actions: [read]
  - name: try-allow-writes
    mode: dry-run
    subjects: {namespaces: ["orders"]}
    collections: ["orders/*/items"]
    actions: [write]
  - name: try-other-namespace
    effect: deny
    mode: dry-run
    subjects: {namespaces: ["billing"]}
    collections: ["**"]
    actions: [read]
)");
  const Identity who = workload("orders", "api");
  using Verdicts = std::vector<std::pair<std::string, bool>>;
  const auto verdicts = [](const firewarden::policy::Decision& decision) {
    Verdicts out;
    for (const auto& v : decision.dry_run) out.emplace_back(v.rule, v.would_allow);
    return out;
  };

  // Would deny, but only reported: the enforcing allow decides.
  auto d = policy->decide(who, request({{Action::get, "orders/o1/items"}}));
  CHECK(d.allowed);
  CHECK(d.rule == "orders-read");
  CHECK(verdicts(d) == Verdicts{{"try-deny-items", false}});

  // Would allow a write that is denied today (still denied).
  d = policy->decide(who, request({{Action::create, "orders/o1/items"}}));
  CHECK_FALSE(d.allowed);
  CHECK(verdicts(d) == Verdicts{{"try-allow-writes", true}});

  // Relevant to a collection group write it cannot cover: would not allow.
  d = policy->decide(
      who, request({{Action::update, "orders/o1/items"}, {Action::query, "orders/**/items"}}));
  CHECK(verdicts(d) == Verdicts{{"try-deny-items", false}, {"try-allow-writes", true}});
  d = policy->decide(who, request({{Action::create, "orders/**/items"}}));
  CHECK(verdicts(d) == Verdicts{{"try-allow-writes", false}});

  // Not relevant: other collections, other actions, other subjects.
  d = policy->decide(who, request({{Action::get, "orders/o1/notes"}}));
  CHECK(d.dry_run.empty());
  d = policy->decide(workload("billing", "x"), request({{Action::get, "orders"}}));
  CHECK_FALSE(d.allowed);
  CHECK(verdicts(d) == Verdicts{{"try-other-namespace", false}});
}

TEST_CASE("decide: impersonation, first match wins", "[policy][decide][impersonation]") {
  const auto policy = load(R"(
version: 1
rules: []
impersonation:
  - namespaces: ["orders"]
    service_accounts: ["admin"]
    service_account: orders-admin@my-project.iam.gserviceaccount.com
  - namespaces: ["orders"]
    service_account: orders-rw@my-project.iam.gserviceaccount.com
  - principals: ["spiffe://cluster.local/ns/analytics/**"]
    service_account: analytics-ro@my-project.iam.gserviceaccount.com
)");
  const firewarden::firestore::RequestModel nothing = request({});
  CHECK(policy->decide(workload("orders", "admin"), nothing).impersonate ==
        "orders-admin@my-project.iam.gserviceaccount.com");
  CHECK(policy->decide(workload("orders", "api"), nothing).impersonate ==
        "orders-rw@my-project.iam.gserviceaccount.com");
  CHECK(policy->decide(workload("analytics", "x"), nothing).impersonate ==
        "analytics-ro@my-project.iam.gserviceaccount.com");
  CHECK_FALSE(policy->decide(workload("billing", "x"), nothing).impersonate.has_value());
  CHECK_FALSE(policy->decide(untemplated("/x"), nothing).impersonate.has_value());
  // An empty policy denies every data access.
  CHECK_FALSE(
      policy->decide(workload("orders", "admin"), request({{Action::get, "orders"}})).allowed);
}

// ---------------------------------------------------------------------------
// Differential: the indexed policy against a linear scan of the same rules.
// ---------------------------------------------------------------------------
namespace {

struct ReferenceRule {
  std::string name;
  bool deny = false;
  std::vector<std::string> namespaces;  // empty: key absent
  std::vector<std::string> service_accounts;
  std::vector<std::string> principals;
  std::vector<std::string> collections;  // literals, *, **, {namespace}
  std::vector<Action> actions;
};

// `*` within a segment, `**` across (glob_test.cpp checks Glob against the same).
bool glob(std::string_view pattern, std::string_view value) {
  if (pattern.empty()) return value.empty();
  if (pattern.starts_with("**")) {
    for (std::size_t skip = 0; skip <= value.size(); ++skip) {
      if (glob(pattern.substr(2), value.substr(skip))) return true;
    }
    return false;
  }
  if (pattern.front() == '*') {
    for (std::size_t skip = 0; skip <= value.size(); ++skip) {
      if (skip > 0 && value[skip - 1] == '/') return false;
      if (glob(pattern.substr(1), value.substr(skip))) return true;
    }
    return false;
  }
  return !value.empty() && pattern.front() == value.front() &&
         glob(pattern.substr(1), value.substr(1));
}

// A key the caller has no value for: deny rules match, allow rules do not.
bool any_glob(const std::vector<std::string>& patterns, const std::optional<std::string>& value,
              bool deny) {
  if (patterns.empty()) return true;
  if (!value) return deny;
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return p.find_first_not_of('*') == std::string::npos || glob(p, *value);
  });
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  for_each_segment(text, [&](std::string_view piece) { out.emplace_back(piece); });
  return out;
}

// {namespace} for a caller without one: no segment for an allow rule, any
// one segment for a deny rule.
bool path_match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                const Identity& who, bool deny, std::size_t i = 0, std::size_t j = 0) {
  if (i == pattern.size()) return j == path.size();
  if (pattern[i] == "**") {
    return path_match(pattern, path, who, deny, i + 1, j) ||
           (j < path.size() && path_match(pattern, path, who, deny, i, j + 1));
  }
  if (j == path.size()) return false;
  if (pattern[i] == "{namespace}") {
    if (!who.namespace_name) {
      if (!deny) return false;
    } else if (*who.namespace_name != path[j]) {
      return false;
    }
  } else if (pattern[i] != "*" && pattern[i] != path[j]) {
    return false;
  }
  return path_match(pattern, path, who, deny, i + 1, j + 1);
}

std::string yaml_list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const std::string& v : values) out += (out.size() > 1 ? ", \"" : "\"") + v + "\"";
  return out + "]";
}

}  // namespace

TEST_CASE("decide: indexed decisions equal a linear reference", "[policy][decide][property]") {
  std::mt19937 rng(4242);
  const std::vector<std::string> namespaces = {"n1", "n2", "n3", "n4"};
  const std::vector<std::string> accounts = {"s1", "s2"};
  const std::vector<std::string> segments = {"c1", "c2", "d1", "*", "**", "{namespace}"};
  const std::vector<Action> all_actions = {Action::get, Action::list, Action::create,
                                           Action::remove, Action::list_collections};
  const auto pick = [&](const auto& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
  };
  const auto chance = [&](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
  };

  int allowed_count = 0;
  int deny_rule_count = 0;
  int default_deny_count = 0;
  for (int round = 0; round < 60; ++round) {
    std::vector<ReferenceRule> rules;
    std::string yaml = "version: 1\nrules:\n";
    const int count = std::uniform_int_distribution<int>(1, 25)(rng);
    for (int r = 0; r < count; ++r) {
      ReferenceRule rule;
      rule.name = "r" + std::to_string(r);
      rule.deny = chance(25);
      // Subjects, in shapes that hit each index and the general list.
      const int shape = std::uniform_int_distribution<int>(0, 4)(rng);
      if (shape == 0) rule.namespaces = {pick(namespaces)};
      if (shape == 1) rule.namespaces = {"n*"};
      if (shape == 2)
        rule.principals = {"spiffe://td/ns/" + pick(namespaces) + "/sa/" + pick(accounts)};
      if (shape == 3) rule.service_accounts = {pick(accounts)};
      if (shape == 4 && !rule.deny) {
        rule.principals = {pick(std::vector<std::string>{"spiffe://td/*", "spiffe://td/**",
                                                         "spiffe://td/ns/*/sa/s1", "*"})};
      }
      if (chance(30)) rule.service_accounts.push_back(pick(accounts));
      for (int c = std::uniform_int_distribution<int>(1, 2)(rng); c > 0; --c) {
        std::string pattern;
        bool has_depth = false;
        int length = std::uniform_int_distribution<int>(1, 4)(rng);
        for (int s = 0; s < length; ++s) {
          std::string segment = pick(segments);
          has_depth = has_depth || segment == "**";
          pattern += (s ? "/" : "") + segment;
        }
        if (!has_depth && length % 2 == 0) pattern += "/c1";
        rule.collections.push_back(pattern);
      }
      rule.actions = {pick(all_actions), pick(all_actions)};
      yaml += "  - name: " + rule.name + "\n    effect: " + (rule.deny ? "deny" : "allow") + "\n";
      std::string subjects;
      if (!rule.namespaces.empty()) subjects += "namespaces: " + yaml_list(rule.namespaces);
      if (!rule.service_accounts.empty()) {
        subjects += (subjects.empty() ? "" : ", ") + std::string("service_accounts: ") +
                    yaml_list(rule.service_accounts);
      }
      if (!rule.principals.empty()) {
        subjects += (subjects.empty() ? "" : ", ") + std::string("principals: ") +
                    yaml_list(rule.principals);
      }
      if (!subjects.empty()) yaml += "    subjects: {" + subjects + "}\n";
      yaml += "    collections: " + yaml_list(rule.collections) + "\n";
      std::vector<std::string> action_names;
      for (Action a : rule.actions) action_names.emplace_back(firewarden::firestore::to_string(a));
      yaml += "    actions: " + yaml_list(action_names) + "\n";
      rules.push_back(std::move(rule));
    }
    INFO(yaml);
    const auto policy = load(yaml);

    for (int q = 0; q < 80; ++q) {
      const Identity who = chance(85) ? workload(pick(namespaces), pick(accounts), "td")
                                      : untemplated("/other", "td");
      const Action action = pick(all_actions);
      std::string path = pick(std::vector<std::string>{"c1", "c2", "n1", "n2", "d1"});
      for (int extra = std::uniform_int_distribution<int>(0, 2)(rng); extra > 0; --extra) {
        path += "/" + pick(std::vector<std::string>{"x", "c1", "n1", "n3"}) + "/" +
                pick(std::vector<std::string>{"c1", "c2", "d1", "n2"});
      }
      const auto wanted = split(path);

      bool expected_allowed = false;
      std::string expected_rule;
      bool denied = false;
      for (const ReferenceRule& rule : rules) {
        if (!any_glob(rule.namespaces, who.namespace_name, rule.deny) ||
            !any_glob(rule.service_accounts, who.service_account, rule.deny) ||
            !any_glob(rule.principals, who.spiffe_id, rule.deny) ||
            std::find(rule.actions.begin(), rule.actions.end(), action) == rule.actions.end()) {
          continue;
        }
        const bool hit = std::any_of(
            rule.collections.begin(), rule.collections.end(),
            [&](const std::string& c) { return path_match(split(c), wanted, who, rule.deny); });
        if (!hit) continue;
        if (rule.deny && !denied) {
          denied = true;
          expected_rule = rule.name;
        } else if (!rule.deny && !denied && !expected_allowed) {
          expected_allowed = true;
          expected_rule = rule.name;
        }
      }
      if (denied) expected_allowed = false;
      if (!expected_allowed && !denied) expected_rule.clear();

      const auto decision = policy->decide(who, request({{action, path}}));
      INFO(who.spiffe_id << " " << firewarden::firestore::to_string(action) << " " << path);
      REQUIRE(decision.allowed == expected_allowed);
      REQUIRE(decision.rule == expected_rule);
      ++(decision.allowed ? allowed_count
                          : (decision.rule.empty() ? default_deny_count : deny_rule_count));
    }
  }
  // Every outcome is exercised, not just the default deny.
  CHECK(allowed_count > 400);
  CHECK(deny_rule_count > 300);
  CHECK(default_deny_count > 1500);
}
