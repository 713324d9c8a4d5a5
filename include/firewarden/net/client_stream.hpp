#pragma once
// The downstream (client) side of one connection: plain TCP (xfcc and fixed
// modes) or TLS (mtls). Code that reads or writes does so through visit(),
// so the session and the proxy are written once for both.
#include <variant>

#include "firewarden/net/asio.hpp"

namespace firewarden::transport {

class ClientStream {
 public:
  using Plain = beast::tcp_stream;
  using Tls = beast::ssl_stream<beast::tcp_stream>;

  explicit ClientStream(Plain plain) : stream_(std::move(plain)) {}
  explicit ClientStream(Tls tls) : stream_(std::move(tls)) {}

  // The TCP layer: deadlines (expires_after), socket, peer address.
  beast::tcp_stream& tcp() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                      stream_);
  }
  bool is_tls() const { return std::holds_alternative<Tls>(stream_); }
  Tls* tls() { return std::get_if<Tls>(&stream_); }

  // Calls f(stream) with the concrete stream type; f returns the same type
  // for both (e.g. an awaitable).
  template <typename F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), stream_);
  }

 private:
  std::variant<Plain, Tls> stream_;
};

}  // namespace firewarden::transport
