// Loads SPEC §2: every field is read and checked on its own first, then the
// rules that tie fields together run on the fields that were valid, so one
// typo yields one error rather than a cascade. config/firewarden.example.yaml
// documents each default, range and rule chosen here.
// The stages run here; config_sections.cpp and config_rules.cpp hold them.
#include "config_loader.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>

namespace firewarden::config {
namespace detail {

LoadResult Loader::load(const std::string& text) {
  root_ = reader_.parse(text);
  if (!reader_.ok()) return reader_.take_diagnostics();
  for (const Override& given : overrides_) apply_override(given);
  if (read_root()) {
    apply_emulator_host();
    apply_application_credentials();
    apply_iam_credentials_override();
    check_lists_not_empty();
    check_identity_rules();
    check_client_trust_rules();
    check_credentials_rules();
    check_upstream_rules();
    check_address_conflict();
  }
  if (!reader_.ok()) return reader_.take_diagnostics();
  config_.positions = take_positions();
  return std::make_shared<const Config>(std::move(config_));
}

}  // namespace detail

using detail::Loader;

LoadResult load_config_text(const std::string& text, const std::string& file_name,
                            const EnvLookup& env, const Overrides& overrides) {
  return Loader(file_name, env, std::filesystem::path(file_name).parent_path(), overrides)
      .load(text);
}

LoadResult load_config_file(const std::string& path, const EnvLookup& env,
                            const Overrides& overrides) {
  auto cannot_read = [&](const std::string& why) {
    return Diagnostics{Diagnostic{path, 0, 0, "cannot read the config file: " + why}};
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return cannot_read("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return cannot_read(std::generic_category().message(errno));
  // A config file is a few KiB; the cap keeps e.g. /dev/zero from hanging `check`.
  constexpr std::size_t kMaxSize = std::size_t{1} << 20;
  std::string text(kMaxSize + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return cannot_read("read error");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxSize) return cannot_read("larger than 1MiB");
  const auto absolute = std::filesystem::absolute(path, ec);
  const auto base = ec ? std::filesystem::path(path).parent_path() : absolute.parent_path();
  return Loader(path, env, base, overrides).load(text);
}

}  // namespace firewarden::config
