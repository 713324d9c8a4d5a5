// policy::decide() and policy loading at 10, 1,000 and 10,000 rules.
//
// The policies are generated the way large ones look in practice: many
// namespaces with a few rules each (their own collection tree read/write, a
// shared report area, an append-only audit trail, an admin-only
// list_collections), plus a few global rules every caller is subject to (a
// deny without subjects, a principal glob, a dry-run rule).
//
// Run: build-bench/bench/policy_bench [--benchmark_filter=decide]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <variant>

#include "firewarden/policy/policy.hpp"

namespace {

using firewarden::firestore::Action;
using firewarden::firestore::RequestModel;
using firewarden::firestore::Segment;
using firewarden::identity::Identity;
using firewarden::policy::Policy;

constexpr int kRulesPerNamespace = 4;
constexpr int kGlobalRules = 3;

std::string namespace_name(int i) {
  std::string name = "team-";
  name += std::to_string(i);
  return name;
}

std::string policy_yaml(int rules) {
  std::string yaml = R"(version: 1
rules:
  - name: nobody-touches-secrets
    effect: deny
    collections: ["secrets/**"]
    actions: [read, write, list_collections]
  - name: metrics-scrapers
    subjects: {principals: ["spiffe://cluster.local/ns/*/sa/metrics"]}
    collections: ["metrics/**"]
    actions: [read]
  - name: pii-audit
    effect: deny
    mode: dry-run
    collections: ["**/pii"]
    actions: [read]
)";
  // A stream rather than `"..." + ns + "..."`: that trips GCC 12's false
  // -Wrestrict positive at -O3 (GCC bug 105651).
  std::ostringstream out;
  const int namespaces = std::max(1, (rules - kGlobalRules) / kRulesPerNamespace);
  for (int i = 0; i < namespaces; ++i) {
    const std::string ns = namespace_name(i);
    out << "  - name: " << ns << "-own\n    subjects: {namespaces: [\"" << ns << "\"]}\n"
        << "    collections: [\"" << ns << "/**\"]\n    actions: [read, write]\n";
    out << "  - name: " << ns << "-reports\n    subjects: {namespaces: [\"" << ns << "\"]}\n"
        << "    collections: [\"reports/" << ns << "/*\", \"tenants/{namespace}/**\"]\n"
        << "    actions: [read]\n";
    out << "  - name: " << ns << "-audit-append-only\n    effect: deny\n"
        << "    subjects: {namespaces: [\"" << ns << "\"]}\n"
        << "    collections: [\"" << ns << "/*/audit\"]\n    actions: [update, delete]\n";
    out << "  - name: " << ns << "-admin\n"
        << "    subjects: {principals: [\"spiffe://cluster.local/ns/" << ns << "/sa/admin\"]}\n"
        << "    collections: [\"" << ns << "/**\"]\n    actions: [list_collections]\n";
  }
  yaml += out.str();
  return yaml;
}

std::shared_ptr<const Policy> make_policy(int rules) {
  auto result = firewarden::policy::load_policy_text(
      policy_yaml(rules), "bench.yaml", [](const std::string&) { return std::nullopt; });
  if (auto* errors = std::get_if<firewarden::yaml::Diagnostics>(&result)) {
    for (const auto& error : *errors) std::cerr << error.to_string() << "\n";
    std::abort();
  }
  return std::get<std::shared_ptr<const Policy>>(std::move(result));
}

// A caller in the middle of the generated namespaces.
Identity caller(int rules) {
  const std::string ns =
      namespace_name(std::max(1, (rules - kGlobalRules) / kRulesPerNamespace) / 2);
  std::string id = "spiffe://cluster.local/ns/";
  id += ns;
  id += "/sa/api";
  return {id, "cluster.local", ns, "api"};
}

firewarden::firestore::Requirement requirement(Action action, std::initializer_list<Segment> path) {
  return {action, {std::vector<Segment>(path)}};
}

RequestModel model(std::vector<firewarden::firestore::Requirement> requirements) {
  RequestModel request;
  request.method = "bench";
  request.project = "my-project";
  request.database = "(default)";
  request.requirements = std::move(requirements);
  return request;
}

void run(benchmark::State& state, const RequestModel& request, bool expect_allowed) {
  const auto rules = static_cast<int>(state.range(0));
  const auto policy = make_policy(rules);
  const Identity who = caller(rules);
  if (policy->decide(who, request).allowed != expect_allowed) {
    state.SkipWithError("unexpected decision");
    return;
  }
  for (auto _ : state) {
    auto decision = policy->decide(who, request);
    benchmark::DoNotOptimize(decision);
  }
  state.counters["rules"] = static_cast<double>(policy->rule_count());
  state.SetItemsProcessed(state.iterations() *
                          static_cast<std::int64_t>(request.requirements.size()));
}

std::string own(int rules) { return *caller(rules).namespace_name; }

// GET of one document: `get` on its collection.
void BM_decide_get(benchmark::State& state) {
  const std::string ns = own(static_cast<int>(state.range(0)));
  run(state,
      model({requirement(
          Action::get, {Segment::literal(ns), Segment::literal("o1"), Segment::literal("items")})}),
      true);
}

// A write to another team's collection: default deny.
void BM_decide_default_deny(benchmark::State& state) {
  run(state, model({requirement(Action::create, {Segment::literal("team-0-not-mine")})}), false);
}

// A write an enforcing deny rule refuses.
void BM_decide_deny_rule(benchmark::State& state) {
  const std::string ns = own(static_cast<int>(state.range(0)));
  run(state,
      model({requirement(Action::update, {Segment::literal(ns), Segment::literal("o1"),
                                          Segment::literal("audit")})}),
      false);
}

// A commit of 500 writes (upserts: create + update each, de-duplicated per
// collection as the classifier does: 500 distinct item collections).
void BM_decide_commit_500(benchmark::State& state) {
  const std::string ns = own(static_cast<int>(state.range(0)));
  std::vector<firewarden::firestore::Requirement> writes;
  for (int i = 0; writes.size() < 500; ++i) {
    std::string order_id = "o";
    order_id += std::to_string(i);
    const auto order = Segment::literal(order_id);
    writes.push_back(
        requirement(Action::update, {Segment::literal(ns), order, Segment::literal("items")}));
    writes.push_back(
        requirement(Action::create, {Segment::literal(ns), order, Segment::literal("items")}));
  }
  run(state, model(std::move(writes)), true);
}

// A collection-group query (allDescendants): the general covers() path.
void BM_decide_collection_group_query(benchmark::State& state) {
  const std::string ns = own(static_cast<int>(state.range(0)));
  run(state,
      model({requirement(Action::query,
                         {Segment::literal(ns), Segment::any_depth(), Segment::literal("items")})}),
      true);
}

// Loading and compiling the whole policy (what a reload costs).
void BM_load(benchmark::State& state) {
  const std::string yaml = policy_yaml(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto result = firewarden::policy::load_policy_text(
        yaml, "bench.yaml", [](const std::string&) { return std::nullopt; });
    benchmark::DoNotOptimize(result);
  }
}

}  // namespace

BENCHMARK(BM_decide_get)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_decide_default_deny)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_decide_deny_rule)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_decide_commit_500)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_decide_collection_group_query)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_load)->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
