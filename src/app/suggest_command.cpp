// `firewarden suggest` (SPEC §1): a least-privilege policy from access logs.
// Reads every --access-log file (`-` = standard input), prints the suggested
// policy YAML on stdout (suggested_policy.hpp). With --policy, comments say
// which observed requests the current policy denies. Exit 0; 2 on bad input:
// usage, an unreadable file, a line that cannot be read (FILE:LINE: why),
// logs without any request, an unreadable --policy.
//
// Before printing, the suggestion is loaded with the policy loader and every
// observed request is decided with it: what is printed loads and allows all
// of them, or nothing is printed.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <istream>

#include "firewarden/app/access_log_reading.hpp"
#include "firewarden/app/command_line.hpp"
#include "firewarden/app/offline_policy.hpp"
#include "firewarden/app/suggested_policy.hpp"

namespace firewarden::app {
namespace {

constexpr std::string_view kDefaultDatabase = "(default)";

bool read_lines(std::istream& in, const std::string& name, AccessLogReader& reader) {
  std::string text;
  for (std::size_t number = 1; std::getline(in, text); ++number) {
    if (auto problem = reader.add_line(text, name + ":" + std::to_string(number))) {
      std::cerr << *problem << "\n";
      return false;
    }
  }
  if (in.bad()) {
    std::cerr << name << ": read error\n";
    return false;
  }
  return true;
}

bool read_access_log(const std::string& path, AccessLogReader& reader) {
  if (path == "-") return read_lines(std::cin, "<stdin>", reader);
  std::ifstream in(path, std::ios::binary);
  std::error_code error;
  if (!in || std::filesystem::is_directory(path, error)) {
    std::cerr << path << ": cannot read access log\n";
    return false;
  }
  return read_lines(in, path, reader);
}

firestore::RequestModel model_of(const Observation& seen, const std::string& database) {
  firestore::RequestModel model;
  model.method = "observed";
  model.database = database;
  model.requirements = seen.required;
  return model;
}

CurrentVerdict verdict_of(const policy::Decision& decision, const Observation& seen) {
  CurrentVerdict verdict{decision.allowed, 0, "denied"};
  if (decision.allowed) return verdict;
  if (const auto* denied = decision.first_denied()) {
    for (std::size_t i = 0; i < seen.required.size(); ++i) {
      if (seen.required[i] == denied->requirement) verdict.first_denied = i;
    }
    verdict.why = denied->rule.empty() ? "no rule allows it" : "denied by rule " + denied->rule;
  }
  return verdict;
}

// The suggestion must load and allow every observation; if not, that is a
// bug here, and printing a policy that does not do what it says is worse
// than printing none.
bool allows_everything_observed(const std::string& yaml, const AccessLogTally& tally) {
  const auto no_environment = [](const std::string&) { return std::optional<std::string>(); };
  const auto loaded = policy::load_policy_text(yaml, "suggested policy", no_environment);
  if (const auto* problems = std::get_if<config::Diagnostics>(&loaded)) {
    std::cerr << "firewarden suggest: internal error, the suggested policy does not load:\n";
    for (const auto& problem : *problems) std::cerr << problem.to_string() << "\n";
    return false;
  }
  const auto& suggested = *std::get<std::shared_ptr<const policy::Policy>>(loaded);
  for (const Observation& seen : tally.observations) {
    const auto decision = suggested.decide(seen.who, model_of(seen, std::string(kDefaultDatabase)));
    if (!decision.allowed) {
      std::cerr << "firewarden suggest: internal error, the suggested policy denies the request "
                << "logged at " << seen.first_seen << ": "
                << policy::denial_sentence(seen.who, decision) << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int suggest_command(const CommandLine& line) {
  const auto first = line.option("access-log");
  if (!first) {
    std::cerr << "firewarden suggest: --access-log FILE is required\n";
    return kExitUsage;
  }
  if (line.option("database") && !line.option("policy")) {
    std::cerr << "firewarden suggest: --database is only meaningful with --policy\n";
    return kExitUsage;
  }
  SuggestInput input;
  input.files.push_back(*first);
  input.files.insert(input.files.end(), line.arguments.begin(), line.arguments.end());

  AccessLogReader reader;
  for (const auto& file : input.files) {
    if (!read_access_log(file, reader)) return kExitUsage;
  }
  const AccessLogTally& tally = reader.tally();
  input.tally = &tally;
  if (tally.observations.empty()) {
    std::cerr << "firewarden suggest: no request in the access logs (" << tally.nothing_required
              << " access lines required no permission, " << tally.other_lines
              << " other lines): nothing to suggest\n";
    return kExitUsage;
  }

  if (line.option("policy")) {
    const auto current = load_offline_policy(line);
    if (!current) return kExitUsage;
    input.current_policy = *line.option("policy");
    input.current_database = line.option("database").value_or(std::string(kDefaultDatabase));
    for (const Observation& seen : tally.observations) {
      const auto decision =
          current->policy->decide(seen.who, model_of(seen, input.current_database));
      input.current.push_back(verdict_of(decision, seen));
    }
  }

  const std::string yaml = suggest_policy_yaml(input);
  if (!allows_everything_observed(yaml, tally)) return kExitUsage;
  std::cout << yaml;
  return kExitOk;
}

}  // namespace firewarden::app
