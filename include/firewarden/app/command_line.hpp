#pragma once
// The parsed command line of one subcommand (SPEC §1), and the subcommands.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace firewarden::app {

// Exit codes shared by the commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // invalid config, denied request, failing tests
inline constexpr int kExitUsage = 2;    // bad command line or unreadable input

struct CommandLine {
  std::string command;
  std::map<std::string, std::string, std::less<>> options;  // "--config FILE" -> {"config","FILE"}
  std::vector<std::string> arguments;                       // positional arguments
  // Flags (options without a value, e.g. --json) are in `options` with "".
  // Options that may be given several times (--set), in command-line order.
  std::map<std::string, std::vector<std::string>, std::less<>> repeated;

  std::optional<std::string> option(const std::string& name) const;
};

int version_command(const CommandLine& line);
int check_command(const CommandLine& line);
int explain_command(const CommandLine& line);
int test_command(const CommandLine& line);
int run_command(const CommandLine& line);
int suggest_command(const CommandLine& line);

// --config, else $FIREWARDEN_CONFIG, else /etc/firewarden/firewarden.yaml.
std::string config_path(const CommandLine& line);

}  // namespace firewarden::app
