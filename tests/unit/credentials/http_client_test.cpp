// The one-shot HTTP client that token requests go through (src/net/http_client.cpp).
#include "firewarden/net/http_client.hpp"

#include "../../support/self_signed.hpp"
#include "harness.hpp"

namespace firewarden::credentials::test {
namespace {

using firewarden::http_client::fetch;
using firewarden::http_client::parse_url;
using firewarden::http_client::Request;
using firewarden::http_client::Response;

TEST_CASE("URLs: http and https only, default ports, IPv6, no userinfo or fragment") {
  const auto sts = parse_url("https://sts.googleapis.com/v1/token");
  REQUIRE(sts);
  CHECK(sts->tls);
  CHECK(sts->host == "sts.googleapis.com");
  CHECK(sts->port == "443");
  CHECK(sts->target == "/v1/token");
  CHECK(sts->host_header() == "sts.googleapis.com");

  const auto metadata = parse_url("http://169.254.169.254/computeMetadata/v1/x?scopes=a%2Cb");
  REQUIRE(metadata);
  CHECK_FALSE(metadata->tls);
  CHECK(metadata->port == "80");
  CHECK(metadata->target == "/computeMetadata/v1/x?scopes=a%2Cb");
  CHECK(metadata->without_query() == "http://169.254.169.254/computeMetadata/v1/x");

  const auto local = parse_url("http://[::1]:8080?x=1");
  REQUIRE(local);
  CHECK(local->host == "::1");
  CHECK(local->target == "/?x=1");
  CHECK(local->host_header() == "[::1]:8080");

  for (const char* bad :
       {"ftp://x/", "http://", "http://user:pw@host/", "http://h/#f", "http://h:0/",
        "http://h:65536/", "http://h:x/", "sts.googleapis.com", "http://h/a b"}) {
    CHECK_FALSE(parse_url(bad).has_value());
  }
}

TEST_CASE("fetch: a request and its answer over loopback") {
  Harness h;
  h.google.set_subject_token_response("hello", "text/plain");
  Request request;
  request.url = h.google.subject_token_url();
  request.headers = {{"X-Test", "1"}};
  const auto result = h.run(fetch(request));
  REQUIRE(std::holds_alternative<Response>(result));
  const auto& response = std::get<Response>(result);
  CHECK(response.status == 200);
  CHECK(response.body == "hello");
  CHECK(response.header("content-type") == "text/plain");
  const auto seen = h.google.requests(Endpoint::subject_token).at(0);
  CHECK(seen.headers.at("x-test") == "1");
  CHECK(seen.headers.at("host") == h.google.metadata_host());
}

TEST_CASE("fetch: failures are values that name the URL, never its query") {
  Harness h;
  const auto error = [&](Request request, http_client::Options options = {}) {
    const auto result = h.run(fetch(std::move(request), options));
    REQUIRE(std::holds_alternative<http_client::Error>(result));
    return std::get<http_client::Error>(result).message;
  };
  SECTION("connection refused") {
    Request request;
    request.url = "http://127.0.0.1:1/x?secret=1";
    const auto message = error(request);
    CHECK_THAT(message, Catch::StartsWith("GET http://127.0.0.1:1/x: connect:"));
    CHECK_THAT(message, !Catch::Contains("secret"));
  }
  SECTION("total timeout") {
    h.google.set_fault(Endpoint::subject_token, Fault::slow(5s));
    Request request;
    request.url = h.google.subject_token_url();
    http_client::Options options;
    options.total_timeout = std::chrono::milliseconds(100);
    const auto start = std::chrono::steady_clock::now();
    CHECK_THAT(error(request, options), Catch::Contains("receive: timed out"));
    CHECK(std::chrono::steady_clock::now() - start < 3s);
  }
  SECTION("response larger than the cap") {
    h.google.set_subject_token_response(std::string(5000, 'x'));
    Request request;
    request.url = h.google.subject_token_url();
    http_client::Options options;
    options.max_response_bytes = 1000;
    CHECK_THAT(error(request, options), Catch::Contains("response larger than 1000 bytes"));
  }
  SECTION("TLS to a server that does not speak it") {
    Request request;
    request.url = "https://127.0.0.1:" + std::to_string(h.google.port()) + "/subject-token";
    CHECK_THAT(error(request), Catch::Contains("TLS handshake"));
  }
  SECTION("not a URL") {
    Request request;
    request.url = "nope";
    CHECK_THAT(error(request), Catch::Contains("not an http:// or https:// URL"));
  }
}

TEST_CASE("TLS contexts: a missing CA file is a start-up error") {
  CHECK_THROWS_WITH(http_client::make_tls_context("/nonexistent/ca.pem"),
                    Catch::Contains("cannot load CA file /nonexistent/ca.pem"));
  CHECK(http_client::make_tls_context() != nullptr);
}

}  // namespace
}  // namespace firewarden::credentials::test

