// Forwarding an authorized gRPC call: one stream of the HTTP/2 upstream
// pool carrying exactly the checked message, firewarden's own token and
// routing headers, then the response relayed back message by message with
// its trailers. Flow control holds end to end: an upstream chunk is read
// only once the client took the previous one.
#include <spdlog/spdlog.h>

#include "exchange.hpp"
#include "firewarden/firestore/grpc_frame.hpp"
#include "firewarden/net/http2_client.hpp"
#include "firewarden/proxy/grpc_status.hpp"
#include "firewarden/proxy/header_hygiene.hpp"
#include "firewarden/text/ascii.hpp"
#include "grpc_call.hpp"

namespace firewarden::proxy {

namespace {

// Bytes asked of the upstream stream per read.
constexpr std::size_t kResponseReadBytes = 16 * 1024;

// Client metadata passed upstream, besides what firewarden sets itself: an
// allowlist, as for REST, so metadata Google honours that was not checked
// (a user project, an API key, a routing hint) never slips through.
constexpr std::string_view kForwardedMetadata[] = {"user-agent", "x-goog-api-client"};

// Connection-specific fields (RFC 9113 §8.2.2) and our own framing are
// never relayed; nghttp2 would refuse to send the former anyway.
bool is_relayed_response_field(std::string_view name) {
  static constexpr std::string_view kDropped[] = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding",
      "upgrade",    "te",         "content-length"};
  if (name.starts_with(':')) return name == ":status";
  for (const auto dropped : kDropped) {
    if (name == dropped) return false;
  }
  return true;
}

}  // namespace

transport::HeaderList relayed_fields(const transport::HeaderList& fields) {
  transport::HeaderList out;
  out.reserve(fields.size());
  for (const auto& field : fields) {
    if (is_relayed_response_field(field.first)) out.push_back(field);
  }
  return out;
}

std::optional<unsigned> grpc_status_of(const transport::HeaderList& fields) {
  const auto value = field(fields, "grpc-status");
  if (!value || value->empty() || value->size() > 2) return std::nullopt;
  unsigned code = 0;
  for (const char digit : *value) {
    if (digit < '0' || digit > '9') return std::nullopt;
    code = code * 10 + static_cast<unsigned>(digit - '0');
  }
  return code;
}

transport::HeaderList status_fields(GrpcCode code, std::string_view message) {
  return {{"grpc-status", std::to_string(static_cast<int>(code))},
          {"grpc-message", grpc_message(message)}};
}

transport::HeaderList FirestoreProxy::upstream_grpc_headers(const GrpcCall& call,
                                                            const firestore::HttpRequest& view,
                                                            const firestore::RequestModel& model,
                                                            const std::string& token) const {
  const auto& trace = call.exchange.trace;
  transport::HeaderList headers{
      {":method", "POST"},
      {":scheme", options_.upstream_scheme},
      {":authority", options_.upstream_authority},
      {":path", model.upstream_target},
      {"content-type", "application/grpc"},
      {"te", "trailers"},
      // Responses come uncompressed: a write's response may have to be cut.
      {"grpc-accept-encoding", "identity"},
      {"grpc-timeout", format_grpc_timeout(call.timeout - (Clock::now() - call.exchange.started))},
      {"traceparent", trace.traceparent()},
      {"x-request-id", call.exchange.request_id()},
  };
  if (!token.empty()) headers.emplace_back("authorization", "Bearer " + token);
  if (!model.upstream_resource_prefix.empty()) {
    headers.emplace_back("google-cloud-resource-prefix", model.upstream_resource_prefix);
  }
  if (!model.upstream_request_params.empty()) {
    headers.emplace_back("x-goog-request-params", model.upstream_request_params);
  }
  if (const auto context = trace.cloud_trace_context(); !context.empty()) {
    headers.emplace_back("x-cloud-trace-context", context);
  }
  for (const auto& [name, value] : view.headers) {
    const bool forwarded =
        std::any_of(std::begin(kForwardedMetadata), std::end(kForwardedMetadata),
                    [&](std::string_view allowed) { return text::iequals(name, allowed); }) ||
        (trace.from_traceparent && text::iequals(name, "tracestate"));
    if (forwarded) headers.emplace_back(text::lowercase(name), value);
  }
  return headers;
}

net::awaitable<void> FirestoreProxy::forward_grpc(GrpcCall& call,
                                                  const firestore::HttpRequest& view,
                                                  const firestore::RequestModel& model,
                                                  const std::string& token,
                                                  std::optional<GrpcWriteResponse> cut) {
  auto& record = call.exchange.record;
  if (grpc_upstream_ == nullptr) {
    co_return co_await refuse(call, errors::ApiError::bad_gateway("no gRPC upstream configured"));
  }
  const auto upstream_started = Clock::now();
  auto opened =
      co_await grpc_upstream_->open_stream(upstream_grpc_headers(call, view, model, token), false);
  if (!opened.stream) {
    const std::string why = opened.connect_error ? "cannot connect" : opened.error.message();
    co_return co_await refuse(
        call, call.deadline_passed
                  ? errors::ApiError::deadline_exceeded("Firestore did not answer in time")
                  : errors::ApiError::bad_gateway("Firestore unreachable: " + why));
  }
  (opened.reused ? upstream_reused_ : upstream_new_).increment();
  record.upstream_reused = opened.reused;
  auto& upstream = *opened.stream;
  call.upstream = &upstream;
  // A failed write is not yet a failure: a server may answer before it read
  // the whole request and then reset the stream with NO_ERROR (RFC 9113
  // §8.1); its response counts. Without one, the stream failed.
  co_await upstream.write_data(firestore::grpc_frame(model.upstream_body), true);
  const auto error = co_await upstream.read_response_headers();
  const double upstream_seconds =
      std::chrono::duration<double>(Clock::now() - upstream_started).count();
  upstream_duration_.observe(upstream_seconds);
  record.upstream_ms = upstream_seconds * 1000;
  if (error) {
    call.upstream = nullptr;
    spdlog::warn("{} upstream {}: {}", call.exchange.log_prefix(),
                 call.deadline_passed ? "timed out" : "failed", error.message());
    const auto refusal =
        call.deadline_passed
            ? errors::ApiError::deadline_exceeded("Firestore did not answer in time")
            : errors::ApiError::bad_gateway("Firestore connection failed: " + error.message());
    co_return co_await refuse(call, refusal);
  }
  co_await relay_grpc_response(call, upstream, cut);
  call.upstream = nullptr;
}

