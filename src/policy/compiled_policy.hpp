#pragma once
// The compiled policy's parts, private to the policy module: the compiled
// rules (compiled_policy.cpp), the subject index that finds a caller's
// candidate rules (compiled_policy_index.cpp) and the decision procedure
// (compiled_policy_decide.cpp).
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "firewarden/policy/collection_match.hpp"
#include "firewarden/policy/glob.hpp"
#include "firewarden/policy/policy_spec.hpp"

namespace firewarden::policy::detail {

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

// Candidate rules by the caller's subject values (step 1 of a decision).
class SubjectIndex {
 public:
  // Files a rule under one literal-only subject key, the most selective one
  // first. The key is a necessary condition of a match, so a lookup by the
  // caller's value finds every rule that can apply (plus the general list).
  // A deny rule filed under namespace or service account is also listed for
  // callers without that value, whom every such deny rule matches.
  void index_subjects(const Subjects& subjects, bool deny, std::uint32_t rule);

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

 private:
  static std::span<const std::uint32_t> lookup(const RuleIndex& index,
                                               const std::optional<std::string>& key);

  RuleIndex by_namespace_;
  RuleIndex by_principal_;
  RuleIndex by_service_account_;
  std::vector<std::uint32_t> namespace_denies_;        // deny rules in by_namespace_
  std::vector<std::uint32_t> service_account_denies_;  // deny rules in by_service_account_
  std::vector<std::uint32_t> general_;
};

struct Scratch;  // per-decision working memory (compiled_policy_decide.cpp)

class CompiledPolicy final : public Policy {
 public:
  explicit CompiledPolicy(PolicySpec spec);

  CompiledPolicy(const CompiledPolicy&) = delete;
  CompiledPolicy& operator=(const CompiledPolicy&) = delete;

  std::size_t rule_count() const override { return rules_.size(); }

  Decision decide(const Identity& who, const firestore::RequestModel& request) const override;

 private:
  static void build_refs(CompiledPattern& compiled);
  void collect_applicable_rules(const Identity& who, const firestore::RequestModel& request,
                                Scratch& scratch) const;

  std::vector<CompiledRule> rules_;  // file order; never resized after construction
  SubjectIndex index_;
  std::vector<CompiledImpersonation> impersonation_;
  bool impersonation_required_ = false;
};

}  // namespace firewarden::policy::detail
