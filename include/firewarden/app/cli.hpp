#pragma once

namespace firewarden::app {

// Parses the command line (SPEC §1) and runs the command; returns the exit code.
int run_cli(int argc, char** argv);

}  // namespace firewarden::app
