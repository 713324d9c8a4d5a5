// The data path for one REST request: serve_rest() reads as the sequence it
// runs, identity -> classify -> decide -> token -> forward, whichever
// protocol carried the request (handle() for HTTP/1.1, rest_stream.cpp for
// HTTP/2; the response goes to a transport::ResponseSink). Each step's detail
// lives in its own file: caller_identity.cpp (who is calling), exchange.cpp
// (the record, the error answer, the access line), upstream_exchange.cpp
// (the request upstream and its response head), relay.cpp and
// write_response_relay.cpp (the response back).
#include "firewarden/proxy/firestore_proxy.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "exchange.hpp"
#include "firewarden/proxy/access_fields.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::proxy {

namespace {

// What a write returns is a read (SPEC §4): decided with the request, cut
// on the way back. The cut must read the body, so it is asked for unencoded.
std::optional<WriteResponse> plan_response_cut(const FirestoreProxy::Exchange& exchange,
                                               transport::Request& request,
                                               const firestore::RequestModel& model,
                                               const policy::Decision& decision) {
  if (!needs_response_cut(model, decision)) return std::nullopt;
  request.erase(http::field::accept_encoding);
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("{} response will be cut: {}", exchange.log_prefix(),
                  decision.allowed ? policy::response_cut_reason(*decision.response_cut)
                                   : std::string("audit mode forwards a denied write"));
  }
  return write_response_of(model.method);
}

// Whether `model` creates or updates documents, so its response carries
// them.
bool writes_documents(const firestore::RequestModel& model) {
  return std::any_of(model.requirements.begin(), model.requirements.end(), [](const auto& r) {
    return r.action == firestore::Action::create || r.action == firestore::Action::update;
  });
}

}  // namespace

bool needs_response_cut(const firestore::RequestModel& model, const policy::Decision& decision) {
  return decision.cuts_response() || (!decision.allowed && writes_documents(model));
}

FirestoreProxy::FirestoreProxy(ProxyOptions options, const PolicyStore& policies,
                               credentials::TokenProvider& tokens, UpstreamPool& upstream,
                               const telemetry::MetricCatalogue& metrics,
                               const telemetry::AccessLog& access_log)
    : options_(std::move(options)),
      policies_(policies),
      tokens_(tokens),
      upstream_(upstream),
      access_log_(access_log),
      requests_total_(metrics.requests_total),
      request_duration_(metrics.request_duration_seconds),
      upstream_duration_(metrics.upstream_duration_seconds.with({})),
      rule_matches_(metrics.rule_matches_total),
      dry_run_verdicts_(metrics.dry_run_verdicts_total),
      upstream_reused_(metrics.upstream_connections_total.with({"reused"})),
      upstream_new_(metrics.upstream_connections_total.with({"new"})),
      handshake_failures_(metrics.tls_handshake_failures_total),
      identity_refusals_(metrics.identity_refusals_total),
      stream_messages_(metrics.stream_messages_total),
      listen_targets_(metrics.listen_targets.with({})) {
  // Both series exist: alerts can match mode="audit" == 1.
  for (const auto enforcement : {config::Enforcement::enforce, config::Enforcement::audit}) {
    metrics.enforcement_mode.with({std::string(config::to_string(enforcement))})
        .set(enforcement == options_.enforcement ? 1 : 0);
  }
}

net::awaitable<bool> FirestoreProxy::handle(transport::Connection& connection,
                                            transport::Request& request,
                                            transport::ClientStream& client) {
  transport::Http1ResponseSink sink(client, request.version(), request.keep_alive(),
                                    options_.client_write_timeout);
  const bool complete = co_await serve_rest(connection, request, connection.requests, sink);
  co_return complete&& sink.keep_alive();
}

