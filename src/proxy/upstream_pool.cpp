#include "firewarden/proxy/upstream_pool.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

namespace firewarden::proxy {
namespace {

// The message of the 502 body and the log line, as before the connect path
// moved to net/client_connect.
ConnectFailure describe(const transport::ConnectError& failure, const std::string& where,
                        const std::string& host) {
  using Step = transport::ConnectError::Step;
  const std::string reason = failure.error.message();
  switch (failure.step) {
    case Step::resolve:
      if (failure.timed_out) return {"resolving " + where + " timed out"};
      return {"cannot resolve " + where + ": " + reason};
    case Step::connect:
      if (failure.timed_out) return {"connect to " + where + " timed out"};
      return {"cannot connect to " + where + ": " + reason};
    case Step::server_name:
      return {"cannot set SNI for " + host};
    case Step::handshake:
      if (failure.timed_out) return {"TLS handshake with " + where + " timed out"};
      return {"TLS handshake with " + where + " failed: " + reason};
  }
  return {"cannot connect to " + where};
}

std::shared_ptr<ssl::context> make_tls_context(const UpstreamOptions& options) {
  try {
    return transport::make_client_tls_context(options.ca_file);
  } catch (const std::runtime_error& error) {
    throw std::runtime_error(std::string("firestore.ca_file: ") + error.what());
  }
}

// A new connection as the pool keeps it: requests go out without waiting
// for the previous segment's ACK (Nagle off).
std::unique_ptr<UpstreamConnection> pooled(transport::OutboundStream stream) {
  auto connection = std::make_unique<UpstreamConnection>(std::move(stream));
  boost::system::error_code ignored;
  connection->socket().set_option(net::ip::tcp::no_delay(true), ignored);
  return connection;
}

}  // namespace

net::ip::tcp::socket& UpstreamConnection::socket() {
  return std::visit(
      [](auto& s) -> net::ip::tcp::socket& {
        if constexpr (std::is_same_v<std::decay_t<decltype(s)>, Plain>) {
          return s;
        } else {
          return s.next_layer();
        }
      },
      stream_);
}

bool UpstreamConnection::looks_reusable() {
  auto& s = socket();
  if (!s.is_open() || buffer.size() != 0) return false;
  char byte = 0;
  // MSG_PEEK | MSG_DONTWAIT: look without consuming or blocking. EOF (0) or
  // any data (an idle HTTP connection has nothing to say; for TLS it would
  // be a close_notify) means the connection must not be used.
  const ssize_t n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

UpstreamPool::UpstreamPool(const std::vector<net::any_io_executor>& workers,
                           UpstreamOptions options)
    : options_(std::move(options)) {
  if (options_.tls) tls_context_ = make_tls_context(options_);
  workers_.reserve(workers.size());
  for (const auto& executor : workers) {
    workers_.push_back(Worker{&net::query(executor, net::execution::context), {}});
  }
}

// The worker whose io_context runs `executor` (a strand on it counts too),
// or null.
UpstreamPool::Worker* UpstreamPool::worker_of(const net::any_io_executor& executor) {
  const net::execution_context* context = &net::query(executor, net::execution::context);
  for (auto& worker : workers_) {
    if (worker.context == context) return &worker;
  }
  return nullptr;
}

// GCC 12 at -O2 takes the unique_ptr in this coroutine's frame for a
// pointer into the frame itself and warns (-Wfree-nonheap-object) since
// the connect path moved to net/client_connect; a false positive: every
// UpstreamConnection comes from make_unique.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
net::awaitable<std::variant<std::unique_ptr<UpstreamConnection>, ConnectFailure>>
UpstreamPool::acquire() {
  const net::any_io_executor executor = co_await net::this_coro::executor;
  if (Worker* worker = worker_of(executor)) {
    while (!worker->idle.empty()) {
      auto connection = std::move(worker->idle.back());  // most recently used: most likely alive
      worker->idle.pop_back();
      if (connection->looks_reusable()) {
        connection->reused = true;
        co_return connection;
      }
      // Stale: dropped without a byte of any request having been sent on it.
    }
  }
  co_return co_await connect(executor);
}
#pragma GCC diagnostic pop

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  if (!connection->socket().is_open()) return;
  Worker* worker = worker_of(connection->socket().get_executor());
  if (worker == nullptr) return;  // made for a caller on no worker: closed by its destructor
  if (worker->idle.size() >= options_.max_idle_connections) return;
  worker->idle.push_back(std::move(connection));
}

// The socket belongs to the caller's worker (not a strand: the leasing
// session drives it sequentially, see the header).
net::awaitable<std::variant<std::unique_ptr<UpstreamConnection>, ConnectFailure>>
UpstreamPool::connect(net::any_io_executor executor) {
  auto connected = co_await transport::async_connect(std::move(executor), options_.host,
                                                     std::to_string(options_.port),
                                                     tls_context_.get(), options_.connect_timeout);
  if (auto* failure = std::get_if<transport::ConnectError>(&connected)) {
    co_return describe(*failure, options_.host + ":" + std::to_string(options_.port),
                       options_.host);
  }
  co_return pooled(std::get<transport::OutboundStream>(std::move(connected)));
}

}  // namespace firewarden::proxy