net::awaitable<void> FirestoreProxy::relay_grpc_response(GrpcCall& call,
                                                         transport::Http2ClientStream& upstream,
                                                         std::optional<GrpcWriteResponse> cut) {
  auto& record = call.exchange.record;
  const auto& head = upstream.headers();
  const auto http_status = field(head, ":status");
  if (const auto status = grpc_status_of(head)) {  // trailers-only: an error, nothing to cut
    record.upstream_status = record.status = *status;
    call.response_started = true;
    const auto error = co_await call.stream.write_headers(relayed_fields(head), true);
    if (error) fail(call.exchange, "client write", error);
    co_return finish(call.exchange);
  }
  if (http_status != "200") {
    co_return co_await refuse(
        call, errors::ApiError::bad_gateway("Firestore answered HTTP " +
                                            std::string(http_status.value_or("without a status"))));
  }
  auto error = co_await call.stream.write_headers(relayed_fields(head), false);
  call.response_started = true;
  if (error) {
    fail(call.exchange, "client write", error);
    co_return finish(call.exchange);
  }
  std::string last;  // the response's last bytes: they leave with the status
  std::optional<errors::ApiError> problem = co_await relay_grpc_messages(call, upstream, cut, last);
  if (problem) co_return co_await refuse(call, *problem);
  if (call.cancelled) co_return finish_cancelled(call, "client reset the stream");

  transport::HeaderList trailers = relayed_fields(upstream.trailers());
  const auto status = grpc_status_of(trailers);
  if (!status) {
    co_return co_await refuse(call, errors::ApiError::bad_gateway("Firestore sent no gRPC status"));
  }
  record.upstream_status = record.status = *status;
  call.client_write_pending = true;
  error = co_await call.stream.write_trailers(std::move(trailers), last);
  call.client_write_pending = false;
  if (error) fail(call.exchange, "client write", error);
  finish(call.exchange);
}

// Relays the response's messages as they come, but for the bytes that came
// with the end of the upstream stream: those are left in `last`, for the
// caller to send together with the trailers (one write for a short call).
net::awaitable<std::optional<errors::ApiError>> FirestoreProxy::relay_grpc_messages(
    GrpcCall& call, transport::Http2ClientStream& upstream, std::optional<GrpcWriteResponse> cut,
    std::string& last) {
  firestore::GrpcMessageReader messages(options_.max_cut_response_bytes);
  std::string message;
  for (bool ended = false; !ended;) {
    auto read = co_await upstream.read(kResponseReadBytes);
    if (read.error) {
      co_return call.deadline_passed
          ? errors::ApiError::deadline_exceeded("Firestore did not answer in time")
          : errors::ApiError::bad_gateway("Firestore connection failed: " + read.error.message());
    }
    ended = read.end;
    std::string outgoing;
    if (!cut) {
      outgoing = std::move(read.data);
    } else {
      messages.feed(read.data);
      for (;;) {
        const auto status = messages.next(message);
        if (status == firestore::GrpcMessageReader::Status::need_more) break;
        if (status != firestore::GrpcMessageReader::Status::message) {
          co_return cut_refusal(call, "a response message over the size limit or compressed");
        }
        auto cut_message = cut_grpc_write_response(*cut, message, options_.max_cut_response_bytes);
        if (auto* failure = std::get_if<CutFailure>(&cut_message)) {
          co_return cut_refusal(call, failure->reason);
        }
        outgoing += firestore::grpc_frame(std::get<std::string>(cut_message));
      }
      if (ended && !messages.empty()) co_return cut_refusal(call, "a truncated response message");
    }
    if (outgoing.empty()) continue;
    call.exchange.record.bytes_out += outgoing.size();
    if (ended) {
      last = std::move(outgoing);
      break;
    }
    call.client_write_pending = true;
    const auto error = co_await call.stream.write_data(outgoing, false);
    call.client_write_pending = false;
    if (error) {
      call.cancelled = true;
      upstream.reset(transport::Http2Error::cancel);
      co_return std::nullopt;
    }
  }
  co_return std::nullopt;
}

errors::ApiError FirestoreProxy::cut_refusal(GrpcCall& call, const std::string& why) const {
  // The write has happened; what it returned cannot be shown safely.
  spdlog::warn("{} write response not relayed: {}", call.exchange.log_prefix(), why);
  return errors::ApiError::bad_gateway(
      "Firestore's response to this write could not be cut to what the caller may read: " + why);
}

}  // namespace firewarden::proxy
