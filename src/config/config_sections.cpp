// The config file's sections, read field by field: each value is checked on
// its own here; the rules that tie fields together are in config_rules.cpp.
#include <algorithm>

#include "config_loader.hpp"
#include "config_values.hpp"

namespace firewarden::config::detail {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;
using yaml::in_quotes;
using yaml::MapView;
using yaml::Range;

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
constexpr Range<std::int64_t> kPercent{1, 100};
// RFC 9113 §6.5.2 puts no upper bound on streams; 10,000 at a time per
// connection is beyond any client we serve and bounds what one may hold.
constexpr Range<std::int64_t> kConcurrentStreams{1, 10'000};
constexpr Range<std::int64_t> kFrameBudget{1, 1'000'000};
constexpr Range<std::int64_t> kListenTargets{1, 100'000};
constexpr Range<milliseconds> kStreamDuration{100ms, 24h};
constexpr Range<std::int64_t> kMaxIdleConnections{0, 10'000};
constexpr Range<std::int64_t> kThreads{0, 256};

}  // namespace

// ---- reading ----------------------------------------------------------
bool Loader::read_root() {
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
    enum_field(logging, "document_paths", config_.logging.document_paths, detail::kDocumentPaths);
    bool_field(logging, "access_log", config_.logging.access_log);
  }
  integer_field(map, "threads", config_.threads, kThreads);
  return true;
}

void Loader::read_listener(const YAML::Node& node) {
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

void Loader::read_identity(const YAML::Node& node) {
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
void Loader::read_trust_bundles(MapView& identity) {
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

void Loader::read_firestore(const YAML::Node& node) {
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

void Loader::read_credentials(const YAML::Node& node) {
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

void Loader::read_iam_credentials_endpoint(const std::string& text) {
  const std::string key = "credentials.iam_credentials_endpoint";
  std::string error;
  auto endpoint = detail::parse_endpoint(text, error);
  if (!endpoint) {
    invalid(key, nodes_.at(key), error + ", got " + in_quotes(text));
  } else if (!endpoint->tls) {
    invalid(
        key, nodes_.at(key),
        "must be https: it receives a token with the cloud-platform scope, got " + in_quotes(text));
  } else {
    config_.credentials.iam_credentials_endpoint = std::move(*endpoint);
  }
}

void Loader::read_limits(const YAML::Node& node) {
  MapView map = open(node, "limits");
  auto& limits = config_.limits;
  integer_field(map, "max_connections", limits.max_connections, kMaxConnections);
  byte_size_field(map, "max_header_bytes", limits.max_header_bytes, kHeaderBytes);
  byte_size_field(map, "max_body_bytes", limits.max_body_bytes, kBodyBytes);
  duration_field(map, "header_timeout", limits.header_timeout, kHeaderTimeout);
  duration_field(map, "idle_timeout", limits.idle_timeout, kIdleTimeout);
  integer_field(map, "overload_threshold_percent", limits.overload_threshold_percent, kPercent);
  duration_field(map, "shutdown_delay", limits.shutdown_delay, kShutdownPhase);
  duration_field(map, "shutdown_grace", limits.shutdown_grace, kShutdownPhase);
  MapView http2 = section(map, "http2");
  integer_field(http2, "max_concurrent_streams", limits.http2.max_concurrent_streams,
                kConcurrentStreams);
  integer_field(http2, "reset_budget", limits.http2.reset_budget, kFrameBudget);
  integer_field(http2, "control_frame_budget", limits.http2.control_frame_budget, kFrameBudget);
  integer_field(http2, "max_listen_targets", limits.http2.max_listen_targets, kListenTargets);
  duration_field(http2, "max_stream_duration", limits.http2.max_stream_duration, kStreamDuration);
}

// ---- config-specific fields ----------------------------------------
void Loader::address_field(MapView& map, std::string_view key, SocketAddress& out) {
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

}  // namespace firewarden::config::detail
