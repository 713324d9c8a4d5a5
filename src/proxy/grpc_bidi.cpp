// About 370 lines: the four coroutines share one ending protocol (end_bidi
// and the status grace), which reads best in one file; the watcher (clock,
// drain, token expiry, policy generation) is the next piece to split out.
//
// A Listen or Write stream between its caller's identity and its end: the
// four coroutines of grpc_bidi.hpp, how the stream ends, and what every
// decided message leaves behind (its own access line and count). What a
// message means is decided in grpc_listen.cpp and grpc_write_stream.cpp.
//
// Ending: whoever learns first how the stream ends (a refused message, the
// upstream's trailers, a client reset, the watcher's clock) calls end_bidi,
// which never waits: it records the status, resets the upstream stream if
// our side of it is still open, and wakes the others; the writer then sends
// the status. A client that has not finished sending is asked to stop with
// RST_STREAM NO_ERROR shortly after the status (RFC 9113 §8.1), which also
// ends the pump's pending read.
#include "grpc_bidi.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "exchange.hpp"
#include "firewarden/firestore/grpc_frame.hpp"
#include "firewarden/text/ascii.hpp"

namespace firewarden::proxy {

namespace {

using namespace net::experimental::awaitable_operators;
using net::as_tuple;
using net::use_awaitable;

// Bytes asked of either stream per read.
constexpr std::size_t kReadBytes = 16 * 1024;
// How often a stream looks for a new policy generation and for a drain: a
// reload reaches live targets within this of being installed.
constexpr auto kWatchInterval = std::chrono::milliseconds(200);
// How long a client that got the stream's status may take to end its side.
constexpr auto kStatusGrace = std::chrono::milliseconds(1000);
// A stream ends this long before its upstream token expires. Firestore
// checks the token of a long stream and ends the stream with
// UNAUTHENTICATED once it has expired, which an SDK would read as its own
// credentials failing; UNAVAILABLE before then makes it reconnect, and the
// new stream gets a fresh token (the broker hands out none with less than
// min_validity left).
constexpr auto kTokenEndMargin = std::chrono::seconds(30);

bool token_expiring(const BidiCall& bidi) {
  const auto now = std::chrono::system_clock::now();
  return bidi.token_expires_at != std::chrono::system_clock::time_point::max() &&
         now + kTokenEndMargin >= bidi.token_expires_at;
}

// A trailers-only upstream answer as trailers of ours: the status fields
// and metadata, without the response head's own fields.
transport::HeaderList trailers_of(const transport::HeaderList& head) {
  transport::HeaderList trailers;
  for (auto& field : relayed_fields(head)) {
    if (!field.first.starts_with(':') && field.first != "content-type") trailers.push_back(field);
  }
  return trailers;
}

// The stream's line: a deny when a message's refusal ended it, or when
// nothing was forwarded and a target was refused (a listener that was only
// ever denied); an error when something else ended it before anything was
// forwarded.
std::string stream_decision(unsigned status, bool forwarded, bool targets_denied) {
  if (status == static_cast<unsigned>(GrpcCode::permission_denied)) return "deny";
  if (status == static_cast<unsigned>(GrpcCode::invalid_argument) ||
      status == static_cast<unsigned>(GrpcCode::resource_exhausted)) {
    return "error";
  }
  if (forwarded) return "allow";
  return targets_denied ? "deny" : "error";
}

}  // namespace

net::awaitable<void> WriteTurn::acquire() {
  // The signal never expires; release() cancels every wait on it.
  while (busy_) co_await signal_.async_wait(as_tuple(use_awaitable));
  busy_ = true;
}

void WriteTurn::release() {
  busy_ = false;
  signal_.cancel();
}

net::awaitable<void> FirestoreProxy::serve_bidi(GrpcCall& call, const firestore::HttpRequest& view,
                                                const identity::Identity& who) {
  // Not bounded by request_timeout: the watcher ends the stream at
  // max_stream_duration (or the client's grpc-timeout) with a status.
  call.deadline->expires_never();
  BidiCall bidi(call, view, who, co_await net::this_coro::executor);
  bidi.upstream_opened.expires_at(Clock::time_point::max());
  bidi.policy_generation = policies_.current()->generation;
  co_await (pump_client_messages(bidi) && relay_upstream_messages(bidi) &&
            write_client_messages(bidi) && watch_stream(bidi));
  listen_targets_.add(-static_cast<double>(bidi.targets.size()));
  auto& record = call.exchange.record;
  record.stream_message.clear();
  record.decision = stream_decision(record.status, bidi.upstream != nullptr, bidi.targets_denied);
  finish(call.exchange);
}

void FirestoreProxy::end_bidi(BidiCall& bidi, GrpcCode code, std::string_view message) {
  if (bidi.ended) return;
  auto& record = bidi.call.exchange.record;
  if (code != GrpcCode::ok && record.error.empty()) record.error = std::string(message);
  end_bidi_with(bidi, status_fields(code, message), static_cast<unsigned>(code));
  record.upstream_status.reset();  // ours, not the upstream's
}

void FirestoreProxy::end_bidi_with(BidiCall& bidi, transport::HeaderList trailers,
                                   unsigned status) {
  if (bidi.ended) return;
  bidi.ended = true;
  bidi.final_trailers = std::move(trailers);
  auto& record = bidi.call.exchange.record;
  record.status = record.upstream_status.emplace(status);
  if (bidi.upstream && !bidi.upstream_request_ended) {
    bidi.upstream->reset(transport::Http2Error::cancel);
  }
  bidi.lifetime.cancel();
  bidi.upstream_opened.cancel();
  bidi.outbox.cancel();
}

net::awaitable<void> FirestoreProxy::pump_client_messages(BidiCall& bidi) {
  co_await pump_messages(bidi);
  bidi.client_sent_all = true;
  bidi.lifetime.cancel();  // a writer waiting for the client's end stops waiting
}

net::awaitable<void> FirestoreProxy::pump_messages(BidiCall& bidi) {
  auto& call = bidi.call;
  firestore::GrpcMessageReader reader(options_.max_body_bytes);
  std::string message;
  while (!bidi.ended) {
    auto read = co_await call.stream.read(kReadBytes);
    if (read.error) {
      bidi.client_sent_all = true;
      if (!bidi.ended) {
        bidi.client_gone = true;
        fail(call.exchange, "stream", "client reset the stream");
        end_bidi(bidi, GrpcCode::cancelled, "client reset the stream");
      }
      co_return;
    }
    if (bidi.ended) co_return;  // what comes after the end is discarded
    call.exchange.record.bytes_in += read.data.size();
    reader.feed(read.data);
    for (;;) {
      const auto status = reader.next(message);
      if (status == firestore::GrpcMessageReader::Status::need_more) break;
      if (const auto refusal = framing_refusal(status)) {
        co_return end_bidi(bidi, grpc_code(*refusal), refusal->message);
      }
      ++bidi.messages;
      if (call.rpc.name == "Listen") {
        co_await on_listen_message(bidi, message);
      } else {
        co_await on_write_message(bidi, message);
      }
      if (bidi.ended) co_return;
    }
    if (read.end) {
      bidi.client_sent_all = true;
      if (!reader.empty()) {
        co_return end_bidi(bidi, GrpcCode::invalid_argument, "truncated request message");
      }
      if (!bidi.upstream) co_return end_bidi(bidi, GrpcCode::ok, "");
      // Half-close upstream too; the relay ends the stream with its status.
      co_await bidi.upstream_turn.acquire();
      if (!bidi.ended) co_await bidi.upstream->write_data("", true);
      bidi.upstream_request_ended = true;
      bidi.upstream_turn.release();
      co_return;
    }
  }
}

net::awaitable<void> FirestoreProxy::relay_upstream_messages(BidiCall& bidi) {
  while (!bidi.upstream && !bidi.ended) {
    co_await bidi.upstream_opened.async_wait(as_tuple(use_awaitable));
  }
  if (bidi.ended) co_return;
  auto& upstream = *bidi.upstream;
  if (const auto error = co_await upstream.read_response_headers()) {
    co_return upstream_failed(bidi, error);
  }
  const auto& head = upstream.headers();
  if (const auto status = grpc_status_of(head)) {
    co_return end_bidi_with(bidi, trailers_of(head), *status);
  }
  if (const auto http_status = field(head, ":status"); http_status != "200") {
    co_return end_bidi(
        bidi, GrpcCode::unavailable,
        "Firestore answered HTTP " + std::string(http_status.value_or("without a status")));
  }
  firestore::GrpcMessageReader messages(options_.max_cut_response_bytes);
  std::string message;
  for (;;) {
    auto read = co_await upstream.read(kReadBytes);
    if (read.error) co_return upstream_failed(bidi, read.error);
    messages.feed(read.data);
    for (;;) {
      const auto status = messages.next(message);
      if (status == firestore::GrpcMessageReader::Status::need_more) break;
      if (status != firestore::GrpcMessageReader::Status::message) {
        co_return end_bidi(bidi, GrpcCode::unavailable,
                           "Firestore sent a response message over the size limit or compressed");
      }
      if (!co_await send_to_client(bidi, firestore::grpc_frame(message))) co_return;
    }
    if (read.end) {
      if (!messages.empty()) {
        co_return end_bidi(bidi, GrpcCode::unavailable, "Firestore sent a truncated message");
      }
      auto trailers = relayed_fields(upstream.trailers());
      const auto status = grpc_status_of(trailers);
      if (!status) co_return end_bidi(bidi, GrpcCode::unavailable, "Firestore sent no gRPC status");
      co_return end_bidi_with(bidi, std::move(trailers), *status);
    }
  }
}

void FirestoreProxy::upstream_failed(BidiCall& bidi, const boost::system::error_code& error) {
  if (bidi.ended) return;
  spdlog::warn("{} upstream stream failed: {}", bidi.call.exchange.log_prefix(), error.message());
  end_bidi(bidi, GrpcCode::unavailable, "Firestore connection failed: " + error.message());
}

void FirestoreProxy::client_failed(BidiCall& bidi, const boost::system::error_code& error) {
  bidi.client_gone = true;
  fail(bidi.call.exchange, "client write", error);
  end_bidi(bidi, GrpcCode::cancelled, "the client stream failed");
}

net::awaitable<void> FirestoreProxy::write_client_messages(BidiCall& bidi) {
  auto& call = bidi.call;
  // Headers at once: the client learns the stream is served, and a refusal
  // later is headers then trailers, as for server-streaming calls.
  if (const auto error = co_await call.stream.write_headers(grpc_response_headers(), false)) {
    client_failed(bidi, error);
  }
  call.response_started = true;
  while (!bidi.ended) {
    auto [cancelled, framed] = co_await bidi.outbox.async_receive(as_tuple(use_awaitable));
    if (cancelled || bidi.client_gone) continue;
    call.exchange.record.bytes_out += framed.size();
    call.client_write_pending = true;
    const auto error = co_await call.stream.write_data(framed, false);
    call.client_write_pending = false;
    if (error) client_failed(bidi, error);
  }
  if (bidi.client_gone) co_return;
  if (const auto error = co_await call.stream.write_trailers(bidi.final_trailers, {})) {
    fail(call.exchange, "client write", error);
  }
  if (bidi.client_sent_all) co_return;
  // The pump still waits for the client's next message. gRPC clients end
  // their side once they read the status; one that does not is asked to
  // with RST_STREAM NO_ERROR (RFC 9113 §8.1), but only after a while:
  // nghttp2 drops the trailers still queued when the reset is submitted.
  bidi.lifetime.expires_after(kStatusGrace);
  co_await bidi.lifetime.async_wait(as_tuple(use_awaitable));  // the pump cancels it
  if (!bidi.client_sent_all) call.stream.reset(transport::Http2Error::no_error);
}

net::awaitable<void> FirestoreProxy::watch_stream(BidiCall& bidi) {
  auto& call = bidi.call;
  const auto end_at =
      call.exchange.started + std::chrono::duration_cast<Clock::duration>(call.timeout);
  const bool client_deadline = call.timeout < options_.max_stream_duration;
  std::optional<Clock::time_point> drain_end;
  while (!bidi.ended) {
    auto until = std::min(end_at, Clock::now() + kWatchInterval);
    if (drain_end) until = std::min(until, *drain_end);
    bidi.lifetime.expires_at(until);
    co_await bidi.lifetime.async_wait(as_tuple(use_awaitable));
    if (bidi.ended) co_return;
    const auto now = Clock::now();
    if (now >= end_at) {
      co_return client_deadline
          ? end_bidi(bidi, GrpcCode::deadline_exceeded, "the stream's grpc-timeout passed")
          : end_bidi(bidi, GrpcCode::unavailable,
                     "the stream reached firewarden's limits.http2.max_stream_duration; "
                     "reconnect");
    }
    if (token_expiring(bidi)) {
      co_return end_bidi(bidi, GrpcCode::unavailable,
                         "the stream's upstream token is about to expire; reconnect");
    }
    // While draining, the stream may go on for most of shutdown_grace, and
    // ends with a status before the connections are closed.
    if (draining_ && !drain_end) drain_end = now + options_.shutdown_grace * 9 / 10;
    if (drain_end && now >= *drain_end) {
      co_return end_bidi(bidi, GrpcCode::unavailable, "firewarden is shutting down");
    }
    if (call.rpc.name == "Listen" && policies_.current()->generation != bidi.policy_generation) {
      co_await recheck_listen_targets(bidi);
    }
  }
}

net::awaitable<bool> FirestoreProxy::send_to_client(BidiCall& bidi, std::string framed) {
  if (bidi.ended) co_return false;
  auto [error] = co_await bidi.outbox.async_send(boost::system::error_code{}, std::move(framed),
                                                 as_tuple(use_awaitable));
  co_return !error && !bidi.ended;
}

net::awaitable<bool> FirestoreProxy::send_upstream(BidiCall& bidi,
                                                   const firestore::RequestModel& model,
                                                   const policy::Decision& decision) {
  if (!bidi.upstream) {
    if (grpc_upstream_ == nullptr) {
      end_bidi(bidi, GrpcCode::unavailable, "no gRPC upstream configured");
      co_return false;
    }
    const auto token = co_await tokens_.token(decision.impersonate.value_or(""));
    if (const auto* problem = std::get_if<credentials::TokenError>(&token)) {
      end_bidi(bidi, GrpcCode::unavailable, "no valid upstream token: " + problem->message);
      co_return false;
    }
    if (bidi.ended) co_return false;
    const auto& value = std::get<credentials::AccessToken>(token).value;
    bidi.token_expires_at = std::get<credentials::AccessToken>(token).expires_at;
    // The stream's messages come later: its database is said in the
    // routing metadata even when the client did not send any (the emulator
    // cannot route a Listen stream without it).
    firestore::RequestModel routed = model;
    if (routed.upstream_resource_prefix.empty()) routed.upstream_resource_prefix = bidi.database;
    auto opened = co_await grpc_upstream_->open_stream(
        upstream_grpc_headers(bidi.call, bidi.view, routed, value), false);
    if (!opened.stream) {
      const std::string why = opened.connect_error ? "cannot connect" : opened.error.message();
      end_bidi(bidi, GrpcCode::unavailable, "Firestore unreachable: " + why);
      co_return false;
    }
    (opened.reused ? upstream_reused_ : upstream_new_).increment();
    bidi.call.exchange.record.upstream_reused = opened.reused;
    bidi.upstream = std::move(opened.stream);
    bidi.impersonated = decision.impersonate.value_or("");
    if (bidi.ended) {
      bidi.upstream->reset(transport::Http2Error::cancel);
      co_return false;
    }
    bidi.upstream_opened.cancel();  // the relay starts reading
  }
  co_return co_await write_upstream(bidi, firestore::grpc_frame(model.upstream_body));
}

net::awaitable<bool> FirestoreProxy::write_upstream(BidiCall& bidi, std::string_view message) {
  co_await bidi.upstream_turn.acquire();
  boost::system::error_code error = net::error::operation_aborted;
  if (!bidi.ended && bidi.upstream && !bidi.upstream_request_ended) {
    error = co_await bidi.upstream->write_data(message, false);
  }
  bidi.upstream_turn.release();
  if (error && !bidi.ended) {
    end_bidi(bidi, GrpcCode::unavailable, "Firestore connection failed: " + error.message());
  }
  co_return !error;
}

}  // namespace firewarden::proxy
