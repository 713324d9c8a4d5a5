// Outbound HTTP/2 (net/http2_client.hpp): a pool of multiplexed
// connections to one endpoint, each an h2::Session on its own strand (or,
// per worker, on the worker's executor). The pool's own state lives on the
// pool's strand; a stream is opened on the first connection with room (the
// peer's SETTINGS_MAX_CONCURRENT_STREAMS, no GOAWAY), else on a new
// connection while fewer than max_connections exist, else it waits for a
// stream to end.
#include "firewarden/net/http2_client.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string_view>
#include <variant>
#include <vector>

#include "http2_session.hpp"

namespace firewarden::transport {

namespace {

using net::as_tuple;
using net::use_awaitable;

// One connection attempt in `count` from construction until end() or
// destruction, whichever comes first.
class InFlight {
 public:
  explicit InFlight(std::size_t& count) : count_(&count) { ++*count_; }
  ~InFlight() { end(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  void end() {
    if (count_ != nullptr) --*count_;
    count_ = nullptr;
  }

 private:
  std::size_t* count_;
};

// RFC 7301 §3.1 wire format: one length-prefixed name.
constexpr std::string_view kAlpnH2 = "\x02h2";

// Streams one upstream connection carries at most (Google's own
// SETTINGS_MAX_CONCURRENT_STREAMS is 100; a lower one from the peer wins).
constexpr std::uint32_t kStreamsPerConnection = 100;

// An outbound connection as the HTTP/2 session's byte stream.
class OutboundTransport final : public h2::Transport {
 public:
  explicit OutboundTransport(OutboundStream stream) : stream_(std::move(stream)) {}

  net::awaitable<std::pair<boost::system::error_code, std::size_t>> read_some(
      net::mutable_buffer buffer) override {
    auto [error, bytes] = co_await std::visit(
        [&](auto& stream) { return stream.async_read_some(buffer, as_tuple(use_awaitable)); },
        stream_);
    co_return std::pair{error, bytes};
  }

  net::awaitable<boost::system::error_code> write(net::const_buffer buffer) override {
    auto [error, bytes] = co_await std::visit(
        [&](auto& stream) { return net::async_write(stream, buffer, as_tuple(use_awaitable)); },
        stream_);
    co_return error;
  }

  void close() override {
    boost::system::error_code ignored;
    std::visit(
        [&](auto& stream) {
          net::ip::tcp::socket& socket = lowest(stream);
          socket.close(ignored);
        },
        stream_);
  }

 private:
  static net::ip::tcp::socket& lowest(PlainConnection& socket) { return socket; }
  static net::ip::tcp::socket& lowest(TlsConnection& tls) { return tls.next_layer(); }

  OutboundStream stream_;
};

bool selected_h2(TlsConnection& tls) {
  const unsigned char* selected = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(tls.native_handle(), &selected, &length);
  return std::string_view(reinterpret_cast<const char*>(selected), length) == kAlpnH2.substr(1);
}

}  // namespace

struct Http2Client::Pool : std::enable_shared_from_this<Pool> {
  Pool(net::any_io_executor executor, Http2ClientOptions pool_options)
      : io(std::move(executor)),
        strand(serializer(io, pool_options.single_thread)),
        options(std::move(pool_options)),
        slot(strand) {}

  net::any_io_executor io;
  net::any_io_executor strand;  // every member below is touched only here
  Http2ClientOptions options;
  std::vector<std::shared_ptr<h2::Session>> connections;
  std::size_t connecting = 0;
  bool closed = false;
  net::steady_timer slot;  // cancelled when a stream or a connection ended

  // A strand of its own (the pool's, a connection's), or with one thread
  // the io_context's executor, which already serializes everything (as the
  // listener decides, ServerOptions::single_thread).
  static net::any_io_executor serializer(const net::any_io_executor& io, bool single_thread) {
    return single_thread ? io : net::any_io_executor(net::make_strand(io));
  }

