#pragma once
// The files the daemon watches (DESIGN.md: "Shared state that changes at run
// time is an immutable snapshot, swapped atomically"): the policy and the
// serving certificate with its key and client trust bundles. Each watcher
// re-reads its files when asked (every reload_interval and on SIGHUP),
// installs a new snapshot when the content changed and is valid, and keeps
// the one in force otherwise, saying why.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "firewarden/config/config.hpp"
#include "firewarden/net/asio.hpp"
#include "firewarden/proxy/policy_store.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::app {

// A file set whose content digest was last loaded.
struct WatchedDigest {
  std::string digest;
  bool unreadable = false;  // the last attempt could not read the file(s)
};

// policy.file into a PolicyStore.
class PolicyWatcher {
 public:
  PolicyWatcher(std::string file, proxy::PolicyStore& store, telemetry::MetricCatalogue& metrics);

  // Loads the file if its content changed; true when a new policy was
  // installed. A file that cannot be read or does not load leaves the policy
  // in force and sets the store's last_error.
  bool check();

 private:
  std::string file_;
  proxy::PolicyStore& store_;
  telemetry::MetricCatalogue& metrics_;
  std::mutex mutex_;  // one check at a time (reload loop and SIGHUP)
  WatchedDigest watched_;
};

// What /status says about the serving certificate.
struct CertificateState {
  std::uint64_t generation = 0;
  std::string sha256;  // fingerprint of the leaf (DER), hex
  std::string serial;  // hex
  std::chrono::system_clock::time_point loaded_at;
  std::string last_error;
};

// listener.tls (certificate, key, client trust bundles) into the serving
// TLS context new connections take. `config.listener.tls` must be set.
class CertificateWatcher {
 public:
  CertificateWatcher(std::shared_ptr<const config::Config> config,
                     telemetry::MetricCatalogue& metrics);

  // Makes a new context if any file changed; true when one was installed. A
  // certificate that does not load or match its key leaves the context in
  // force and sets state().last_error.
  bool check();

  // The context in force (null before the first successful check).
  std::shared_ptr<ssl::context> context() const {
    std::lock_guard lock(context_mutex_);
    return context_;
  }
  // notAfter of the certificate in force (Unix time; 0 before the first).
  long long not_after() const { return not_after_.load(); }
  CertificateState state() const;

 private:
  std::string digest() const;

  std::shared_ptr<const config::Config> config_;
  telemetry::MetricCatalogue& metrics_;
  std::mutex check_mutex_;  // one check at a time (reload loop and SIGHUP)
  WatchedDigest watched_;
  // A mutex, not std::atomic<shared_ptr>: see PolicyStore (libstdc++ 12's
  // atomic load does not happen-before the next store).
  mutable std::mutex context_mutex_;
  std::shared_ptr<ssl::context> context_;
  std::atomic<long long> not_after_{0};
  mutable std::mutex state_mutex_;
  CertificateState state_;
};

}  // namespace firewarden::app
