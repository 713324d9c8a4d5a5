#include "firewarden_instance.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace firewarden::testing {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string state_file(const std::string& name) {
  const std::string path = test_state_dir() + "/" + name;
  std::string text = read_text(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty()) throw std::runtime_error("missing test state " + path + " (CTest fixture?)");
  return text;
}

std::string tls_block(const InstanceOptions& options) {
  if (options.mode != "mtls") return "";
  auto or_default = [](const std::string& given, const std::string& fallback) {
    return given.empty() ? fallback : given;
  };
  std::string block =
      "  tls:\n    cert_file: " + or_default(options.tls_cert_file, cert("server")) +
      "\n    key_file: " + or_default(options.tls_key_file, certs_dir() + "/server.key") + "\n";
  if (options.trust_bundles.empty()) {
    block += "    client_ca_file: " + or_default(options.tls_client_ca_file, cert("ca")) + "\n";
  }
  return block;
}

}  // namespace

std::string test_state_dir() { return FIREWARDEN_TEST_STATE_DIR; }
unsigned short emulator_port() {
  return static_cast<unsigned short>(std::stoi(state_file("emulator/port")));
}
std::string certs_dir() { return test_state_dir() + "/certs"; }
std::string cert(const std::string& name) { return certs_dir() + "/" + name + ".pem"; }
TlsClientFiles client_tls(const std::string& name) {
  return TlsClientFiles{cert("ca"), cert(name), certs_dir() + "/" + name + ".key"};
}

std::string unique_project() {
  static std::atomic<int> counter{0};
  return "t-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

FirewardenInstance::FirewardenInstance(InstanceOptions options) : options_(std::move(options)) {
  if (options_.upstream.empty()) {
    options_.upstream = "http://127.0.0.1:" + std::to_string(emulator_port());
  }
  if (options_.policy_file.empty()) {
    options_.policy_file = std::string(FIREWARDEN_SOURCE_DIR) + "/config/policy.example.yaml";
  }
  port_ = free_port();
  admin_port_ = free_port();
  std::string config = "listener:\n  address: \"127.0.0.1:" + std::to_string(port_) + "\"\n" +
                       tls_block(options_) + "identity:\n  mode: " + options_.mode + "\n" +
                       options_.identity_extra;
  if (options_.mode == "fixed") config += "  fixed_id: \"" + options_.fixed_id + "\"\n";
  if (!options_.trust_domains.empty())
    config += "  trust_domains: " + options_.trust_domains + "\n";
  if (!options_.trust_bundles.empty())
    config += "  trust_bundles: " + options_.trust_bundles + "\n";
  if (options_.mode == "xfcc")
    config += "  xfcc:\n    trusted_peers: " + options_.trusted_peers + "\n";
  config +=
      "policy:\n  file: " + options_.policy_file + "\n" +
      (options_.enforcement.empty() ? std::string()
                                    : "  enforcement: " + options_.enforcement + "\n") +
      "reload_interval: " + options_.reload_interval + "\n" + "firestore:\n  endpoint: \"" +
      options_.upstream + "\"\n  project: \"" + options_.project +
      "\"\n  request_timeout: " + options_.request_timeout + "\n  connect_timeout: 2s\n" +
      (options_.firestore_ca_file.empty() ? std::string()
                                          : "  ca_file: " + options_.firestore_ca_file + "\n") +
      "credentials: " + options_.credentials + "\n" +
      "admin:\n  address: \"127.0.0.1:" + std::to_string(admin_port_) +
      "\"\n  enable_quit: true\n" + options_.admin_extra + "limits: " + options_.limits + "\n" +
      "logging:\n  level: debug\n  format: " + options_.log_format + "\n" + options_.extra;
  const std::string config_path = dir_.write("firewarden.yaml", config);
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{FIREWARDEN_BINARY, "run", "--config", config_path},
      options_.stdout_path.empty() ? dir_.path() + "/stdout" : options_.stdout_path,
      options_.stderr_path.empty() ? dir_.path() + "/stderr" : options_.stderr_path, options_.env);
  const std::string probe = options_.wait_until_ready ? "/readyz" : "/healthz";
  const bool ready = eventually([&] { return !process_->running() || admin(probe).status == 200; },
                                std::chrono::seconds(15));
  if (!ready || !process_->running()) {
    throw std::runtime_error("firewarden did not answer 200 on " + probe + ":\n" + logs());
  }
}

FirewardenInstance::~FirewardenInstance() {
  if (process_ && process_->running()) stop(std::chrono::seconds(5));
}

std::string FirewardenInstance::documents() const {
  return "/v1/projects/" + options_.project + "/databases/(default)/documents";
}

std::string FirewardenInstance::document_name(const std::string& path) const {
  return "projects/" + options_.project + "/databases/(default)/documents/" + path;
}

HttpResponse FirewardenInstance::request(const HttpRequestSpec& spec,
                                         const std::optional<TlsClientFiles>& tls) const {
  return http_request("127.0.0.1", port_, spec, tls);
}

HttpResponse FirewardenInstance::admin(const std::string& path, const std::string& method) const {
  return http_request("127.0.0.1", admin_port_, HttpRequestSpec{method, path, {}, {}}, std::nullopt,
                      std::chrono::seconds(2));
}

std::optional<int> FirewardenInstance::stop(std::chrono::milliseconds timeout) {
  process_->signal(SIGTERM);
  return process_->wait_for_exit(timeout);
}

std::string FirewardenInstance::logs() const { return read_text(dir_.path() + "/stderr"); }
std::string FirewardenInstance::access_log() const { return read_text(dir_.path() + "/stdout"); }

std::string external_account_credentials(const std::string& file, const std::string& settings) {
  return "{type: external_account, file: " + file + (settings.empty() ? "" : ", " + settings) + "}";
}

InstanceOptions write_only_caller(const TempDir& dir) {
  InstanceOptions options;
  options.fixed_id = "spiffe://cluster.local/ns/ingest/sa/loader";
  options.policy_file = dir.write("policy.yaml", R"(version: 1
rules:
  - name: ingest-writes-orders
    subjects: {namespaces: [ingest]}
    collections: [orders]
    actions: [write]
)");
  return options;
}

HttpResponse emulator_get(const std::string& project, const std::string& document_path) {
  return http_request(
      "127.0.0.1", emulator_port(),
      HttpRequestSpec{"GET",
                      "/v1/projects/" + project + "/databases/(default)/documents/" + document_path,
                      {},
                      {{"authorization", "Bearer owner"}}});
}

void emulator_put(const std::string& project, const std::string& document_path,
                  const std::string& fields_json) {
  auto spec =
      json_post("/v1/projects/" + project + "/databases/(default)/documents/" + document_path,
                "{\"fields\":" + fields_json + "}");
  spec.method = "PATCH";
  spec.headers.emplace_back("authorization", "Bearer owner");
  const auto response = http_request("127.0.0.1", emulator_port(), spec);
  if (response.status != 200) {
    throw std::runtime_error("emulator_put failed: " + std::to_string(response.status) + " " +
                             response.body + response.error);
  }
}

}  // namespace firewarden::testing
