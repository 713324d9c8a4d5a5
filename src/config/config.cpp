#include "firewarden/config/config.hpp"

#include <cstdlib>
#include <stdexcept>

#include "config_values.hpp"

namespace firewarden::config {
namespace {

SocketAddress default_address(std::string_view text) {
  std::string error;
  auto address = parse_socket_address(text, error);
  if (!address) throw std::logic_error("bad built-in address: " + std::string(text));
  return *address;
}

Cidr default_cidr(std::string_view text) {
  std::string error;
  auto cidr = Cidr::parse(text, error);
  if (!cidr) throw std::logic_error("bad built-in CIDR: " + std::string(text));
  return *cidr;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    // getenv is read once per lookup at load time, never on the request path.
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string_view to_string(TlsVersion value) {
  return detail::name_of(detail::kTlsVersions, value);
}
std::string_view to_string(IdentityMode value) {
  return detail::name_of(detail::kIdentityModes, value);
}
std::string_view to_string(CredentialsType value) {
  return detail::name_of(detail::kCredentialsTypes, value);
}
std::string_view to_string(LogLevel value) { return detail::name_of(detail::kLogLevels, value); }
std::string_view to_string(LogFormat value) { return detail::name_of(detail::kLogFormats, value); }
std::string_view to_string(DocumentPaths value) {
  return detail::name_of(detail::kDocumentPaths, value);
}
std::string_view to_string(Enforcement value) {
  return detail::name_of(detail::kEnforcements, value);
}

Config::Config() {
  listener.address = default_address("0.0.0.0:8443");
  identity.xfcc.trusted_peers = {default_cidr("127.0.0.1/32"), default_cidr("::1/128")};
  std::string error;
  firestore.endpoint = *detail::parse_endpoint("https://firestore.googleapis.com", error);
  credentials.iam_credentials_endpoint =
      *detail::parse_endpoint("https://iamcredentials.googleapis.com", error);
  admin.address = default_address("127.0.0.1:9901");
}

Diagnostic Config::diagnostic(std::string_view key, const std::string& message) const {
  Diagnostic result{source_file, 0, 0, std::string(key) + ": " + message};
  if (auto it = positions.find(key); it != positions.end()) {
    result.line = it->second.line;
    result.column = it->second.column;
    if (!it->second.origin.empty()) result.file = it->second.origin;  // --set or env
  }
  return result;
}

std::vector<ReferencedFile> referenced_files(const Config& config) {
  std::vector<ReferencedFile> files;
  auto add = [&](std::string_view key, const std::string& path) {
    if (!path.empty()) files.push_back({std::string(key), path});
  };
  add("policy.file", config.policy.file);
  if (config.listener.tls) {
    add("listener.tls.cert_file", config.listener.tls->cert_file);
    add("listener.tls.key_file", config.listener.tls->key_file);
  }
  for (const auto& bundle : client_trust_bundles(config)) add(bundle.key, bundle.path);
  add("firestore.ca_file", config.firestore.ca_file);
  add(config.credentials.file_from_environment
          ? "credentials.file (from $GOOGLE_APPLICATION_CREDENTIALS)"
          : "credentials.file",
      config.credentials.file);
  return files;
}

std::vector<TrustBundleFile> client_trust_bundles(const Config& config) {
  std::vector<TrustBundleFile> bundles;
  if (config.identity.mode != IdentityMode::mtls || !config.listener.tls) return bundles;
  const std::string& client_ca_file = config.listener.tls->client_ca_file;
  if (!client_ca_file.empty() && !config.identity.trust_domains.empty()) {
    // The loader allows client_ca_file with exactly one trust domain.
    bundles.push_back(
        {config.identity.trust_domains.front(), "listener.tls.client_ca_file", client_ca_file});
    return bundles;
  }
  for (const auto& [trust_domain, path] : config.identity.trust_bundles) {
    bundles.push_back({trust_domain, "identity.trust_bundles." + trust_domain, path});
  }
  return bundles;
}

}  // namespace firewarden::config
