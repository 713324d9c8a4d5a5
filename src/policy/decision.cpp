// What a decision says in words, and the action names of the policy file.
#include <string>
#include <string_view>

#include "firewarden/policy/policy.hpp"
#include "firewarden/policy/policy_spec.hpp"

namespace firewarden::policy {

const RequirementVerdict* Decision::first_denied() const {
  for (const RequirementVerdict& verdict : requirements) {
    if (!verdict.allowed) return &verdict;
  }
  return nullptr;
}

std::string denial_sentence(const identity::Identity& who, const Decision& decision) {
  std::string message = who.spiffe_id + " may not ";
  if (const auto* denied = decision.first_denied()) {
    message += std::string(firestore::to_string(denied->requirement.action)) + " in collection " +
               denied->requirement.collection.to_string();
    message +=
        denied->rule.empty() ? " (no rule allows it)" : " (denied by rule " + denied->rule + ")";
  } else {
    message += "make this request";
    if (decision.no_impersonation) {
      message += " (no impersonation entry matches it, and the policy requires one)";
    }
  }
  return message;
}

std::string response_cut_reason(const ResponseCut& cut) {
  return "no get on collection " + cut.collection.to_string() +
         (cut.rule.empty() ? " (no rule allows it)" : " (denied by rule " + cut.rule + ")");
}

std::optional<ActionSet> parse_action_name(std::string_view name) {
  using firestore::Action;
  if (name == "read") {
    return static_cast<ActionSet>(action_bit(Action::get) | action_bit(Action::list) |
                                  action_bit(Action::query));
  }
  if (name == "write") {
    return static_cast<ActionSet>(action_bit(Action::create) | action_bit(Action::update) |
                                  action_bit(Action::remove));
  }
  if (auto action = firestore::action_from_string(name)) return action_bit(*action);
  return std::nullopt;
}

}  // namespace firewarden::policy
