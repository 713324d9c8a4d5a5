#include "firewarden/proxy/upstream_pool.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

namespace firewarden::proxy {
namespace {

using net::as_tuple;
using net::use_awaitable;

std::shared_ptr<ssl::context> make_client_context(const UpstreamOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  if (options.ca_file.empty()) {
    context->set_default_verify_paths();
  } else {
    boost::system::error_code error;
    context->load_verify_file(options.ca_file, error);
    if (error) {
      throw std::runtime_error("firestore.ca_file " + options.ca_file + ": " + error.message());
    }
  }
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

// SNI. OpenSSL's SSL_set_tlsext_host_name macro hides a C-style cast.
bool set_server_name(SSL* ssl, const std::string& host) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
#pragma GCC diagnostic pop
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

UpstreamPool::UpstreamPool(net::io_context& io, UpstreamOptions options)
    : io_(io), options_(std::move(options)) {
  if (options_.tls) tls_context_ = make_client_context(options_);
}

std::size_t UpstreamPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

net::awaitable<std::variant<std::unique_ptr<UpstreamConnection>, ConnectFailure>>
UpstreamPool::acquire() {
  for (;;) {
    std::unique_ptr<UpstreamConnection> connection;
    {
      std::lock_guard lock(mutex_);
      if (idle_.empty()) break;
      connection = std::move(idle_.back());  // most recently used: most likely alive
      idle_.pop_back();
    }
    if (connection->looks_reusable()) {
      connection->reused = true;
      co_return connection;
    }
    // Stale: dropped without a byte of any request having been sent on it.
  }
  co_return co_await connect();
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  if (!connection->socket().is_open()) return;
  std::lock_guard lock(mutex_);
  if (idle_.size() >= options_.max_idle_connections) return;  // closed by its destructor
  idle_.push_back(std::move(connection));
}

net::awaitable<std::variant<std::unique_ptr<UpstreamConnection>, ConnectFailure>>
UpstreamPool::connect() {
  const auto executor = co_await net::this_coro::executor;
  const std::string where = options_.host + ":" + std::to_string(options_.port);

  net::ip::tcp::resolver resolver(executor);
  net::ip::tcp::resolver::results_type endpoints;
  {
    transport::Deadline deadline(executor, [&resolver] { resolver.cancel(); });
    deadline.expires_after(options_.connect_timeout);
    auto [resolve_error, results] = co_await resolver.async_resolve(
        options_.host, std::to_string(options_.port), as_tuple(use_awaitable));
    if (deadline.expired()) co_return ConnectFailure{"resolving " + where + " timed out"};
    if (resolve_error) {
      co_return ConnectFailure{"cannot resolve " + where + ": " + resolve_error.message()};
    }
    endpoints = std::move(results);
  }

  net::ip::tcp::socket socket(io_);
  {
    transport::OperationDeadline deadline(executor, options_.connect_timeout, socket);
    deadline.start();
    auto [connect_error, endpoint] =
        co_await net::async_connect(socket, endpoints, as_tuple(use_awaitable));
    if (deadline.fired()) co_return ConnectFailure{"connect to " + where + " timed out"};
    if (connect_error)
      co_return ConnectFailure{"cannot connect to " + where + ": " + connect_error.message()};
  }
  boost::system::error_code ignored;
  socket.set_option(net::ip::tcp::no_delay(true), ignored);
  if (!options_.tls) co_return std::make_unique<UpstreamConnection>(std::move(socket));

  UpstreamConnection::Tls stream(std::move(socket), *tls_context_);
  // SNI, and the certificate must name the host (RFC 6125 via OpenSSL).
  if (!set_server_name(stream.native_handle(), options_.host)) {
    co_return ConnectFailure{"cannot set SNI for " + options_.host};
  }
  stream.set_verify_callback(ssl::host_name_verification(options_.host));
  {
    transport::OperationDeadline deadline(executor, options_.connect_timeout, stream.next_layer());
    deadline.start();
    auto [handshake_error] =
        co_await stream.async_handshake(ssl::stream_base::client, as_tuple(use_awaitable));
    if (deadline.fired()) co_return ConnectFailure{"TLS handshake with " + where + " timed out"};
    if (handshake_error) {
      co_return ConnectFailure{"TLS handshake with " + where +
                               " failed: " + handshake_error.message()};
    }
  }
  co_return std::make_unique<UpstreamConnection>(std::move(stream));
}

}  // namespace firewarden::proxy
