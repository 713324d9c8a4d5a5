#pragma once
// One connection's state, shared by the server's files (server.cpp,
// server_overload.cpp).
#include <chrono>
#include <cstdint>
#include <memory>

#include "firewarden/net/server.hpp"
#include "http2_session.hpp"

namespace firewarden::transport {

// One connection's state shared between its session coroutine (on the
// connection's strand: its worker's executor or a strand of its own) and
// the server (drain, close_all, reduce_timeouts, which post to it).
// `wait` and `wait_started` are only read and written on the strand.
struct Server::Session {
  Session(std::uint64_t id, net::any_io_executor strand_executor, net::ip::tcp::socket socket,
          std::shared_ptr<ssl::context> context)
      : strand(std::move(strand_executor)),
        client(context ? ClientStream(std::move(socket), context->native_handle())
                       : ClientStream(std::move(socket))),
        tls_context(std::move(context)) {
    connection.id = id;
  }
  net::any_io_executor strand;  // a worker's (or one-thread io_context's) executor itself
  ClientStream client;
  std::shared_ptr<ssl::context> tls_context;  // kept alive for this connection's lifetime
  Connection connection;
  std::shared_ptr<h2::Session> http2;  // set while the connection speaks HTTP/2
  // What the session waits for, and since when: a timeout cut by overload
  // counts from there. Only handshake, idle and head may be cut short by a
  // drain (no request is in flight yet).
  enum class Wait { handshake, idle, head, body, handler } wait = Wait::handshake;
  std::chrono::steady_clock::time_point wait_started = std::chrono::steady_clock::now();

  void begin(Wait next) {
    wait = next;
    wait_started = std::chrono::steady_clock::now();
  }
};

}  // namespace firewarden::transport
