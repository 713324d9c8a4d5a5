// The compiled policy's decision procedure (SPEC §4); the rules are compiled
// in compiled_policy.cpp, the candidate lookup is compiled_policy_index.cpp.
//
// A decision, step by step:
//  1. Candidate rules for the caller come from subject indexes (rules whose
//     namespaces, else principals, else service accounts are all literal are
//     filed under those values; the rest sit in a general list). Each
//     candidate's subjects and databases are then checked in full.
//  2. Variables in the applicable rules' patterns are bound to the caller's
//     values once per decision.
//  3. Every requirement is checked: denied if an enforcing deny rule granting
//     its action has a pattern that intersects it; else allowed if an
//     enforcing allow rule granting its action covers it (its patterns
//     together); else denied by default. A requirement that denotes no
//     collection path at all is denied (a malformed model never passes).
//  4. Dry-run rules are evaluated the same way and only reported.
//  5. Impersonation: the first entry whose subjects match; with
//     impersonation_required, none matching denies the request.
//  6. An allowed request that creates or updates documents: whether the
//     caller may `get` in each written collection, judged as in 3 (SPEC §4,
//     what a write returns is a read).
#include <algorithm>
#include <array>
#include <boost/container/small_vector.hpp>
#include <span>
#include <utility>

#include "compiled_policy.hpp"

namespace firewarden::policy::detail {

using firestore::Segment;

// A rule that applies to this caller and database, its patterns bound:
// Scratch::patterns[first, first + count).
struct ApplicableRule {
  const CompiledRule* rule = nullptr;
  std::size_t first = 0;
  std::size_t count = 0;
  // Dry-run bookkeeping across the request's requirements.
  bool relevant = false;
  bool covers_all = true;
};

// Per-decision working memory, on the stack for the usual request (a few
// applicable rules with a few patterns each); beyond that three allocations at
// most, `bound` and `patterns` sized up front.
struct Scratch {
  template <typename T, std::size_t N>
  using InlineVector = boost::container::small_vector<T, N>;
  InlineVector<ApplicableRule, 8> rules;  // file order
  InlineVector<SegmentRef, 32> bound;     // bound copies of patterns with variables
  InlineVector<PatternRef, 16> patterns;  // every applicable rule's patterns
  bool any_dry_run = false;

  std::span<const PatternRef> patterns_of(const ApplicableRule& rule) const {
    return std::span<const PatternRef>(patterns.data(), patterns.size())
        .subspan(rule.first, rule.count);
  }
};

// A requirement's pattern as SegmentRefs, on the stack unless it is long.
class RequirementView {
 public:
  explicit RequirementView(const firestore::CollectionPattern& pattern) {
    const std::size_t size = pattern.segments.size();
    SegmentRef* out = inline_.data();
    if (size > inline_.size()) {
      heap_.resize(size);
      out = heap_.data();
    }
    for (std::size_t i = 0; i < size; ++i) {
      out[i] = {pattern.segments[i].kind, pattern.segments[i].text};
    }
    view_ = PatternRef(out, size);
  }
  RequirementView(const RequirementView&) = delete;
  RequirementView& operator=(const RequirementView&) = delete;

  PatternRef get() const { return view_; }

 private:
  std::array<SegmentRef, 32> inline_{};
  std::vector<SegmentRef> heap_;
  PatternRef view_;
};

namespace {

const std::string* variable_value(const Identity& who, Variable variable) {
  switch (variable) {
    case Variable::namespace_name:
      return who.namespace_name ? &*who.namespace_name : nullptr;
    case Variable::service_account:
      return who.service_account ? &*who.service_account : nullptr;
    case Variable::trust_domain:
      return &who.trust_domain;
  }
  return nullptr;
}

// Binds a rule's variables to the caller's values. In an allow rule, a
// variable the caller lacks makes that pattern match nothing (SPEC §4); so
// does a value that cannot be a single segment (empty, or containing '/';
// the identity module never produces one). In a deny rule both widen to
// `*`: a caller whose ID does not fit the template is matched by every deny
// rule that names namespaces or service accounts (SPEC §3), and so by the
// patterns that name them too; an odd identity can only be denied more. A
// rule left with no pattern keeps count == 0 and never matches.
void bind(ApplicableRule& applicable, const Identity& who, Scratch& scratch) {
  const CompiledRule& rule = *applicable.rule;
  applicable.first = scratch.patterns.size();
  for (const CompiledPattern& compiled : rule.patterns) {
    if (compiled.variables.empty()) {
      scratch.patterns.emplace_back(compiled.refs);
      continue;
    }
    const std::size_t offset = scratch.bound.size();
    scratch.bound.insert(scratch.bound.end(), compiled.refs.begin(), compiled.refs.end());
    bool usable = true;
    for (const auto& [position, variable] : compiled.variables) {
      const std::string* value = variable_value(who, variable);
      SegmentRef& slot = scratch.bound[offset + position];
      if (value == nullptr || value->empty() || value->find('/') != std::string::npos) {
        if (rule.deny) {
          slot = {Segment::Kind::any_one, {}};
        } else {
          usable = false;
        }
      } else {
        slot = {Segment::Kind::literal, *value};
      }
    }
    if (!usable) {
      scratch.bound.resize(offset);
      continue;
    }
    scratch.patterns.emplace_back(scratch.bound.data() + offset, compiled.refs.size());
  }
  applicable.count = scratch.patterns.size() - applicable.first;
}

bool grants(const ApplicableRule& rule, firestore::Action action) {
  return (rule.rule->actions & action_bit(action)) != 0;
}

bool touches(const Scratch& scratch, const ApplicableRule& rule, PatternRef wanted) {
  const auto patterns = scratch.patterns_of(rule);
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](PatternRef pattern) { return intersects(pattern, wanted); });
}

