#pragma once
// One bidirectional gRPC stream (Listen, Write) on the data path (private
// to the proxy module): four coroutines on the client connection's strand
// share this state (grpc_bidi.cpp):
//   - the pump reads the client's messages one at a time and decides each
//     (grpc_listen.cpp, grpc_write_stream.cpp) before any of it goes upstream;
//   - the relay reads the upstream's response messages;
//   - the writer is the only one that writes to the client: the relay and
//     the pump hand it whole messages through `outbox`, an unbuffered
//     channel, so at most one message waits and a client that does not read
//     stalls the relay (and so the upstream), never memory;
//   - the watcher ends the stream when its time is up or the server drains,
//     and has Listen targets decided again when the policy changes.
// The upstream stream is opened with the first message that is forwarded,
// with routing metadata from that message (forward_grpc's headers). What
// every decided message leaves behind is in grpc_stream_message.cpp.
#include <boost/asio/experimental/channel.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "firewarden/firestore/grpc_classify.hpp"
#include "firewarden/proxy/grpc_status.hpp"
#include "grpc_call.hpp"

namespace firewarden::proxy {

// Turns at writing to one stream (at most one write outstanding per
// Http2Stream): the pump and the watcher both write upstream.
class WriteTurn {
 public:
  explicit WriteTurn(const net::any_io_executor& executor) : signal_(executor) {}
  net::awaitable<void> acquire();
  void release();

 private:
  bool busy_ = false;
  net::steady_timer signal_;
};

struct BidiCall {
  using Outbox = net::experimental::channel<void(boost::system::error_code, std::string)>;

  BidiCall(GrpcCall& grpc_call, const firestore::HttpRequest& request_view,
           const identity::Identity& caller, const net::any_io_executor& executor)
      : call(grpc_call),
        view(request_view),
        who(caller),
        outbox(executor, 0),
        upstream_turn(executor),
        upstream_opened(executor),
        lifetime(executor) {}

  GrpcCall& call;
  const firestore::HttpRequest& view;
  const identity::Identity& who;

  // The stream's database, as its first message named it ("projects/p/
  // databases/d"); later messages must name the same one.
  std::string database;
  // The upstream stream, opened for the first forwarded message with the
  // token of that message's decision; `impersonated` is whose it is (empty:
  // firewarden's own), which every later decision must agree with.
  std::unique_ptr<transport::Http2ClientStream> upstream;
  std::optional<std::string> impersonated;
  // When the upstream stream's token expires (static credentials: never).
  std::chrono::system_clock::time_point token_expires_at =
      std::chrono::system_clock::time_point::max();
  bool upstream_request_ended = false;  // END_STREAM sent upstream

  Outbox outbox;                      // messages for the writer, framed
  WriteTurn upstream_turn;            // the pump's and the watcher's writes upstream
  net::steady_timer upstream_opened;  // the relay waits on it for `upstream`
  net::steady_timer lifetime;         // the watcher's timer

  // Listen: the live targets (forwarded, not removed), by target id, with
  // what each requires; decided again when the policy generation changes.
  std::map<std::int32_t, firestore::RequestModel> targets;
  std::uint64_t policy_generation = 0;
  bool targets_denied = false;  // a target was refused (REMOVE with PERMISSION_DENIED)

  // How the stream ends, once one of the coroutines decided it.
  bool ended = false;
  transport::HeaderList final_trailers;  // grpc-status and grpc-message
  bool client_sent_all = false;          // the client's END_STREAM was read, or it reset
  bool client_gone = false;              // the client stream failed (reset, write error)
  std::uint64_t messages = 0;            // client messages read
};

}  // namespace firewarden::proxy
