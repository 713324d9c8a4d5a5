#pragma once
// One HTTP/2 connection driven by nghttp2, for both ends (the listener's
// server side, net/http2_server.cpp; the upstream client, http2_client.cpp):
// one nghttp2_session, a reader coroutine (socket -> nghttp2_session_mem_recv)
// and a writer coroutine (nghttp2_session_mem_send -> socket), both on the
// connection's strand, and a watchdog for the connection's timeouts. The
// codec knows no routes (STYLE.md 11): it turns frames into stream events.
//
// Flow control is coupled: received DATA is credited back to the peer
// (nghttp2_session_consume, NGHTTP2_OPT_NO_AUTO_WINDOW_UPDATE) only when a
// stream's reader takes it; a stream's body goes out through a data provider
// that defers until write_data() supplies bytes.
#include <nghttp2/nghttp2.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "firewarden/net/asio.hpp"
#include "firewarden/net/client_socket.hpp"
#include "firewarden/net/http2_client.hpp"
#include "firewarden/net/http2_limits.hpp"
#include "firewarden/net/http2_stream.hpp"

namespace firewarden::transport::h2 {

// The bytes under one connection (a ClientStream or an OutboundStream).
// One read and one write may be outstanding at once.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual net::awaitable<std::pair<boost::system::error_code, std::size_t>> read_some(
      net::mutable_buffer buffer) = 0;
  virtual net::awaitable<boost::system::error_code> write(net::const_buffer buffer) = 0;
  virtual void close() = 0;

  // Whether try_read and wait_ready below work. A session over such a
  // transport keeps no read buffer of its own: it waits for readiness
  // holding none and reads into the thread's buffer (Session::read_lent).
  virtual bool tries_reads() const { return false; }
  // One read that never waits: Want::nothing when it finished (`error` and
  // `bytes` its result), else the readiness it needs (nothing was read).
  virtual Want try_read(net::mutable_buffer /*buffer*/, boost::system::error_code& error,
                        std::size_t& bytes) {
    error = net::error::operation_not_supported;
    bytes = 0;
    return Want::nothing;
  }
  // Completes once the transport has the readiness try_read asked for.
  virtual net::awaitable<boost::system::error_code> wait_ready(Want /*want*/) {
    co_return net::error::operation_not_supported;
  }
};

struct SessionSettings {
  bool server = true;
  Http2Limits limits;
  std::uint64_t max_header_bytes = 16 * 1024;  // decoded header list of one stream
  // Server: the first request's header block must be complete within
  // header_timeout of the connection's start, as must every header block
  // begun (a CONTINUATION trickle); 0 disables (client).
  std::chrono::milliseconds header_timeout{10000};
  // A connection without open streams closes after idle_timeout.
  std::chrono::milliseconds idle_timeout{60000};
  // A write the peer does not take (its TCP or HTTP/2 window stays closed)
  // ends the write with a timeout after write_timeout.
  std::chrono::milliseconds write_timeout{60000};
  // Server: whether the listener is overloaded; a wait (idle, a header
  // block) that begins while it is, or is under way when cut_timeouts() is
  // called, has the cut timeout below, as an HTTP/1.1 connection's
  // (server_overload.cpp). Unset: never overloaded.
  std::function<bool()> overloaded;
  std::chrono::milliseconds overload_header_timeout{1000};
  std::chrono::milliseconds overload_idle_timeout{6000};
};

// Why a connection ended, for firewarden_connections_closed_total.
enum class EndReason : std::uint8_t {
  none,            // the peer closed, or both sides finished
  header_timeout,  // header_timeout
  idle_timeout,    // idle_timeout
  write_timeout,   // http2_write_timeout
  protocol_error,  // http2_protocol_error
  flood,           // http2_flood
  rapid_reset,     // http2_rapid_reset
};

