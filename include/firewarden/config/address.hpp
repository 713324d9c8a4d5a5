#pragma once
// IP literals, "host:port" socket addresses and CIDR ranges as they appear in
// the config file. Parsing only: no sockets, no name resolution.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace firewarden::config {

// An IPv4 or IPv6 address in network byte order.
class IpAddress {
 public:
  // "127.0.0.1" or "::1" (no brackets, no zone id). IPv4 must be a dotted quad.
  static std::optional<IpAddress> parse(std::string_view text);
  // 4 bytes (IPv4) or 16 bytes (IPv6); anything else yields std::nullopt.
  static std::optional<IpAddress> from_bytes(std::span<const std::uint8_t> bytes);

  bool is_ipv6() const { return size_ == 16; }
  std::span<const std::uint8_t> bytes() const { return {bytes_.data(), size_}; }
  // 127.0.0.0/8 or ::1. IPv4-mapped IPv6 addresses are not loopback here:
  // configs name the address they bind, and a mapped one is never bound.
  bool is_loopback() const;
  std::string to_string() const;  // "127.0.0.1", "::1"

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  std::size_t size_ = 4;
};

// "127.0.0.1:8443" or "[::1]:8443". Host names (including "localhost") are
// refused: a listener binds exactly the address written, never whatever a
// name resolves to. Port 0 means "pick a free port" (useful in tests).
struct SocketAddress {
  IpAddress ip;
  std::uint16_t port = 0;

  std::string to_string() const;  // "127.0.0.1:8443", "[::1]:8443"
  friend bool operator==(const SocketAddress&, const SocketAddress&) = default;
};

// Returns std::nullopt and sets `error` (a phrase, e.g. "port out of range")
// when `text` is not a socket address.
std::optional<SocketAddress> parse_socket_address(std::string_view text, std::string& error);

// "10.0.0.0/8", "::1/128"; a bare address is a single host (/32 or /128).
// Host bits beyond the prefix are refused ("10.0.0.1/8" is probably a typo
// that would trust far more peers than meant).
class Cidr {
 public:
  static std::optional<Cidr> parse(std::string_view text, std::string& error);

  // `address` is 4 or 16 bytes in network order. An IPv4 range also contains
  // the IPv4-mapped IPv6 form (::ffff:a.b.c.d) of its addresses, which is how
  // a dual-stack socket reports an IPv4 peer.
  bool contains(std::span<const std::uint8_t> address) const;
  bool contains(const IpAddress& address) const { return contains(address.bytes()); }

  const IpAddress& network() const { return network_; }
  unsigned prefix_length() const { return prefix_length_; }
  std::string to_string() const;  // "10.0.0.0/8"

  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  IpAddress network_;
  unsigned prefix_length_ = 0;
};

}  // namespace firewarden::config
