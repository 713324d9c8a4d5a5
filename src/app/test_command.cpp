// `firewarden test` (SPEC §1): policy unit tests for GitOps CI. Every case of
// the cases file (policy_cases.hpp) is decided as `explain` would decide it
// and compared with its expectation; each failing case is printed, then one
// line "N passed, N failed". Exit 0 all pass, 1 any failure, 2 when the cases
// file, the policy or --config cannot be read or a case cannot be asked (bad
// SPIFFE ID, a request the classifier refuses with 400 or 501), each reported
// as FILE:LINE:COL: message before any case runs.
#include <algorithm>
#include <iostream>
#include <tuple>

#include "firewarden/app/command_line.hpp"
#include "firewarden/app/explanation.hpp"
#include "firewarden/app/offline_policy.hpp"
#include "firewarden/app/policy_cases.hpp"

namespace firewarden::app {
namespace {

std::string decision_text(bool allowed, const std::optional<std::string>& rule) {
  std::string text = allowed ? "allow" : "deny";
  if (rule) text += rule->empty() ? " (no rule)" : " (rule " + *rule + ")";
  return text;
}

std::string got_text(const Explanation& got) {
  if (got.refused) return "deny (refused: " + got.refused->message + ")";
  if (got.decision.rule.empty()) {
    return got.allowed() ? "allow (nothing required)" : "deny (no rule allows it)";
  }
  return decision_text(got.allowed(), got.decision.rule);
}

std::string requirement_text(const std::string& action, const std::string& collection) {
  return action + " in collection " + collection;
}

std::vector<PolicyCase::DryRun> dry_run_of(const Explanation& got) {
  std::vector<PolicyCase::DryRun> verdicts;
  for (const auto& verdict : got.decision.dry_run) {
    verdicts.push_back({verdict.rule, verdict.would_allow});
  }
  return verdicts;
}

std::string dry_run_text(const std::vector<PolicyCase::DryRun>& verdicts) {
  if (verdicts.empty()) return "none";
  std::string text;
  for (const auto& verdict : verdicts) {
    if (!text.empty()) text += ", ";
    text += verdict.rule + (verdict.would_allow ? " would allow" : " would deny");
  }
  return text;
}

// The same verdicts, in any order.
bool same_dry_run(std::vector<PolicyCase::DryRun> expected, std::vector<PolicyCase::DryRun> got) {
  const auto order = [](const PolicyCase::DryRun& a, const PolicyCase::DryRun& b) {
    return std::tie(a.rule, a.would_allow) < std::tie(b.rule, b.would_allow);
  };
  std::sort(expected.begin(), expected.end(), order);
  std::sort(got.begin(), got.end(), order);
  return expected == got;
}

bool meets(const PolicyCase& expected, const Explanation& got) {
  if (got.allowed() != expected.expect_allow) return false;
  if (expected.expect_rule && got.decision.rule != *expected.expect_rule) return false;
  if (expected.expect_denied) {
    const auto* denied = got.decision.first_denied();
    if (denied == nullptr ||
        firestore::to_string(denied->requirement.action) != expected.expect_denied->action ||
        denied->requirement.collection.to_string() != expected.expect_denied->collection) {
      return false;
    }
  }
  if (expected.expect_dry_run && !same_dry_run(*expected.expect_dry_run, dry_run_of(got))) {
    return false;
  }
  if (expected.expect_response_cut &&
      got.decision.cuts_response() != *expected.expect_response_cut) {
    return false;
  }
  return true;
}

std::string response_cut_text(const Explanation& got) {
  if (!got.decision.response_cut) return "not cut";
  return "cut: " + policy::response_cut_reason(*got.decision.response_cut);
}

void report_failure(const PolicyCases& cases, const PolicyCase& expected, const Explanation& got) {
  std::cout << "FAIL " << cases.diagnostic(expected.at, expected.name).to_string() << "\n"
            << "  expected: " << decision_text(expected.expect_allow, expected.expect_rule) << "\n";
  if (expected.expect_denied) {
    std::cout << "            first denied: "
              << requirement_text(expected.expect_denied->action,
                                  expected.expect_denied->collection)
              << "\n";
  }
  if (expected.expect_dry_run) {
    std::cout << "            dry-run: " << dry_run_text(*expected.expect_dry_run) << "\n";
  }
  std::cout << "  got:      " << got_text(got) << "\n";
  if (const auto* denied = got.decision.first_denied()) {
    std::cout << "            first denied: "
              << requirement_text(std::string(firestore::to_string(denied->requirement.action)),
                                  denied->requirement.collection.to_string())
              << (denied->rule.empty() ? " (no rule allows it)" : " (rule " + denied->rule + ")")
              << "\n";
  }
  if (expected.expect_dry_run)
    std::cout << "            dry-run: " << dry_run_text(dry_run_of(got)) << "\n";
  if (expected.expect_response_cut) {
    std::cout << "  response: expected " << (*expected.expect_response_cut ? "cut" : "not cut")
              << ", got " << response_cut_text(got) << "\n";
  }
}

}  // namespace

int test_command(const CommandLine& line) {
  if (line.arguments.size() != 1) {
    std::cerr << "firewarden test: give one CASES.yaml file\n";
    return kExitUsage;
  }
  const auto loaded = load_offline_policy(line);
  if (!loaded) return kExitUsage;
  auto read = load_policy_cases_file(line.arguments.front(), config::process_environment());
  if (auto* problems = std::get_if<config::Diagnostics>(&read)) {
    for (const auto& problem : *problems) std::cerr << problem.to_string() << "\n";
    return kExitUsage;
  }
  const auto& cases = std::get<PolicyCases>(read);

  // Ask every question first: a case that cannot be asked is an error in the
  // cases file, reported like one, and no verdict is printed.
  std::vector<Explanation> answers;
  config::Diagnostics problems;
  for (const PolicyCase& one : cases.cases) {
    auto answer = explain_request(*loaded->policy, one.question, loaded->settings);
    if (auto* problem = std::get_if<InputProblem>(&answer)) {
      const CasePosition& at = problem->field == "identity" ? one.identity_at : one.request_at;
      problems.push_back(cases.diagnostic(
          at, "case \"" + one.name + "\": " + problem->field + ": " + problem->message));
      continue;
    }
    answers.push_back(std::get<Explanation>(std::move(answer)));
  }
  if (!problems.empty()) {
    for (const auto& problem : problems) std::cerr << problem.to_string() << "\n";
    return kExitUsage;
  }

  std::size_t passed = 0;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < cases.cases.size(); ++i) {
    if (meets(cases.cases[i], answers[i])) {
      ++passed;
    } else {
      ++failed;
      report_failure(cases, cases.cases[i], answers[i]);
    }
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace firewarden::app