// Waits until `signal` is cancelled (notify) or `deadline` passes: how
// the connection's coroutines wait for each other on its strand. Returns
// the timer's own wait (to be awaited at once), not a coroutine of its
// own: every wait would otherwise allocate a frame.
inline auto wait_on(net::steady_timer& signal, std::chrono::steady_clock::time_point deadline =
                                                   std::chrono::steady_clock::time_point::max()) {
  signal.expires_at(deadline);
  return signal.async_wait(net::as_tuple(net::use_awaitable));
}
inline void notify(net::steady_timer& signal) { signal.cancel(); }

// Running on the strand: how an operation that must run on a connection's
// strand gets there:
//
//   const net::any_io_executor current = co_await net::this_coro::executor;
//   if (current != strand) {
//     co_return co_await net::co_spawn(strand, operation(args), net::use_awaitable);
//   }
//   ... the operation's body ...
//
// Called from elsewhere, it re-runs itself on the strand and resumes the
// caller on its own executor. Called there (a listener stream's handler,
// an upstream stream on its own worker: nearly always), it runs at once,
// with no coroutine besides its own: a helper coroutine or lambda would
// add one or two frames to every stream operation. (The executor goes into
// a local first: GCC 12 mishandles some temporaries of a co_await inside a
// condition.)

// A token bucket: `burst` at once, refilled by burst/10 per second.
class FrameBudget {
 public:
  explicit FrameBudget(std::uint32_t burst);
  bool take();  // false once empty

 private:
  double tokens_;
  double burst_;
  std::chrono::steady_clock::time_point last_;
};

// One stream's shared state; only touched on the connection's strand.
struct StreamState {
  explicit StreamState(const net::any_io_executor& strand)
      : read_signal(strand), write_signal(strand) {}
  std::int32_t id = -1;
  HeaderList headers;
  HeaderList trailers;
  std::uint64_t header_bytes = 0;
  bool header_overflow = false;  // the header list exceeded max_header_bytes
  bool headers_done = false;     // request (server) or final response (client) headers in
  std::string inbound;           // received, not yet read
  bool inbound_end = false;
  bool discard_inbound = false;  // nobody reads: credit DATA back as it arrives
  std::string outbound;          // handed to write_data, not yet to the codec
  bool outbound_end = false;
  std::optional<HeaderList> pending_trailers;
  bool body_open = false;  // a data provider is attached
  bool deferred = false;   // the provider returned NGHTTP2_ERR_DEFERRED
  bool answered = false;   // response headers submitted (server)
  bool closed = false;
  std::uint32_t close_code = 0;
  net::steady_timer read_signal;   // DATA, headers, end or close
  net::steady_timer write_signal;  // outbound taken, or close
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(net::any_io_executor strand, std::unique_ptr<Transport> transport,
          SessionSettings settings);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const net::any_io_executor& strand() const { return strand_; }

  // Server: a request stream whose header fields are complete.
  std::function<void(const std::shared_ptr<StreamState>&)> on_request;
  // Server: a request refused unread because its header list exceeded
  // max_header_bytes; the session has already answered it 431.
  std::function<void()> on_header_overflow;
  // Client: a stream ended (a slot for another may be free).
  std::function<void()> on_stream_closed;

  // Runs the connection until it ends; `received`: bytes already read from
  // the transport (the preface a listener looked at). On the strand.
  net::awaitable<void> run(std::string received);
  // GOAWAY: no new streams; the connection ends once the open ones did.
  void shutdown();
  // Ends the connection at once.
  void close();
  // The listener entered overload: waits under way are measured against
  // the cut timeouts from now on (counted from when they began).
  void cut_timeouts();
  EndReason end_reason() const { return end_reason_; }
  bool ended() const { return ended_; }

  // Client: whether a new stream may be opened now, and how many are open.
  bool accepts_streams() const;
  std::size_t open_streams() const { return streams_.size(); }
  // Client: submits a request; null with `error` set when it cannot.
  std::shared_ptr<StreamState> submit_request(const HeaderList& headers, bool end_stream,
                                              boost::system::error_code& error);

