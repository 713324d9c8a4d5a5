// The effective config as YAML (`firewarden check --print-config`), in the
// file's layout so a printed value can be copied back into a file.
#include <yaml-cpp/yaml.h>

#include "firewarden/config/overrides.hpp"
#include "firewarden/yaml/yaml_reader.hpp"

namespace firewarden::config {
namespace {

// The one secret a config holds; whether it is set stays visible.
constexpr std::string_view kRedacted = "<redacted>";

class Printer {
 public:
  Printer() { out_ << YAML::BeginMap; }

  std::string finish() {
    out_ << YAML::EndMap;
    return std::string(out_.c_str()) + "\n";
  }

  void begin(std::string_view section) {
    out_ << YAML::Key << std::string(section) << YAML::Value << YAML::BeginMap;
  }
  void end() { out_ << YAML::EndMap; }

  template <class T>
  void value(std::string_view key, const T& value) {
    out_ << YAML::Key << std::string(key) << YAML::Value << value;
  }
  void text(std::string_view key, std::string_view value) {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::DoubleQuoted
         << std::string(value);
  }
  void duration(std::string_view key, std::chrono::milliseconds value) {
    this->value(key, yaml::format_duration(value));
  }
  void byte_size(std::string_view key, std::uint64_t value) {
    this->value(key, yaml::format_byte_size(value));
  }
  void list(std::string_view key, const std::vector<std::string>& values) {
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << values;
  }

 private:
  YAML::Emitter out_;
};

void print_listener(Printer& out, const Config::Listener& listener) {
  out.begin("listener");
  out.value("address", listener.address.to_string());
  if (listener.tls) {
    out.begin("tls");
    out.text("cert_file", listener.tls->cert_file);
    out.text("key_file", listener.tls->key_file);
    out.text("client_ca_file", listener.tls->client_ca_file);
    out.text("min_version", to_string(listener.tls->min_version));  // quoted: not the number 1.2
    out.end();
  }
  out.end();
}

void print_identity(Printer& out, const Config::Identity& identity) {
  out.begin("identity");
  out.value("mode", std::string(to_string(identity.mode)));
  out.list("trust_domains", identity.trust_domains);
  if (!identity.trust_bundles.empty()) {
    out.begin("trust_bundles");
    for (const auto& [trust_domain, file] : identity.trust_bundles) out.text(trust_domain, file);
    out.end();
  }
  out.text("path_template", identity.path_template);
  out.value("require_template", identity.require_template);
  out.begin("xfcc");
  std::vector<std::string> peers;
  for (const auto& peer : identity.xfcc.trusted_peers) peers.push_back(peer.to_string());
  out.list("trusted_peers", peers);
  out.end();
  out.text("fixed_id", identity.fixed_id);
  out.end();
}

void print_firestore(Printer& out, const Config::Firestore& firestore) {
  out.begin("firestore");
  out.text("endpoint", firestore.endpoint.url);
  out.text("project", firestore.project);
  out.list("databases", firestore.databases);
  out.text("ca_file", firestore.ca_file);
  out.duration("connect_timeout", firestore.connect_timeout);
  out.duration("request_timeout", firestore.request_timeout);
  out.value("max_idle_connections", firestore.max_idle_connections);
  out.end();
}

void print_credentials(Printer& out, const Config::Credentials& credentials) {
  out.begin("credentials");
  out.value("type", std::string(to_string(credentials.type)));
  out.text("file", credentials.file);
  out.text("token", credentials.token.empty() ? std::string_view() : kRedacted);
  out.list("scopes", credentials.scopes);
  out.duration("token_lifetime", credentials.token_lifetime);
  out.duration("refresh_margin", credentials.refresh_margin);
  out.duration("min_validity", credentials.min_validity);
  out.text("iam_credentials_endpoint", credentials.iam_credentials_endpoint.url);
  out.end();
}

void print_limits(Printer& out, const Config::Limits& limits) {
  out.begin("limits");
  out.value("max_connections", limits.max_connections);
  out.byte_size("max_header_bytes", limits.max_header_bytes);
  out.byte_size("max_body_bytes", limits.max_body_bytes);
  out.duration("header_timeout", limits.header_timeout);
  out.duration("idle_timeout", limits.idle_timeout);
  out.value("overload_threshold_percent", limits.overload_threshold_percent);
  out.duration("shutdown_delay", limits.shutdown_delay);
  out.duration("shutdown_grace", limits.shutdown_grace);
  out.begin("http2");
  out.value("max_concurrent_streams", limits.http2.max_concurrent_streams);
  out.value("reset_budget", limits.http2.reset_budget);
  out.value("control_frame_budget", limits.http2.control_frame_budget);
  out.value("max_listen_targets", limits.http2.max_listen_targets);
  out.duration("max_stream_duration", limits.http2.max_stream_duration);
  out.end();
  out.end();
}

}  // namespace

std::string print_config(const Config& config) {
  Printer out;
  print_listener(out, config.listener);
  print_identity(out, config.identity);
  out.begin("policy");
  out.text("file", config.policy.file);
  out.value("enforcement", std::string(to_string(config.policy.enforcement)));
  out.end();
  out.duration("reload_interval", config.reload_interval);
  print_firestore(out, config.firestore);
  print_credentials(out, config.credentials);
  out.begin("admin");
  out.value("address", config.admin.address.to_string());
  out.value("enable_quit", config.admin.enable_quit);
  out.value("readiness_requires_token", config.admin.readiness_requires_token);
  out.end();
  print_limits(out, config.limits);
  out.begin("logging");
  out.value("level", std::string(to_string(config.logging.level)));
  out.value("format", std::string(to_string(config.logging.format)));
  out.value("document_paths", std::string(to_string(config.logging.document_paths)));
  out.value("access_log", config.logging.access_log);
  out.end();
  out.value("threads", config.threads);
  return out.finish();
}

}  // namespace firewarden::config
