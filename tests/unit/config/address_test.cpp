#include "firewarden/config/address.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

using firewarden::config::Cidr;
using firewarden::config::IpAddress;
using firewarden::config::parse_socket_address;

namespace {

IpAddress ip(const char* text) {
  auto address = IpAddress::parse(text);
  REQUIRE(address);
  return *address;
}

Cidr cidr(const char* text) {
  std::string error;
  auto range = Cidr::parse(text, error);
  INFO(text << ": " << error);
  REQUIRE(range);
  return *range;
}

}  // namespace

TEST_CASE("socket addresses: IPv4, bracketed IPv6, port 0 to 65535") {
  struct Case {
    const char* text;
    const char* canonical;
    std::uint16_t port;
    bool ipv6;
    bool loopback;
  };
  const std::vector<Case> cases = {
      {"0.0.0.0:8443", "0.0.0.0:8443", 8443, false, false},
      {"127.0.0.1:0", "127.0.0.1:0", 0, false, true},
      {"127.1.2.3:65535", "127.1.2.3:65535", 65535, false, true},
      {"[::1]:9901", "[::1]:9901", 9901, true, true},
      {"[::]:80", "[::]:80", 80, true, false},
      {"[2001:DB8::1]:443", "[2001:db8::1]:443", 443, true, false},
      {"10.0.0.1:1", "10.0.0.1:1", 1, false, false},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string error;
    const auto address = parse_socket_address(c.text, error);
    REQUIRE(address);
    CHECK(address->to_string() == c.canonical);
    CHECK(address->port == c.port);
    CHECK(address->ip.is_ipv6() == c.ipv6);
    CHECK(address->ip.is_loopback() == c.loopback);
  }
}

TEST_CASE("socket addresses refused") {
  for (const char* bad : {"",
                          "8443",
                          ":8443",
                          "127.0.0.1",
                          "127.0.0.1:",
                          "localhost:8443",
                          "example.com:443",
                          "127.0.0.1:65536",
                          "127.0.0.1:-1",
                          "127.0.0.1:+80",
                          "127.0.0.1:8o",
                          "::1:80",
                          "[::1]",
                          "[::1]80",
                          "[::1:80",
                          "[127.0.0.1]:80",
                          "1.2.3:80",
                          "256.0.0.1:80",
                          "01.2.3.4:80",
                          "[fe80::1%eth0]:80",
                          " 127.0.0.1:80"}) {
    INFO(bad);
    std::string error;
    CHECK_FALSE(parse_socket_address(bad, error));
    CHECK_FALSE(error.empty());
  }
  std::string error;
  CHECK_FALSE(parse_socket_address(std::string("127.0.0.1\0:80", 13), error));
}

TEST_CASE("loopback is 127.0.0.0/8 and ::1 only") {
  CHECK(ip("127.0.0.1").is_loopback());
  CHECK(ip("127.255.255.254").is_loopback());
  CHECK(ip("::1").is_loopback());
  CHECK_FALSE(ip("128.0.0.1").is_loopback());
  CHECK_FALSE(ip("0.0.0.0").is_loopback());
  CHECK_FALSE(ip("::").is_loopback());
  CHECK_FALSE(ip("::ffff:127.0.0.1").is_loopback());
  CHECK_FALSE(ip("::2").is_loopback());
}

TEST_CASE("CIDR parsing") {
  CHECK(cidr("10.0.0.0/8").to_string() == "10.0.0.0/8");
  CHECK(cidr("192.168.1.5").to_string() == "192.168.1.5/32");
  CHECK(cidr("::1").to_string() == "::1/128");
  CHECK(cidr("fd00::/8").prefix_length() == 8);
  CHECK(cidr("0.0.0.0/0").prefix_length() == 0);
  CHECK(cidr("10.128.0.0/9").network() == ip("10.128.0.0"));

  struct Bad {
    const char* text;
    const char* error_contains;
  };
  const std::vector<Bad> bad = {
      {"10.0.0.1/8", "host bits"}, {"10.0.0.0/33", "0 to 32"},
      {"::/129", "0 to 128"},      {"10.0.0.0/", "prefix"},
      {"10.0.0.0/x", "prefix"},    {"10.0.0.0/-1", "prefix"},
      {"host/32", "address"},      {"", "address"},
      {"10.0.0/8", "address"},     {"fd00::1/8", "host bits"},
      {"10.0.0.0/8/8", "prefix"},  {"10.0.0.0 /8", "address"},
  };
  for (const auto& c : bad) {
    INFO(c.text);
    std::string error;
    CHECK_FALSE(Cidr::parse(c.text, error));
    CHECK_THAT(error, Catch::Contains(c.error_contains));
  }
}

TEST_CASE("CIDR contains: whole and partial bytes, families, mapped IPv4") {
  const auto net8 = cidr("10.0.0.0/8");
  CHECK(net8.contains(ip("10.0.0.0")));
  CHECK(net8.contains(ip("10.255.255.255")));
  CHECK_FALSE(net8.contains(ip("11.0.0.0")));
  CHECK_FALSE(net8.contains(ip("9.255.255.255")));

  const auto net9 = cidr("10.128.0.0/9");
  CHECK(net9.contains(ip("10.128.0.1")));
  CHECK(net9.contains(ip("10.255.0.1")));
  CHECK_FALSE(net9.contains(ip("10.127.255.255")));

  const auto host = cidr("127.0.0.1/32");
  CHECK(host.contains(ip("127.0.0.1")));
  CHECK_FALSE(host.contains(ip("127.0.0.2")));
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
  CHECK(host.contains(ip("::ffff:127.0.0.1")));
  CHECK_FALSE(host.contains(ip("::ffff:127.0.0.2")));
  CHECK_FALSE(host.contains(ip("::127.0.0.1")));

  const auto v6 = cidr("fd00::/8");
  CHECK(v6.contains(ip("fd12:3456::1")));
  CHECK_FALSE(v6.contains(ip("fe00::1")));
  CHECK_FALSE(v6.contains(ip("10.0.0.1")));  // families never mix otherwise
  CHECK_FALSE(cidr("::1/128").contains(ip("127.0.0.1")));

  const auto all = cidr("0.0.0.0/0");
  CHECK(all.contains(ip("1.2.3.4")));
  CHECK_FALSE(all.contains(ip("2001:db8::1")));

  // Raw bytes: only 4 or 16 of them are an address.
  const std::array<std::uint8_t, 4> raw{10, 1, 2, 3};
  CHECK(net8.contains(raw));
  const std::array<std::uint8_t, 5> odd{10, 1, 2, 3, 4};
  CHECK_FALSE(net8.contains(odd));
  CHECK_FALSE(net8.contains(std::span<const std::uint8_t>{}));
}
