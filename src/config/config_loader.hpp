#pragma once
// The config loader's state (private to the config module). Its work is split
// by stage: config_loader.cpp reads the file and runs the stages,
// config_sections.cpp reads each section field by field,
// config_rules.cpp applies the environment and the rules across fields.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/config/config.hpp"
#include "firewarden/yaml/fields.hpp"

namespace firewarden::config::detail {

using yaml::MapView;

class Loader : private yaml::Fields {
 public:
  Loader(const std::string& file_name, const EnvLookup& env, std::filesystem::path base,
         const Overrides& overrides)
      : Fields(file_name, env, std::move(base)), env_(env), overrides_(overrides) {
    config_.source_file = file_name;
  }

  LoadResult load(const std::string& text);

 private:
  // ---- --set and environment values (config_overrides.cpp) --------------
  void apply_override(const Override& given);
  YAML::Node graft_parent(const Override& given, const std::vector<std::string>& segments);

  // ---- reading (config_sections.cpp) -------------------------------------
  bool read_root();
  void read_listener(const YAML::Node& node);
  void read_identity(const YAML::Node& node);
  void read_trust_bundles(MapView& identity);
  void read_firestore(const YAML::Node& node);
  void read_credentials(const YAML::Node& node);
  void read_iam_credentials_endpoint(const std::string& text);
  void read_limits(const YAML::Node& node);
  void address_field(MapView& map, std::string_view key, SocketAddress& out);

  // ---- rules across fields (config_rules.cpp) ---------------------------
  void apply_emulator_host();
  void apply_application_credentials();
  void apply_iam_credentials_override();
  void check_identity_rules();
  void check_client_trust_rules();
  void check_trust_bundles_match_trust_domains();
  static bool is_listed(const std::vector<std::string>& values, std::string_view value);
  void check_lists_not_empty();
  void check_credentials_rules();
  void check_upstream_rules();
  void check_address_conflict();

  const EnvLookup& env_;
  const Overrides& overrides_;
  Config config_;
  std::string fixed_id_trust_domain_;
  bool endpoint_given_ = false;
};

}  // namespace firewarden::config::detail
