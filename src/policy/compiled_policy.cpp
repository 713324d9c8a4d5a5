// About 540 lines: one class, the decision procedure, whose per-request path
// (candidate lookup, binding, judging) the compiler inlines within this file;
// the subject index (index_subjects and its lookups) is the part to split next.
//
// The compiled policy and its decision procedure (SPEC §4).
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
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "firewarden/policy/collection_match.hpp"
#include "firewarden/policy/glob.hpp"
#include "firewarden/policy/policy_spec.hpp"

namespace firewarden::policy {

namespace {

using firestore::Segment;
using identity::Identity;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};
using RuleIndex =
    std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>>;

// Which way a subject key the caller has no value for goes.
enum class Missing {
  no_match,  // allow rules and impersonation entries: never grant on a value not known
  match,     // deny rules: an unparseable caller cannot escape a deny (SPEC §3)
};

class CompiledSubjects {
 public:
  CompiledSubjects(const Subjects& subjects, Missing missing)
      : namespaces_(compile(subjects.namespaces)),
        service_accounts_(compile(subjects.service_accounts)),
        principals_(compile(subjects.principals)),
        missing_(missing) {}

  // Every given key must match. A namespace or service account key and a
  // caller without that value (its ID does not fit identity.path_template,
  // or the template has no such variable) match as `missing_` says.
  bool matches(const Identity& who) const {
    return key_matches(namespaces_, who.namespace_name) &&
           key_matches(service_accounts_, who.service_account) &&
           (!principals_ || any_matches(*principals_, who.spiffe_id));
  }

 private:
  static std::optional<std::vector<Glob>> compile(
      const std::optional<std::vector<std::string>>& values) {
    if (!values) return std::nullopt;
    std::vector<Glob> globs;
    globs.reserve(values->size());
    for (const std::string& value : *values) globs.emplace_back(value);
    return globs;
  }
  static bool any_matches(const std::vector<Glob>& globs, std::string_view value) {
    return std::any_of(globs.begin(), globs.end(),
                       [&](const Glob& glob) { return glob.matches(value); });
  }
  bool key_matches(const std::optional<std::vector<Glob>>& globs,
                   const std::optional<std::string>& value) const {
    if (!globs) return true;
    if (!value) return missing_ == Missing::match;
    return any_matches(*globs, *value);
  }

  std::optional<std::vector<Glob>> namespaces_;
  std::optional<std::vector<Glob>> service_accounts_;
  std::optional<std::vector<Glob>> principals_;
  Missing missing_;
};

struct CompiledPattern {
  RulePattern pattern;           // owns the literal texts
  std::vector<SegmentRef> refs;  // views into `pattern`; variables are placeholders
  std::vector<std::pair<std::size_t, Variable>> variables;
};

struct CompiledRule {
  std::string name;
  bool deny = false;
  bool dry_run = false;
  CompiledSubjects subjects;
  std::optional<std::vector<std::string>> databases;
  std::vector<CompiledPattern> patterns;
  ActionSet actions = 0;
  std::size_t variable_segments = 0;  // scratch space binding needs