  // For the stream objects (strand only).
  void consume(StreamState& stream, std::size_t bytes);
  boost::system::error_code submit_response(StreamState& stream, const HeaderList& headers,
                                            bool end_stream);
  void resume(StreamState& stream);
  void reset(StreamState& stream, Http2Error error);
  // The stream object is gone: whatever it did not read is credited back.
  void release(StreamState& stream);
  std::chrono::milliseconds write_timeout() const { return settings_.write_timeout; }
  // Wakes the writer: the codec may have frames to send.
  void kick();

 private:
  void kick_watchdog();
  void headers_complete(StreamState& stream);
  std::chrono::milliseconds first_wait() const;
  std::chrono::milliseconds header_timeout() const;
  std::chrono::milliseconds idle_timeout() const;
  bool overloaded() const { return settings_.overloaded && settings_.overloaded(); }
  struct Callbacks;  // nghttp2's callbacks (http2_events.cpp)
  static nghttp2_session_callbacks* new_callbacks();

  net::awaitable<void> read_loop(std::string received);
  net::awaitable<void> read_owned();
  net::awaitable<void> read_lent();
  net::awaitable<void> write_loop();
  net::awaitable<void> watchdog();
  bool feed(const std::uint8_t* data, std::size_t size);
  void end(EndReason reason, std::uint32_t goaway_code);
  void attach_provider(StreamState& stream, nghttp2_data_provider& provider);
  std::chrono::steady_clock::time_point next_deadline() const;
  void stream_closed(std::int32_t id, std::uint32_t code);

  net::any_io_executor strand_;
  std::unique_ptr<Transport> transport_;
  SessionSettings settings_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, std::shared_ptr<StreamState>> streams_;
  FrameBudget resets_;
  FrameBudget control_frames_;
  // WINDOW_UPDATE frames the peer may send without spending control_frames_:
  // two per DATA frame sent (its stream's and the connection's window).
  std::uint64_t window_update_credit_ = 0;
  net::steady_timer writer_signal_;
  net::steady_timer watchdog_timer_;
  net::steady_timer done_signal_;
  int loops_running_ = 0;
  bool reader_done_ = false;
  std::atomic<bool> ended_{false};
  bool draining_ = false;
  bool goaway_received_ = false;
  EndReason end_reason_ = EndReason::none;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point idle_since_ = started_;
  bool any_request_ = false;
  std::optional<std::chrono::steady_clock::time_point> header_block_since_;
  // Whether the current idle wait and header block wait have the overload
  // timeouts: decided when the wait begins, or when overload begins during
  // it; a cut wait stays cut (as an HTTP/1.1 connection's).
  bool idle_wait_cut_ = false;
  bool header_wait_cut_ = false;
  std::optional<std::chrono::steady_clock::time_point> write_since_;
};

// The Http2Stream (and, client side, Http2ClientStream) the code above
// sees: every operation runs on the connection's strand.
class StreamHandle final : public Http2ClientStream {
 public:
  StreamHandle(std::shared_ptr<Session> session, std::shared_ptr<StreamState> state);
  ~StreamHandle() override;

  const HeaderList& headers() const override { return state_->headers; }
  const HeaderList& trailers() const override { return state_->trailers; }
  net::awaitable<Http2Read> read(std::size_t max) override;
  net::awaitable<boost::system::error_code> write_headers(HeaderList headers,
                                                          bool end_stream) override;
  net::awaitable<boost::system::error_code> write_data(std::string_view data,
                                                       bool end_stream) override;
  net::awaitable<boost::system::error_code> write_trailers(HeaderList trailers,
                                                           std::string_view last_data) override;
  void reset(Http2Error error) override;
  std::int32_t id() const override { return state_->id; }
  net::awaitable<boost::system::error_code> read_response_headers() override;

  // Server: whether the handler answered the stream completely.
  bool finished() const;
  StreamState& state() { return *state_; }

 private:
  bool runs_on_strand(const net::any_io_executor& current) const;
  net::awaitable<boost::system::error_code> wait_written();

  std::shared_ptr<Session> session_;
  std::shared_ptr<StreamState> state_;
};

}  // namespace firewarden::transport::h2
