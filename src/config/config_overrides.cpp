// --set and FIREWARDEN_* values, grafted into the parsed document before it is
// read (so every check, and every unknown-key error, is the file's own), and
// the table of keys that maps environment names to key paths.
#include <algorithm>
#include <cctype>

#include "config_loader.hpp"
#include "firewarden/config/overrides.hpp"
#include "firewarden/text/ascii.hpp"

namespace firewarden::config {
namespace {

std::vector<std::string> split_key(std::string_view key) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    segments.emplace_back(key.substr(start, dot - start));
    if (dot == std::string_view::npos) return segments;
    start = dot + 1;
  }
}

// The entry of `map` whose key is `name` (an undefined node when absent).
std::pair<YAML::Node, YAML::Node> find_entry(const YAML::Node& map, const std::string& name) {
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == name) return {entry.first, entry.second};
  }
  return {YAML::Node(YAML::NodeType::Undefined), YAML::Node(YAML::NodeType::Undefined)};
}

// The first path segments of the keys, for telling a misspelt key from a
// FIREWARDEN_ variable that is no config key at all.
bool starts_like_a_key(std::string_view path) {
  for (std::string_view key : config_keys()) {
    const std::string_view first = key.substr(0, key.find('.'));
    if (path == first || (key.find('.') != std::string_view::npos && path.starts_with(first) &&
                          path.size() > first.size() && path[first.size()] == '.')) {
      return true;
    }
  }
  return false;
}

}  // namespace

namespace detail {

// The mapping that will hold the last segment, made where the file has none
// (those new mappings count as the override's, for errors).
YAML::Node Loader::graft_parent(const Override& given, const std::vector<std::string>& segments) {
  if (!root_.IsDefined() || root_.IsNull()) {
    root_ = YAML::Node(YAML::NodeType::Map);
    reader_.mark_origin(root_, given.origin);
  }
  YAML::Node at;
  at.reset(root_);  // reset, not '=': Node::operator= would overwrite root_
  if (!root_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);  // reported by the reader
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    auto [key, child] = find_entry(at, segments[i]);
    if (!child.IsDefined() || child.IsNull()) {
      at[segments[i]] = YAML::Node(YAML::NodeType::Map);
      std::tie(key, child) = find_entry(at, segments[i]);
      reader_.mark_origin(key, given.origin);
      reader_.mark_origin(child, given.origin);
    } else if (!child.IsMap()) {
      return YAML::Node(YAML::NodeType::Undefined);  // the file's value is reported as no mapping
    }
    at.reset(child);
  }
  return at;
}

void Loader::apply_override(const Override& given) {
  yaml::Reader value_reader(given.origin, env_);
  const YAML::Node value = value_reader.parse(given.value);
  if (!value_reader.ok()) {
    for (const auto& problem : value_reader.take_diagnostics()) {
      reader_.report({given.origin, 0, 0, given.key + ": " + problem.message});
    }
    return;
  }
  const std::vector<std::string> segments = split_key(given.key);
  YAML::Node parent = graft_parent(given, segments);
  if (!parent.IsDefined()) return;
  parent[segments.back()] = value;
  const auto [key, placed] = find_entry(parent, segments.back());
  reader_.mark_origin(key, given.origin);
  reader_.mark_origin(placed, given.origin);
}

}  // namespace detail

const std::vector<std::string_view>& config_keys() {
  static const std::vector<std::string_view> keys{
      "listener.address",
      "listener.tls.cert_file",
      "listener.tls.key_file",
      "listener.tls.client_ca_file",
      "listener.tls.min_version",
      "identity.mode",
      "identity.trust_domains",
      "identity.trust_bundles",
      "identity.path_template",
      "identity.require_template",
      "identity.xfcc.trusted_peers",
      "identity.fixed_id",
      "policy.file",
      "policy.enforcement",
      "reload_interval",
      "firestore.endpoint",
      "firestore.project",
      "firestore.databases",
      "firestore.ca_file",
      "firestore.connect_timeout",
      "firestore.request_timeout",
      "firestore.max_idle_connections",
      "credentials.type",
      "credentials.file",
      "credentials.token",
      "credentials.scopes",
      "credentials.token_lifetime",
      "credentials.refresh_margin",
      "credentials.min_validity",
      "credentials.iam_credentials_endpoint",
      "admin.address",
      "admin.enable_quit",
      "admin.readiness_requires_token",
      "limits.max_connections",
      "limits.max_header_bytes",
      "limits.max_body_bytes",
      "limits.header_timeout",
      "limits.idle_timeout",
      "limits.overload_threshold_percent",
      "limits.shutdown_delay",
      "limits.shutdown_grace",
      "limits.http2.max_concurrent_streams",
      "limits.http2.reset_budget",
      "limits.http2.control_frame_budget",
      "limits.http2.max_listen_targets",
      "limits.http2.max_stream_duration",
      "logging.level",
      "logging.format",
      "logging.document_paths",
      "logging.access_log",
      "threads",
  };
  return keys;
}

std::string environment_name(std::string_view key) {
  std::string name = "FIREWARDEN_";
  for (char c : key) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::variant<Override, Diagnostic> parse_set_option(std::string_view text) {
  const std::size_t equals = text.find('=');
  const std::string_view key = text.substr(0, equals);
  const bool bad_key = key.empty() || key.front() == '.' || key.back() == '.' ||
                       key.find("..") != std::string_view::npos;
  if (equals == std::string_view::npos || bad_key) {
    return Diagnostic{"--set", 0, 0,
                      "expected KEY=VALUE with KEY a path such as firestore.project, got \"" +
                          std::string(text) + "\""};
  }
  return Override{"--set", std::string(key), std::string(text.substr(equals + 1))};
}

std::variant<Overrides, Diagnostics> environment_overrides(
    const std::vector<std::string>& entries) {
  constexpr std::string_view kPrefix = "FIREWARDEN_";
  Overrides overrides;
  Diagnostics problems;
  for (const std::string& entry : entries) {
    const std::size_t equals = entry.find('=');
    const std::string_view name = std::string_view(entry).substr(0, equals);
    if (equals == std::string::npos || !name.starts_with(kPrefix)) continue;
    const auto key = std::find_if(config_keys().begin(), config_keys().end(),
                                  [&](std::string_view k) { return environment_name(k) == name; });
    const std::string origin = "env " + std::string(name);
    if (key != config_keys().end()) {
      overrides.push_back({origin, std::string(*key), entry.substr(equals + 1)});
      continue;
    }
    // FIREWARDEN_FIRESTORE_PROJET reads as firestore.projet: unknown, as in a file.
    std::string path;
    for (char c : name.substr(kPrefix.size())) {
      path += text::to_lower(c);
    }
    const std::size_t underscore = path.find('_');
    std::string dotted = path;
    if (underscore != std::string::npos) dotted[underscore] = '.';
    if (starts_like_a_key(dotted)) problems.push_back({origin, 0, 0, dotted + ": unknown key"});
  }
  if (!problems.empty()) return problems;
  std::sort(overrides.begin(), overrides.end(),
            [](const Override& a, const Override& b) { return a.origin < b.origin; });
  return overrides;
}

}  // namespace firewarden::config
