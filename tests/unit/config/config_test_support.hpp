#pragma once
// Helpers shared by the config tests (the generic ones live with the YAML
// reader's tests).
#include "../yaml/yaml_test_support.hpp"
#include "firewarden/config/config.hpp"

namespace firewarden::config::testing {

using yaml::testing::fake_env;
using yaml::testing::Position;
using yaml::testing::position_of;
using yaml::testing::render;

}  // namespace firewarden::config::testing
