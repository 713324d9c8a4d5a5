#include "firewarden/proxy/firestore_proxy.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "firewarden/identity/svid.hpp"
#include "firewarden/identity/xfcc.hpp"
#include "firewarden/proxy/header_hygiene.hpp"
#include "firewarden/telemetry/trace.hpp"

namespace firewarden::proxy {

using net::as_tuple;
using net::use_awaitable;
using Clock = std::chrono::steady_clock;

struct FirestoreProxy::Exchange {
  Clock::time_point started = Clock::now();
  std::string request_id;
  std::string traceparent;
  std::string log_prefix;  // "[c42 r7]" (STYLE.md 10)
  // The Firestore method once classified: a bounded label set, unlike the
  // client's HTTP method string.
  std::string metric_method = "unknown";
  telemetry::AccessRecord record;
};

namespace {

constexpr std::size_t kRelayChunkBytes = 16 * 1024;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string peer_string(const net::ip::tcp::endpoint& peer) {
  const auto address = peer.address();
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(peer.port());
  return address.to_string() + ":" + std::to_string(peer.port());
}

std::vector<std::uint8_t> address_bytes(const net::ip::address& address) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return {bytes.begin(), bytes.end()};
  }
  const auto bytes = address.to_v6().to_bytes();
  return {bytes.begin(), bytes.end()};
}

// The single value of a header that must not repeat; nullopt when absent,
// an empty vector element count > 1 is reported through `repeated`.
std::optional<std::string_view> single_header(const transport::Request& request,
                                              std::string_view name, bool& repeated) {
  std::optional<std::string_view> value;
  repeated = false;
  const auto fields = request.equal_range(name);
  for (auto field = fields.first; field != fields.second; ++field) {
    if (value) repeated = true;
    value = field->value();
  }
  return value;
}

// 403 is a refusal by policy or scope (deny); every other error status,
// including failures after an allow, is an error (SPEC §9).
std::string decision_label(const firestore::ApiError& error) {
  return error.http_status == 403 ? "deny" : "error";
}

}  // namespace

FirestoreProxy::FirestoreProxy(ProxyOptions options, const PolicyStore& policies,
                               credentials::TokenProvider& tokens, UpstreamPool& upstream,
                               telemetry::Registry& metrics, const telemetry::AccessLog& access_log)
    : options_(std::move(options)),
      policies_(policies),
      tokens_(tokens),
      upstream_(upstream),
      metrics_(metrics),
      access_log_(access_log),
      requests_total_(
          metrics.counter("firewarden_requests_total",
                          "Requests answered, by Firestore method, decision and HTTP code.",
                          {"method", "decision", "code"})),
      request_duration_(
          metrics.histogram("firewarden_request_duration_seconds",
                            "Time from a complete request to the end of its response.")),
      upstream_duration_(
          metrics.histogram("firewarden_upstream_duration_seconds",
                            "Time from sending a request upstream to its response head.")),
      rule_matches_(
          metrics.counter("firewarden_rule_matches_total",
                          "Policy rules that decided a request (enforce) or would have (dry-run).",
                          {"rule", "mode"})),
      handshake_failures_(metrics.counter("firewarden_tls_handshake_failures_total",
                                          "TLS handshakes that failed, by reason.", {"reason"})) {}

void FirestoreProxy::on_tls_established(transport::Connection& connection, SSL* ssl) {
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) {  // cannot happen with SSL_VERIFY_FAIL_IF_NO_PEER_CERT; fail closed anyway
    connection.tls_identity_error = "no_client_certificate";
  } else {
    auto result = identity::identity_from_svid(leaf, options_.identity_rules);
    if (auto* found = std::get_if<identity::Identity>(&result)) {
      connection.tls_identity = std::move(*found);
      return;
    }
    const auto& error = std::get<identity::Error>(result);
    connection.tls_identity_error = error.reason;
  }
  // The chain verified but the leaf is no acceptable SVID: every request on
  // this connection gets 401. Counted with the handshake failures.
  handshake_failures_.with({connection.tls_identity_error}).increment();
  spdlog::info("[c{}] client certificate from {} refused: {}", connection.id,
               connection.peer.address().to_string(), connection.tls_identity_error);
}