  net::awaitable<Http2Open> open(HeaderList headers, bool end_stream);
  net::awaitable<std::variant<std::shared_ptr<h2::Session>, ConnectError>> connect();
  void notify_slot() {
    net::post(strand, [self = shared_from_this()] { self->slot.cancel(); });
  }
};

namespace {

// Tries to open the stream on `session` (on its strand): null when it has
// no room.
net::awaitable<std::shared_ptr<h2::StreamState>> try_open(std::shared_ptr<h2::Session> session,
                                                          const HeaderList& headers,
                                                          bool end_stream,
                                                          boost::system::error_code& error) {
  const net::any_io_executor current = co_await net::this_coro::executor;
  if (current != session->strand()) {  // "Running on the strand", http2_session.hpp
    co_return co_await net::co_spawn(
        session->strand(), try_open(session, headers, end_stream, error), net::use_awaitable);
  }
  if (!session->accepts_streams()) co_return nullptr;
  co_return session->submit_request(headers, end_stream, error);
}

}  // namespace

net::awaitable<Http2Open> Http2Client::Pool::open(HeaderList headers, bool end_stream) {
  const auto self = shared_from_this();  // the pool outlives its waiters
  const auto waited_until = std::chrono::steady_clock::now() + options.connect_timeout;
  std::shared_ptr<h2::Session> made;  // the connection this call made, if any
  for (;;) {
    if (closed) co_return Http2Open{nullptr, std::nullopt, net::error::shut_down, false};
    std::erase_if(connections, [](const auto& session) { return session->ended(); });
    // A copy: another open() may add a connection while this one waits.
    const auto candidates = connections;
    for (const auto& session : candidates) {
      boost::system::error_code error;
      auto state = co_await try_open(session, headers, end_stream, error);
      if (error) co_return Http2Open{nullptr, std::nullopt, error, session != made};
      if (state) {
        co_return Http2Open{std::make_unique<h2::StreamHandle>(session, std::move(state)),
                            std::nullopt,
                            {},
                            session != made};
      }
    }
    if (connections.size() + connecting < options.max_connections) {
      auto connected = co_await connect();
      if (auto* failed = std::get_if<ConnectError>(&connected)) {
        co_return Http2Open{nullptr, std::move(*failed), {}, false};
      }
      made = std::get<std::shared_ptr<h2::Session>>(connected);
      // The new connection is tried like the others (another waiter may
      // have filled it meanwhile).
      continue;
    }
    if (std::chrono::steady_clock::now() >= waited_until) {
      co_return Http2Open{nullptr, std::nullopt, net::error::timed_out, false};
    }
    slot.expires_at(waited_until);
    co_await slot.async_wait(as_tuple(use_awaitable));
  }
}

// Connects, checks that TLS selected h2, and starts the session's loops on
// a strand of its own.
net::awaitable<std::variant<std::shared_ptr<h2::Session>, ConnectError>>
Http2Client::Pool::connect() {
  // Counted while it connects, also when the connect throws (a caller's
  // cancellation): a leaked count would keep the pool from ever connecting.
  const auto self = shared_from_this();  // outlives `counted` however the frame ends
  InFlight counted(connecting);
  const net::any_io_executor connection_strand = serializer(io, options.single_thread);
  // A local, not a conditional temporary in the co_await: GCC 12 frees
  // such a temporary twice in a coroutine.
  std::string alpn = options.tls ? std::string(kAlpnH2) : std::string();
  auto result = co_await async_connect(connection_strand, options.host, options.port,
                                       options.tls.get(), options.connect_timeout, std::move(alpn));
  counted.end();
  if (auto* failed = std::get_if<ConnectError>(&result)) co_return *failed;
  auto& stream = std::get<OutboundStream>(result);
  if (auto* tls = std::get_if<TlsConnection>(&stream); tls != nullptr && !selected_h2(*tls)) {
    // A peer that does not speak h2 would read our preface as garbage.
    co_return ConnectError{ConnectError::Step::handshake, false,
                           make_error_code(boost::system::errc::protocol_not_supported)};
  }
  h2::SessionSettings settings;
  settings.server = false;
  settings.header_timeout = std::chrono::milliseconds(0);
  // Many callers share one upstream connection, and a caller that stops
  // reading leaves up to a stream window unread on it. The connection's
  // window holds every stream's window in full, so callers that stall can
  // never close it for the others (RFC 9113 section 5.2.2: flow control
  // must not make one stream block another); unread bytes stay bounded per
  // stream as before.
  settings.limits.max_concurrent_streams = kStreamsPerConnection;
  settings.limits.connection_window_bytes =
      kStreamsPerConnection * settings.limits.stream_window_bytes;
  settings.idle_timeout = options.idle_timeout;
  settings.write_timeout = options.idle_timeout;
  auto session = std::make_shared<h2::Session>(
      connection_strand, std::make_unique<OutboundTransport>(std::move(stream)), settings);
  std::weak_ptr<Pool> weak = weak_from_this();
  session->on_stream_closed = [weak] {
    if (auto pool = weak.lock()) pool->notify_slot();
  };
  connections.push_back(session);
  slot.cancel();  // waiters may ride it
  net::co_spawn(connection_strand, session->run(std::string()),
                [session, weak](std::exception_ptr) {
                  session->on_stream_closed = nullptr;
                  if (auto pool = weak.lock()) pool->notify_slot();
                });
  co_return session;
}

Http2Client::Http2Client(net::any_io_executor executor, Http2ClientOptions options)
    : pools_{std::make_shared<Pool>(std::move(executor), std::move(options))} {}

Http2Client::Http2Client(const std::vector<net::any_io_executor>& workers,
                         Http2ClientOptions options) {
  options.single_thread = true;  // each worker is one thread: no strands
  for (const auto& executor : workers) pools_.push_back(std::make_shared<Pool>(executor, options));
  if (pools_.empty()) throw std::invalid_argument("Http2Client: no worker");
}

Http2Client::~Http2Client() { close_all(); }

// The pool whose io_context runs `executor`; else the first, which
// open_stream reaches through its own executor (co_spawn hops there).
const std::shared_ptr<Http2Client::Pool>& Http2Client::pool_for(
    const net::any_io_executor& executor) const {
  const auto* context = &net::query(executor, net::execution::context);
  for (const auto& pool : pools_) {
    if (&net::query(pool->io, net::execution::context) == context) return pool;
  }
  return pools_.front();
}

net::awaitable<Http2Open> Http2Client::open_stream(HeaderList headers, bool end_stream) {
  const net::any_io_executor current = co_await net::this_coro::executor;
  const auto& pool = pool_for(current);
  if (current == pool->strand) co_return co_await pool->open(std::move(headers), end_stream);
  // The awaitable itself, not a lambda with captures: GCC 12 destroys a
  // coroutine lambda's moved init-capture twice.
  co_return co_await net::co_spawn(pool->strand, pool->open(std::move(headers), end_stream),
                                   net::use_awaitable);
}

void Http2Client::close_all() {
  for (const auto& pool : pools_) {
    net::post(pool->strand, [pool] {
      pool->closed = true;
      pool->slot.cancel();
      for (const auto& session : pool->connections) {
        net::post(session->strand(), [session] { session->shutdown(); });
      }
    });
  }
}

}  // namespace firewarden::transport
