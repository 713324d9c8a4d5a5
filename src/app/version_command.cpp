#include <openssl/opensslv.h>

#include <boost/version.hpp>
#include <iostream>

#include "firewarden/app/command_line.hpp"

namespace firewarden::app {

int version_command(const CommandLine& /*line*/) {
  std::cout << "firewarden " << FIREWARDEN_VERSION << "\n"
            << "build: " << FIREWARDEN_BUILD_TYPE << ", " << __VERSION__ << ", C++ " << __cplusplus
            << "\n"
            << "boost: " << BOOST_LIB_VERSION << ", openssl: " << OPENSSL_VERSION_TEXT << "\n";
  return kExitOk;
}

}  // namespace firewarden::app
