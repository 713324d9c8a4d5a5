#include "firewarden/app/load.hpp"

#include <iostream>

#include "firewarden/identity/svid.hpp"

namespace firewarden::app {

std::shared_ptr<const config::Config> load_config_or_report(const std::string& path) {
  auto loaded = config::load_config_file(path, config::process_environment());
  if (auto* problems = std::get_if<config::Diagnostics>(&loaded)) {
    for (const auto& problem : *problems) std::cerr << problem.to_string() << "\n";
    return nullptr;
  }
  return std::get<std::shared_ptr<const config::Config>>(std::move(loaded));
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
