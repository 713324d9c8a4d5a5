// The one outbound connect path (src/net/client_connect.cpp): SNI for host
// names only (RFC 6066 §3), verified peers, one timeout for every step.
#include "firewarden/net/client_connect.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>

#include "../../support/self_signed.hpp"

namespace firewarden::transport {
namespace {

using namespace std::chrono_literals;
using tcp = net::ip::tcp;

// One certificate for every name the tests connect to.
const testing::SelfSigned& identity() {
  static const auto made = testing::make_self_signed("DNS:localhost, IP:127.0.0.1, IP:::1");
  return made;
}

// The trust anchor as a file, as firestore.ca_file names one.
std::string ca_file() {
  static const std::string path = [] {
    const auto file =
        std::filesystem::temp_directory_path() /
        ("firewarden-client-connect-" + std::to_string(std::random_device{}()) + ".pem");
    std::ofstream(file) << identity().cert_pem;
    return file.string();
  }();
  return path;
}

// A TLS server on one loopback address that completes a handshake and
// records the server name (SNI) the client sent, if any.
struct SniRecorder {
  ssl::context context{ssl::context::tls_server};
  tcp::acceptor acceptor;
  bool handshake_done = false;
  std::optional<std::string> server_name;

  SniRecorder(net::io_context& ioc, const std::string& address) : acceptor(ioc) {
    context.use_certificate_chain(net::buffer(identity().cert_pem));
    context.use_private_key(net::buffer(identity().key_pem), ssl::context::pem);
    const tcp::endpoint endpoint(net::ip::make_address(address), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    net::co_spawn(ioc, serve(), net::detached);
  }
  std::string port() const { return std::to_string(acceptor.local_endpoint().port()); }

  net::awaitable<void> serve() {
    auto [accept_error, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
    if (accept_error) co_return;
    ssl::stream<tcp::socket> stream(std::move(socket), context);
    auto [handshake_error] = co_await stream.async_handshake(ssl::stream_base::server,
                                                             net::as_tuple(net::use_awaitable));
    handshake_done = !handshake_error;
    if (const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      server_name = name;
    }
  }
};

// Runs async_connect to completion on `ioc`.
ConnectResult connect(net::io_context& ioc, const std::string& host, const std::string& port,
                      ssl::context* tls, std::chrono::milliseconds timeout = 5s) {
  std::optional<ConnectResult> result;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        result = co_await async_connect(ioc.get_executor(), host, port, tls, timeout);
      },
      [](std::exception_ptr error) {
        if (error) std::rethrow_exception(error);
      });
  ioc.run_for(10s);
  REQUIRE(result.has_value());
  return std::move(*result);
}

TEST_CASE("SNI: sent for host names, never for IP literals (RFC 6066 section 3)") {
  CHECK(sends_server_name("firestore.googleapis.com"));
  CHECK(sends_server_name("localhost"));
  CHECK(sends_server_name("firestore-emulator"));
  CHECK_FALSE(sends_server_name("127.0.0.1"));
  CHECK_FALSE(sends_server_name("10.0.0.7"));
  CHECK_FALSE(sends_server_name("::1"));
  CHECK_FALSE(sends_server_name("2001:db8::7"));
  CHECK_FALSE(sends_server_name("::ffff:192.0.2.1"));
}

TEST_CASE("SNI: what a TLS server receives for a host name, an IPv4 and an IPv6 literal") {
  const auto tls = make_client_tls_context(ca_file());
  struct Case {
    std::string listen;
    std::string host;
    std::optional<std::string> expected_sni;
  };
  for (const auto& [listen, host, expected_sni] :
       {Case{"127.0.0.1", "localhost", "localhost"}, Case{"127.0.0.1", "127.0.0.1", std::nullopt},
        Case{"::1", "::1", std::nullopt}}) {
    CAPTURE(host);
    net::io_context ioc;
    SniRecorder server(ioc, listen);
    const auto result = connect(ioc, host, server.port(), tls.get());
    REQUIRE(std::holds_alternative<OutboundStream>(result));
    CHECK(std::holds_alternative<TlsConnection>(std::get<OutboundStream>(result)));
    CHECK(server.handshake_done);
    CHECK(server.server_name == expected_sni);
  }
}

TEST_CASE("connect: the peer's certificate must name the host") {
  net::io_context ioc;
  SniRecorder server(ioc, "127.0.0.1");
  SECTION("an untrusted certificate") {
    const auto untrusting = make_client_tls_context();  // the system trust store
    const auto result = connect(ioc, "127.0.0.1", server.port(), untrusting.get());
    REQUIRE(std::holds_alternative<ConnectError>(result));
    CHECK(std::get<ConnectError>(result).step == ConnectError::Step::handshake);
  }
  SECTION("a trusted certificate for other names") {
    // The certificate names 127.0.0.1, ::1 and localhost, not 127.0.0.2.
    const auto tls = make_client_tls_context(ca_file());
    net::io_context other;
    SniRecorder elsewhere(other, "127.0.0.2");
    const auto result = connect(other, "127.0.0.2", elsewhere.port(), tls.get());
    REQUIRE(std::holds_alternative<ConnectError>(result));
    CHECK(std::get<ConnectError>(result).step == ConnectError::Step::handshake);
    CHECK_FALSE(elsewhere.handshake_done);
  }
}

TEST_CASE("connect: failures name the step, and a silent peer times out") {
  net::io_context ioc;
  SECTION("refused") {
    tcp::acceptor closed(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const auto port = std::to_string(closed.local_endpoint().port());
    closed.close();
    const auto result = connect(ioc, "127.0.0.1", port, nullptr);
    REQUIRE(std::holds_alternative<ConnectError>(result));
    const auto& failure = std::get<ConnectError>(result);
    CHECK(failure.step == ConnectError::Step::connect);
    CHECK_FALSE(failure.timed_out);
    CHECK(failure.error == net::error::connection_refused);
  }
  SECTION("a peer that accepts but never answers the handshake") {
    tcp::acceptor silent(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const auto tls = make_client_tls_context(ca_file());
    const auto start = std::chrono::steady_clock::now();
    const auto result =
        connect(ioc, "127.0.0.1", std::to_string(silent.local_endpoint().port()), tls.get(), 200ms);
    REQUIRE(std::holds_alternative<ConnectError>(result));
    const auto& failure = std::get<ConnectError>(result);
    CHECK(failure.step == ConnectError::Step::handshake);
    CHECK(failure.timed_out);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
  }
  SECTION("plain TCP: a connected socket") {
    tcp::acceptor listening(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const auto result =
        connect(ioc, "127.0.0.1", std::to_string(listening.local_endpoint().port()), nullptr);
    REQUIRE(std::holds_alternative<OutboundStream>(result));
    const auto& stream = std::get<OutboundStream>(result);
    REQUIRE(std::holds_alternative<PlainConnection>(stream));
    CHECK(std::get<PlainConnection>(stream).is_open());
  }
}

TEST_CASE("TLS client contexts: trust anchors that cannot be loaded are a start-up error") {
  CHECK_THROWS_WITH(make_client_tls_context("/nonexistent/ca.pem"),
                    Catch::Contains("cannot load CA file /nonexistent/ca.pem"));
  CHECK(make_client_tls_context() != nullptr);
}

}  // namespace
}  // namespace firewarden::transport