RequirementVerdict judge(const firestore::Requirement& requirement, PatternRef wanted,
                         const Scratch& scratch) {
  RequirementVerdict verdict{requirement, false, {}};
  if (!denotes_collection(wanted)) return verdict;  // malformed: default deny
  for (const ApplicableRule& rule : scratch.rules) {
    if (rule.rule->deny && !rule.rule->dry_run && grants(rule, requirement.action) &&
        touches(scratch, rule, wanted)) {
      verdict.rule = rule.rule->name;
      return verdict;
    }
  }
  for (const ApplicableRule& rule : scratch.rules) {
    if (!rule.rule->deny && !rule.rule->dry_run && grants(rule, requirement.action) &&
        covers(scratch.patterns_of(rule), wanted)) {
      verdict.allowed = true;
      verdict.rule = rule.rule->name;
      return verdict;
    }
  }
  return verdict;
}

// The first collection the request creates or updates documents in where
// a `get` would be denied: the write's response would show what the caller
// may not read. Only enforcing rules count, as for the decision itself.
std::optional<ResponseCut> find_response_cut(const firestore::RequestModel& request,
                                             const Scratch& scratch) {
  const firestore::CollectionPattern* judged = nullptr;
  for (const firestore::Requirement& requirement : request.requirements) {
    if (requirement.action != firestore::Action::create &&
        requirement.action != firestore::Action::update) {
      continue;
    }
    // An upsert requires create and update on one collection: judge it once.
    if (judged != nullptr && *judged == requirement.collection) continue;
    judged = &requirement.collection;
    const firestore::Requirement get{firestore::Action::get, requirement.collection};
    const RequirementView wanted(get.collection);
    RequirementVerdict verdict = judge(get, wanted.get(), scratch);
    if (!verdict.allowed) {
      return ResponseCut{std::move(verdict.requirement.collection), std::move(verdict.rule)};
    }
  }
  return std::nullopt;
}

// A dry-run rule is reported when it is relevant to some requirement: its
// subjects and databases match, it names the requirement's action, and one
// of its patterns intersects the requirement. A dry-run deny rule then
// "would deny". A dry-run allow rule "would allow" when it covers every
// requirement it is relevant to; otherwise it is reported with
// would_allow=false (it touches the request but could not have allowed it).
void track_dry_run(firestore::Action action, PatternRef wanted, Scratch& scratch) {
  for (ApplicableRule& rule : scratch.rules) {
    if (!rule.rule->dry_run || !grants(rule, action) || !touches(scratch, rule, wanted)) {
      continue;
    }
    rule.relevant = true;
    if (!rule.rule->deny && rule.covers_all) {
      rule.covers_all = covers(scratch.patterns_of(rule), wanted);
    }
  }
}

}  // namespace

Decision CompiledPolicy::decide(const Identity& who, const firestore::RequestModel& request) const {
  Scratch scratch;
  collect_applicable_rules(who, request, scratch);

  Decision decision;
  decision.requirements.reserve(request.requirements.size());
  for (const firestore::Requirement& requirement : request.requirements) {
    const RequirementView wanted(requirement.collection);
    decision.requirements.push_back(judge(requirement, wanted.get(), scratch));
    if (scratch.any_dry_run) track_dry_run(requirement.action, wanted.get(), scratch);
  }
  for (const ApplicableRule& rule : scratch.rules) {
    if (rule.rule->dry_run && rule.relevant) {
      decision.dry_run.push_back({rule.rule->name, !rule.rule->deny && rule.covers_all});
    }
  }

  decision.allowed = std::all_of(decision.requirements.begin(), decision.requirements.end(),
                                 [](const RequirementVerdict& v) { return v.allowed; });
  if (decision.allowed) {
    if (!decision.requirements.empty()) decision.rule = decision.requirements.front().rule;
  } else {
    // The first enforcing deny rule that fired, else default deny (empty).
    for (const RequirementVerdict& verdict : decision.requirements) {
      if (!verdict.allowed && !verdict.rule.empty()) {
        decision.rule = verdict.rule;
        break;
      }
    }
  }
  for (const CompiledImpersonation& entry : impersonation_) {
    if (entry.subjects.matches(who)) {
      decision.impersonate = entry.service_account;
      break;
    }
  }
  if (impersonation_required_ && !decision.impersonate) {
    // Never fall back to firewarden's own Google identity (SPEC §4).
    decision.no_impersonation = true;
    if (decision.allowed) decision.rule.clear();
    decision.allowed = false;
  }
  if (decision.allowed) decision.response_cut = find_response_cut(request, scratch);
  return decision;
}

void CompiledPolicy::collect_applicable_rules(const Identity& who,
                                              const firestore::RequestModel& request,
                                              Scratch& scratch) const {
  // A model without a database is malformed: no rule applies, all is denied.
  if (request.database.empty()) return;
  std::size_t bound_size = 0;
  std::size_t pattern_count = 0;
  index_.for_each_candidate(who, [&](std::uint32_t index) {
    const CompiledRule& rule = rules_[index];
    if (!rule.applies_to_database(request.database) || !rule.subjects.matches(who)) return;
    scratch.rules.push_back({&rule, 0, 0});
    bound_size += rule.variable_segments;
    pattern_count += rule.patterns.size();
  });
  // Reserved up front: the PatternRefs point into `bound`, which must not move.
  scratch.bound.reserve(bound_size);
  scratch.patterns.reserve(pattern_count);
  for (ApplicableRule& applicable : scratch.rules) {
    bind(applicable, who, scratch);
    scratch.any_dry_run = scratch.any_dry_run || applicable.rule->dry_run;
  }
}

}  // namespace firewarden::policy::detail
