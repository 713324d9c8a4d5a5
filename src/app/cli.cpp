#include "firewarden/app/cli.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <span>
#include <string_view>

#include "firewarden/app/command_line.hpp"
#include "firewarden/telemetry/logging.hpp"

namespace firewarden::app {
namespace {

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  std::string_view usage;                 // the part after "firewarden NAME"
  std::vector<std::string_view> options;  // options that take a value (besides --log-level)
  int (*run)(const CommandLine&);
  std::size_t max_arguments = 0;
  std::string_view details = {};                  // more --help text: exit codes, formats
  std::vector<std::string_view> flags = {};       // options without a value, e.g. --json
  std::vector<std::string_view> repeatable = {};  // options that take a value, any number of times
};

constexpr std::string_view explain_help =
    "Prints the decision as JSON on stdout: decision, deciding rule, identity, method,\n"
    "database, each required (action, collection) with its verdict and rule, the first\n"
    "denied requirement, dry-run verdicts and the impersonated service account.\n"
    "--body FILE (or - for stdin) is sent as Content-Type: application/json.\n"
    "Without --config: the SPIFFE ID's own trust domain is accepted, the path template\n"
    "is /ns/{namespace}/sa/{service_account}, and the project and database the\n"
    "request names are served. With --config: its identity and firestore settings,\n"
    "and its policy.file unless --policy is given.\n"
    "Exit: 0 allow; 1 deny (also a project or database the config does not serve,\n"
    "the proxy's 403); 2 bad input: usage, unreadable policy, config or body, a bad\n"
    "or untrusted SPIFFE ID, a request the proxy refuses as unreadable (400) or\n"
    "unsupported (501); the reason is printed on stderr.";

constexpr std::string_view test_help =
    "Runs every case of CASES.yaml against the policy as explain would decide it:\n"
    "  cases:\n"
    "    - name: orders may read orders          # unique\n"
    "      identity: spiffe://cluster.local/ns/orders/sa/default\n"
    "      request: GET /v1/projects/P/databases/(default)/documents/orders/o1\n"
    "      body: '{...}'                         # optional; or body_file: PATH\n"
    "      expect: allow                         # allow | deny\n"
    "      expect_rule: orders-own-orders        # optional; \"\" = no rule\n"
    "      expect_denied: {action: delete, collection: payments}  # optional\n"
    "      expect_dry_run: [{rule: R, would: deny}]              # optional\n"
    "      expect_response_cut: true   # optional, allow only: a write's response is cut\n"
    "Prints each failing case and \"N passed, N failed\".\n"
    "Exit: 0 all pass; 1 any failure; 2 unreadable or invalid cases file, policy or\n"
    "config, or a case that cannot be asked (FILE:LINE:COL: message on stderr).";

constexpr std::string_view suggest_help =
    "Reads firewarden's JSON access lines (FILE... or - for stdin; other lines such as\n"
    "TLS handshake failures and JSON diagnostics are skipped) and prints a policy that\n"
    "allows exactly the requests they show, allowed or denied when logged: one rule per\n"
    "(namespace, service account) and set of actions (per SPIFFE ID for callers without\n"
    "them), document IDs generalised to *, read/write only where every action of it was\n"
    "seen. Comments count the requests behind each rule. --policy FILE adds which of\n"
    "them FILE denies today (asked for --database, default (default)).\n"
    "Exit: 0 printed; 2 bad input: usage, an unreadable file or policy, a line that\n"
    "cannot be read (FILE:LINE: why on stderr), no request in the logs.";

constexpr std::string_view set_help =
    "--set KEY=VALUE (repeatable) sets a config key over the file, e.g.\n"
    "--set firestore.project=my-project or --set identity.trust_domains='[a.example]'\n"
    "(VALUE is YAML; empty unsets the key). So does FIREWARDEN_<KEY> in the\n"
    "environment, KEY upper case with '.' as '_' (FIREWARDEN_FIRESTORE_PROJECT).\n"
    "Precedence: --set, then environment, then the file.";

constexpr std::string_view check_help =
    "--set KEY=VALUE (repeatable) sets a config key over the file, e.g.\n"
    "--set firestore.project=my-project or --set identity.trust_domains='[a.example]'\n"
    "(VALUE is YAML; empty unsets the key). So does FIREWARDEN_<KEY> in the\n"
    "environment, KEY upper case with '.' as '_' (FIREWARDEN_FIRESTORE_PROJECT).\n"
    "Precedence: --set, then environment, then the file.\n"
    "--print-config prints the effective config as YAML on stdout (credentials.token\n"
    "redacted) instead of the ok line. Exit: 0 valid; 1 invalid (each error as\n"
    "FILE:LINE:COL, --set or env FIREWARDEN_…: message on stderr).";

constexpr std::string_view version_help =
    "Prints the version, git revision, build type, compiler and library versions;\n"
    "--json prints them as one JSON object.";

const std::array<CommandSpec, 6>& commands() {
  static const std::array<CommandSpec, 6> specs{{
      {"run",
       "run the proxy",
       "--config FILE [--set KEY=VALUE...]",
       {"config"},
       run_command,
       0,
       set_help,
       {},
       {"set"}},
      {"check",
       "validate config, policy and every referenced file",
       "--config FILE [--set KEY=VALUE...] [--print-config]",
       {"config"},
       check_command,
       0,
       check_help,
       {"print-config"},
       {"set"}},
      {"explain",
       "print the policy decision for one request as JSON",
       "--policy FILE --identity SPIFFE_ID --request 'METHOD PATH' [--body FILE|-] "
       "[--config FILE]",
       {"policy", "identity", "request", "body", "config"},
       explain_command,
       0,
       explain_help},
      {"test",
       "run policy test cases (GitOps CI)",
       "--policy FILE CASES.yaml [--config FILE]",
       {"policy", "config"},
       test_command,
       1,
       test_help},
      {"suggest",
       "print a least-privilege policy from access logs",
       "--access-log FILE [FILE...] [--policy FILE [--database DB]]",
       {"access-log", "policy", "database"},
       suggest_command,
       std::numeric_limits<std::size_t>::max(),
       suggest_help},
      {"version",
       "print version, git revision and build information",
       "[--json]",
       {},
       version_command,
       0,
       version_help,
       {"json"}},
  }};
  return specs;
}

void print_usage(std::ostream& out) {
  out << "usage: firewarden COMMAND [OPTIONS]\n\ncommands:\n";
  for (const CommandSpec& spec : commands()) {
    out << "  " << spec.name << std::string(10 - spec.name.size(), ' ') << spec.summary << "\n";
  }
  out << "\nEvery command accepts --log-level trace|debug|info|warn|error and --help.\n";
}

void print_command_usage(const CommandSpec& spec, std::ostream& out, bool details = false) {
  out << "usage: firewarden " << spec.name;
  if (!spec.usage.empty()) out << " " << spec.usage;
  out << " [--log-level LEVEL]\n  " << spec.summary << "\n";
  if (details && !spec.details.empty()) out << "\n" << spec.details << "\n";
}

int usage_error(const CommandSpec& spec, const std::string& message) {
  std::cerr << "firewarden " << spec.name << ": " << message << "\n";
  print_command_usage(spec, std::cerr);
  return kExitUsage;
}

const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec& spec : commands()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool is_flag(const CommandSpec& spec, std::string_view option) {
  return std::find(spec.flags.begin(), spec.flags.end(), option) != spec.flags.end();
}

bool is_repeatable(const CommandSpec& spec, std::string_view option) {
  return std::find(spec.repeatable.begin(), spec.repeatable.end(), option) != spec.repeatable.end();
}

bool takes_value(const CommandSpec& spec, std::string_view option) {
  if (is_repeatable(spec, option)) return true;
  if (option == "log-level") return true;
  for (std::string_view known : spec.options) {
    if (known == option) return true;
  }
  return false;
}

enum class ParseOutcome { ok, help, error };

// Parses "--name VALUE", "--name=VALUE", "--help" and positionals. A lone "-"
// is a positional (e.g. stdin for --body).
ParseOutcome parse_arguments(const CommandSpec& spec, std::span<char*> args, CommandLine& line,
                             std::string& error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") return ParseOutcome::help;
    if (!arg.starts_with("--")) {
      line.arguments.emplace_back(arg);
      continue;
    }
    std::string_view name = arg.substr(2);
    std::string value;
    const std::size_t equals = name.find('=');
    const bool inline_value = equals != std::string_view::npos;
    if (inline_value) {
      value = std::string(name.substr(equals + 1));
      name = name.substr(0, equals);
    }
    if (is_flag(spec, name)) {
      if (inline_value) {
        error = "option --" + std::string(name) + " takes no value";
        return ParseOutcome::error;
      }
      if (!line.options.emplace(std::string(name), std::string()).second) {
        error = "option --" + std::string(name) + " given twice";
        return ParseOutcome::error;
      }
      continue;
    }
    if (!takes_value(spec, name)) {
      error = "unknown option --" + std::string(name);
      return ParseOutcome::error;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        error = "option --" + std::string(name) + " needs a value";
        return ParseOutcome::error;
      }
      value = args[++i];
    }
    if (is_repeatable(spec, name)) {
      line.repeated[std::string(name)].push_back(std::move(value));
      continue;
    }
    if (!line.options.emplace(std::string(name), std::move(value)).second) {
      error = "option --" + std::string(name) + " given twice";
      return ParseOutcome::error;
    }
  }
  if (line.arguments.size() > spec.max_arguments) {
    error = "unexpected argument '" + line.arguments[spec.max_arguments] + "'";
    return ParseOutcome::error;
  }
  return ParseOutcome::ok;
}

}  // namespace

