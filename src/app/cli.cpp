#include "firewarden/app/cli.hpp"

namespace firewarden::app {
int run_cli(int, char**) { return 2; }
}  // namespace firewarden::app
