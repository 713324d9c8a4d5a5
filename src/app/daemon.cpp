// The daemon: wiring of the modules, policy and certificate reload, /status
// and readiness, signals and the shutdown sequence. Over 450 lines because
// it still does these four jobs; the planned split (before the HTTP/2 front
// end) is wiring.cpp, reloader.cpp, status.cpp and a lifecycle-only daemon.cpp.
#include "firewarden/app/daemon.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "firewarden/app/build_info.hpp"
#include "firewarden/app/cpu_quota.hpp"
#include "firewarden/app/file_digest.hpp"
#include "firewarden/app/load.hpp"
#include "firewarden/credentials/token_broker.hpp"
#include "firewarden/identity/identity_rules.hpp"
#include "firewarden/telemetry/line_writer.hpp"
#include "firewarden/telemetry/time_format.hpp"

namespace firewarden::app {
namespace {

using net::as_tuple;
using net::use_awaitable;

net::ip::tcp::endpoint to_endpoint(const config::SocketAddress& address) {
  return {net::ip::make_address(address.ip.to_string()), address.port};
}

credentials::Settings credential_settings(const config::Config& config) {
  credentials::Settings settings;
  switch (config.credentials.type) {
    case config::CredentialsType::external_account:
      settings.type = credentials::CredentialType::external_account;
      break;
    case config::CredentialsType::metadata:
      settings.type = credentials::CredentialType::metadata;
      break;
    case config::CredentialsType::service_account_key:
      settings.type = credentials::CredentialType::service_account_key;
      break;
    case config::CredentialsType::static_token:
      settings.type = credentials::CredentialType::static_token;
      break;
    case config::CredentialsType::none:
      settings.type = credentials::CredentialType::none;
      break;
  }
  settings.file = config.credentials.file;
  settings.token = config.credentials.token;
  settings.scopes = config.credentials.scopes;
  settings.token_lifetime =
      std::chrono::duration_cast<std::chrono::seconds>(config.credentials.token_lifetime);
  settings.refresh_margin = config.credentials.refresh_margin;
  settings.min_validity = config.credentials.min_validity;
  settings.connect_timeout = config.firestore.connect_timeout;
  // Token endpoints are Google's (or, in tests, the credential file's own
  // URLs); they use the system trust store, not firestore.ca_file.

  // Per-namespace impersonation calls IAM Credentials at
  // credentials.iam_credentials_endpoint. End-to-end tests point it at a
  // local fake with $FIREWARDEN_IAM_CREDENTIALS_ENDPOINT; like
  // GCE_METADATA_HOST, whoever sets the environment decides where tokens go,
  // so an override in force is logged.
  settings.iam_credentials_endpoint = config.credentials.iam_credentials_endpoint.url;
  if (config.credentials.iam_credentials_endpoint_from_environment) {
    spdlog::warn(
        "credentials: IAM Credentials endpoint overridden by FIREWARDEN_IAM_CREDENTIALS_ENDPOINT: "
        "{}",
        settings.iam_credentials_endpoint);
  }
  return settings;
}

identity::IdentityRules identity_rules(const config::Config& config) {
  auto rules =
      identity::make_identity_rules(config.identity.trust_domains, config.identity.path_template,
                                    config.identity.require_template);
  if (auto* error = std::get_if<identity::Error>(&rules)) {
    throw std::runtime_error("identity: " + error->reason + " " + error->detail);
  }
  return std::get<identity::IdentityRules>(std::move(rules));
}

proxy::ProxyOptions proxy_options(const config::Config& config) {
  proxy::ProxyOptions options;
  options.mode = config.identity.mode;
  options.enforcement = config.policy.enforcement;
  options.identity_rules = identity_rules(config);
  options.trusted_peers = config.identity.xfcc.trusted_peers;
  if (config.identity.mode == config::IdentityMode::fixed) {
    auto fixed = identity::identity_from_string(config.identity.fixed_id, options.identity_rules);
    if (auto* error = std::get_if<identity::Error>(&fixed)) {
      throw std::runtime_error("identity.fixed_id: " + error->reason + " " + error->detail);
    }
    options.fixed_identity = std::get<identity::Identity>(std::move(fixed));
  }
  options.scope = firestore::Scope{config.firestore.project, config.firestore.databases};
  options.upstream_authority = config.firestore.endpoint.authority;
  options.request_timeout = config.firestore.request_timeout;
  options.client_write_timeout = config.limits.idle_timeout;
  options.max_cut_response_bytes = config.limits.max_body_bytes;
  options.document_paths = config.logging.document_paths;
  return options;
}

proxy::UpstreamOptions upstream_options(const config::Config& config) {
  const auto& endpoint = config.firestore.endpoint;
  return proxy::UpstreamOptions{endpoint.tls,
                                endpoint.host,
                                endpoint.port,
                                config.firestore.ca_file,
                                config.firestore.connect_timeout,
                                config.firestore.max_idle_connections};
}

}  // namespace

Daemon::Daemon(std::shared_ptr<const config::Config> config)
    : config_(std::move(config)),
      io_(static_cast<int>(config_->threads)),
      signals_(io_),
      access_log_(config_->logging.access_log, telemetry::stdout_writer()) {
  // Log lines the destination could not take (docs/faults.md).
  auto& dropped = catalogue_.log_lines_dropped_total;
  telemetry::stdout_writer().attach_counter(&dropped.with({"access"}));
  telemetry::stderr_writer().attach_counter(&dropped.with({"diagnostic"}));
  catalogue_.build_info.with({FIREWARDEN_VERSION, std::string(build_revision())}).set(1);
  // Outcome series exist from the start (at 0), so alerts on their increase
  // work before the first failure.
  for (const char* result : {"success", "failure"}) {
    catalogue_.policy_reloads_total.with({result});
    if (config_->listener.tls) catalogue_.certificate_reloads_total.with({result});
  }
  load_policy_at_start();
  if (config_->identity.mode == config::IdentityMode::mtls) {
    if (!reload_certificates()) {
      throw std::runtime_error("listener.tls: cannot load the serving certificate (see above)");
    }
  }

  try {
    tokens_ = credentials::make_token_provider(io_.get_executor(), credential_settings(*config_),
                                               catalogue_);
  } catch (const credentials::CredentialsConfigError& e) {
    throw std::runtime_error(std::string("credentials: ") + e.what());
  }
  upstream_ = std::make_unique<proxy::UpstreamPool>(io_, upstream_options(*config_));
  proxy_ = std::make_unique<proxy::FirestoreProxy>(proxy_options(*config_), policies_, *tokens_,
                                                   *upstream_, metrics_, access_log_);
  admin_handler_ =
      std::make_unique<admin::AdminHandler>(*this, catalogue_, config_->admin.enable_quit);

  const auto& limits = config_->limits;
  transport::ServerOptions data_options;
  data_options.address = to_endpoint(config_->listener.address);
  if (config_->identity.mode == config::IdentityMode::mtls) {
    data_options.tls_context = [this] { return tls_context_.load(); };
  }
  data_options.max_connections = limits.max_connections;
  data_options.max_header_bytes = limits.max_header_bytes;
  data_options.max_body_bytes = limits.max_body_bytes;
  data_options.header_timeout = limits.header_timeout;
  data_options.idle_timeout = limits.idle_timeout;
  data_options.overload_threshold_percent = limits.overload_threshold_percent;
  data_options.single_thread = worker_threads() == 1;
  data_server_ = std::make_unique<transport::Server>(io_, data_options, *proxy_, metrics_);

  transport::ServerOptions admin_options;
  admin_options.address = to_endpoint(config_->admin.address);
  admin_options.max_connections = 64;
  admin_options.max_header_bytes = 8 * 1024;
  admin_options.max_body_bytes = 1024;
  admin_options.count_connections = false;
  admin_options.single_thread = data_options.single_thread;
  admin_server_ =
      std::make_unique<transport::Server>(io_, admin_options, *admin_handler_, metrics_);
}

Daemon::~Daemon() {
  telemetry::stdout_writer().attach_counter(nullptr);
  telemetry::stderr_writer().attach_counter(nullptr);
}

void Daemon::load_policy_at_start() {
  if (!reload_policy()) {
    throw std::runtime_error("policy " + config_->policy.file + ": " + policies_.last_error());
  }
}

bool Daemon::reload_policy() {
  std::lock_guard lock(reload_mutex_);
  auto& reloads = catalogue_.policy_reloads_total;
  const auto bytes = read_file(config_->policy.file);
  if (!bytes) {
    // Deleted or unreadable: keep the last good policy and say so. (A
    // ConfigMap swap renames ..data atomically, so it never lands here.)
    if (!policy_watch_.unreadable) spdlog::error("policy: cannot read {}", config_->policy.file);
    policy_watch_.unreadable = true;
    policies_.set_last_error("cannot read " + config_->policy.file);
    reloads.with({"failure"}).increment();
    return false;
  }
  const std::string digest = sha256_hex(*bytes);
  if (digest == policy_watch_.digest) {
    // Readable again with the content in force: the read error is over.
    if (policy_watch_.unreadable && policies_.current() && policies_.current()->sha256 == digest) {
      policies_.set_last_error({});
    }
    policy_watch_.unreadable = false;
    return false;  // unchanged
  }
  policy_watch_.unreadable = false;
  if (const auto held = policies_.current(); held && held->sha256 == digest) {
    // Back to the content in force (a bad edit reverted): nothing to load.
    policy_watch_.digest = digest;
    policies_.set_last_error({});
    return false;
  }
  auto loaded =
      policy::load_policy_text(*bytes, config_->policy.file, config::process_environment());
  if (auto* problems = std::get_if<config::Diagnostics>(&loaded)) {
    std::string message;
    for (const auto& problem : *problems) {
      spdlog::error("{}", problem.to_string());
      if (message.empty()) message = problem.to_string();
    }
    if (problems->size() > 1) message += " (and " + std::to_string(problems->size() - 1) + " more)";
    reloads.with({"failure"}).increment();
    policy_watch_.digest = digest;  // do not report the same bad file every interval
    policies_.set_last_error(message);
    if (const auto current = policies_.current()) {
      spdlog::error("policy {} (sha256 {}) refused; generation {} stays in force",
                    config_->policy.file, digest, current->generation);
    }
    return false;
  }
  const auto generation =
      policies_.install(std::get<std::shared_ptr<const policy::Policy>>(std::move(loaded)), digest);
  policy_watch_.digest = digest;
  reloads.with({"success"}).increment();
  catalogue_.policy_generation.with({}).set(static_cast<double>(generation));
  catalogue_.policy_info.set_only({digest}, 1);
  catalogue_.policy_last_reload_success_timestamp_seconds.with({}).set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  spdlog::info("policy {} loaded: generation {}, {} rules, sha256 {}", config_->policy.file,
               generation, policies_.current()->rules, digest);
  return true;
}

std::string Daemon::certificate_digest() const {
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

bool Daemon::reload_certificates() {
  if (!config_->listener.tls) return false;
  std::lock_guard lock(reload_mutex_);
  auto& reloads = catalogue_.certificate_reloads_total;
  const auto& tls = *config_->listener.tls;
  const std::string digest = certificate_digest();
  if (digest == certificate_watch_.digest) return false;
  certificate_watch_.digest = digest;
  auto made = transport::make_server_tls_context(server_tls_files(*config_));
  if (auto* refused = std::get_if<transport::ServerTlsError>(&made)) {
    const std::string error = refused->message();
    // A certificate that does not match its key (or is unreadable) is
    // refused; new connections keep using the last good one. (Mid-way
    // through a non-atomic rotation the files may briefly disagree; the next
    // check sees new digests and tries again.)
    spdlog::error("TLS reload refused, the previous certificate stays in use: {}", error);
    reloads.with({"failure"}).increment();
    std::lock_guard status_lock(status_mutex_);
    certificate_state_.last_error = error;
    return false;
  }
  auto& context = std::get<transport::ServerTlsContext>(made);
  auto [fingerprint, serial] = leaf_fingerprint_and_serial(*context.context);
  tls_context_.store(context.context);
  certificate_not_after_ = context.certificate_not_after;
  reloads.with({"success"}).increment();
  catalogue_.certificate_expiry_timestamp_seconds.with({}).set(
      static_cast<double>(context.certificate_not_after));
  std::uint64_t generation = 0;
  {
    std::lock_guard status_lock(status_mutex_);
    generation = ++certificate_state_.generation;
    certificate_state_.sha256 = fingerprint;
    certificate_state_.serial = serial;
    certificate_state_.loaded_at = std::chrono::system_clock::now();
    certificate_state_.last_error.clear();
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

net::awaitable<void> Daemon::reload_loop() {
  net::steady_timer timer(co_await net::this_coro::executor);
  while (!stopping_) {
    timer.expires_after(config_->reload_interval);
    auto [error] = co_await timer.async_wait(as_tuple(use_awaitable));
    if (error || stopping_) break;
    reload_policy();
    reload_certificates();
  }
}

void Daemon::handle_signals() {
  signals_.async_wait([this](const boost::system::error_code& error, int signal) {
    if (error) return;
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading policy and certificates");
      reload_policy();
      reload_certificates();
      handle_signals();
      return;
    }
    if (stopping_) {
      spdlog::warn("second stop signal: exiting now");
      std::_Exit(1);
    }
    spdlog::info("signal {}: stopping gracefully", signal);
    request_quit();
    handle_signals();
  });
}

void Daemon::request_quit() {
  if (stopping_.exchange(true)) return;
  draining_ = true;  // readiness turns 503 at once
  net::co_spawn(io_, shutdown(), net::detached);
}

net::awaitable<void> Daemon::shutdown() {
  const auto& limits = config_->limits;
  net::steady_timer timer(co_await net::this_coro::executor);
  // Keep serving while load balancers notice the failing readiness.
  timer.expires_after(limits.shutdown_delay);
  co_await timer.async_wait(as_tuple(use_awaitable));

  data_server_->stop_accepting();
  proxy_->set_draining(true);
  data_server_->drain();
  const auto deadline = std::chrono::steady_clock::now() + limits.shutdown_grace;
  while (data_server_->active_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(as_tuple(use_awaitable));
  }
  if (data_server_->active_connections() > 0) {
    spdlog::warn("shutdown_grace over: closing {} connections", data_server_->active_connections());
  }
  data_server_->close_all();
  admin_server_->stop_accepting();
  admin_server_->close_all();
  tokens_->stop();  // ends background refresh loops
  signals_.cancel();
  // Let the closes run, then stop the workers.
  timer.expires_after(std::chrono::milliseconds(20));
  co_await timer.async_wait(as_tuple(use_awaitable));
  io_.stop();
}

int Daemon::run() {
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  handle_signals();
  data_server_->start();
  admin_server_->start();
  net::co_spawn(io_, reload_loop(), net::detached);
  started_ = true;
  const auto data = data_server_->local_endpoint();
  const auto admin = admin_server_->local_endpoint();
  spdlog::info("firewarden {} listening on {}:{} (identity {}), admin on {}:{}, upstream {}",
               FIREWARDEN_VERSION, data.address().to_string(), data.port(),
               config::to_string(config_->identity.mode), admin.address().to_string(), admin.port(),
               config_->firestore.endpoint.url);
  if (config_->policy.enforcement == config::Enforcement::audit) {
    spdlog::warn(
        "policy.enforcement is audit: requests the policy denies are forwarded "
        "(logged and counted as decision deny)");
  }

  const unsigned threads = worker_threads();
  if (config_->threads == 0) {
    const ThreadChoice choice = choose_worker_threads();
    spdlog::info("threads: 0: {} worker threads ({} usable cores, cgroup CPU quota {})", threads,
                 choice.cores,
                 choice.quota_cpus ? std::to_string(*choice.quota_cpus) : std::string("none"));
  }
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& worker : workers) worker.join();
  spdlog::info("stopped");
  return 0;
}

unsigned Daemon::worker_threads() const {
  if (config_->threads != 0) return config_->threads;
  return choose_worker_threads().threads;
}

namespace {

void clear_passing_details(std::vector<admin::ReadinessCheck>& checks) {
  for (auto& check : checks) {
    if (check.ok) check.detail.clear();
  }
}

}  // namespace

admin::ReadinessCheck Daemon::token_check() const {
  const bool token_ok = tokens_ && tokens_->ready();
  std::string token_detail;
  if (!token_ok && tokens_) {
    for (const auto& status : tokens_->status()) {
      if (!status.last_error.empty()) token_detail = status.principal + ": " + status.last_error;
    }
    if (token_detail.empty()) token_detail = "no usable token yet";
  }
  return {"token", token_ok, token_detail};
}

std::vector<admin::ReadinessCheck> Daemon::readiness() const {
  std::vector<admin::ReadinessCheck> checks;
  checks.push_back({"started", started_.load(), started_ ? "" : "starting"});
  checks.push_back({"policy", policies_.current() != nullptr, "no policy loaded"});
  if (config_->listener.tls) {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    const bool valid = certificate_not_after_ > now;
    checks.push_back({"certificate", valid, valid ? "" : "serving certificate expired"});
  }
  // Without the token check a token outage still fails every data request
  // with 503 UNAVAILABLE naming it; only the pod stays in the endpoints.
  if (config_->admin.readiness_requires_token) checks.push_back(token_check());
  checks.push_back({"draining", !draining_, draining_ ? "shutting down" : ""});
  clear_passing_details(checks);
  return checks;
}

std::vector<admin::ReadinessCheck> Daemon::startup() const {
  std::vector<admin::ReadinessCheck> checks;
  checks.push_back({"started", started_.load(), "starting"});
  checks.push_back({"policy", policies_.current() != nullptr, "no policy loaded"});
  if (config_->listener.tls) {
    checks.push_back(
        {"certificate", certificate_not_after_ != 0, "serving certificate not loaded"});
  }
  // A first token, whatever admin.readiness_requires_token says: start-up
  // is not over before the data path could answer a request. Once one was
  // obtained for the base credential, a later outage is readiness's concern,
  // whether or not /startup was asked in between.
  auto token = token_check();
  if (!token.ok && tokens_) {
    for (const auto& status : tokens_->status()) {
      if (status.principal == "default" && status.expires_at) token.ok = true;
    }
  }
  checks.push_back(std::move(token));
  clear_passing_details(checks);
  return checks;
}

nlohmann::json Daemon::status() const {
  nlohmann::json policy = nullptr;
  if (const auto snapshot = policies_.current()) {
    policy = {{"file", config_->policy.file},
              {"generation", snapshot->generation},
              {"sha256", snapshot->sha256},
              {"loaded_at", telemetry::format_rfc3339(snapshot->loaded_at)},
              {"rules", snapshot->rules}};
  } else {
    policy = nlohmann::json::object();
  }
  const std::string last_error = policies_.last_error();
  policy["last_error"] = last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_error);

  nlohmann::json tokens = nlohmann::json::array();
  if (tokens_) {
    for (const auto& token : tokens_->status()) {
      tokens.push_back(
          {{"principal", token.principal},
           {"expires_at", token.expires_at
                              ? nlohmann::json(telemetry::format_rfc3339(*token.expires_at))
                              : nlohmann::json(nullptr)},
           {"last_error", token.last_error.empty() ? nlohmann::json(nullptr)
                                                   : nlohmann::json(token.last_error)}});
    }
  }
  nlohmann::json certificate = nullptr;
  if (config_->listener.tls) {
    std::lock_guard lock(status_mutex_);
    const auto& state = certificate_state_;
    certificate = {{"file", config_->listener.tls->cert_file},
                   {"not_after", telemetry::format_rfc3339(std::chrono::system_clock::from_time_t(
                                     static_cast<std::time_t>(certificate_not_after_.load())))},
                   {"generation", state.generation},
                   {"sha256", state.sha256},
                   {"serial", state.serial},
                   {"loaded_at", telemetry::format_rfc3339(state.loaded_at)},
                   {"last_error", state.last_error.empty() ? nlohmann::json(nullptr)
                                                           : nlohmann::json(state.last_error)}};
  }
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::steady_clock::now() - started_at_);
  return {{"version", FIREWARDEN_VERSION},
          {"uptime_seconds", uptime.count()},
          {"identity_mode", config::to_string(config_->identity.mode)},
          {"enforcement", config::to_string(config_->policy.enforcement)},
          {"upstream", config_->firestore.endpoint.url},
          {"draining", draining_.load()},
          {"policy", policy},
          {"certificate", certificate},
          {"tokens", tokens},
          {"connections", data_server_ ? data_server_->active_connections() : 0}};
}

}  // namespace firewarden::app
