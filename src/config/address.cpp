#include "firewarden/config/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace firewarden::config {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A decimal number without sign or leading '+'; std::nullopt when out of [0, max].
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
  if (!all_digits(text) || text.size() > 10) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

// True when any bit past the first `prefix` bits is one.
bool host_bits_set(std::span<const std::uint8_t> bytes, unsigned prefix) {
  for (std::size_t bit = prefix; bit < bytes.size() * 8; ++bit) {
    if (bytes[bit / 8] & (0x80u >> (bit % 8))) return true;
  }
  return false;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton reads a C string: an embedded NUL would silently cut the text.
  if (text.empty() || text.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string copy(text);
  IpAddress address;
  if (copy.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, copy.c_str(), address.bytes_.data()) != 1) return std::nullopt;
    address.size_ = 4;
  } else {
    if (inet_pton(AF_INET6, copy.c_str(), address.bytes_.data()) != 1) return std::nullopt;
    address.size_ = 16;
  }
  return address;
}

std::optional<IpAddress> IpAddress::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != 4 && bytes.size() != 16) return std::nullopt;
  IpAddress address;
  std::copy(bytes.begin(), bytes.end(), address.bytes_.begin());
  address.size_ = bytes.size();
  return address;
}

bool IpAddress::is_loopback() const {
  if (!is_ipv6()) return bytes_[0] == 127;
  static constexpr std::array<std::uint8_t, 16> kLoopback6{0, 0, 0, 0, 0, 0, 0, 0,
                                                           0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == kLoopback6;
}

std::string IpAddress::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  inet_ntop(is_ipv6() ? AF_INET6 : AF_INET, bytes_.data(), buffer.data(), buffer.size());
  return buffer.data();
}

std::string SocketAddress::to_string() const {
  const std::string host = ip.to_string();
  return (ip.is_ipv6() ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<SocketAddress> parse_socket_address(std::string_view text, std::string& error) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected [IPv6]:port";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "expected host:port";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      error = "an IPv6 address needs brackets, e.g. [::1]:8443";
      return std::nullopt;
    }
  }
  auto ip = IpAddress::parse(host);
  if (!ip) {
    error =
        "host must be an IPv4 address or a bracketed IPv6 address (no host names; use "
        "127.0.0.1 or [::1] for loopback)";
    return std::nullopt;
  }
  if (text.starts_with('[') && !ip->is_ipv6()) {
    error = "only IPv6 addresses go in brackets";
    return std::nullopt;
  }
  const auto port_number = parse_decimal(port, 65535);
  if (!port_number) {
    error = "port must be a number from 0 to 65535";
    return std::nullopt;
  }
  return SocketAddress{*ip, static_cast<std::uint16_t>(*port_number)};
}

std::optional<Cidr> Cidr::parse(std::string_view text, std::string& error) {
  const auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) {
    error = "expected an IPv4 or IPv6 address with an optional /prefix";
    return std::nullopt;
  }
  const unsigned max_prefix = ip->is_ipv6() ? 128 : 32;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const auto parsed = parse_decimal(text.substr(slash + 1), max_prefix);
    if (!parsed) {
      error = "prefix length must be a number from 0 to " + std::to_string(max_prefix);
      return std::nullopt;
    }
    prefix = *parsed;
  }
  Cidr cidr;
  cidr.network_ = *ip;
  cidr.prefix_length_ = prefix;
  if (host_bits_set(ip->bytes(), prefix)) {
    error = "host bits are set beyond the /" + std::to_string(prefix) + " prefix";
    return std::nullopt;
  }
  return cidr;
}

bool Cidr::contains(std::span<const std::uint8_t> address) const {
  static constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0,    0,
                                                              0, 0, 0, 0, 0xff, 0xff};
  if (!network_.is_ipv6() && address.size() == 16 &&
      std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.begin())) {
    address = address.subspan(12);
  }
  const auto network = network_.bytes();
  if (address.size() != network.size()) return false;
  const std::size_t full_bytes = prefix_length_ / 8;
  if (!std::equal(network.begin(), network.begin() + static_cast<std::ptrdiff_t>(full_bytes),
                  address.begin())) {
    return false;
  }
  const unsigned rest = prefix_length_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
  return (network[full_bytes] & mask) == (address[full_bytes] & mask);
}

std::string Cidr::to_string() const {
  return network_.to_string() + "/" + std::to_string(prefix_length_);
}

}  // namespace firewarden::config