std::variant<identity::Identity, firestore::ApiError> FirestoreProxy::identify(
    const transport::Connection& connection, const transport::Request& request) const {
  switch (options_.mode) {
    case config::IdentityMode::mtls:
      if (connection.tls_identity) return *connection.tls_identity;
      return firestore::ApiError::unauthenticated("client certificate is not an acceptable SVID: " +
                                                  connection.tls_identity_error);
    case config::IdentityMode::fixed:
      return *options_.fixed_identity;
    case config::IdentityMode::xfcc:
      break;
  }
  const auto peer = address_bytes(connection.peer.address());
  bool trusted = false;
  for (const auto& range : options_.trusted_peers) trusted = trusted || range.contains(peer);
  if (!trusted) {
    return firestore::ApiError::unauthenticated(
        "x-forwarded-client-cert is only accepted from trusted peers");
  }
  bool repeated = false;
  const auto header = single_header(request, "x-forwarded-client-cert", repeated);
  if (!header) return firestore::ApiError::unauthenticated("no x-forwarded-client-cert header");
  if (repeated) return firestore::ApiError::unauthenticated("x-forwarded-client-cert given twice");
  auto result = identity::identity_from_xfcc(*header, options_.identity_rules);
  if (auto* found = std::get_if<identity::Identity>(&result)) return std::move(*found);
  return firestore::ApiError::unauthenticated("x-forwarded-client-cert refused: " +
                                              std::get<identity::Error>(result).reason);
}

net::awaitable<bool> FirestoreProxy::handle(transport::Connection& connection,
                                            transport::Request& request,
                                            transport::ClientStream& client) {
  Exchange exchange;
  bool repeated = false;
  const auto client_request_id = single_header(request, "x-request-id", repeated);
  exchange.request_id =
      client_request_id && !repeated && telemetry::is_acceptable_request_id(*client_request_id)
          ? std::string(*client_request_id)
          : telemetry::new_request_id();
  const auto client_traceparent = single_header(request, "traceparent", repeated);
  exchange.traceparent =
      client_traceparent && !repeated && telemetry::is_valid_traceparent(*client_traceparent)
          ? std::string(*client_traceparent)
          : telemetry::new_traceparent();
  exchange.log_prefix =
      "[c" + std::to_string(connection.id) + " r" + std::to_string(connection.requests) + "]";
  auto& record = exchange.record;
  record.request_id = exchange.request_id;
  record.trace_id = telemetry::trace_id_of(exchange.traceparent);
  record.peer = peer_string(connection.peer);
  record.method = std::string(request.method_string());
  record.bytes_in = request.body().size();

  if (draining_) {
    co_return co_await respond_error(
        exchange, firestore::ApiError::unavailable("firewarden is shutting down"), request, client);
  }

  auto who_or_error = identify(connection, request);
  if (auto* error = std::get_if<firestore::ApiError>(&who_or_error)) {
    co_return co_await respond_error(exchange, *error, request, client);
  }
  const auto& who = std::get<identity::Identity>(who_or_error);
  record.identity = who.spiffe_id;
  record.namespace_name = who.namespace_name;
  record.service_account = who.service_account;

  // Origin-form only: absolute-form and authority-form targets would let a
  // request name another host (RFC 9112 §3.2).
  if (!request.target().starts_with('/')) {
    co_return co_await respond_error(
        exchange, firestore::ApiError::invalid_argument("request target must be a path"), request,
        client);
  }

  firestore::HttpRequest view{request.method_string(), request.target(), {}, request.body()};
  for (const auto& field : request) view.headers.emplace_back(field.name_string(), field.value());
  auto classified = firestore::classify(view, options_.scope);
  if (auto* error = std::get_if<firestore::ApiError>(&classified)) {
    co_return co_await respond_error(exchange, *error, request, client);
  }
  auto& model = std::get<firestore::RequestModel>(classified);
  record.method = model.method;
  exchange.metric_method = model.method;
  for (const auto& requirement : model.requirements) {
    record.required.emplace_back(std::string(firestore::to_string(requirement.action)),
                                 requirement.collection.to_string());
  }
  if (auto error = check_routing_headers(request, model.project, model.database)) {
    co_return co_await respond_error(exchange, *error, request, client);
  }

  const auto snapshot = policies_.current();  // this request keeps this snapshot
  const policy::Decision decision = snapshot->policy->decide(who, model);
  record.rule = decision.rule;
  for (const auto& verdict : decision.dry_run) {
    record.dry_run.emplace_back(verdict.rule, verdict.would_allow ? "allow" : "deny");
    rule_matches_.with({verdict.rule, "dry-run"}).increment();
  }
  if (!decision.rule.empty()) rule_matches_.with({decision.rule, "enforce"}).increment();
  if (!decision.allowed) {
    co_return co_await respond_error(
        exchange,
        firestore::ApiError::permission_denied(policy::denial_sentence(who, decision) +
                                               " [request " + exchange.request_id + "]"),
        request, client);
  }
  record.decision = "allow";
  record.impersonated = decision.impersonate;

  const auto token = co_await tokens_.token(decision.impersonate.value_or(""));
  if (const auto* problem = std::get_if<credentials::TokenError>(&token)) {
    co_return co_await respond_error(
        exchange, firestore::ApiError::unavailable("no valid upstream token: " + problem->message),
        request, client);
  }
  co_return co_await forward(exchange, request, model,
                             std::get<credentials::AccessToken>(token).value, client);
}

