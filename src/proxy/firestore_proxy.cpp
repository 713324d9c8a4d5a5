// The REST exchange: identity, classify, decide, token, forward, relay.
// Over 600 lines; the planned split (before the HTTP/2 front end) is
// caller_identity.cpp, exchange.cpp (one fail() per exchange),
// upstream_exchange.cpp and relay.cpp, so that handle() is the readable
// identity -> classify -> decide -> token -> forward sequence.
#include "firewarden/proxy/firestore_proxy.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "exchange.hpp"
#include "firewarden/identity/svid.hpp"
#include "firewarden/identity/xfcc.hpp"
#include "firewarden/proxy/header_hygiene.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"
#include "firewarden/telemetry/trace.hpp"

namespace firewarden::proxy {

using net::as_tuple;
using net::use_awaitable;

namespace {

// Read size of the sized-body relay: 4 TLS records; one recv(2) and one
// coroutine round trip per 64 KiB of a large response (mix (c): 1 MB).
constexpr std::size_t kRelayChunkBytes = 64 * 1024;
// Body bytes per parser round for chunked or unsized upstream bodies.
constexpr std::size_t kParsedChunkBytes = 16 * 1024;
// Room for upstream's response head and, usually, its whole body: Beast
// reads into a flat_buffer's free capacity (512 bytes when empty), which cut
// a 1 KB document into two recv(2)s and two TLS records towards the client,
// and a streamed body into ~1 KiB per recv(2) and coroutine round trip
// (bench: 1 MB runQuery). Reserved before the response head is read, so it
// serves every read of the exchange. The capacity stays with the pooled
// connection (at most max_idle_connections x 16 KiB).
constexpr std::size_t kUpstreamReadBytes = 16 * 1024;

// Writes `data` to the client: at once when the socket takes it all (the
// common case: no asynchronous operation), the rest through async_write,
// which waits for the socket under client_write_timeout. For TLS a write
// OpenSSL could not finish is retried with the same remaining bytes.
net::awaitable<boost::system::error_code> write_to_client(transport::ClientStream& client,
                                                          net::const_buffer data,
                                                          std::chrono::milliseconds timeout) {
  client.tcp().expires_after(timeout);
  boost::system::error_code error;
  while (data.size() > 0) {
    std::size_t written = 0;
    if (client.try_write_some(data, error, written) != transport::Want::nothing) break;
    if (error) co_return error;
    data += written;
  }
  if (data.size() == 0) co_return error;
  auto [write_error, written] = co_await client.visit(
      [&](auto& stream) { return net::async_write(stream, data, as_tuple(use_awaitable)); });
  co_return write_error;
}

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// "ip:port" ("[ip]:port" for IPv6) for the access log. IPv4, the common
// case, is formatted by hand: address::to_string() (inet_ntop and two
// temporaries) was ~2,000 instructions per request.
std::string peer_string(const net::ip::tcp::endpoint& peer) {
  const auto address = peer.address();
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(peer.port());
  char text[24];  // "255.255.255.255:65535"
  char* end = text;
  for (const unsigned char octet : address.to_v4().to_bytes()) {
    end = std::to_chars(end, text + sizeof text, octet).ptr;
    *end++ = '.';
  }
  end[-1] = ':';
  end = std::to_chars(end, text + sizeof text, peer.port()).ptr;
  return std::string(text, end);
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

// Whether `model` creates or updates documents, so its response carries
// them. Audit mode cuts the response of such a write when the policy denied
// it: a denied decision does not say whether the caller may read the
// documents, so it is treated as if it may not (fail closed).
bool writes_documents(const firestore::RequestModel& model) {
  return std::any_of(model.requirements.begin(), model.requirements.end(), [](const auto& r) {
    return r.action == firestore::Action::create || r.action == firestore::Action::update;
  });
}

// The upstream pool's hit rate: connections requests were sent on.
telemetry::Family<telemetry::Counter>& upstream_connections(telemetry::Registry& metrics) {
  return metrics.counter("firewarden_upstream_connections_total",
                         "Upstream connections requests were sent on: a pooled idle one "
                         "(reused) or a new one.",
                         {"result"});
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
      request_duration_(telemetry::MetricCatalogue(metrics).request_duration_seconds),
      upstream_duration_(
          metrics
              .histogram("firewarden_upstream_duration_seconds",
                         "Time from sending a request upstream to its response head.")
              .with({})),
      rule_matches_(
          metrics.counter("firewarden_rule_matches_total",
                          "Policy rules that decided a request (enforce) or would have (dry-run).",
                          {"rule", "mode"})),
      dry_run_verdicts_(telemetry::MetricCatalogue(metrics).dry_run_verdicts_total),
      upstream_reused_(upstream_connections(metrics).with({"reused"})),
      upstream_new_(upstream_connections(metrics).with({"new"})),
      handshake_failures_(metrics.counter("firewarden_tls_handshake_failures_total",
                                          "TLS handshakes that failed, by reason.", {"reason"})),
      identity_refusals_(metrics.counter(
          "firewarden_identity_refusals_total",
          "Forwarded client identities (xfcc) refused with 401, by reason.", {"reason"})) {
  // Both series exist: alerts can match mode="audit" == 1.
  auto& mode =
      metrics.gauge("firewarden_enforcement_mode",
                    "policy.enforcement: 1 for the active mode (enforce or audit).", {"mode"});
  for (const auto enforcement : {config::Enforcement::enforce, config::Enforcement::audit}) {
    mode.with({std::string(config::to_string(enforcement))})
        .set(enforcement == options_.enforcement ? 1 : 0);
  }
}

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

std::variant<const identity::Identity*, firestore::ApiError> FirestoreProxy::identify(
    const transport::Connection& connection, const transport::Request& request,
    std::optional<identity::Identity>& from_header) const {
  switch (options_.mode) {
    case config::IdentityMode::mtls:
      if (connection.tls_identity) return &*connection.tls_identity;
      return firestore::ApiError::unauthenticated("client certificate is not an acceptable SVID: " +
                                                  connection.tls_identity_error);
    case config::IdentityMode::fixed:
      return &*options_.fixed_identity;
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
  if (auto* found = std::get_if<identity::Identity>(&result)) {
    from_header = std::move(*found);
    return &*from_header;
  }
  const auto& error = std::get<identity::Error>(result);
  // Counted like an mtls leaf refusal (firewarden_tls_handshake_failures_total):
  // e.g. off_template, an ID that does not fit identity.path_template.
  identity_refusals_.with({error.reason}).increment();
  return firestore::ApiError::unauthenticated("x-forwarded-client-cert refused: " + error.reason);
}

net::awaitable<bool> FirestoreProxy::handle(transport::Connection& connection,
                                            transport::Request& request,
                                            transport::ClientStream& client) {
  Exchange exchange;
  exchange.connection_id = connection.id;
  exchange.request_number = connection.requests;
  auto& record = exchange.record;
  bool repeated = false;
  const auto client_request_id = single_header(request, "x-request-id", repeated);
  record.request_id =
      client_request_id && !repeated && telemetry::is_acceptable_request_id(*client_request_id)
          ? std::string(*client_request_id)
          : telemetry::new_request_id();
  const auto client_traceparent = single_header(request, "traceparent", repeated);
  exchange.traceparent =
      client_traceparent && !repeated && telemetry::is_valid_traceparent(*client_traceparent)
          ? std::string(*client_traceparent)
          : telemetry::new_traceparent();
  // Valid either way (checked, or made by us): the trace id is its 2nd field.
  record.trace_id = exchange.traceparent.substr(3, 32);
  record.peer = peer_string(connection.peer);
  record.enforcement = config::to_string(options_.enforcement);
  record.method = std::string(request.method_string());
  record.bytes_in = request.body().size();

  if (draining_) {
    co_return co_await respond_error(
        exchange, firestore::ApiError::unavailable("firewarden is shutting down"), request, client);
  }

  std::optional<identity::Identity> from_header;  // xfcc mode
  auto who_or_error = identify(connection, request, from_header);
  if (auto* error = std::get_if<firestore::ApiError>(&who_or_error)) {
    co_return co_await respond_error(exchange, *error, request, client);
  }
  const identity::Identity& who = *std::get<const identity::Identity*>(who_or_error);
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
  view.headers.reserve(static_cast<std::size_t>(std::distance(request.begin(), request.end())));
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

  const auto snapshot = policies_.current();  // this request keeps this snapshot
  const policy::Decision decision = snapshot->policy->decide(who, model);
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
  const bool audit = options_.enforcement == config::Enforcement::audit;
  if (!decision.allowed && (!audit || decision.no_impersonation)) {
    co_return co_await respond_error(
        exchange,
        firestore::ApiError::permission_denied(policy::denial_sentence(who, decision) +
                                               " [request " + exchange.request_id() + "]"),
        request, client);
  }
  // Audit mode: a deny is logged and counted as one, and forwarded.
  record.decision = decision.allowed ? "allow" : "deny";
  record.impersonated = decision.impersonate;
  // What a write returns is a read (SPEC §4): decided with the request, cut
  // on the way back. The cut must read the body, so it is asked for unencoded.
  std::optional<WriteResponse> cut;
  if (decision.cuts_response() || (!decision.allowed && writes_documents(model))) {
    cut = write_response_of(model.method);
    request.erase(http::field::accept_encoding);
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("{} response will be cut: {}", exchange.log_prefix(),
                    decision.allowed ? policy::response_cut_reason(*decision.response_cut)
                                     : std::string("audit mode forwards a denied write"));
    }
  }

  const auto token = co_await tokens_.token(decision.impersonate.value_or(""));
  if (const auto* problem = std::get_if<credentials::TokenError>(&token)) {
    co_return co_await respond_error(
        exchange, firestore::ApiError::unavailable("no valid upstream token: " + problem->message),
        request, client);
  }
  co_return co_await forward(exchange, request, model,
                             std::get<credentials::AccessToken>(token).value, cut, client);
}

net::awaitable<bool> FirestoreProxy::forward(Exchange& exchange, transport::Request& request,
                                             firestore::RequestModel& model,
                                             const std::string& token,
                                             std::optional<WriteResponse> cut,
                                             transport::ClientStream& client) {
  auto& record = exchange.record;
  const std::string upstream_request = upstream_request_bytes(
      request, model.upstream_target, model.upstream_body,
      UpstreamHeaders{options_.upstream_authority, token, exchange.traceparent,
                      exchange.request_id(), model.upstream_resource_prefix,
                      model.upstream_request_params});
  const auto executor = co_await net::this_coro::executor;
  const auto upstream_started = Clock::now();

  std::unique_ptr<UpstreamConnection> connection;
  // One deadline per operation on the upstream connection (the request
  // write and response head together, then each body read), one timer.
  std::optional<OperationDeadline> deadline;
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
    (connection->reused ? upstream_reused_ : upstream_new_).increment();
    deadline.reset();
    deadline.emplace(executor, options_.request_timeout, connection->socket());
    deadline->start();
    auto [write_error, written] = co_await connection->visit([&](auto& stream) {
      return net::async_write(stream, net::buffer(upstream_request), as_tuple(use_awaitable));
    });
    if (write_error && !deadline->fired() && written == 0 && connection->reused && attempt == 0) {
      spdlog::debug("{} stale upstream connection, retrying", exchange.log_prefix());
      continue;
    }
    parser.header_limit(64 * 1024);
    parser.body_limit(boost::none);  // streamed through, never held whole
    boost::system::error_code read_error = write_error;
    if (!write_error) {
      connection->buffer.reserve(kUpstreamReadBytes);
      auto [error, ignored] = co_await connection->visit([&](auto& stream) {
        return http::async_read_header(stream, connection->buffer, parser, as_tuple(use_awaitable));
      });
      read_error = error;
    }
    deadline->stop();
    if (read_error) {
      const bool timed_out = deadline->fired();
      spdlog::warn("{} upstream {}: {}", exchange.log_prefix(), timed_out ? "timed out" : "failed",
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
  upstream_duration_.observe(upstream_seconds);
  record.upstream_ms = upstream_seconds * 1000;

  auto& response = parser.get();
  record.upstream_status = response.result_int();
  record.status = response.result_int();
  // Only a success carries the written document; errors pass as they are.
  if (cut && response.result_int() / 100 == 2) {
    co_return co_await relay_cut_response(exchange, request, connection, deadline, parser, *cut,
                                          client);
  }
  const bool upstream_keep_alive = response.keep_alive();
  const bool upstream_chunked = parser.chunked();
  const bool upstream_sized = parser.content_length().has_value();

  // Our own framing towards the client: hop-by-hop headers go, the length
  // stays when upstream gave one, chunked for HTTP/1.1 otherwise, and for an
  // HTTP/1.0 client an unsized body ends with the connection.
  strip_hop_by_hop(response.base());
  response.version(request.version());
  response.set("x-request-id", exchange.request_id());
  bool keep_alive = request.keep_alive() && !draining_;
  if (!upstream_sized) {
    if (request.version() >= 11 && (upstream_chunked || parser.is_done())) {
      response.chunked(true);
    } else {
      keep_alive = false;
    }
  }
  response.keep_alive(keep_alive);

  bool relayed = false;
  if (upstream_sized && !upstream_chunked && !parser.is_done()) {
    relayed = co_await relay_sized_body(exchange, *connection, *deadline, *parser.content_length(),
                                        response.base(), client);
  } else {
    http::response_serializer<http::buffer_body> serializer(response);
    client.tcp().expires_after(options_.client_write_timeout);
    auto [header_error, header_bytes] = co_await client.visit([&](auto& stream) {
      return http::async_write_header(stream, serializer, as_tuple(use_awaitable));
    });
    if (header_error) {
      record.error = "client went away: " + header_error.message();
    } else {
      relayed =
          co_await relay_parsed_body(exchange, *connection, *deadline, parser, serializer, client);
    }
  }
  if (!relayed) {
    finish(exchange);
    co_return false;  // the upstream connection is dropped with the lease
  }
  // Reused only when exactly the response was read: nothing left over. The
  // deadline goes first: it must never guard a connection another request
  // has leased.
  deadline.reset();
  if (upstream_keep_alive && connection->buffer.size() == 0) {
    upstream_.release(std::move(connection));
  }
  finish(exchange);
  co_return keep_alive;
}

// The common case (a Content-Length from upstream, kept towards the client):
// the response head, written out directly, leaves together with the body
// bytes that arrived with upstream's head (one buffer, one write, one TLS
// record for a small response); the rest is read from the upstream socket
// straight into one buffer and written from there, with no parser in
// between (the parser copied every byte once more) and in chunks as large
// as the socket offers. False when either side failed (record.error says
// which).
net::awaitable<bool> FirestoreProxy::relay_sized_body(
    Exchange& exchange, UpstreamConnection& connection, OperationDeadline& deadline,
    std::uint64_t length, const http::response_header<>& head, transport::ClientStream& client) {
  auto& record = exchange.record;
  const auto first =
      static_cast<std::size_t>(std::min<std::uint64_t>(connection.buffer.size(), length));
  record.bytes_out += first;
  {
    std::string out;
    out.reserve(512 + first);
    append_response_head(out, head);
    out.append(static_cast<const char*>(connection.buffer.data().data()), first);
    const auto write_error =
        co_await write_to_client(client, net::buffer(out), options_.client_write_timeout);
    if (write_error) {
      record.error = "client went away: " + write_error.message();
      co_return false;
    }
  }
  connection.buffer.consume(first);
  std::uint64_t remaining = length - first;
  if (remaining == 0) co_return true;
  // Not value-initialized: every byte sent is first read into it.
  auto chunk = std::make_unique_for_overwrite<char[]>(kRelayChunkBytes);
  while (remaining > 0) {
    deadline.start();
    auto [read_error, read_bytes] = co_await connection.visit([&](auto& stream) {
      return stream.async_read_some(
          net::buffer(chunk.get(), std::min<std::uint64_t>(kRelayChunkBytes, remaining)),
          as_tuple(use_awaitable));
    });
    deadline.stop();
    if (read_error) {
      // Mid-stream failure: the status line is already out, so the only
      // honest signal left is an incomplete body and a closed connection.
      record.error = std::string("upstream failed mid-response: ") +
                     (deadline.fired() ? "timeout" : read_error.message());
      spdlog::warn("{} {}", exchange.log_prefix(), record.error);
      co_return false;
    }
    remaining -= read_bytes;
    record.bytes_out += read_bytes;
    const auto write_error = co_await write_to_client(client, net::buffer(chunk.get(), read_bytes),
                                                      options_.client_write_timeout);
    if (write_error) {
      record.error = "client went away: " + write_error.message();
      co_return false;
    }
  }
  co_return true;
}

// Chunked or unsized upstream bodies: Beast's parser undoes upstream's
// framing, the serializer applies ours.
net::awaitable<bool> FirestoreProxy::relay_parsed_body(
    Exchange& exchange, UpstreamConnection& connection, OperationDeadline& deadline,
    http::response_parser<http::buffer_body>& parser,
    http::response_serializer<http::buffer_body>& serializer, transport::ClientStream& client) {
  auto& record = exchange.record;
  auto& body = parser.get().body();
  // Not value-initialized: every byte sent is first read into it, and zeroing
  // it per response was measurable (bench/RESULTS.md).
  auto chunk = std::make_unique_for_overwrite<char[]>(kParsedChunkBytes);
  for (;;) {
    if (!parser.is_done()) {
      body.data = chunk.get();
      body.size = kParsedChunkBytes;
      deadline.start();
      auto [read_error, read_bytes] = co_await connection.visit([&](auto& stream) {
        return http::async_read(stream, connection.buffer, parser, as_tuple(use_awaitable));
      });
      deadline.stop();
      if (read_error && read_error != http::error::need_buffer) {
        record.error = std::string("upstream failed mid-response: ") +
                       (deadline.fired() ? "timeout" : read_error.message());
        spdlog::warn("{} {}", exchange.log_prefix(), record.error);
        co_return false;
      }
      body.size = kParsedChunkBytes - body.size;
      body.data = chunk.get();
      body.more = !parser.is_done();
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    record.bytes_out += body.size;
    if (!co_await write_serialized(exchange, serializer, client)) co_return false;
    if (serializer.is_done()) co_return true;
  }
}

// Writes what the serializer has ready (head and/or body) within
// client_write_timeout; need_buffer only means the body has more to come.
net::awaitable<bool> FirestoreProxy::write_serialized(
    Exchange& exchange, http::response_serializer<http::buffer_body>& serializer,
    transport::ClientStream& client) {
  client.tcp().expires_after(options_.client_write_timeout);
  auto [error, written] = co_await client.visit(
      [&](auto& stream) { return http::async_write(stream, serializer, as_tuple(use_awaitable)); });
  if (error && error != http::error::need_buffer) {
    exchange.record.error = "client went away: " + error.message();
    co_return false;
  }
  co_return true;
}

net::awaitable<bool> FirestoreProxy::respond_error(Exchange& exchange,
                                                   const firestore::ApiError& error,
                                                   const transport::Request& request,
                                                   transport::ClientStream& client) {
  auto& record = exchange.record;
  record.status = static_cast<unsigned>(error.http_status);
  // A deny forwarded in audit mode stays a deny when upstream then fails.
  if (record.decision != "deny") record.decision = decision_label(error);
  record.error = error.message;
  const bool keep_alive = request.keep_alive() && !draining_;
  auto response = transport::error_response(error, request.version(), keep_alive);
  response.set("x-request-id", exchange.request_id());
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
  request_duration_.with({exchange.metric_method, record.decision}).observe(elapsed_ms / 1000);
  access_log_.write(record);
}

void FirestoreProxy::on_handshake_failed(const transport::Connection& connection,
                                         const std::string& reason) {
  access_log_.write_handshake_failure(connection.id, peer_string(connection.peer), reason);
}

void FirestoreProxy::on_unreadable_request(const transport::Connection& connection,
                                           const firestore::ApiError& error) {
  Exchange exchange;
  exchange.connection_id = connection.id;
  auto& record = exchange.record;
  record.request_id = telemetry::new_request_id();
  record.peer = peer_string(connection.peer);
  record.method = "unknown";
  record.enforcement = config::to_string(options_.enforcement);
  record.status = static_cast<unsigned>(error.http_status);
  record.decision = "error";
  record.error = error.message;
  finish(exchange);
}

}  // namespace firewarden::proxy