net::awaitable<bool> FirestoreProxy::serve_rest(transport::Connection& connection,
                                                transport::Request& request,
                                                std::uint64_t request_number,
                                                transport::ResponseSink& sink) {
  // Views into `request`, read by identity and classification only: the
  // response cut changes `request` after them.
  const firestore::HttpRequest view = request_view(request);
  Exchange exchange = open_exchange(connection, view);
  exchange.request_number = request_number;
  if (draining_) {
    co_return co_await respond_error(
        exchange, firestore::ApiError::unavailable("firewarden is shutting down"), sink);
  }

  std::shared_ptr<const identity::Identity> from_header;  // xfcc mode
  auto who_or_error = identify(connection, view, from_header);
  if (auto* error = std::get_if<firestore::ApiError>(&who_or_error)) {
    co_return co_await respond_error(exchange, *error, sink);
  }
  const identity::Identity& who = *std::get<const identity::Identity*>(who_or_error);
  exchange.record.identity = who.spiffe_id;
  exchange.record.namespace_name = who.namespace_name;
  exchange.record.service_account = who.service_account;

  auto classified = classify_request(exchange, view);
  if (auto* error = std::get_if<firestore::ApiError>(&classified)) {
    co_return co_await respond_error(exchange, *error, sink);
  }
  auto& model = std::get<firestore::RequestModel>(classified);

  const auto snapshot = policies_.current();  // this request keeps this snapshot
  const policy::Decision decision = snapshot->policy->decide(who, model);
  if (auto refusal = enforce(exchange, who, decision)) {
    co_return co_await respond_error(exchange, *refusal, sink);
  }
  const auto cut = plan_response_cut(exchange, request, model, decision);

  const auto token = co_await tokens_.token(decision.impersonate.value_or(""));
  if (const auto* problem = std::get_if<credentials::TokenError>(&token)) {
    co_return co_await respond_error(
        exchange, firestore::ApiError::unavailable("no valid upstream token: " + problem->message),
        sink);
  }
  co_return co_await forward(exchange, request, model,
                             std::get<credentials::AccessToken>(token).value, cut, sink);
}

std::variant<firestore::RequestModel, firestore::ApiError> FirestoreProxy::classify_request(
    Exchange& exchange, const firestore::HttpRequest& request) const {
  // Origin-form only: absolute-form and authority-form targets would let a
  // request name another host (RFC 9112 §3.2).
  if (!request.target.starts_with('/')) {
    return firestore::ApiError::invalid_argument("request target must be a path");
  }
  auto classified = firestore::classify(request, options_.scope);
  if (const auto* model = std::get_if<firestore::RequestModel>(&classified)) {
    record_model(exchange, *model);
  }
  return classified;
}

void FirestoreProxy::record_model(Exchange& exchange, const firestore::RequestModel& model) const {
  auto& record = exchange.record;
  record.method = model.method;
  exchange.metric_method = model.method;
  record.document_paths = logged_document_paths(model.documents, options_.document_paths);
  for (const auto& requirement : model.requirements) {
    record.required.emplace_back(std::string(firestore::to_string(requirement.action)),
                                 requirement.collection.to_string());
  }
}

bool FirestoreProxy::refuses(const policy::Decision& decision) const {
  const bool audit = options_.enforcement == config::Enforcement::audit;
  return !decision.allowed && (!audit || decision.no_impersonation);
}

std::optional<firestore::ApiError> FirestoreProxy::enforce(Exchange& exchange,
                                                           const identity::Identity& who,
                                                           const policy::Decision& decision) {
  auto& record = exchange.record;
  record.rule = decision.rule;
  for (const auto& verdict : decision.dry_run) {
    record.dry_run.emplace_back(verdict.rule, verdict.would_allow ? "allow" : "deny");
    rule_matches_.with({verdict.rule, "dry-run"}).increment();
    dry_run_verdicts_.with({verdict.rule, verdict.would_allow ? "allow" : "deny"}).increment();
  }
  if (!decision.rule.empty()) rule_matches_.with({decision.rule, "enforce"}).increment();
  // Audit mode relaxes the rules' verdict only. A request refused because no
  // impersonation entry matches under impersonation_required stays refused:
  // forwarding it would use firewarden's own Google identity, the very thing
  // that key forbids.
  if (refuses(decision)) {
    return firestore::ApiError::permission_denied(policy::denial_sentence(who, decision) +
                                                  " [request " + exchange.request_id() + "]");
  }
  // Audit mode: a deny is logged and counted as one, and forwarded.
  record.decision = decision.allowed ? "allow" : "deny";
  record.impersonated = decision.impersonate;
  return std::nullopt;
}

}  // namespace firewarden::proxy
