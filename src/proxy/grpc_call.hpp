#pragma once
// One gRPC call's bookkeeping on the data path (private to the proxy
// module): the exchange every step writes into, the client's stream, and
// what the steps learnt of the call so far.
#include <chrono>

#include "exchange.hpp"
#include "firewarden/firestore/grpc_classify.hpp"
#include "firewarden/firestore/grpc_frame.hpp"
#include "firewarden/net/deadline.hpp"
#include "firewarden/net/header_fields.hpp"
#include "firewarden/net/http2_client.hpp"
#include "firewarden/net/http2_stream.hpp"
#include "firewarden/proxy/grpc_status.hpp"

namespace firewarden::proxy {

struct GrpcCall {
  GrpcCall(FirestoreProxy::Exchange opened, transport::Http2Stream& client_stream)
      : exchange(std::move(opened)), stream(client_stream) {}

  FirestoreProxy::Exchange exchange;
  transport::Http2Stream& stream;
  firestore::Rpc rpc;                  // unary until the path was read
  std::chrono::nanoseconds timeout{};  // grpc-timeout, capped by request_timeout
  bool request_ended = false;          // the client's END_STREAM was read
  bool response_started = false;       // response headers went out
  bool cancelled = false;              // the client reset the stream
  // What the call's deadline ends when it passes (on_deadline): the
  // upstream stream while one is open, the client's stream while a read or
  // write on it waits (a client that stops reading or sending).
  transport::Deadline* deadline = nullptr;
  transport::Http2ClientStream* upstream = nullptr;
  bool client_write_pending = false;
  bool deadline_passed = false;

  void on_deadline() {
    deadline_passed = true;
    if (upstream != nullptr) upstream->reset(transport::Http2Error::cancel);
    if (upstream == nullptr || client_write_pending) stream.reset(transport::Http2Error::cancel);
  }
};

// What a request stream's framing refuses, for unary and bidirectional
// calls alike: nullopt for need_more and message, else the refusal the
// call ends with (grpc_exchange.cpp).
std::optional<errors::ApiError> framing_refusal(firestore::GrpcMessageReader::Status status);

// Header fields the gRPC paths share (grpc_relay.cpp).
// A response's fields as relayed to the client: no connection-specific
// fields (RFC 9113 §8.2.2), no framing of ours.
transport::HeaderList relayed_fields(const transport::HeaderList& fields);
using transport::field;
// The gRPC status a response ends with, as a number; nullopt when absent or
// not a number.
std::optional<unsigned> grpc_status_of(const transport::HeaderList& fields);
// The trailer fields of a gRPC status (or the end of a trailers-only
// response).
transport::HeaderList status_fields(GrpcCode code, std::string_view message);

}  // namespace firewarden::proxy
