// append_response_head writes exactly the head Beast's serializer writes for
// the same response (the sized relay sends it instead of the serializer's).
#include <catch2/catch.hpp>

#include "firewarden/net/response_sink.hpp"

using namespace firewarden;
namespace http = boost::beast::http;

namespace {

std::string serialized_head(const http::response<http::empty_body>& response) {
  http::response_serializer<http::empty_body> serializer(response);
  std::string out;
  boost::system::error_code error;
  serializer.split(true);
  while (!serializer.is_header_done()) {
    serializer.next(error, [&](boost::system::error_code&, const auto& buffers) {
      for (const auto buffer : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(buffer.data()), buffer.size());
      }
      serializer.consume(boost::beast::buffer_bytes(buffers));
    });
    REQUIRE_FALSE(error);
  }
  return out;
}

std::string ours(const http::response<http::empty_body>& response) {
  std::string out = "prefix|";
  transport::append_response_head(out, response.base());
  REQUIRE(out.starts_with("prefix|"));
  return out.substr(7);
}

}  // namespace

TEST_CASE("response head: a Firestore document response, byte for byte as Beast writes it") {
  http::response<http::empty_body> response{http::status::ok, 11};
  response.set(http::field::content_type, "application/json; charset=UTF-8");
  response.set("Vary", "Origin");
  response.insert("Vary", "X-Origin");
  response.set(http::field::content_length, "1024");
  response.set("x-request-id", "2f1c0d9e-req");
  const std::string expected = serialized_head(response);
  CHECK(ours(response) == expected);
  CHECK(expected.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(expected.ends_with("\r\n\r\n"));
}

TEST_CASE("response head: upstream's own reason phrase and HTTP/1.0 are kept") {
  http::response<http::empty_body> response{http::status::not_found, 10};
  response.reason("Nothing Here");
  response.keep_alive(true);  // HTTP/1.0 keep-alive adds the Connection field
  CHECK(ours(response) == serialized_head(response));
  CHECK(ours(response).starts_with("HTTP/1.0 404 Nothing Here\r\n"));
}

TEST_CASE("response head: codes without a standard reason and no fields") {
  http::response<http::empty_body> response;
  response.version(11);
  response.result(299);  // no standard reason: Beast's placeholder either way
  CHECK(ours(response) == serialized_head(response));
  CHECK(ours(response).starts_with("HTTP/1.1 299 "));
  CHECK(ours(response).ends_with("\r\n\r\n"));
}
