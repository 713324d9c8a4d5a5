#pragma once
// A small valid config for `explain --config` and `test --config`: xfcc mode
// (no certificate files to provide), the example policy, project my-project,
// database (default).
#include <string>

#include "support/run_binary.hpp"

namespace firewarden::testing {

// `identity_settings`: extra lines under `identity:`, each indented two spaces.
inline std::string write_offline_config(const TempDir& dir,
                                        const std::string& identity_settings = "") {
  return dir.write("firewarden.yaml",
                   "listener:\n  address: \"127.0.0.1:8443\"\n"
                   "identity:\n  mode: xfcc\n" +
                       identity_settings +
                       "policy:\n  file: " FIREWARDEN_SOURCE_DIR
                       "/config/policy.example.yaml\n"
                       "firestore:\n  project: my-project\n"
                       "credentials:\n  type: none\n");
}

}  // namespace firewarden::testing