std::optional<std::string> CommandLine::option(const std::string& name) const {
  const auto found = options.find(name);
  if (found == options.end()) return std::nullopt;
  return found->second;
}

std::string config_path(const CommandLine& line) {
  if (auto path = line.option("config")) return *path;
  if (const char* env = std::getenv("FIREWARDEN_CONFIG"); env != nullptr && *env != '\0') {
    return env;
  }
  return "/etc/firewarden/firewarden.yaml";
}

int run_cli(int argc, char** argv) {
  const std::span<char*> args(argv, static_cast<std::size_t>(argc));
  if (args.size() < 2) {
    print_usage(std::cerr);
    return kExitUsage;
  }
  const std::string_view name = args[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(std::cout);
    return kExitOk;
  }
  if (name == "--version") return version_command(CommandLine{"version", {}, {}, {}});
  const CommandSpec* spec = find_command(name);
  if (spec == nullptr) {
    std::cerr << "firewarden: unknown command '" << name << "'\n";
    print_usage(std::cerr);
    return kExitUsage;
  }

  CommandLine line{std::string(name), {}, {}, {}};
  std::string error;
  switch (parse_arguments(*spec, args.subspan(2), line, error)) {
    case ParseOutcome::help:
      print_command_usage(*spec, std::cout, true);
      return kExitOk;
    case ParseOutcome::error:
      return usage_error(*spec, error);
    case ParseOutcome::ok:
      break;
  }

  auto level = spdlog::level::info;
  if (auto requested = line.option("log-level")) {
    const auto parsed = telemetry::parse_log_level(*requested);
    if (!parsed) return usage_error(*spec, "unknown log level '" + *requested + "'");
    level = *parsed;
  }
  // Commands other than `run` are interactive tools: text logs. `run`
  // re-configures logging from its config file (format and level).
  telemetry::setup_logging(level, telemetry::LogFormat::text);
  try {
    return spec->run(line);
  } catch (const std::exception& e) {
    std::cerr << "firewarden " << name << ": " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace firewarden::app
