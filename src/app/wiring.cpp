// The daemon's wiring: the modules built from the config, in dependency
// order, and the metrics every process exports from the first scrape.
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "firewarden/app/build_info.hpp"
#include "firewarden/app/daemon.hpp"
#include "firewarden/credentials/token_broker.hpp"
#include "firewarden/identity/identity_rules.hpp"
#include "firewarden/telemetry/line_writer.hpp"

namespace firewarden::app {
namespace {

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
  options.upstream_scheme = config.firestore.endpoint.tls ? "https" : "http";
  options.request_timeout = config.firestore.request_timeout;
  options.client_write_timeout = config.limits.idle_timeout;
  options.max_cut_response_bytes = config.limits.max_body_bytes;
  options.max_body_bytes = config.limits.max_body_bytes;
  options.max_listen_targets = config.limits.http2.max_listen_targets;
  options.max_stream_duration = config.limits.http2.max_stream_duration;
  options.shutdown_grace = config.limits.shutdown_grace;
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

// The gRPC upstream: the same endpoint over HTTP/2 (TLS with ALPN h2 to
// Google, prior-knowledge h2c to an http:// emulator).
transport::Http2ClientOptions grpc_upstream_options(const config::Config& config) {
  const auto& endpoint = config.firestore.endpoint;
  transport::Http2ClientOptions options;
  options.host = endpoint.host;
  options.port = std::to_string(endpoint.port);
  if (endpoint.tls) options.tls = transport::make_client_tls_context(config.firestore.ca_file);
  options.connect_timeout = config.firestore.connect_timeout;
  return options;
}

// Workers 1..threads-1: an io_context each, run by one thread (the
// concurrency hint says so; posts from other threads still lock).
std::vector<std::unique_ptr<net::io_context>> additional_workers(unsigned threads) {
  std::vector<std::unique_ptr<net::io_context>> workers;
  for (unsigned i = 1; i < threads; ++i) workers.push_back(std::make_unique<net::io_context>(1));
  return workers;
}

}  // namespace

std::vector<net::any_io_executor> Daemon::worker_executors() {
  std::vector<net::any_io_executor> executors{io_.get_executor()};
  for (auto& worker : more_workers_) executors.emplace_back(worker->get_executor());
  return executors;
}

Daemon::Daemon(std::shared_ptr<const config::Config> config)
    : config_(std::move(config)),
      threads_(config_->threads != 0 ? ThreadChoice{config_->threads, 1, std::nullopt}
                                     : choose_worker_threads()),
      io_(1),
      more_workers_(additional_workers(threads_.threads)),
      signals_(io_),
      access_log_(config_->logging.access_log, telemetry::stdout_writer(),
                  {config_->logging.format == config::LogFormat::gcp, config_->firestore.project}) {
  register_process_metrics();
  load_at_start();
  try {
    tokens_ = credentials::make_token_provider(io_.get_executor(), credential_settings(*config_),
                                               catalogue_);
  } catch (const credentials::CredentialsConfigError& e) {
    throw std::runtime_error(std::string("credentials: ") + e.what());
  }
  // Upstream connections are per worker: a session only ever uses those of
  // its own worker.
  upstream_ = std::make_unique<proxy::UpstreamPool>(worker_executors(), upstream_options(*config_));
  proxy_ = std::make_unique<proxy::FirestoreProxy>(proxy_options(*config_), policies_, *tokens_,
                                                   *upstream_, catalogue_, access_log_);
  grpc_upstream_ =
      std::make_unique<transport::Http2Client>(worker_executors(), grpc_upstream_options(*config_));
  proxy_->set_grpc_upstream(grpc_upstream_.get());
  admin_handler_ =
      std::make_unique<admin::AdminHandler>(*this, catalogue_, config_->admin.enable_quit);
  make_servers();
}

Daemon::~Daemon() {
  telemetry::stdout_writer().attach_counter(nullptr);
  telemetry::stderr_writer().attach_counter(nullptr);
}

void Daemon::register_process_metrics() {
  // Log lines the destination could not take (docs/faults.md).
  auto& dropped = catalogue_.log_lines_dropped_total;
  telemetry::stdout_writer().attach_counter(&dropped.with({"access"}));
  telemetry::stderr_writer().attach_counter(&dropped.with({"diagnostic"}));
  catalogue_.build_info.with({FIREWARDEN_VERSION, std::string(build_revision())}).set(1);
  // The watchers create their outcome series (at 0) here, so alerts on their
  // increase work before the first failure.
  policy_watcher_ = std::make_unique<PolicyWatcher>(config_->policy.file, policies_, catalogue_);
  if (config_->listener.tls) {
    certificate_watcher_ = std::make_unique<CertificateWatcher>(config_, catalogue_);
  }
}

// The policy and (mtls) the serving certificate must load: no last good
// snapshot to fall back on yet.
void Daemon::load_at_start() {
  if (!policy_watcher_->check()) {
    throw std::runtime_error("policy " + config_->policy.file + ": " + policies_.last_error());
  }
  if (config_->identity.mode == config::IdentityMode::mtls) {
    if (!certificate_watcher_ || !certificate_watcher_->check()) {
      throw std::runtime_error("listener.tls: cannot load the serving certificate (see above)");
    }
  }
}

void Daemon::make_servers() {
  const auto& limits = config_->limits;
  transport::ServerOptions data_options;
  data_options.address = to_endpoint(config_->listener.address);
  if (config_->identity.mode == config::IdentityMode::mtls) {
    data_options.tls_context = [watcher = certificate_watcher_.get()] {
      return watcher->context();
    };
  }
  data_options.max_connections = limits.max_connections;
  data_options.max_header_bytes = limits.max_header_bytes;
  data_options.max_body_bytes = limits.max_body_bytes;
  data_options.header_timeout = limits.header_timeout;
  data_options.idle_timeout = limits.idle_timeout;
  data_options.overload_threshold_percent = limits.overload_threshold_percent;
  data_options.workers = worker_executors();
  // gRPC and REST over HTTP/2 on the same listener (prior knowledge on
  // plaintext, ALPN h2 on TLS).
  transport::Http2Limits http2;
  http2.max_concurrent_streams = limits.http2.max_concurrent_streams;
  http2.reset_budget = limits.http2.reset_budget;
  http2.control_frame_budget = limits.http2.control_frame_budget;
  data_options.http2 = http2;
  data_server_ = std::make_unique<transport::Server>(io_, data_options, *proxy_, catalogue_);

  transport::ServerOptions admin_options;
  admin_options.address = to_endpoint(config_->admin.address);
  admin_options.max_connections = 64;
  admin_options.max_header_bytes = 8 * 1024;
  admin_options.max_body_bytes = 1024;
  admin_options.count_connections = false;
  admin_options.workers = {io_.get_executor()};  // worker 0
  admin_server_ =
      std::make_unique<transport::Server>(io_, admin_options, *admin_handler_, catalogue_);
}

}  // namespace firewarden::app
