// `firewarden explain` (SPEC §1): the decision for one request, as JSON on
// stdout. Exit 0 allow, 1 deny (also a 403 from the classifier: a project or
// database the --config does not serve), 2 bad input (usage, unreadable
// config, policy or body, a bad or untrusted SPIFFE ID, a request the
// classifier refuses with 400 or 501; the reason goes to stderr).
#include <iostream>
#include <iterator>

#include "firewarden/app/command_line.hpp"
#include "firewarden/app/explanation.hpp"
#include "firewarden/app/file_digest.hpp"
#include "firewarden/app/offline_policy.hpp"

namespace firewarden::app {
namespace {

// --body FILE, or --body - for standard input.
std::optional<std::string> read_body(const std::string& source) {
  if (source != "-") return read_file(source);
  std::string body{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  if (std::cin.bad()) return std::nullopt;
  return body;
}

}  // namespace

int explain_command(const CommandLine& line) {
  Question question;
  for (const char* required : {"identity", "request"}) {
    if (!line.option(required)) {
      std::cerr << "firewarden explain: --" << required << " is required\n";
      return kExitUsage;
    }
  }
  question.identity = *line.option("identity");
  question.request = *line.option("request");
  if (auto source = line.option("body")) {
    question.body = read_body(*source);
    if (!question.body) {
      std::cerr << "firewarden explain: --body: cannot read "
                << (*source == "-" ? "standard input" : *source) << "\n";
      return kExitUsage;
    }
  }

  const auto loaded = load_offline_policy(line);
  if (!loaded) return kExitUsage;

  const auto answer = explain_request(*loaded->policy, question, loaded->settings);
  if (const auto* problem = std::get_if<InputProblem>(&answer)) {
    std::cerr << "firewarden explain: --" << problem->field << ": " << problem->message << "\n";
    return kExitUsage;
  }
  const auto& explanation = std::get<Explanation>(answer);
  std::cout << explanation_json(explanation) << "\n";
  return explanation.allowed() ? kExitOk : kExitFailure;
}

}  // namespace firewarden::app
