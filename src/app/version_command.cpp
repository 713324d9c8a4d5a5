// `firewarden version [--json]` (SPEC §1): version, git revision and build
// type, as text for people or one JSON object for machines. The revision is
// taken by CMake at configure time (`git rev-parse --short HEAD`, "unknown"
// outside a git checkout).
#include <openssl/opensslv.h>

#include <boost/version.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "firewarden/app/build_info.hpp"
#include "firewarden/app/command_line.hpp"

namespace firewarden::app {

int version_command(const CommandLine& line) {
  if (line.options.contains("json")) {
    const nlohmann::json build{{"version", FIREWARDEN_VERSION},
                               {"revision", std::string(build_revision())},
                               {"build_type", FIREWARDEN_BUILD_TYPE},
                               {"compiler", __VERSION__},
                               {"cplusplus", __cplusplus},
                               {"boost", BOOST_LIB_VERSION},
                               {"openssl", OPENSSL_VERSION_TEXT}};
    std::cout << build.dump() << "\n";
    return kExitOk;
  }
  std::cout << "firewarden " << FIREWARDEN_VERSION << "\n"
            << "revision: " << build_revision() << "\n"
            << "build: " << FIREWARDEN_BUILD_TYPE << ", " << __VERSION__ << ", C++ " << __cplusplus
            << "\n"
            << "boost: " << BOOST_LIB_VERSION << ", openssl: " << OPENSSL_VERSION_TEXT << "\n";
  return kExitOk;
}

}  // namespace firewarden::app
