#pragma once
// Outbound HTTP/2: a small pool of multiplexed connections to one endpoint
// (the Firestore gRPC upstream). TLS with ALPN "h2" (a peer that does not
// select h2 is refused), or prior-knowledge h2c for an http:// endpoint such
// as the emulator. Connections are made by net/client_connect (one outbound
// path: SNI rules, verification, connect timeout) and carry many streams;
// a connection that got GOAWAY or failed takes no new streams.
//
// Made for several workers (io_contexts run by one thread each), the client
// keeps one pool per worker: a stream opened from worker i rides one of
// worker i's connections, and neither the pool nor the connection needs a
// strand or a cross-thread hop.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_connect.hpp"
#include "firewarden/net/http2_stream.hpp"

namespace firewarden::transport {

struct Http2ClientOptions {
  std::string host;
  std::string port;
  std::shared_ptr<ssl::context> tls;  // null: h2c with prior knowledge
  std::chrono::milliseconds connect_timeout{5000};
  std::size_t max_connections = 4;                // streams beyond their capacity wait for a slot
  std::chrono::milliseconds idle_timeout{60000};  // a connection without streams closes
  // One thread runs the io_context: the pool and its connections use its
  // executor instead of strands of their own. (Per-worker pools always do.)
  bool single_thread = false;
};

class Http2ClientStream : public Http2Stream {
 public:
  // Waits for the response header fields (a 1xx is skipped); headers()
  // holds them afterwards. A trailers-only response (gRPC) ends the stream:
  // its fields are the headers and read() returns end at once.
  virtual net::awaitable<boost::system::error_code> read_response_headers() = 0;
};

struct Http2Open {
  std::unique_ptr<Http2ClientStream> stream;  // null on failure
  std::optional<ConnectError> connect_error;  // set when no connection could be made
  boost::system::error_code error;            // set when the stream could not be opened
  bool reused = false;                        // the stream rides an existing connection
};

class Http2Client {
 public:
  // One pool on `executor`.
  Http2Client(net::any_io_executor executor, Http2ClientOptions options);
  // One pool per worker; each worker's io_context is run by exactly one
  // thread. max_connections applies per worker.
  Http2Client(const std::vector<net::any_io_executor>& workers, Http2ClientOptions options);
  ~Http2Client();
  Http2Client(const Http2Client&) = delete;
  Http2Client& operator=(const Http2Client&) = delete;

  // Opens a stream and sends `headers` (":method", ":scheme", ":authority",
  // ":path" first); the body follows with write_data(…, end_stream). On
  // the calling coroutine's worker's pool (from no worker: the first pool,
  // reached through its executor).
  net::awaitable<Http2Open> open_stream(HeaderList headers, bool end_stream = false);

  // Sends GOAWAY on every connection and closes them once their streams ended.
  void close_all();

  struct Pool;  // connections and waiting streams (src/net/http2_client.cpp)

 private:
  const std::shared_ptr<Pool>& pool_for(const net::any_io_executor& executor) const;

  std::vector<std::shared_ptr<Pool>> pools_;  // one per worker, fixed at construction
};

}  // namespace firewarden::transport
