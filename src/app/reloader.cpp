#include "firewarden/app/reloader.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "firewarden/app/file_digest.hpp"
#include "firewarden/app/load.hpp"
#include "firewarden/net/server_tls.hpp"
#include "firewarden/policy/policy.hpp"

namespace firewarden::app {
namespace {

// Fingerprint (sha256 of the DER) and serial of the context's leaf
// certificate, for /status: an operator compares them with
// `openssl x509 -fingerprint -sha256 -serial`.
std::pair<std::string, std::string> leaf_fingerprint_and_serial(ssl::context& context) {
  X509* leaf = SSL_CTX_get0_certificate(context.native_handle());
  if (leaf == nullptr) return {};
  std::string fingerprint;
  unsigned char* der = nullptr;
  const int length = i2d_X509(leaf, &der);
  if (length > 0) {
    fingerprint = sha256_hex(
        std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length)));
    OPENSSL_free(der);
  }
  std::string serial;
  if (BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), nullptr)) {
    if (char* hex = BN_bn2hex(number)) {
      serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(number);
  }
  return {fingerprint, serial};
}

}  // namespace

PolicyWatcher::PolicyWatcher(std::string file, proxy::PolicyStore& store,
                             telemetry::MetricCatalogue& metrics)
    : file_(std::move(file)), store_(store), metrics_(metrics) {
  // Outcome series exist from the start (at 0), so alerts on their increase
  // work before the first failure.
  for (const char* result : {"success", "failure"}) metrics_.policy_reloads_total.with({result});
}

bool PolicyWatcher::check() {
  std::lock_guard lock(mutex_);
  auto& reloads = metrics_.policy_reloads_total;
  const auto bytes = read_file(file_);
  if (!bytes) {
    // Deleted or unreadable: keep the last good policy and say so. (A
    // ConfigMap swap renames ..data atomically, so it never lands here.)
    if (!watched_.unreadable) spdlog::error("policy: cannot read {}", file_);
    watched_.unreadable = true;
    store_.set_last_error("cannot read " + file_);
    reloads.with({"failure"}).increment();
    return false;
  }
  const std::string digest = sha256_hex(*bytes);
  if (digest == watched_.digest) {
    // Readable again with the content in force: the read error is over.
    if (watched_.unreadable && store_.current() && store_.current()->sha256 == digest) {
      store_.set_last_error({});
    }
    watched_.unreadable = false;
    return false;  // unchanged
  }
  watched_.unreadable = false;
  if (const auto held = store_.current(); held && held->sha256 == digest) {
    // Back to the content in force (a bad edit reverted): nothing to load.
    watched_.digest = digest;
    store_.set_last_error({});
    return false;
  }
  auto loaded = policy::load_policy_text(*bytes, file_, config::process_environment());
  if (auto* problems = std::get_if<config::Diagnostics>(&loaded)) {
    std::string message;
    for (const auto& problem : *problems) {
      spdlog::error("{}", problem.to_string());
      if (message.empty()) message = problem.to_string();
    }
    if (problems->size() > 1) message += " (and " + std::to_string(problems->size() - 1) + " more)";
    reloads.with({"failure"}).increment();
    watched_.digest = digest;  // do not report the same bad file every interval
    store_.set_last_error(message);
    if (const auto current = store_.current()) {
      spdlog::error("policy {} (sha256 {}) refused; generation {} stays in force", file_, digest,
                    current->generation);
    }
    return false;
  }
  const auto generation =
      store_.install(std::get<std::shared_ptr<const policy::Policy>>(std::move(loaded)), digest);
  watched_.digest = digest;
  reloads.with({"success"}).increment();
  metrics_.policy_generation.with({}).set(static_cast<double>(generation));
  metrics_.policy_info.set_only({digest}, 1);
  metrics_.policy_last_reload_success_timestamp_seconds.with({}).set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  spdlog::info("policy {} loaded: generation {}, {} rules, sha256 {}", file_, generation,
               store_.current()->rules, digest);
  return true;
}

CertificateWatcher::CertificateWatcher(std::shared_ptr<const config::Config> config,
                                       telemetry::MetricCatalogue& metrics)
    : config_(std::move(config)), metrics_(metrics) {
  for (const char* result : {"success", "failure"})
    metrics_.certificate_reloads_total.with({result});
}

CertificateState CertificateWatcher::state() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

std::string CertificateWatcher::digest() const {
  const auto& tls = *config_->listener.tls;
  std::string all;
  for (const auto& path : {tls.cert_file, tls.key_file}) {
    all += sha256_hex(read_file(path).value_or("<unreadable>"));
  }
  // Every trust bundle: rotating any one of them alone makes a new context.
  for (const auto& bundle : config::client_trust_bundles(*config_)) {
    all += sha256_hex(read_file(bundle.path).value_or("<unreadable>"));
  }
  return all;
}

bool CertificateWatcher::check() {
  std::lock_guard lock(check_mutex_);
  auto& reloads = metrics_.certificate_reloads_total;
  const auto& tls = *config_->listener.tls;
  const std::string digest = this->digest();
  if (digest == watched_.digest) return false;
  watched_.digest = digest;
  auto made = transport::make_server_tls_context(server_tls_files(*config_));
  if (auto* refused = std::get_if<transport::ServerTlsError>(&made)) {
    const std::string error = refused->message();
    // A certificate that does not match its key (or is unreadable) is
    // refused; new connections keep using the last good one. (Mid-way
    // through a non-atomic rotation the files may briefly disagree; the next
    // check sees new digests and tries again.)
    spdlog::error("TLS reload refused, the previous certificate stays in use: {}", error);
    reloads.with({"failure"}).increment();
    std::lock_guard state_lock(state_mutex_);
    state_.last_error = error;
    return false;
  }
  auto& context = std::get<transport::ServerTlsContext>(made);
  auto [fingerprint, serial] = leaf_fingerprint_and_serial(*context.context);
  {
    std::lock_guard context_lock(context_mutex_);
    context_ = context.context;
  }
  not_after_ = context.certificate_not_after;
  reloads.with({"success"}).increment();
  metrics_.certificate_expiry_timestamp_seconds.with({}).set(
      static_cast<double>(context.certificate_not_after));
  std::uint64_t generation = 0;
  {
    std::lock_guard state_lock(state_mutex_);
    generation = ++state_.generation;
    state_.sha256 = fingerprint;
    state_.serial = serial;
    state_.loaded_at = std::chrono::system_clock::now();
    state_.last_error.clear();
  }
  spdlog::info("serving certificate {} loaded: generation {}, serial {}, sha256 {}", tls.cert_file,
               generation, serial, fingerprint);
  std::string bundles;
  for (const auto& bundle : config::client_trust_bundles(*config_)) {
    bundles += (bundles.empty() ? "" : ", ") + bundle.trust_domain + " from " + bundle.path;
  }
  spdlog::info("client certificates verified per trust domain: {}", bundles);
  return true;
}

}  // namespace firewarden::app
