// Commands whose implementation lands with a later issue (SPEC §1): the CLI
// parser accepts them so that their usage is fixed now.
#include <iostream>

#include "firewarden/app/command_line.hpp"

namespace firewarden::app {
namespace {

int not_yet_available(const CommandLine& line) {
  std::cerr << "firewarden " << line.command << ": not yet available in this build\n";
  return kExitUsage;
}

}  // namespace

int explain_command(const CommandLine& line) { return not_yet_available(line); }
int test_command(const CommandLine& line) { return not_yet_available(line); }

}  // namespace firewarden::app