net::awaitable<bool> FirestoreProxy::forward(Exchange& exchange, transport::Request& request,
                                             firestore::RequestModel& model,
                                             const std::string& token,
                                             transport::ClientStream& client) {
  auto& record = exchange.record;
  const auto upstream_request =
      make_upstream_request(request, model.upstream_target, std::move(model.upstream_body),
                            UpstreamHeaders{options_.upstream_authority, token,
                                            exchange.traceparent, exchange.request_id});
  const auto executor = co_await net::this_coro::executor;
  const auto upstream_started = Clock::now();

  std::unique_ptr<UpstreamConnection> connection;
  http::response_parser<http::buffer_body> parser;
  // A stale pooled connection is retried once, and only when not a byte of
  // the request went out on it.
  for (int attempt = 0;; ++attempt) {
    auto acquired = co_await upstream_.acquire();
    if (auto* failure = std::get_if<ConnectFailure>(&acquired)) {
      co_return co_await respond_error(
          exchange, firestore::ApiError::bad_gateway("Firestore unreachable: " + failure->message),
          request, client);
    }
    connection = std::move(std::get<std::unique_ptr<UpstreamConnection>>(acquired));
    Watchdog deadline(executor, options_.request_timeout, connection->socket());
    auto [write_error, written] = co_await connection->visit([&](auto& stream) {
      return http::async_write(stream, upstream_request, as_tuple(use_awaitable));
    });
    if (write_error && !deadline.fired() && written == 0 && connection->reused && attempt == 0) {
      spdlog::debug("{} stale upstream connection, retrying", exchange.log_prefix);
      continue;
    }
    parser.header_limit(64 * 1024);
    parser.body_limit(boost::none);  // streamed through, never held whole
    boost::system::error_code read_error = write_error;
    if (!write_error) {
      auto [error, ignored] = co_await connection->visit([&](auto& stream) {
        return http::async_read_header(stream, connection->buffer, parser, as_tuple(use_awaitable));
      });
      read_error = error;
    }
    if (read_error) {
      const bool timed_out = deadline.fired();
      spdlog::warn("{} upstream {}: {}", exchange.log_prefix, timed_out ? "timed out" : "failed",
                   read_error.message());
      // Named, not a temporary of ?: inside the co_await: GCC 12 destroys
      // such a temporary twice in a coroutine (munmap_chunk() abort on the
      // first upstream failure).
      const auto error =
          timed_out ? firestore::ApiError::deadline_exceeded("Firestore did not answer in time")
                    : firestore::ApiError::bad_gateway("Firestore connection failed: " +
                                                       read_error.message());
      co_return co_await respond_error(exchange, error, request, client);
    }
    break;
  }

  const double upstream_seconds =
      std::chrono::duration<double>(Clock::now() - upstream_started).count();
  upstream_duration_.with({}).observe(upstream_seconds);
  record.upstream_ms = upstream_seconds * 1000;

  auto& response = parser.get();
  record.upstream_status = response.result_int();
  record.status = response.result_int();
  const bool upstream_keep_alive = response.keep_alive();
  const bool upstream_chunked = parser.chunked();
  const bool upstream_sized = parser.content_length().has_value();

  // Our own framing towards the client: hop-by-hop headers go, the length
  // stays when upstream gave one, chunked for HTTP/1.1 otherwise, and for an
  // HTTP/1.0 client an unsized body ends with the connection.
  strip_hop_by_hop(response.base());
  response.version(request.version());
  response.set("x-request-id", exchange.request_id);
  bool keep_alive = request.keep_alive() && !draining_;
  if (!upstream_sized) {
    if (request.version() >= 11 && (upstream_chunked || parser.is_done())) {
      response.chunked(true);
    } else {
      keep_alive = false;
    }
  }
  response.keep_alive(keep_alive);

  http::response_serializer<http::buffer_body> serializer(response);
  client.tcp().expires_after(options_.client_write_timeout);
  auto [header_error, header_bytes] = co_await client.visit([&](auto& stream) {
    return http::async_write_header(stream, serializer, as_tuple(use_awaitable));
  });
  if (header_error) {
    record.error = "client went away: " + header_error.message();
    finish(exchange);
    co_return false;  // the upstream connection is dropped with the lease
  }

  // Not value-initialized: every byte sent is first read into it, and zeroing
  // 16 KiB per response was measurable (bench/RESULTS.md).
  std::array<char, kRelayChunkBytes> chunk;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  // Beast reads at most the buffer's free capacity (at least 512 bytes) per
  // receive; after a small header that was ~1 KiB per recv(2) and per
  // coroutine round trip for a streamed body (bench: 1 MB runQuery).
  connection->buffer.reserve(kRelayChunkBytes);
  for (;;) {
    if (!parser.is_done()) {
      response.body().data = chunk.data();
      response.body().size = chunk.size();
      Watchdog deadline(executor, options_.request_timeout, connection->socket());
      auto [read_error, read_bytes] = co_await connection->visit([&](auto& stream) {
        return http::async_read(stream, connection->buffer, parser, as_tuple(use_awaitable));
      });
      if (read_error && read_error != http::error::need_buffer) {
        // Mid-stream failure: the status line is already out, so the only
        // honest signal left is an incomplete body and a closed connection.
        record.error = std::string("upstream failed mid-response: ") +
                       (deadline.fired() ? "timeout" : read_error.message());
        spdlog::warn("{} {}", exchange.log_prefix, record.error);
        finish(exchange);
        co_return false;
      }
      response.body().size = chunk.size() - response.body().size;
      response.body().data = chunk.data();
      response.body().more = !parser.is_done();
    } else {
      response.body().data = nullptr;
      response.body().size = 0;
      response.body().more = false;
    }
    record.bytes_out += response.body().size;
    client.tcp().expires_after(options_.client_write_timeout);
    auto [write_error, written] = co_await client.visit([&](auto& stream) {
      return http::async_write(stream, serializer, as_tuple(use_awaitable));
    });
    if (write_error && write_error != http::error::need_buffer) {
      record.error = "client went away: " + write_error.message();
      finish(exchange);
      co_return false;
    }
    if (serializer.is_done()) break;
  }

  if (upstream_keep_alive && parser.is_done()) upstream_.release(std::move(connection));
  finish(exchange);
  co_return keep_alive;
}