  bool applies_to_database(const std::string& database) const {
    return !databases ||
           std::find(databases->begin(), databases->end(), database) != databases->end();
  }
};

struct CompiledImpersonation {
  CompiledSubjects subjects;
  std::string service_account;
};

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

void require(bool condition, const std::string& what) {
  if (!condition) throw std::invalid_argument("compile_policy: " + what);
}

class CompiledPolicy final : public Policy {
 public:
  explicit CompiledPolicy(PolicySpec spec) {
    std::unordered_set<std::string_view> names;
    rules_.reserve(spec.rules.size());
    for (RuleSpec& rule : spec.rules) {
      require(!rule.name.empty(), "a rule has no name");
      require(rule.effect == Effect::deny || rule.subjects.any_given(),
              "allow rule " + rule.name + " names no subjects");
      require(!rule.collections.empty(), "rule " + rule.name + " has no collections");
      require(rule.actions != 0, "rule " + rule.name + " has no actions");
      for (const auto* list : {&rule.subjects.namespaces, &rule.subjects.service_accounts,
                               &rule.subjects.principals}) {
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
      index_subjects(rule.subjects, deny, static_cast<std::uint32_t>(rules_.size()));
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

  CompiledPolicy(const CompiledPolicy&) = delete;
  CompiledPolicy& operator=(const CompiledPolicy&) = delete;

  std::size_t rule_count() const override { return rules_.size(); }

  Decision decide(const Identity& who, const firestore::RequestModel& request) const override {
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

 private:
  // Files a rule under one literal-only subject key, the most selective one
  // first. The key is a necessary condition of a match, so a lookup by the
  // caller's value finds every rule that can apply (plus the general list).
  // A deny rule filed under namespace or service account is also listed for
  // callers without that value, whom every such deny rule matches.
  void index_subjects(const Subjects& subjects, bool deny, std::uint32_t rule) {
    const auto literal_only = [](const std::optional<std::vector<std::string>>& values) {
      return values && std::none_of(values->begin(), values->end(), [](const std::string& v) {
               return v.find('*') != std::string::npos;
             });
    };
    const auto file_under = [rule](RuleIndex& index, const std::vector<std::string>& values) {
      for (const std::string& value : values) {
        std::vector<std::uint32_t>& bucket = index[value];
        if (bucket.empty() || bucket.back() != rule) bucket.push_back(rule);
      }
    };
    if (literal_only(subjects.namespaces)) {
      file_under(by_namespace_, *subjects.namespaces);
      if (deny) namespace_denies_.push_back(rule);
    } else if (literal_only(subjects.principals)) {
      file_under(by_principal_, *subjects.principals);
    } else if (literal_only(subjects.service_accounts)) {
      file_under(by_service_account_, *subjects.service_accounts);
      if (deny) service_account_denies_.push_back(rule);
    } else {
      general_.push_back(rule);
    }
  }

  static void build_refs(CompiledPattern& compiled) {
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

  static std::span<const std::uint32_t> lookup(const RuleIndex& index,
                                               const std::optional<std::string>& key) {
    if (!key) return {};
    const auto found = index.find(std::string_view(*key));
    if (found == index.end()) return {};
    return found->second;
  }

  // Calls `visit(rule index)` for every rule filed where this caller may
  // match, in file order (a merge of the disjoint, sorted index lists).
  template <typename Visit>
  void for_each_candidate(const Identity& who, Visit visit) const {
    std::array<std::span<const std::uint32_t>, 4> lists = {
        std::span<const std::uint32_t>(general_),
        who.namespace_name ? lookup(by_namespace_, who.namespace_name)
                           : std::span<const std::uint32_t>(namespace_denies_),
        lookup(by_principal_, who.spiffe_id),
        who.service_account ? lookup(by_service_account_, who.service_account)
                            : std::span<const std::uint32_t>(service_account_denies_)};
    for (;;) {
      std::span<const std::uint32_t>* next = nullptr;
      for (auto& list : lists) {
        if (!list.empty() && (next == nullptr || list.front() < next->front())) next = &list;
      }
      if (next == nullptr) return;
      visit(next->front());
      *next = next->subspan(1);
    }
  }

  void collect_applicable_rules(const Identity& who, const firestore::RequestModel& request,
                                Scratch& scratch) const {
    // A model without a database is malformed: no rule applies, all is denied.
    if (request.database.empty()) return;
    std::size_t bound_size = 0;
    std::size_t pattern_count = 0;
    for_each_candidate(who, [&](std::uint32_t index) {
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

  // Binds a rule's variables to the caller's values. In an allow rule, a
  // variable the caller lacks makes that pattern match nothing (SPEC §4); so
  // does a value that cannot be a single segment (empty, or containing '/';
  // the identity module never produces one). In a deny rule both widen to
  // `*`: a caller whose ID does not fit the template is matched by every deny
  // rule that names namespaces or service accounts (SPEC §3), and so by the
  // patterns that name them too; an odd identity can only be denied more. A
  // rule left with no pattern keeps count == 0 and never matches.
  static void bind(ApplicableRule& applicable, const Identity& who, Scratch& scratch) {
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

  static bool grants(const ApplicableRule& rule, firestore::Action action) {
    return (rule.rule->actions & action_bit(action)) != 0;
  }

  static bool touches(const Scratch& scratch, const ApplicableRule& rule, PatternRef wanted) {
    const auto patterns = scratch.patterns_of(rule);
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](PatternRef pattern) { return intersects(pattern, wanted); });
  }

  static RequirementVerdict judge(const firestore::Requirement& requirement, PatternRef wanted,
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
  static std::optional<ResponseCut> find_response_cut(const firestore::RequestModel& request,
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
  static void track_dry_run(firestore::Action action, PatternRef wanted, Scratch& scratch) {
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

  std::vector<CompiledRule> rules_;  // file order; never resized after construction
  RuleIndex by_namespace_;
  RuleIndex by_principal_;
  RuleIndex by_service_account_;
  std::vector<std::uint32_t> namespace_denies_;        // deny rules in by_namespace_
  std::vector<std::uint32_t> service_account_denies_;  // deny rules in by_service_account_
  std::vector<std::uint32_t> general_;
  std::vector<CompiledImpersonation> impersonation_;
  bool impersonation_required_ = false;
};

}  // namespace

std::shared_ptr<const Policy> compile_policy(PolicySpec spec) {
  return std::make_shared<const CompiledPolicy>(std::move(spec));
}

}  // namespace firewarden::policy
