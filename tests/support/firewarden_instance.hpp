#pragma once
// The real firewarden binary, started for one test with a generated config
// against the shared Firestore emulator (CTest fixture `emulator`) and the
// generated development certificates (fixture `certs`). Each test uses its
// own project id, so tests are isolated without restarting the emulator.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_client.hpp"
#include "process.hpp"
#include "run_binary.hpp"

namespace firewarden::testing {

// Set by the CTest fixtures (see tests/CMakeLists.txt).
std::string test_state_dir();
unsigned short emulator_port();
std::string certs_dir();
std::string cert(const std::string& name);           // certs_dir()/NAME.pem
TlsClientFiles client_tls(const std::string& name);  // NAME.pem/.key, trusting ca.pem

// A project id no other test uses ("t-<pid>-<counter>").
std::string unique_project();

// Every member has a default initializer, so designated initializers may
// name any subset (GCC's -Wmissing-field-initializers).
struct InstanceOptions {
  std::string mode = "fixed";  // mtls | xfcc | fixed
  std::string fixed_id = "spiffe://cluster.local/ns/orders/sa/orders-api";
  std::string trusted_peers = "[\"127.0.0.1/32\"]";
  std::string identity_extra{};  // more lines under `identity:`, each indented two spaces
  std::string project = unique_project();
  std::string upstream{};     // default: the emulator
  std::string policy_file{};  // default: config/policy.example.yaml
  std::string enforcement{};  // policy.enforcement; empty: not set (enforce)
  std::string credentials = "{type: static, token: owner}";
  std::string limits = "{shutdown_grace: 3s}";
  std::string reload_interval = "200ms";
  std::string extra{};              // more top-level YAML
  std::string admin_extra{};        // more keys of the admin section ("  key: value\n")
  std::string firestore_ca_file{};  // firestore.ca_file (https upstreams); empty: not set
  // mtls: listener.tls files; empty: the development server certificate,
  // key and CA.
  std::string tls_cert_file{};
  std::string tls_key_file{};
  std::string tls_client_ca_file{};
  // mtls with several trust domains: identity.trust_domains and
  // identity.trust_bundles as YAML flow values ("[a, b]", "{a: f1, b: f2}");
  // with trust_bundles set, listener.tls.client_ca_file is left out.
  std::string trust_domains{};
  std::string trust_bundles{};
  std::string request_timeout = "5s";  // firestore.request_timeout
  std::string log_format = "json";     // logging.format
  // Where the daemon's stdout (access log) and stderr go; empty: files in
  // directory(). A FIFO nobody reads or /dev/full tests log faults.
  std::string stdout_path{};
  std::string stderr_path{};
  // Set in the daemon's environment, on top of the test's own.
  std::vector<std::pair<std::string, std::string>> env{};
  // Start-up waits until /readyz is 200; false: only until /healthz is 200
  // (for instances that are meant not to become ready).
  bool wait_until_ready = true;
};

class FirewardenInstance {
 public:
  explicit FirewardenInstance(InstanceOptions options = {});
  ~FirewardenInstance();

  const InstanceOptions& options() const { return options_; }
  unsigned short port() const { return port_; }
  unsigned short admin_port() const { return admin_port_; }
  // "/v1/projects/P/databases/(default)/documents"
  std::string documents() const;
  // "projects/P/databases/(default)/documents/" + path
  std::string document_name(const std::string& path) const;

  HttpResponse request(const HttpRequestSpec& spec,
                       const std::optional<TlsClientFiles>& tls = std::nullopt) const;
  HttpResponse admin(const std::string& path, const std::string& method = "GET") const;

  // SIGTERM and the exit code (nullopt if it did not exit within `timeout`).
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ChildProcess& process() { return *process_; }
  std::string logs() const;        // stderr
  std::string access_log() const;  // stdout
  const std::string& directory() const { return dir_.path(); }

 private:
  InstanceOptions options_;
  TempDir dir_;
  unsigned short port_ = 0;
  unsigned short admin_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// Built with AddressSanitizer (scripts/test --sanitize) or ThreadSanitizer:
// the first keeps freed memory in quarantine, the second allocates shadow
// memory as the program touches its own, so RSS growth says nothing there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif

// Orders may read orders; nothing else, and nobody is impersonated (for
// instances whose credentials cannot impersonate).
inline constexpr const char* kOrdersReadPolicy =
    "version: 1\nrules:\n  - name: orders-read\n    subjects: {namespaces: [orders]}\n"
    "    collections: [orders]\n    actions: [read]\n";

// InstanceOptions::credentials for an external_account credential file at
// `file`; `settings` adds the token settings, e.g. "refresh_margin: 16s,
// min_validity: 10s".
std::string external_account_credentials(const std::string& file, const std::string& settings = "");

// A caller that may write orders and read nothing (what the write-response
// cut is for): ingest/loader under a one-rule policy written into `dir`.
InstanceOptions write_only_caller(const TempDir& dir);

// Reads a document directly from the emulator (not through firewarden):
// the status is 404 when it does not exist.
HttpResponse emulator_get(const std::string& project, const std::string& document_path);
// Writes a document directly into the emulator (test set-up).
void emulator_put(const std::string& project, const std::string& document_path,
                  const std::string& fields_json);

}  // namespace firewarden::testing
