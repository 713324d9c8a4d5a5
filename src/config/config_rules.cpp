// The rules across config fields, run after every field was read on its own
// and only on the fields that were valid (one typo, one error), and the
// environment variables the Google SDKs honour.
#include <algorithm>

#include "config_loader.hpp"
#include "config_values.hpp"

namespace firewarden::config::detail {

using yaml::in_quotes;

// ---- rules across fields ----------------------------------------------
void Loader::apply_emulator_host() {
  // SPEC §2: as the Google SDKs do, FIRESTORE_EMULATOR_HOST supplies the
  // upstream when the file names none. An explicit endpoint always wins.
  if (endpoint_given_ || failed("firestore.endpoint")) return;
  const auto host = env_("FIRESTORE_EMULATOR_HOST");
  if (!host || host->empty()) return;
  std::string error;
  auto endpoint = detail::parse_endpoint("http://" + *host, error);
  if (!endpoint || host->find('/') != std::string::npos) {
    error_at({"firestore", ""},
             "FIRESTORE_EMULATOR_HOST: expected host:port, got " + in_quotes(*host));
    failed_.insert("firestore.endpoint");
    return;
  }
  config_.firestore.endpoint = std::move(*endpoint);
  config_.firestore.endpoint_from_emulator_host = true;
  // The emulator accepts the token "owner" as full access. Only when the
  // file does not choose credentials itself: an explicit type stands.
  if (!given("credentials.type") && !failed("credentials.type")) {
    config_.credentials.type = CredentialsType::static_token;
    if (!given("credentials.token")) config_.credentials.token = "owner";
  }
}

void Loader::apply_application_credentials() {
  auto& credentials = config_.credentials;
  const bool needs_file = credentials.type == CredentialsType::external_account ||
                          credentials.type == CredentialsType::service_account_key;
  if (!needs_file || failed("credentials.type") || given("credentials.file") ||
      failed("credentials.file")) {
    return;
  }
  if (auto path = env_("GOOGLE_APPLICATION_CREDENTIALS"); path && !path->empty()) {
    credentials.file = *path;  // relative to the working directory, as in the SDKs
    credentials.file_from_environment = true;
    return;
  }
  error_at({"credentials.type", "credentials", ""},
           "credentials.file: required for type " + std::string(to_string(credentials.type)) +
               " (set it, or GOOGLE_APPLICATION_CREDENTIALS)");
}

// $FIREWARDEN_IAM_CREDENTIALS_ENDPOINT points per-namespace impersonation
// at a local fake in tests (plain http allowed). Like every environment
// setting it wins over the file; the daemon logs that it is in force.
void Loader::apply_iam_credentials_override() {
  const auto text = env_("FIREWARDEN_IAM_CREDENTIALS_ENDPOINT");
  if (!text || text->empty()) return;
  std::string error;
  auto endpoint = detail::parse_endpoint(*text, error);
  if (!endpoint) {
    error_at({"credentials", ""},
             "FIREWARDEN_IAM_CREDENTIALS_ENDPOINT: " + error + ", got " + in_quotes(*text));
    return;
  }
  config_.credentials.iam_credentials_endpoint = std::move(*endpoint);
  config_.credentials.iam_credentials_endpoint_from_environment = true;
}

void Loader::check_identity_rules() {
  if (failed("identity.mode")) return;
  const auto& identity = config_.identity;
  const std::string mode = "identity.mode is " + std::string(to_string(identity.mode));

  if (identity.mode == IdentityMode::mtls && !given("listener.tls") && !failed("listener.tls")) {
    error_at({"identity.mode", "listener", "identity", ""}, "listener.tls: required when " + mode);
  }
  if (identity.mode != IdentityMode::mtls && given_valid("listener.tls")) {
    // A plaintext listener where the operator wrote down TLS settings would
    // be a silent downgrade.
    error_at({"listener.tls"},
             "listener.tls: only allowed when identity.mode is mtls (" + mode + ")");
  }

  if (identity.mode == IdentityMode::fixed) {
    if (!given("identity.fixed_id") && !failed("identity.fixed_id")) {
      error_at({"identity.mode", "identity", ""}, "identity.fixed_id: required when " + mode);
    }
    if (given_valid("identity.fixed_id") && !failed("identity.trust_domains") &&
        std::find(identity.trust_domains.begin(), identity.trust_domains.end(),
                  fixed_id_trust_domain_) == identity.trust_domains.end()) {
      error_at({"identity.fixed_id"}, "identity.fixed_id: trust domain " +
                                          in_quotes(fixed_id_trust_domain_) +
                                          " is not in identity.trust_domains");
    }
    // SPEC §3: every request gets fixed_id, so only processes on this host
    // may reach the listener.
    if (!failed("listener.address") && !config_.listener.address.ip.is_loopback()) {
      error_at({"listener.address", "identity.mode"},
               "listener.address: must be a loopback address (127.0.0.0/8 or [::1]) when " + mode +
                   ", got " + config_.listener.address.to_string());
    }
  } else if (given_valid("identity.fixed_id")) {
    error_at({"identity.fixed_id"},
             "identity.fixed_id: only allowed when identity.mode is fixed (" + mode + ")");
  }

  if (!failed("identity.xfcc.trusted_peers")) {
    if (identity.mode == IdentityMode::xfcc && identity.xfcc.trusted_peers.empty()) {
      error_at({"identity.xfcc.trusted_peers"},
               "identity.xfcc.trusted_peers: must not be empty when " + mode);
    }
    if (identity.mode != IdentityMode::xfcc && given("identity.xfcc.trusted_peers") &&
        identity.xfcc.trusted_peers != Config().identity.xfcc.trusted_peers) {
      error_at({"identity.xfcc.trusted_peers"},
               "identity.xfcc.trusted_peers: only used when identity.mode is xfcc (" + mode + ")");
    }
  }
}

// Which roots verify a client certificate (mtls). Each trust domain has
// its own bundle, and a certificate is verified only against the bundle of
// the trust domain in its own URI SAN (SPIFFE federation): one file mixing
// several domains' roots would let any of those CAs issue IDs of every
// domain, so client_ca_file serves exactly one trust domain. Exactly one of
// client_ca_file and trust_bundles; trust_bundles names exactly the
// trust domains of identity.trust_domains (a listed domain without a bundle
// could never authenticate, a bundle for an unlisted one would be unused).
void Loader::check_client_trust_rules() {
  if (failed("identity.mode") || failed("identity.trust_bundles")) return;
  const auto& identity = config_.identity;
  const bool bundles_given = given("identity.trust_bundles");
  if (identity.mode != IdentityMode::mtls) {
    const std::string mode = "identity.mode is " + std::string(to_string(identity.mode));
    if (bundles_given) {
      error_at({"identity.trust_bundles"},
               "identity.trust_bundles: only allowed when identity.mode is mtls (" + mode + ")");
    }
    return;
  }
  if (!given("listener.tls") || failed("listener.tls")) return;  // reported already
  const bool ca_file_given = given("listener.tls.client_ca_file");
  if (failed("listener.tls.client_ca_file")) return;
  if (ca_file_given && bundles_given) {
    error_at({"identity.trust_bundles"},
             "identity.trust_bundles: replaces listener.tls.client_ca_file; set only one of "
             "them (trust_bundles for several trust domains)");
    return;
  }
  if (!ca_file_given && !bundles_given) {
    error_at({"listener.tls", "listener", ""},
             "listener.tls.client_ca_file: required when identity.mode is mtls (or "
             "identity.trust_bundles, one bundle per trust domain)");
    return;
  }
  if (failed("identity.trust_domains")) return;
  if (ca_file_given) {
    if (identity.trust_domains.size() > 1) {
      error_at({"identity.trust_domains"},
               "identity.trust_domains: " + std::to_string(identity.trust_domains.size()) +
                   " trust domains, but listener.tls.client_ca_file is the bundle of one; a CA "
                   "in it could issue IDs of every trust domain listed. Give each trust domain "
                   "its own bundle in identity.trust_bundles instead");
    }
    return;
  }
  check_trust_bundles_match_trust_domains();
}

void Loader::check_trust_bundles_match_trust_domains() {
  const auto& identity = config_.identity;
  for (const auto& [trust_domain, file] : identity.trust_bundles) {
    if (!is_listed(identity.trust_domains, trust_domain)) {
      const std::string key = "identity.trust_bundles." + trust_domain;
      error_at({key, "identity.trust_bundles"},
               key + ": trust domain " + in_quotes(trust_domain) +
                   " is not in identity.trust_domains (list it there, or remove its bundle)");
    }
  }
  for (const auto& trust_domain : identity.trust_domains) {
    if (identity.trust_bundles.find(trust_domain) == identity.trust_bundles.end()) {
      error_at({"identity.trust_bundles"},
               "identity.trust_bundles: no bundle for trust domain " + in_quotes(trust_domain) +
                   " of identity.trust_domains (its IDs could never be verified)");
    }
  }
}

bool Loader::is_listed(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// An empty list here would refuse every request (or every token): surely
// not what the operator meant.
void Loader::check_lists_not_empty() {
  auto check = [this](std::string_view path, bool empty) {
    if (empty && !failed(path)) error_at({path}, std::string(path) + ": must not be empty");
  };
  check("identity.trust_domains", config_.identity.trust_domains.empty());
  check("firestore.databases", config_.firestore.databases.empty());
  check("credentials.scopes", config_.credentials.scopes.empty());
}

void Loader::check_credentials_rules() {
  const auto& credentials = config_.credentials;
  if (!failed("credentials.type")) {
    const std::string type = "credentials.type is " + std::string(to_string(credentials.type));
    const bool is_static = credentials.type == CredentialsType::static_token;
    if (is_static && credentials.token.empty() && !failed("credentials.token")) {
      error_at({"credentials.type", "credentials", ""}, "credentials.token: required when " + type);
    }
    if (!is_static && given_valid("credentials.token")) {
      error_at({"credentials.token"},
               "credentials.token: only allowed when credentials.type is static (" + type + ")");
    }
    const bool takes_file = credentials.type == CredentialsType::external_account ||
                            credentials.type == CredentialsType::service_account_key;
    if (!takes_file && given_valid("credentials.file")) {
      error_at({"credentials.file"},
               "credentials.file: only allowed when credentials.type is external_account or "
               "service_account_key (" +
                   type + ")");
    }
  }
  if (!failed("credentials.token_lifetime") && !failed("credentials.refresh_margin") &&
      credentials.refresh_margin >= credentials.token_lifetime) {
    error_at({"credentials.refresh_margin", "credentials.token_lifetime", "credentials", ""},
             "credentials.refresh_margin: must be shorter than credentials.token_lifetime (" +
                 yaml::format_duration(credentials.refresh_margin) +
                 " >= " + yaml::format_duration(credentials.token_lifetime) + ")");
  }
  if (!failed("credentials.refresh_margin") && !failed("credentials.min_validity") &&
      credentials.min_validity >= credentials.refresh_margin) {
    error_at({"credentials.min_validity", "credentials.refresh_margin", "credentials", ""},
             "credentials.min_validity: must be shorter than credentials.refresh_margin (" +
                 yaml::format_duration(credentials.min_validity) +
                 " >= " + yaml::format_duration(credentials.refresh_margin) + ")");
  }
}

void Loader::check_upstream_rules() {
  if (failed("firestore.endpoint") || config_.firestore.endpoint.tls) return;
  const auto type = config_.credentials.type;
  if (!failed("credentials.type") && type != CredentialsType::static_token &&
      type != CredentialsType::none) {
    // Real Google access tokens never travel in plaintext.
    if (config_.firestore.endpoint_from_emulator_host) {
      error_at({"credentials.type", "credentials", "firestore", ""},
               "credentials.type: " + std::string(to_string(type)) +
                   " would send Google access tokens unencrypted to the plain http endpoint "
                   "from FIRESTORE_EMULATOR_HOST; use static or none with the emulator");
    } else {
      error_at({"firestore.endpoint"},
               "firestore.endpoint: plain http would send Google access tokens unencrypted; "
               "use https, or credentials.type static or none (emulator)");
    }
  }
  if (given_valid("firestore.ca_file")) {
    error_at({"firestore.ca_file"}, "firestore.ca_file: only used with an https endpoint");
  }
}

void Loader::check_address_conflict() {
  if (failed("listener.address") || failed("admin.address")) return;
  const auto& data = config_.listener.address;
  const auto& admin = config_.admin.address;
  auto unspecified = [](const IpAddress& ip) {
    const auto bytes = ip.bytes();
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
  };
  if (data.port != 0 && data.port == admin.port &&
      (data.ip == admin.ip || unspecified(data.ip) || unspecified(admin.ip))) {
    error_at({"admin.address", "listener.address", ""}, "admin.address: " + admin.to_string() +
                                                            " collides with listener.address " +
                                                            data.to_string());
  }
}

}  // namespace firewarden::config::detail
