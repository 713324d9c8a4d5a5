// Compiling a policy: the rules checked and compiled once, in file order,
// each filed in the subject index; the decision procedure is in
// compiled_policy_decide.cpp (its steps are listed there).
#include "compiled_policy.hpp"

#include <stdexcept>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace firewarden::policy {

namespace detail {

using firestore::Segment;

namespace {

void require(bool condition, const std::string& what) {
  if (!condition) throw std::invalid_argument("compile_policy: " + what);
}

}  // namespace

CompiledPolicy::CompiledPolicy(PolicySpec spec) {
  std::unordered_set<std::string_view> names;
  rules_.reserve(spec.rules.size());
  for (RuleSpec& rule : spec.rules) {
    require(!rule.name.empty(), "a rule has no name");
    require(rule.effect == Effect::deny || rule.subjects.any_given(),
            "allow rule " + rule.name + " names no subjects");
    require(!rule.collections.empty(), "rule " + rule.name + " has no collections");
    require(rule.actions != 0, "rule " + rule.name + " has no actions");
    for (const auto* list :
         {&rule.subjects.namespaces, &rule.subjects.service_accounts, &rule.subjects.principals}) {
      require(!*list || !(*list)->empty(), "rule " + rule.name + " has an empty subject list");
    }
    const bool deny = rule.effect == Effect::deny;
    const Missing missing = deny ? Missing::match : Missing::no_match;
    CompiledRule compiled{std::move(rule.name),
                          deny,
                          rule.mode == Mode::dry_run,
                          CompiledSubjects(rule.subjects, missing),
                          std::move(rule.databases),
                          {},
                          rule.actions,
                          0};
    for (RulePattern& pattern : rule.collections) {
      require(!pattern.segments.empty() && pattern.segments.size() <= kMaxRulePatternSegments,
              "rule " + compiled.name + ": bad pattern size");
      compiled.patterns.push_back(CompiledPattern{std::move(pattern), {}, {}});
    }
    index_.index_subjects(rule.subjects, deny, static_cast<std::uint32_t>(rules_.size()));
    rules_.push_back(std::move(compiled));
  }
  for (CompiledRule& rule : rules_) {
    require(names.insert(rule.name).second, "duplicate rule name " + rule.name);
    // The rules no longer move: take the views now.
    for (CompiledPattern& compiled : rule.patterns) build_refs(compiled);
    for (const CompiledPattern& compiled : rule.patterns) {
      if (!compiled.variables.empty()) rule.variable_segments += compiled.refs.size();
    }
  }
  for (ImpersonationSpec& entry : spec.impersonation) {
    require(entry.subjects.any_given(), "an impersonation entry names no subjects");
    require(!entry.service_account.empty(), "an impersonation entry has no service account");
    impersonation_.push_back(
        {CompiledSubjects(entry.subjects, Missing::no_match), std::move(entry.service_account)});
  }
  impersonation_required_ = spec.impersonation_required;
}

void CompiledPolicy::build_refs(CompiledPattern& compiled) {
  compiled.refs.clear();
  compiled.variables.clear();
  for (std::size_t i = 0; i < compiled.pattern.segments.size(); ++i) {
    const RuleSegment& segment = compiled.pattern.segments[i];
    switch (segment.kind) {
      case RuleSegment::Kind::literal:
        compiled.refs.push_back({Segment::Kind::literal, segment.text});
        break;
      case RuleSegment::Kind::any_one:
        compiled.refs.push_back({Segment::Kind::any_one, {}});
        break;
      case RuleSegment::Kind::any_depth:
        compiled.refs.push_back({Segment::Kind::any_depth, {}});
        break;
      case RuleSegment::Kind::variable:
        compiled.refs.push_back({Segment::Kind::literal, {}});  // bound per decision
        compiled.variables.emplace_back(i, segment.variable);
        break;
    }
  }
}

}  // namespace detail

std::shared_ptr<const Policy> compile_policy(PolicySpec spec) {
  return std::make_shared<const detail::CompiledPolicy>(std::move(spec));
}

}  // namespace firewarden::policy
