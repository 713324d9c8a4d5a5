// Over 800 lines: the per-section readers and, in the second half, the
// generic YAML field helpers (strings, durations, sizes, lists, maps). The
// helpers are to move into a leaf module of their own that policy/ can use
// too, which leaves this file the per-section readers and the cross-field
// rules.
//
// Loads SPEC §2: every field is read and checked on its own first, then the
// rules that tie fields together run on the fields that were valid, so one
// typo yields one error rather than a cascade. config/firewarden.example.yaml
// documents each default, range and rule chosen here.
#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "config_values.hpp"
#include "firewarden/config/config.hpp"

namespace firewarden::config {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

template <class T>
struct Range {
  T min;
  T max;
};

// Ranges for numbers the spec leaves open. Timeouts may be short (tests use
// them) but never zero, which would mean "no deadline" to some readers.
constexpr Range<milliseconds> kReloadInterval{100ms, 1h};
constexpr Range<milliseconds> kConnectTimeout{10ms, 5min};
constexpr Range<milliseconds> kRequestTimeout{10ms, 1h};
// Google STS/IAM issue tokens for at most 1h, or 12h where the org policy
// constraints/iam.allowServiceAccountCredentialLifetimeExtension allows it.
constexpr Range<milliseconds> kTokenLifetime{1s, 12h};
constexpr Range<milliseconds> kTokenMargin{0ms, 12h};
constexpr Range<milliseconds> kHeaderTimeout{10ms, 10min};
constexpr Range<milliseconds> kIdleTimeout{10ms, 1h};
constexpr Range<milliseconds> kShutdownPhase{0ms, 10min};
constexpr Range<std::uint64_t> kHeaderBytes{std::uint64_t{1} << 10, std::uint64_t{1} << 20};
constexpr Range<std::uint64_t> kBodyBytes{std::uint64_t{1} << 10, std::uint64_t{64} << 20};
constexpr Range<std::int64_t> kMaxConnections{1, 1'000'000};
constexpr Range<std::int64_t> kMaxIdleConnections{0, 10'000};
constexpr Range<std::int64_t> kThreads{0, 256};

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

Config::Position position_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

class Loader {
 public:
  Loader(const std::string& file_name, const EnvLookup& env, std::filesystem::path base)
      : reader_(file_name, env), env_(env), base_(std::move(base)) {
    config_.source_file = file_name;
  }

  LoadResult load(const std::string& text) {
    root_ = reader_.parse(text);
    if (!reader_.ok()) return reader_.take_diagnostics();
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
    return std::make_shared<const Config>(std::move(config_));
  }

 private:
  // ---- reading ----------------------------------------------------------

  bool read_root() {
    MapView map(reader_, root_, "");
    if (root_.IsDefined() && !root_.IsNull() && !map.valid()) return false;
    read_listener(take(map, "listener"));
    read_identity(take(map, "identity"));
    {
      MapView policy = section(map, "policy");
      file_field(policy, "policy", "file", config_.policy.file, /*required=*/true);
      enum_field(policy, "enforcement", config_.policy.enforcement, detail::kEnforcements);
    }
    duration_field(map, "reload_interval", config_.reload_interval, kReloadInterval);
    read_firestore(take(map, "firestore"));
    read_credentials(take(map, "credentials"));
    {
      MapView admin = section(map, "admin");
      address_field(admin, "address", config_.admin.address);
      bool_field(admin, "enable_quit", config_.admin.enable_quit);
      bool_field(admin, "readiness_requires_token", config_.admin.readiness_requires_token);
    }
    read_limits(take(map, "limits"));
    {
      MapView logging = section(map, "logging");
      enum_field(logging, "level", config_.logging.level, detail::kLogLevels);
      enum_field(logging, "format", config_.logging.format, detail::kLogFormats);
      enum_field(logging, "document_paths", config_.logging.document_paths,
                 detail::kDocumentPaths);
      bool_field(logging, "access_log", config_.logging.access_log);
    }
    integer_field(map, "threads", config_.threads, kThreads);
    return true;
  }

  void read_listener(const YAML::Node& node) {
    MapView map = open(node, "listener");
    address_field(map, "address", config_.listener.address);
    MapView tls_map = section(map, "tls");
    if (!given("listener.tls") || failed("listener.tls")) return;
    ListenerTls tls;
    file_field(tls_map, "listener.tls", "cert_file", tls.cert_file, true);
    file_field(tls_map, "listener.tls", "key_file", tls.key_file, true);
    // Required unless identity.trust_bundles replaces it (check_client_trust_rules).
    file_field(tls_map, "listener.tls", "client_ca_file", tls.client_ca_file, false);
    enum_field(tls_map, "min_version", tls.min_version, detail::kTlsVersions);
    config_.listener.tls = std::move(tls);
  }

  void read_identity(const YAML::Node& node) {
    MapView map = open(node, "identity");
    auto& identity = config_.identity;
    enum_field(map, "mode", identity.mode, detail::kIdentityModes);
    if (auto domains = list_field(map, "trust_domains", detail::check_trust_domain)) {
      identity.trust_domains = std::move(*domains);
    }
    read_trust_bundles(map);
    checked_string_field(map, "path_template", identity.path_template, detail::check_path_template);
    bool_field(map, "require_template", identity.require_template);
    {
      MapView xfcc = section(map, "xfcc");
      auto check_peer = [](std::string_view text) -> std::optional<std::string> {
        std::string error;
        auto cidr = Cidr::parse(text, error);
        if (!cidr) return error + ", got " + in_quotes(text);
        // XFCC carries the caller's identity: trusting every peer would let
        // anyone that reaches the listener claim any identity.
        if (cidr->prefix_length() == 0) {
          return in_quotes(text) + " would let every peer assert identities";
        }
        return std::nullopt;
      };
      if (auto peers = list_field(xfcc, "trusted_peers", check_peer)) {
        identity.xfcc.trusted_peers.clear();
        for (const auto& text : *peers) {
          std::string unused;
          identity.xfcc.trusted_peers.push_back(*Cidr::parse(text, unused));
        }
      }
    }
    checked_string_field(map, "fixed_id", identity.fixed_id,
                         [this](std::string_view text) -> std::optional<std::string> {
                           if (text.empty()) return std::nullopt;  // "" = not set
                           return detail::check_spiffe_id(text, fixed_id_trust_domain_);
                         });
  }

  // identity.trust_bundles: {TRUST_DOMAIN: FILE}. Each key must be a trust
  // domain name; each file is resolved like every other file key.
  void read_trust_bundles(MapView& identity) {
    const std::string path = identity.path_of("trust_bundles");
    MapView bundles = section(identity, "trust_bundles");
    if (!bundles.valid()) return;  // absent, null, or refused as no mapping
    if (bundles.node().size() == 0) {
      invalid(path, nodes_.at(path),
              "must not be empty (leave it out to use listener.tls.client_ca_file)");
      return;
    }
    for (const auto& entry : bundles.node()) {
      if (!entry.first.IsScalar()) {  // reported by MapView
        failed_.insert(path);
        continue;
      }
      const std::string trust_domain = entry.first.Scalar();
      if (auto error = detail::check_trust_domain(trust_domain)) {
        bundles.take(trust_domain);  // reported here, not as an unknown key
        reader_.error(entry.first, path + ": " + *error);
        failed_.insert(path);
        continue;
      }
      std::string file;
      file_field(bundles, path, trust_domain, file, /*required=*/true);
      if (failed(bundles.path_of(trust_domain))) {
        failed_.insert(path);
      } else if (!file.empty()) {
        config_.identity.trust_bundles.emplace(trust_domain, std::move(file));
      }
    }
  }

  void read_firestore(const YAML::Node& node) {
    MapView map = open(node, "firestore");
    auto& firestore = config_.firestore;
    if (auto text = string_field(map, "endpoint"); text && !text->empty()) {
      std::string error;
      if (auto endpoint = detail::parse_endpoint(*text, error)) {
        firestore.endpoint = std::move(*endpoint);
        endpoint_given_ = true;
      } else {
        invalid("firestore.endpoint", nodes_.at("firestore.endpoint"),
                error + ", got " + in_quotes(*text));
      }
    } else if (text) {
      forget("firestore.endpoint");  // "" = not set
    }
    checked_string_field(map, "project", firestore.project, detail::check_project_id);
    if (!given("firestore.project") && !failed("firestore.project")) {
      error_at({"firestore", ""}, "firestore.project: required");
    }
    auto check_database = [](std::string_view text) -> std::optional<std::string> {
      if (auto error = detail::check_database_id(text)) return *error + ", got " + in_quotes(text);
      return std::nullopt;
    };
    if (auto databases = list_field(map, "databases", check_database)) {
      firestore.databases = std::move(*databases);
    }
    file_field(map, "firestore", "ca_file", firestore.ca_file, false);
    duration_field(map, "connect_timeout", firestore.connect_timeout, kConnectTimeout);
    duration_field(map, "request_timeout", firestore.request_timeout, kRequestTimeout);
    integer_field(map, "max_idle_connections", firestore.max_idle_connections, kMaxIdleConnections);
  }

  void read_credentials(const YAML::Node& node) {
    MapView map = open(node, "credentials");
    auto& credentials = config_.credentials;
    enum_field(map, "type", credentials.type, detail::kCredentialsTypes);
    file_field(map, "credentials", "file", credentials.file, false);
    if (auto token = string_field(map, "token")) {
      credentials.token = *token;
      if (token->empty()) forget("credentials.token");  // "" = not set
    }
    if (auto scopes = list_field(map, "scopes", detail::check_scope)) {
      credentials.scopes = std::move(*scopes);
    }
    duration_field(map, "token_lifetime", credentials.token_lifetime, kTokenLifetime);
    duration_field(map, "refresh_margin", credentials.refresh_margin, kTokenMargin);
    duration_field(map, "min_validity", credentials.min_validity, kTokenMargin);
    if (auto text = string_field(map, "iam_credentials_endpoint")) {
      read_iam_credentials_endpoint(*text);
    }
  }

  void read_iam_credentials_endpoint(const std::string& text) {
    const std::string key = "credentials.iam_credentials_endpoint";
    std::string error;
    auto endpoint = detail::parse_endpoint(text, error);
    if (!endpoint) {
      invalid(key, nodes_.at(key), error + ", got " + in_quotes(text));
    } else if (!endpoint->tls) {
      invalid(key, nodes_.at(key),
              "must be https: it receives a token with the cloud-platform scope, got " +
                  in_quotes(text));
    } else {
      config_.credentials.iam_credentials_endpoint = std::move(*endpoint);
    }
  }

  void read_limits(const YAML::Node& node) {
    MapView map = open(node, "limits");
    auto& limits = config_.limits;
    integer_field(map, "max_connections", limits.max_connections, kMaxConnections);
    byte_size_field(map, "max_header_bytes", limits.max_header_bytes, kHeaderBytes);
    byte_size_field(map, "max_body_bytes", limits.max_body_bytes, kBodyBytes);
    duration_field(map, "header_timeout", limits.header_timeout, kHeaderTimeout);
    duration_field(map, "idle_timeout", limits.idle_timeout, kIdleTimeout);
    duration_field(map, "shutdown_delay", limits.shutdown_delay, kShutdownPhase);
    duration_field(map, "shutdown_grace", limits.shutdown_grace, kShutdownPhase);
  }

  // ---- rules across fields ----------------------------------------------

  void apply_emulator_host() {
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

  void apply_application_credentials() {
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
  void apply_iam_credentials_override() {
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

  void check_identity_rules() {
    if (failed("identity.mode")) return;
    const auto& identity = config_.identity;
    const std::string mode = "identity.mode is " + std::string(to_string(identity.mode));

    if (identity.mode == IdentityMode::mtls && !given("listener.tls") && !failed("listener.tls")) {
      error_at({"identity.mode", "listener", "identity", ""},
               "listener.tls: required when " + mode);
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
                 "listener.address: must be a loopback address (127.0.0.0/8 or [::1]) when " +
                     mode + ", got " + config_.listener.address.to_string());
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
        error_at(
            {"identity.xfcc.trusted_peers"},
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
  void check_client_trust_rules() {
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

  void check_trust_bundles_match_trust_domains() {
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

  static bool is_listed(const std::vector<std::string>& values, std::string_view value) {
    return std::find(values.begin(), values.end(), value) != values.end();
  }

  // An empty list here would refuse every request (or every token): surely
  // not what the operator meant.
  void check_lists_not_empty() {
    auto check = [this](std::string_view path, bool empty) {
      if (empty && !failed(path)) error_at({path}, std::string(path) + ": must not be empty");
    };
    check("identity.trust_domains", config_.identity.trust_domains.empty());
    check("firestore.databases", config_.firestore.databases.empty());
    check("credentials.scopes", config_.credentials.scopes.empty());
  }

  void check_credentials_rules() {
    const auto& credentials = config_.credentials;
    if (!failed("credentials.type")) {
      const std::string type = "credentials.type is " + std::string(to_string(credentials.type));
      const bool is_static = credentials.type == CredentialsType::static_token;
      if (is_static && credentials.token.empty() && !failed("credentials.token")) {
        error_at({"credentials.type", "credentials", ""},
                 "credentials.token: required when " + type);
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
                   detail::format_duration(credentials.refresh_margin) +
                   " >= " + detail::format_duration(credentials.token_lifetime) + ")");
    }
    if (!failed("credentials.refresh_margin") && !failed("credentials.min_validity") &&
        credentials.min_validity >= credentials.refresh_margin) {
      error_at({"credentials.min_validity", "credentials.refresh_margin", "credentials", ""},
               "credentials.min_validity: must be shorter than credentials.refresh_margin (" +
                   detail::format_duration(credentials.min_validity) +
                   " >= " + detail::format_duration(credentials.refresh_margin) + ")");
    }
  }

  void check_upstream_rules() {
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

  void check_address_conflict() {
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

  // ---- field helpers ----------------------------------------------------

  YAML::Node take(MapView& map, std::string_view key) {
    YAML::Node node = map.take(key);
    if (node.IsDefined()) {
      const std::string path = map.path_of(key);
      nodes_.emplace(path, node);
      config_.positions.emplace(path, position_of(node));
    }
    return node;
  }

  // Opens the mapping at `path` (already taken); a value that is not a
  // mapping has been reported and marks `path` and all below it as failed.
  MapView open(const YAML::Node& node, const std::string& path) {
    if (node.IsDefined() && !node.IsNull() && !node.IsMap()) failed_.insert(path);
    return {reader_, node, path};
  }

  // A nested mapping under `parent`.
  MapView section(MapView& parent, std::string_view key) {
    const YAML::Node node = take(parent, key);
    return open(node, parent.path_of(key));
  }

  bool given(std::string_view path) const { return nodes_.find(path) != nodes_.end(); }
  // Given with a value that passed its own checks: cross-field rules look
  // only at these, so a refused value is not reported twice.
  bool given_valid(std::string_view path) const { return given(path) && !failed(path); }
  // True when `path` or a mapping or list containing it was refused.
  bool failed(std::string_view path) const {
    for (std::size_t end = 0; end != std::string_view::npos;) {
      end = path.find_first_of(".[", end + 1);
      if (failed_.find(path.substr(0, end)) != failed_.end()) return true;
    }
    return false;
  }
  void forget(const std::string& path) {
    nodes_.erase(path);
    config_.positions.erase(path);
  }

  void invalid(const std::string& path, const YAML::Node& node, const std::string& message) {
    reader_.error(node, path + ": " + message);
    failed_.insert(path);
  }

  // Reports at the first of `paths` that was given ("" is the document).
  void error_at(std::initializer_list<std::string_view> paths, const std::string& message) {
    for (std::string_view path : paths) {
      if (path.empty()) break;
      if (auto it = nodes_.find(path); it != nodes_.end()) {
        reader_.error(it->second, message);
        return;
      }
    }
    if (root_.IsDefined() && root_.IsMap()) {
      reader_.error(root_, message);
    } else {
      reader_.error(YAML::Mark(), message);  // an empty document: 1:1
    }
  }

  template <class Read>
  auto read_scalar(MapView& map, std::string_view key, Read read)
      -> decltype(read(YAML::Node(), std::string())) {
    const YAML::Node node = take(map, key);
    if (!node.IsDefined()) return std::nullopt;
    const std::string path = map.path_of(key);
    auto value = read(node, path);
    if (!value) failed_.insert(path);
    return value;
  }

  std::optional<std::string> string_field(MapView& map, std::string_view key) {
    return read_scalar(map, key, [this](const YAML::Node& node, const std::string& path) {
      return reader_.string(node, path);
    });
  }

  template <class Check>
  void checked_string_field(MapView& map, std::string_view key, std::string& out, Check check) {
    auto value = string_field(map, key);
    if (!value) return;
    const std::string path = map.path_of(key);
    if (auto error = check(*value)) {
      invalid(path, nodes_.at(path), *error + ", got " + in_quotes(*value));
      return;
    }
    out = std::move(*value);
    if (out.empty()) forget(path);
  }

  // A file path, resolved against the config file's directory. A required
  // path keeps its default (if any) when absent; `parent` is where a missing
  // one is reported.
  void file_field(MapView& map, std::string_view parent, std::string_view key, std::string& out,
                  bool required) {
    const std::string path = map.path_of(key);
    auto value = string_field(map, key);
    if (failed(path)) return;
    if (!value) {
      if (required && out.empty()) {
        error_at({parent, ""}, path + ": required");
        failed_.insert(path);
      }
      return;
    }
    if (value->empty()) {
      if (required) {
        invalid(path, nodes_.at(path), "must not be empty");
      } else {
        forget(path);  // "" = not set
        out.clear();
      }
      return;
    }
    if (value->find('\0') != std::string::npos) {
      invalid(path, nodes_.at(path), "file path contains a NUL byte");
      return;
    }
    out = (base_ / *value).lexically_normal().string();
  }

  void bool_field(MapView& map, std::string_view key, bool& out) {
    auto value = read_scalar(map, key, [this](const YAML::Node& node, const std::string& path) {
      return reader_.boolean(node, path);
    });
    if (value) out = *value;
  }

  template <class Int>
  void integer_field(MapView& map, std::string_view key, Int& out, Range<std::int64_t> range) {
    auto value = read_scalar(map, key, [&](const YAML::Node& node, const std::string& path) {
      return reader_.integer(node, path, range.min, range.max);
    });
    if (value) out = static_cast<Int>(*value);
  }

  // A value read by `read` and kept only within `range`; `format` writes
  // values back in config syntax for the message.
  template <class T, class Read, class Format>
  void ranged_field(MapView& map, std::string_view key, T& out, Range<T> range, Read read,
                    Format format) {
    auto value = read_scalar(map, key, read);
    if (!value) return;
    if (*value < range.min || *value > range.max) {
      const std::string path = map.path_of(key);
      invalid(path, nodes_.at(path),
              "must be between " + format(range.min) + " and " + format(range.max) + ", got " +
                  format(*value));
      return;
    }
    out = *value;
  }

  void duration_field(MapView& map, std::string_view key, milliseconds& out,
                      Range<milliseconds> range) {
    ranged_field(
        map, key, out, range,
        [this](const YAML::Node& node, const std::string& path) {
          return reader_.duration(node, path);
        },
        detail::format_duration);
  }

  void byte_size_field(MapView& map, std::string_view key, std::uint64_t& out,
                       Range<std::uint64_t> range) {
    ranged_field(
        map, key, out, range,
        [this](const YAML::Node& node, const std::string& path) {
          return reader_.byte_size(node, path);
        },
        detail::format_byte_size);
  }

  template <class E, std::size_t N>
  void enum_field(MapView& map, std::string_view key, E& out,
                  const std::array<detail::Choice<E>, N>& choices) {
    std::vector<std::string_view> names;
    names.reserve(N);
    for (const auto& choice : choices) names.push_back(choice.name);
    auto value = read_scalar(map, key, [&](const YAML::Node& node, const std::string& path) {
      return reader_.one_of(node, path, names);
    });
    if (!value) return;
    for (const auto& choice : choices) {
      if (choice.name == *value) out = choice.value;
    }
  }

  void address_field(MapView& map, std::string_view key, SocketAddress& out) {
    auto value = string_field(map, key);
    if (!value) return;
    const std::string path = map.path_of(key);
    std::string error;
    if (auto address = parse_socket_address(*value, error)) {
      out = *address;
    } else {
      invalid(path, nodes_.at(path), error + ", got " + in_quotes(*value));
    }
  }

  // A list of distinct strings, each passing `check` (which returns an error
  // phrase or std::nullopt). std::nullopt when absent or when any element is
  // refused (each refusal reported at its element).
  template <class Check>
  std::optional<std::vector<std::string>> list_field(MapView& map, std::string_view key,
                                                     Check check) {
    const YAML::Node node = take(map, key);
    if (!node.IsDefined()) return std::nullopt;
    const std::string path = map.path_of(key);
    if (!node.IsSequence()) {
      reader_.string_list(node, path);  // reports "expected a list of strings, got …"
      failed_.insert(path);
      return std::nullopt;
    }
    std::vector<std::string> values;
    bool all_good = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node element = node[i];
      const std::string element_path = path + "[" + std::to_string(i) + "]";
      config_.positions.emplace(element_path, position_of(element));
      auto value = reader_.string(element, element_path);
      std::optional<std::string> error;
      if (!value) {
        all_good = false;
      } else if ((error = check(*value))) {
        reader_.error(element, element_path + ": " + *error);
        all_good = false;
      } else if (std::find(values.begin(), values.end(), *value) != values.end()) {
        reader_.error(element, element_path + ": " + in_quotes(*value) + " is listed twice");
        all_good = false;
      } else {
        values.push_back(std::move(*value));
      }
    }
    if (!all_good) {
      failed_.insert(path);
      return std::nullopt;
    }
    return values;
  }

  Reader reader_;
  const EnvLookup& env_;
  std::filesystem::path base_;
  Config config_;
  YAML::Node root_;
  std::map<std::string, YAML::Node, std::less<>> nodes_;  // every key given, by path
  std::set<std::string, std::less<>> failed_;             // paths whose value was refused
  std::string fixed_id_trust_domain_;
  bool endpoint_given_ = false;
};

}  // namespace

LoadResult load_config_text(const std::string& text, const std::string& file_name,
                            const EnvLookup& env) {
  return Loader(file_name, env, std::filesystem::path(file_name).parent_path()).load(text);
}

LoadResult load_config_file(const std::string& path, const EnvLookup& env) {
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
  return Loader(path, env, base).load(text);
}

}  // namespace firewarden::config