net::awaitable<bool> FirestoreProxy::respond_error(Exchange& exchange,
                                                   const firestore::ApiError& error,
                                                   const transport::Request& request,
                                                   transport::ClientStream& client) {
  auto& record = exchange.record;
  record.status = static_cast<unsigned>(error.http_status);
  record.decision = decision_label(error);
  record.error = error.message;
  const bool keep_alive = request.keep_alive() && !draining_;
  auto response = transport::error_response(error, request.version(), keep_alive);
  response.set("x-request-id", exchange.request_id);
  record.bytes_out = response.body().size();
  client.tcp().expires_after(options_.client_write_timeout);
  auto [write_error, written] = co_await client.visit(
      [&](auto& stream) { return http::async_write(stream, response, as_tuple(use_awaitable)); });
  finish(exchange);
  co_return keep_alive && !write_error;
}

void FirestoreProxy::finish(Exchange& exchange) {
  auto& record = exchange.record;
  if (record.decision.empty()) record.decision = "error";
  const double elapsed_ms = milliseconds_since(exchange.started);
  record.duration_ms = elapsed_ms;
  requests_total_.with({exchange.metric_method, record.decision, std::to_string(record.status)})
      .increment();
  request_duration_.with({}).observe(elapsed_ms / 1000);
  access_log_.write(record);
}

void FirestoreProxy::on_handshake_failed(const transport::Connection& connection,
                                         const std::string& reason) {
  access_log_.write_handshake_failure(connection.id, peer_string(connection.peer), reason);
}

void FirestoreProxy::on_unreadable_request(const transport::Connection& connection,
                                           const firestore::ApiError& error) {
  Exchange exchange;
  exchange.request_id = telemetry::new_request_id();
  auto& record = exchange.record;
  record.request_id = exchange.request_id;
  record.peer = peer_string(connection.peer);
  record.method = "unknown";
  record.status = static_cast<unsigned>(error.http_status);
  record.decision = "error";
  record.error = error.message;
  finish(exchange);
}

}  // namespace firewarden::proxy
