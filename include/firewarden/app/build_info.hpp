#pragma once
// Facts about this build that `firewarden version` and the
// firewarden_build_info metric report.
#include <string_view>

namespace firewarden::app {

// The short git revision the build was configured from (`git rev-parse
// --short HEAD`, or -DFIREWARDEN_REVISION=…); "unknown" outside a git
// checkout.
std::string_view build_revision();

}  // namespace firewarden::app