namespace firewarden::credentials::test {
namespace {

// Answers every TLS connection with one "200 secure".
struct TlsServer {
  ssl::context context{ssl::context::tls_server};
  net::ip::tcp::acceptor acceptor;

  TlsServer(net::io_context& ioc, const testing::SelfSigned& identity) : acceptor(ioc) {
    context.use_certificate_chain(net::buffer(identity.cert_pem));
    context.use_private_key(net::buffer(identity.key_pem), ssl::context::pem);
    const net::ip::tcp::endpoint loopback(net::ip::make_address("127.0.0.1"), 0);
    acceptor.open(loopback.protocol());
    acceptor.bind(loopback);
    acceptor.listen();
    net::co_spawn(ioc, serve(), net::detached);
  }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  net::awaitable<void> serve() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
      if (ec) co_return;
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), context);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
      auto [handshake_error] = co_await stream.async_handshake(ssl::stream_base::server,
                                                               net::as_tuple(net::use_awaitable));
      if (handshake_error) continue;
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      auto [read_error, n] =
          co_await http::async_read(stream, buffer, request, net::as_tuple(net::use_awaitable));
      if (read_error) continue;
      http::response<http::string_body> response{http::status::ok, 11};
      response.body() = "secure";
      response.prepare_payload();
      co_await http::async_write(stream, response, net::as_tuple(net::use_awaitable));
    }
  }
};

TEST_CASE("fetch over https: verified against the CA file, refused otherwise") {
  Harness h;
  const auto identity = testing::make_self_signed("IP:127.0.0.1");
  TlsServer server(h.ioc, identity);
  const auto ca_file = h.dir.write("ca.pem", identity.cert_pem);
  const auto get = [&](const std::string& host, std::shared_ptr<ssl::context> tls) {
    Request request;
    request.url = "https://" + host + ":" + std::to_string(server.port()) + "/";
    http_client::Options options;
    options.tls_context = std::move(tls);
    return h.run(fetch(request, options));
  };
  SECTION("trusted CA, matching IP") {
    const auto result = get("127.0.0.1", http_client::make_tls_context(ca_file));
    REQUIRE(std::holds_alternative<Response>(result));
    CHECK(std::get<Response>(result).body == "secure");
  }
  SECTION("system trust store: unknown CA") {
    const auto result = get("127.0.0.1", http_client::make_tls_context());
    REQUIRE(std::holds_alternative<http_client::Error>(result));
    CHECK_THAT(std::get<http_client::Error>(result).message, Catch::Contains("TLS handshake"));
  }
  SECTION("trusted CA, but the name does not match the certificate") {
    const auto result = get("localhost", http_client::make_tls_context(ca_file));
    REQUIRE(std::holds_alternative<http_client::Error>(result));
    CHECK_THAT(std::get<http_client::Error>(result).message, Catch::Contains("TLS handshake"));
  }
  server.acceptor.close();
}

}  // namespace
}  // namespace firewarden::credentials::test
