#include "firewarden/app/load.hpp"

#include <unistd.h>  // environ

#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "firewarden/config/overrides.hpp"
#include "firewarden/identity/svid.hpp"

namespace firewarden::app {

namespace {

void report(const config::Diagnostics& problems) {
  for (const auto& problem : problems) std::cerr << problem.to_string() << "\n";
}

std::vector<std::string> environment_entries() {
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    entries.emplace_back(*entry);
  }
  return entries;
}

// Environment first, then --set: applied in order, so --set wins.
std::optional<config::Overrides> overrides_or_report(const CommandLine& line) {
  auto from_environment = config::environment_overrides(environment_entries());
  if (auto* problems = std::get_if<config::Diagnostics>(&from_environment)) {
    report(*problems);
    return std::nullopt;
  }
  auto overrides = std::get<config::Overrides>(std::move(from_environment));
  config::Diagnostics problems;
  if (auto sets = line.repeated.find("set"); sets != line.repeated.end()) {
    for (const std::string& text : sets->second) {
      auto parsed = config::parse_set_option(text);
      if (auto* problem = std::get_if<config::Diagnostic>(&parsed)) {
        problems.push_back(std::move(*problem));
      } else {
        overrides.push_back(std::get<config::Override>(std::move(parsed)));
      }
    }
  }
  if (!problems.empty()) {
    report(problems);
    return std::nullopt;
  }
  return overrides;
}

}  // namespace

std::shared_ptr<const config::Config> load_config_or_report(const std::string& path,
                                                            const CommandLine& line) {
  const auto overrides = overrides_or_report(line);
  if (!overrides) return nullptr;
  auto loaded = config::load_config_file(path, config::process_environment(), *overrides);
  if (auto* problems = std::get_if<config::Diagnostics>(&loaded)) {
    for (const auto& problem : *problems) std::cerr << problem.to_string() << "\n";
    return nullptr;
  }
  return std::get<std::shared_ptr<const config::Config>>(std::move(loaded));
}

policy::LoadResult load_policy_file(const std::string& path, const yaml::EnvLookup& env) {
  // Policies are small; this only stops a wrong path (e.g. a device) early.
  constexpr std::streamsize kMaxPolicyBytes = std::streamsize{16} * 1024 * 1024;
  std::ifstream in(path, std::ios::binary);
  if (!in) return yaml::Diagnostics{{path, 0, 0, "cannot open policy file"}};
  std::ostringstream text;
  std::vector<char> buffer(std::size_t{64} * 1024);
  std::streamsize total = 0;
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    total += in.gcount();
    if (total > kMaxPolicyBytes) {
      return yaml::Diagnostics{{path, 0, 0, "policy file larger than 16 MiB"}};
    }
    text.write(buffer.data(), in.gcount());
  }
  if (in.bad()) return yaml::Diagnostics{{path, 0, 0, "cannot read policy file"}};
  return policy::load_policy_text(text.str(), path, env);
}

transport::ServerTlsFiles server_tls_files(const config::Config& config) {
  const auto& tls = *config.listener.tls;
  transport::ServerTlsFiles files{
      tls.cert_file, tls.key_file, {}, {}, tls.min_version == config::TlsVersion::tls1_3};
  // A client certificate's bundle is chosen by the trust domain of its SVID.
  files.trust_domain_of = [](X509* leaf) -> transport::TrustDomainClaim {
    auto id = identity::spiffe_id_from_svid(leaf);
    if (const auto* error = std::get_if<identity::Error>(&id)) return {{}, error->reason};
    return {std::get<identity::SpiffeId>(id).trust_domain, {}};
  };
  for (auto& bundle : config::client_trust_bundles(config)) {
    files.client_trust_bundles.push_back(
        {std::move(bundle.trust_domain), std::move(bundle.key), std::move(bundle.path)});
  }
  return files;
}

}  // namespace firewarden::app
