#pragma once
// The one outbound connection path: resolve, connect and (for TLS) the
// handshake, with the peer verified and the host name checked, all within
// one timeout. Used for the Firestore upstream (proxy/upstream_pool) and the
// one-shot requests of http_client (token endpoints, credential sources).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "firewarden/net/asio.hpp"

namespace firewarden::transport {

// A TLS 1.2+ client context that verifies peers against `ca_file`, or
// against the system trust store when it is empty. Throws
// std::runtime_error when the trust anchors cannot be loaded (a start-up
// error).
std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file = "");

// Whether `host` is sent as the TLS server name: host names only, never IP
// literals (RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted
// in HostName"). IPv6 literals come without brackets.
bool sends_server_name(std::string_view host);

using PlainConnection = net::ip::tcp::socket;
using TlsConnection = ssl::stream<net::ip::tcp::socket>;
using OutboundStream = std::variant<PlainConnection, TlsConnection>;

// Why a connection could not be made; callers word the message.
struct ConnectError {
  enum class Step : std::uint8_t { resolve, connect, server_name, handshake };
  Step step = Step::connect;
  bool timed_out = false;
  boost::system::error_code error;  // empty when timed out or for server_name
};

using ConnectResult = std::variant<OutboundStream, ConnectError>;

// Connects to host:port: plain TCP when `tls` is null, otherwise a verified
// TLS session (SNI per sends_server_name, certificate checked against `host`
// per RFC 6125). Resolving, connecting and the handshake together take at
// most `timeout`, enforced on the calling coroutine's executor; the stream's
// socket uses `stream_executor` (a pooled connection outlives the strand of
// the request that opened it). Honours per-operation cancellation.
// `alpn`: the protocols offered by ALPN, in its wire format (RFC 7301 §3.1,
// e.g. "\x02h2"); empty offers none. The caller checks what was selected.
net::awaitable<ConnectResult> async_connect(net::any_io_executor stream_executor, std::string host,
                                            std::string port, ssl::context* tls,
                                            std::chrono::steady_clock::duration timeout,
                                            std::string alpn = {});

}  // namespace firewarden::transport
