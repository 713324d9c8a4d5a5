// libFuzzer target: the policy loader, and decide() on whatever loads.
//
// Input: policy YAML. Beyond "no crash, no UB, no exception", it checks:
//  - a refused policy yields at least one diagnostic, each naming the file
//    and saying something, in line/column order;
//  - a loaded policy decides a fixed set of requests for a fixed set of
//    callers deterministically and consistently: one verdict per requirement,
//    allowed exactly when every verdict is, an allowed requirement always
//    names its rule, and malformed models (a document path where a
//    collection belongs, no database) are never allowed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "firewarden/policy/policy.hpp"

namespace {

using firewarden::firestore::Action;
using firewarden::firestore::RequestModel;
using firewarden::firestore::Segment;
using firewarden::identity::Identity;
using firewarden::policy::Decision;
using firewarden::policy::Policy;

void require(bool condition) {
  if (!condition) std::abort();
}

RequestModel model(std::vector<std::pair<Action, std::vector<Segment>>> requirements,
                   std::string database = "(default)") {
  RequestModel request;
  request.method = "fuzz";
  request.project = "p";
  request.database = std::move(database);
  for (auto& [action, segments] : requirements) {
    request.requirements.push_back({action, {std::move(segments)}});
  }
  return request;
}

Segment lit(const char* text) { return Segment::literal(text); }

std::vector<Identity> callers() {
  return {
      {"spiffe://cluster.local/ns/orders/sa/api", "cluster.local", "orders", "api"},
      {"spiffe://cluster.local/ns/analytics/sa/reporter", "cluster.local", "analytics", "reporter"},
      {"spiffe://cluster.local/ns/a/sa/b", "cluster.local", "a", "b"},
      {"spiffe://other.org/batch/7", "other.org", std::nullopt, std::nullopt, false},
  };
}

std::vector<RequestModel> requests() {
  return {
      model({{Action::get, {lit("orders")}}}),
      model({{Action::create, {lit("orders"), lit("o1"), lit("items")}},
             {Action::update, {lit("orders"), lit("o1"), lit("audit")}}}),
      model({{Action::query, {lit("orders"), Segment::any_depth(), lit("items")}}}),
      model({{Action::query, {lit("tenants"), lit("a"), Segment::any_one()}}}),
      model({{Action::list_collections, {Segment::any_one()}}}),
      model({{Action::remove, {lit("a")}}}, "other-db"),
      model({}),
  };
}

// Requests no policy may allow.
std::vector<RequestModel> malformed() {
  return {
      model({{Action::get, {lit("orders"), lit("o1")}}}),  // a document, not a collection
      model({{Action::get, {lit("orders")}}}, ""),         // no database
      model({{Action::get, {}}}),                          // no path
      model({{Action::get, {lit("")}}}),                   // empty segment
  };
}

void check_decision(const Decision& decision, const RequestModel& request) {
  require(decision.requirements.size() == request.requirements.size());
  bool all_allowed = true;
  for (std::size_t i = 0; i < decision.requirements.size(); ++i) {
    const auto& verdict = decision.requirements[i];
    require(verdict.requirement == request.requirements[i]);
    if (verdict.allowed) require(!verdict.rule.empty());
    all_allowed = all_allowed && verdict.allowed;
  }
  // impersonation_required denies a request whose requirements all pass.
  require(!decision.no_impersonation || !decision.impersonate);
  require(decision.allowed == (all_allowed && !decision.no_impersonation));
  require((decision.first_denied() == nullptr) == all_allowed);
  if (decision.allowed) {
    // An allowed request names the rule that allowed its first requirement.
    require(decision.requirements.empty() ? decision.rule.empty()
                                          : decision.rule == decision.requirements[0].rule);
  } else {
    // A denied one names a deny rule that fired, or nothing (default deny).
    require(decision.rule.empty() ||
            std::any_of(decision.requirements.begin(), decision.requirements.end(),
                        [&](const auto& v) { return !v.allowed && v.rule == decision.rule; }));
  }
}

void check_policy(const Policy& policy) {
  for (const Identity& who : callers()) {
    for (const RequestModel& request : requests()) {
      const Decision decision = policy.decide(who, request);
      check_decision(decision, request);
      const Decision again = policy.decide(who, request);
      require(std::tie(again.allowed, again.rule, again.impersonate) ==
              std::tie(decision.allowed, decision.rule, decision.impersonate));
      require(again.dry_run.size() == decision.dry_run.size());
    }
    for (const RequestModel& request : malformed()) {
      const Decision decision = policy.decide(who, request);
      check_decision(decision, request);
      require(!decision.allowed);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // No environment: the same input always means the same policy.
  const auto result = firewarden::policy::load_policy_text(
      text, "fuzz.yaml", [](const std::string&) { return std::nullopt; });
  if (const auto* errors = std::get_if<firewarden::yaml::Diagnostics>(&result)) {
    require(!errors->empty());
    for (std::size_t i = 0; i < errors->size(); ++i) {
      const auto& error = (*errors)[i];
      require(error.file == "fuzz.yaml" && !error.message.empty());
      require(error.line >= 0 && error.column >= 0);
      if (i > 0) {
        const auto& previous = (*errors)[i - 1];
        require(std::tie(previous.line, previous.column) <= std::tie(error.line, error.column));
      }
    }
    return 0;
  }
  const auto& policy = std::get<std::shared_ptr<const Policy>>(result);
  require(policy != nullptr);
  check_policy(*policy);
  return 0;
}
