// Just over 350 lines: one pipeline from tallied access lines to policy YAML
// (callers, rules, counts, the commented output), kept together so the
// suggestion reads top to bottom.
#include "firewarden/app/suggested_policy.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "firewarden/policy/policy_spec.hpp"

namespace firewarden::app {
namespace {

using firestore::Action;
using policy::action_bit;
using policy::ActionSet;

constexpr std::size_t kMaxBaseNameBytes = 100;  // the loader allows 128 per rule name

// Every action in the policy's order, and the two shorthands.
constexpr Action kActions[] = {
    Action::get,    Action::list,   Action::query,           Action::create,
    Action::update, Action::remove, Action::list_collections};
constexpr ActionSet kRead =
    action_bit(Action::get) | action_bit(Action::list) | action_bit(Action::query);
constexpr ActionSet kWrite =
    action_bit(Action::create) | action_bit(Action::update) | action_bit(Action::remove);

// Who a rule is for: a (namespace, service account), or one SPIFFE ID.
struct Subject {
  std::optional<std::string> namespace_name;
  std::optional<std::string> service_account;
  std::optional<std::string> principal;

  static Subject of(const identity::Identity& who) {
    if (who.namespace_name && who.service_account) {
      return {who.namespace_name, who.service_account, std::nullopt};
    }
    return {std::nullopt, std::nullopt, who.spiffe_id};
  }
  // (namespace, service account) callers first, in name order, then principals.
  friend bool operator<(const Subject& a, const Subject& b) {
    return std::tie(a.principal, a.namespace_name, a.service_account) <
           std::tie(b.principal, b.namespace_name, b.service_account);
  }
  friend bool operator==(const Subject&, const Subject&) = default;
  std::string label() const {
    return principal ? *principal : *namespace_name + "/" + *service_account;
  }
};

struct PatternUse {
  ActionSet actions = 0;
  std::map<Action, std::size_t> requests;  // requests that required the action here
};

struct Caller {
  std::map<std::string, PatternUse> patterns;  // generalised pattern -> use
  std::set<std::string> spiffe_ids;
  std::set<std::string> impersonated;  // on allowed requests
  bool allowed_without_impersonation = false;
};

struct Rule {
  std::string name;
  const Subject* subject = nullptr;
  ActionSet actions = 0;
  std::vector<std::string> collections;  // sorted
  std::size_t requests = 0;
  std::map<std::string, std::size_t> by_decision;  // as logged
  std::size_t denied_now = 0;                      // by the current policy
  std::map<std::string, std::size_t> denials;      // "create orders/* (why)" -> requests
};

// "read, create" for get+list+query+create: shorthands only where complete.
std::vector<std::string> action_names(ActionSet actions) {
  std::vector<std::string> names;
  if ((actions & kRead) == kRead) names.emplace_back("read");
  for (const Action action : kActions) {
    if ((actions & action_bit(action)) == 0) continue;
    const bool folded = ((actions & kRead) == kRead && (kRead & action_bit(action)) != 0) ||
                        ((actions & kWrite) == kWrite && (kWrite & action_bit(action)) != 0);
    if (!folded) names.emplace_back(firestore::to_string(action));
    if (action == Action::remove && (actions & kWrite) == kWrite) names.emplace_back("write");
  }
  return names;
}

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// A YAML double-quoted scalar (JSON's string syntax is valid YAML), with `$`
// doubled: the policy loader expands ${VAR} in string values.
std::string quoted(const std::string& text) {
  std::string escaped;
  for (const char c : text) escaped += c == '$' ? std::string("$$") : std::string(1, c);
  return nlohmann::json(escaped).dump();
}

std::vector<std::string> quoted_all(const std::set<std::string>& texts) {
  std::vector<std::string> out;
  for (const auto& text : texts) out.push_back(quoted(text));
  return out;
}

// Text for a comment line: a control character (a newline above all) would
// end the comment and put the rest into the policy.
std::string comment_text(std::string text) {
  std::replace_if(
      text.begin(), text.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
  return text;
}

std::string base_name(const Subject& subject) {
  std::string name = "suggested-";
  if (subject.principal) {
    // spiffe://td/a/b -> td-a-b: trust domain and path characters are all
    // valid in a rule name except '/'.
    std::string rest = subject.principal->substr(std::string_view("spiffe://").size());
    std::replace(rest.begin(), rest.end(), '/', '-');
    name += rest;
  } else {
    name += *subject.namespace_name + "-" + *subject.service_account;
  }
  return name.substr(0, kMaxBaseNameBytes);
}

std::string unique_name(std::string name, std::set<std::string>& taken) {
  for (std::size_t n = 2; !taken.insert(name).second; ++n) {
    name = name.substr(0, kMaxBaseNameBytes) + "-" + std::to_string(n);
  }
  return name;
}

std::map<Subject, Caller> callers_of(const AccessLogTally& tally) {
  std::map<Subject, Caller> callers;
  for (const Observation& seen : tally.observations) {
    Caller& caller = callers[Subject::of(seen.who)];
    caller.spiffe_ids.insert(seen.who.spiffe_id);
    // Only an allowed request is impersonated (and one whose forwarding
    // failed later is logged as an error, with its impersonation).
    if (seen.impersonated) {
      caller.impersonated.insert(*seen.impersonated);
    } else if (seen.decision == "allow") {
      caller.allowed_without_impersonation = true;
    }
    // A request counts once per (pattern, action), however many documents.
    std::set<std::pair<std::string, Action>> counted;
    for (std::size_t i = 0; i < seen.required.size(); ++i) {
      PatternUse& use = caller.patterns[seen.patterns[i]];
      const Action action = seen.required[i].action;
      use.actions |= action_bit(action);
      if (counted.emplace(seen.patterns[i], action).second) use.requests[action] += seen.count;
    }
  }
  return callers;
}

// One rule per (caller, set of actions): its patterns are the caller's
// patterns with exactly those actions.
std::vector<Rule> rules_of(const std::map<Subject, Caller>& callers) {
  std::vector<Rule> rules;
  std::set<std::string> taken;
  for (const auto& [subject, caller] : callers) {
    std::map<ActionSet, std::vector<std::string>> by_actions;
    for (const auto& [pattern, use] : caller.patterns) by_actions[use.actions].push_back(pattern);
    std::vector<Rule> own;
    for (auto& [actions, patterns] : by_actions) {
      Rule rule;
      rule.subject = &subject;
      rule.actions = actions;
      rule.collections = std::move(patterns);
      own.push_back(std::move(rule));
    }
    std::sort(own.begin(), own.end(),
              [](const Rule& a, const Rule& b) { return a.collections < b.collections; });
    for (Rule& rule : own) {
      std::string name = base_name(subject);
      if (own.size() > 1) name += "-" + joined(action_names(rule.actions), "-");
      rule.name = unique_name(std::move(name), taken);
      rules.push_back(std::move(rule));
    }
  }
  return rules;
}

// Which rule holds each (caller, pattern): every pattern is in exactly one.
using RuleIndex = std::map<std::pair<Subject, std::string>, std::size_t>;

RuleIndex index_of(const std::vector<Rule>& rules) {
  RuleIndex index;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    for (const auto& pattern : rules[i].collections) index[{*rules[i].subject, pattern}] = i;
  }
  return index;
}

void count_requests(const SuggestInput& input, std::vector<Rule>& rules) {
  const RuleIndex index = index_of(rules);
  const auto& observations = input.tally->observations;
  for (std::size_t k = 0; k < observations.size(); ++k) {
    const Observation& seen = observations[k];
    const Subject subject = Subject::of(seen.who);
    std::set<std::size_t> held;
    for (const auto& pattern : seen.patterns) held.insert(index.at({subject, pattern}));
    for (const std::size_t i : held) {
      rules[i].requests += seen.count;
      rules[i].by_decision[seen.decision] += seen.count;
    }
    if (k >= input.current.size() || input.current[k].allowed) continue;
    // A denial is told at the rule that would newly allow its first denied
    // requirement.
    const CurrentVerdict& verdict = input.current[k];
    const std::size_t denied = std::min(verdict.first_denied, seen.required.size() - 1);
    const std::string& pattern = seen.patterns[denied];
    Rule& rule = rules[index.at({subject, pattern})];
    rule.denied_now += seen.count;
    rule.denials[std::string(firestore::to_string(seen.required[denied].action)) + " " + pattern +
                 " (" + verdict.why + ")"] += seen.count;
  }
}

std::string decisions_text(const std::map<std::string, std::size_t>& by_decision) {
  static constexpr std::pair<const char*, const char*> kLabels[] = {
      {"allow", " allowed"}, {"deny", " denied"}, {"error", " ended in an error"}};
  std::vector<std::string> parts;
  for (const auto& [decision, label] : kLabels) {
    if (const auto found = by_decision.find(decision); found != by_decision.end()) {
      parts.push_back(std::to_string(found->second) + label);
    }
  }
  return joined(parts, ", ");
}

void write_header(std::ostream& out, const SuggestInput& input,
                  const std::map<std::string, std::size_t>& by_decision) {
  const AccessLogTally& tally = *input.tally;
  std::vector<std::string> files;
  for (const auto& file : input.files) files.push_back(comment_text(file));
  out << "# Suggested by `firewarden suggest` from " << joined(files, ", ") << ".\n"
      << "# " << tally.request_lines
      << " requests observed; when logged: " << decisions_text(by_decision) << ".\n"
      << "# The rules below allow every one of them, whatever it was decided when\n"
      << "# logged, and nothing else.\n"
      << "# Skipped: " << tally.nothing_required
      << " access lines that required no permission (refused before the\n"
      << "# policy, or beginTransaction/rollback), and " << tally.other_lines
      << " other log lines.\n";
  if (input.current_policy) {
    std::size_t denied = 0;
    for (std::size_t k = 0; k < input.current.size(); ++k) {
      if (!input.current[k].allowed) denied += tally.observations[k].count;
    }
    out << "# The current policy " << comment_text(*input.current_policy) << " denies " << denied
        << " of them\n# (asked for database " << comment_text(input.current_database)
        << "); the rules below would allow them.\n";
  }
  out << "# Review every rule before use: it grants what the workload did, including what\n"
      << "# was denied when logged.\n";
}

void write_rule_comment(std::ostream& out, const Rule& rule, const Caller& caller) {
  out << "  # " << rule.subject->label() << ": " << rule.requests << " requests ("
      << decisions_text(rule.by_decision) << ")\n";
  for (const auto& pattern : rule.collections) {
    std::vector<std::string> counts;
    for (const auto& [action, requests] : caller.patterns.at(pattern).requests) {
      counts.push_back(std::string(firestore::to_string(action)) + " " + std::to_string(requests));
    }
    out << "  #   " << pattern << ": " << joined(counts, ", ") << "\n";
  }
  if (rule.denied_now > 0) {
    out << "  #   denied by the current policy: " << rule.denied_now << "\n";
    for (const auto& [denial, requests] : rule.denials) {
      out << "  #     " << denial << ": " << requests << "\n";
    }
  }
}

// A (namespace, service account) caller is also pinned to the SPIFFE IDs it
// was seen with: the same names in another trust domain (SPIFFE federation)
// or under another path were not observed, so they are not allowed.
void write_subjects(std::ostream& out, const Subject& subject, const Caller& caller,
                    const std::string& indent) {
  if (!subject.principal) {
    out << indent << "namespaces: [" << quoted(*subject.namespace_name) << "]\n"
        << indent << "service_accounts: [" << quoted(*subject.service_account) << "]\n";
  }
  out << indent << "principals: [" << joined(quoted_all(caller.spiffe_ids), ", ") << "]\n";
}

void write_rule(std::ostream& out, const Rule& rule, const Caller& caller) {
  std::vector<std::string> collections;
  for (const auto& pattern : rule.collections) collections.push_back(quoted(pattern));
  out << "  - name: " << rule.name << "\n    subjects:\n";
  write_subjects(out, *rule.subject, caller, "      ");
  out << "    collections: [" << joined(collections, ", ") << "]\n"
      << "    actions: [" << joined(action_names(rule.actions), ", ") << "]\n";
}

// Callers whose allowed requests all went out as one Google service account
// keep it; several (the policy changed while logging) are left to the reader.
void write_impersonation(std::ostream& out, const std::map<Subject, Caller>& callers) {
  std::ostringstream entries;
  std::ostringstream undecided;
  for (const auto& [subject, caller] : callers) {
    if (caller.impersonated.size() == 1 && !caller.allowed_without_impersonation) {
      std::ostringstream subjects;
      write_subjects(subjects, subject, caller, "    ");
      entries << "  - " << subjects.str().substr(4)
              << "    service_account: " << quoted(*caller.impersonated.begin()) << "\n";
    } else if (!caller.impersonated.empty()) {
      undecided << "# " << subject.label() << " was seen as "
                << joined(quoted_all(caller.impersonated), ", ")
                << (caller.allowed_without_impersonation ? " and as firewarden's own identity" : "")
                << ": choose one\n";
    }
  }
  if (!entries.str().empty()) out << "impersonation:\n" << entries.str();
  if (!undecided.str().empty()) {
    out << "# No impersonation suggested for callers whose requests went upstream as\n"
        << "# several Google service accounts:\n"
        << undecided.str();
  }
}

}  // namespace

std::string suggest_policy_yaml(const SuggestInput& input) {
  const auto callers = callers_of(*input.tally);
  auto rules = rules_of(callers);
  count_requests(input, rules);
  std::map<std::string, std::size_t> by_decision;
  for (const Observation& seen : input.tally->observations) {
    by_decision[seen.decision] += seen.count;
  }

  std::ostringstream out;
  write_header(out, input, by_decision);
  out << "version: 1\nrules:\n";
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (i != 0) out << "\n";
    const Caller& caller = callers.at(*rules[i].subject);
    write_rule_comment(out, rules[i], caller);
    write_rule(out, rules[i], caller);
  }
  write_impersonation(out, callers);
  return out.str();
}

}  // namespace firewarden::app
