// One gRPC call over HTTP/2: the same sequence
// as an HTTP/1.1 request — identity -> classify -> decide -> token ->
// forward — with a gRPC request message instead of a JSON body and gRPC
// statuses instead of Google's JSON errors. The upstream side (one stream
// of the HTTP/2 pool, the response relayed message by message) is in
// grpc_relay.cpp. Listen and Write streams leave this path once the caller
// is known: their messages are decided one at a time (grpc_bidi.cpp).
//
// How refusals are answered (gRPC PROTOCOL-HTTP2): a unary call gets a
// trailers-only response; a server-streaming call gets its response
// headers first, then the trailers, because the Node SDK retries a
// trailers-only PERMISSION_DENIED on BatchGetDocuments and RunQuery (about
// 7 s) before it surfaces it.
#include <spdlog/spdlog.h>

#include "exchange.hpp"
#include "firewarden/firestore/grpc_classify.hpp"
#include "firewarden/firestore/grpc_frame.hpp"
#include "firewarden/proxy/access_fields.hpp"
#include "firewarden/proxy/grpc_status.hpp"
#include "firewarden/text/ascii.hpp"
#include "grpc_call.hpp"

namespace firewarden::proxy {

namespace {

// Bytes asked of the client's stream per read: what its window gets back
// at a time.
constexpr std::size_t kRequestReadBytes = 16 * 1024;

// gRPC's content types (PROTOCOL-HTTP2: "application/grpc" [("+proto" /
// "+json" / {custom})]); only protobuf is read, so "+json" and others are
// not gRPC to us.
bool is_grpc_content_type(std::string_view value) {
  return text::iequals(value, "application/grpc") || text::iequals(value, "application/grpc+proto");
}

// The request as the data path's header readers see it: :method and :path
// as method and target, the regular fields as headers.
firestore::HttpRequest request_view(const transport::HeaderList& headers) {
  firestore::HttpRequest view;
  view.headers.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    if (name == ":method") {
      view.method = value;
    } else if (name == ":path") {
      view.target = value;
    } else if (!name.starts_with(':')) {
      view.headers.emplace_back(name, value);
    }
  }
  return view;
}

}  // namespace

net::awaitable<void> FirestoreProxy::handle_stream(transport::Connection& connection,
                                                   transport::Http2Stream& stream) {
  const firestore::HttpRequest view = request_view(stream.headers());
  bool repeated = false;
  const auto content_type = single_header(view, "content-type", repeated);
  if (!content_type || repeated || !is_grpc_content_type(*content_type)) {
    co_return co_await serve_rest_stream(connection, stream);  // rest_stream.cpp
  }
  GrpcCall call{open_exchange(connection, view), stream};
  call.exchange.request_number = static_cast<std::uint64_t>(stream.id());
  // One deadline for the whole call (non-bidi): request_timeout, shortened
  // by the client's grpc-timeout once read (check_call_headers).
  transport::Deadline deadline(co_await net::this_coro::executor, [&call] { call.on_deadline(); });
  call.deadline = &deadline;
  deadline.expires_after(options_.request_timeout);
  call.exchange.record.protocol = "grpc";
  // A call refused before its request was read whole is not reset here:
  // nghttp2 would drop the queued answer with the RST_STREAM. The rest of
  // the request is discarded (and its window credited back) once the stream
  // is released.
  co_await serve_grpc(connection, call, view);
}

net::awaitable<void> FirestoreProxy::serve_grpc(transport::Connection& connection, GrpcCall& call,
                                                const firestore::HttpRequest& view) {
  if (draining_) {
    co_return co_await refuse(call, errors::ApiError::unavailable("firewarden is shutting down"));
  }
  auto rpc = firestore::grpc_rpc(view.target);
  if (auto* error = std::get_if<errors::ApiError>(&rpc)) co_return co_await refuse(call, *error);
  call.rpc = std::get<firestore::Rpc>(rpc);
  call.exchange.record.method = std::string(call.rpc.name);
  call.exchange.metric_method = call.exchange.record.method;
  if (auto problem = check_call_headers(call, view)) co_return co_await refuse(call, *problem);

  std::shared_ptr<const identity::Identity> from_header;  // xfcc mode
  auto who_or_error = identify(connection, view, from_header);
  if (auto* error = std::get_if<errors::ApiError>(&who_or_error)) {
    co_return co_await refuse(call, *error);
  }
  const identity::Identity& who = *std::get<const identity::Identity*>(who_or_error);
  call.exchange.record.identity = who.spiffe_id;
  call.exchange.record.namespace_name = who.namespace_name;
  call.exchange.record.service_account = who.service_account;
  if (call.rpc.kind == firestore::RpcKind::bidi_streaming) {
    co_return co_await serve_bidi(call, view, who);  // message by message (grpc_bidi.cpp)
  }

  auto message = co_await read_request_message(call);
  if (auto* error = std::get_if<errors::ApiError>(&message)) {
    co_return co_await refuse(call, *error);
  }
  if (call.cancelled) {
    co_return finish_cancelled(call, call.deadline_passed ? "deadline passed while the request "
                                                            "was read"
                                                          : "client reset the stream");
  }

  firestore::GrpcRequest request{view.target, std::get<std::string>(message), view.headers};
  auto classified = firestore::classify_grpc(request, options_.scope);
  if (auto* error = std::get_if<errors::ApiError>(&classified)) {
    co_return co_await refuse(call, *error);
  }
  auto& model = std::get<firestore::RequestModel>(classified);
  record_model(call.exchange, model);
  call.exchange.record.method = std::string(call.rpc.name);

  const auto snapshot = policies_.current();  // this call keeps this snapshot
  const policy::Decision decision = snapshot->policy->decide(who, model);
  if (auto refusal = enforce(call.exchange, who, decision)) {
    co_return co_await refuse(call, *refusal);
  }
  const auto token = co_await tokens_.token(decision.impersonate.value_or(""));
  if (const auto* problem = std::get_if<credentials::TokenError>(&token)) {
    co_return co_await refuse(
        call, errors::ApiError::unavailable("no valid upstream token: " + problem->message));
  }
  const auto cut = needs_response_cut(model, decision)
                       ? std::optional<GrpcWriteResponse>(grpc_write_response_of(call.rpc.name))
                       : std::nullopt;
  co_await forward_grpc(call, view, model, std::get<credentials::AccessToken>(token).value, cut);
}

std::optional<errors::ApiError> FirestoreProxy::check_call_headers(
    GrpcCall& call, const firestore::HttpRequest& view) const {
  if (view.method != "POST") {
    return errors::ApiError::invalid_argument("gRPC calls are POST requests");
  }
  bool repeated = false;
  // Compressed messages are refused (they would have to be inflated to be
  // read); "identity" is no compression.
  const auto encoding = single_header(view, "grpc-encoding", repeated);
  if (repeated || (encoding && !text::iequals(*encoding, "identity"))) {
    return errors::ApiError::invalid_argument("compressed gRPC requests are not accepted");
  }
  // grpc-timeout shortens the call's deadline; request_timeout caps it, or
  // for a Listen or Write stream max_stream_duration.
  call.timeout = call.rpc.kind == firestore::RpcKind::bidi_streaming
                     ? std::chrono::nanoseconds(options_.max_stream_duration)
                     : std::chrono::nanoseconds(options_.request_timeout);
  if (const auto timeout = single_header(view, "grpc-timeout", repeated)) {
    const auto parsed = parse_grpc_timeout(*timeout);
    if (repeated || !parsed) return errors::ApiError::invalid_argument("malformed grpc-timeout");
    call.timeout = std::min<std::chrono::nanoseconds>(call.timeout, *parsed);
  }
  call.deadline->expires_at(call.exchange.started +
                            std::chrono::duration_cast<Clock::duration>(call.timeout));
  return std::nullopt;
}

std::optional<errors::ApiError> framing_refusal(firestore::GrpcMessageReader::Status status) {
  using Status = firestore::GrpcMessageReader::Status;
  switch (status) {
    case Status::need_more:
    case Status::message:
      return std::nullopt;
    case Status::too_large:
      return errors::ApiError::payload_too_large("request message exceeds the size limit");
    case Status::compressed:
      return errors::ApiError::invalid_argument("compressed gRPC messages are not accepted");
    case Status::unreadable:
      break;
  }
  return errors::ApiError::invalid_argument("request body is not gRPC message framing");
}

net::awaitable<std::variant<std::string, errors::ApiError>> FirestoreProxy::read_request_message(
    GrpcCall& call) {
  firestore::GrpcMessageReader reader(options_.max_body_bytes);
  std::optional<std::string> message;
  std::string next;
  while (!call.request_ended) {
    auto read = co_await call.stream.read(kRequestReadBytes);
    if (read.error) {
      call.cancelled = true;
      co_return std::string();
    }
    call.request_ended = read.end;
    call.exchange.record.bytes_in += read.data.size();
    reader.feed(read.data);
    for (;;) {
      const auto status = reader.next(next);
      if (status == firestore::GrpcMessageReader::Status::need_more) break;
      if (auto refusal = framing_refusal(status)) co_return std::move(*refusal);
      if (message) {
        co_return errors::ApiError::invalid_argument(
            "a unary or server-streaming call carries exactly one request message");
      }
      message = std::move(next);
    }
  }
  if (!reader.empty()) co_return errors::ApiError::invalid_argument("truncated request message");
  if (!message) co_return errors::ApiError::invalid_argument("no request message");
  co_return std::move(*message);
}

net::awaitable<void> FirestoreProxy::refuse(GrpcCall& call, const errors::ApiError& error) {
  auto& record = call.exchange.record;
  const auto code = grpc_code(error);
  record.status = static_cast<unsigned>(code);
  // A deny forwarded in audit mode stays a deny when upstream then fails.
  if (record.decision != "deny") record.decision = decision_label(error);
  record.error = error.message;
  transport::HeaderList status = status_fields(code, error.message);
  boost::system::error_code write_error;
  if (!call.response_started && call.rpc.kind == firestore::RpcKind::unary) {
    transport::HeaderList trailers_only = grpc_response_headers();
    trailers_only.insert(trailers_only.end(), status.begin(), status.end());
    write_error = co_await call.stream.write_headers(std::move(trailers_only), true);
  } else {
    if (!call.response_started) {
      write_error = co_await call.stream.write_headers(grpc_response_headers(), false);
      call.response_started = true;
    }
    if (!write_error) write_error = co_await call.stream.write_trailers(std::move(status), {});
  }
  if (write_error) fail(call.exchange, "client write", write_error);
  finish(call.exchange);
}

void FirestoreProxy::finish_cancelled(GrpcCall& call, std::string_view why) {
  auto& record = call.exchange.record;
  record.status = static_cast<unsigned>(GrpcCode::cancelled);
  if (record.decision.empty()) record.decision = "error";
  fail(call.exchange, "stream", why);
  finish(call.exchange);
}

transport::HeaderList FirestoreProxy::grpc_response_headers() {
  return {{":status", "200"}, {"content-type", "application/grpc"}};
}

}  // namespace firewarden::proxy
