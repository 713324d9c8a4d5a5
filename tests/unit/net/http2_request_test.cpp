// Reading a REST request off an HTTP/2 stream (src/net/http2_request.cpp)
// from a scripted stream: the head becomes the HTTP/1.1 data path's
// Request, and what RFC 9113 makes malformed is refused before the request
// is handed on — whatever the codec in front let through.
#include "firewarden/net/http2_request.hpp"

#include <catch2/catch.hpp>
#include <deque>

namespace firewarden::transport::test {
namespace {

// A client stream that delivers header fields, DATA chunks and trailers as
// scripted; writes are not expected.
class ScriptedStream final : public Http2Stream {
 public:
  ScriptedStream(HeaderList headers, std::deque<std::string> data, HeaderList trailers = {})
      : headers_(std::move(headers)), data_(std::move(data)), trailers_(std::move(trailers)) {}

  const HeaderList& headers() const override { return headers_; }
  const HeaderList& trailers() const override { return trailers_; }
  net::awaitable<Http2Read> read(std::size_t /*max*/) override {
    Http2Read read;
    if (!data_.empty()) {
      read.data = std::move(data_.front());
      data_.pop_front();
    }
    read.end = data_.empty();
    co_return read;
  }
  net::awaitable<boost::system::error_code> write_headers(HeaderList, bool) override {
    co_return net::error::operation_not_supported;
  }
  net::awaitable<boost::system::error_code> write_data(std::string_view, bool) override {
    co_return net::error::operation_not_supported;
  }
  net::awaitable<boost::system::error_code> write_trailers(HeaderList, std::string_view) override {
    co_return net::error::operation_not_supported;
  }
  void reset(Http2Error) override {}
  std::int32_t id() const override { return 1; }

 private:
  HeaderList headers_;
  std::deque<std::string> data_;
  HeaderList trailers_;
};

HeaderList commit_head(HeaderList extra = {}) {
  HeaderList headers{{":method", "POST"},
                     {":scheme", "http"},
                     {":authority", "firewarden"},
                     {":path", "/v1/projects/p/databases/(default)/documents:commit"},
                     {"content-type", "application/json"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return headers;
}

Http2RequestRead read(ScriptedStream& stream, std::uint64_t max_body_bytes = 1024) {
  net::io_context io;
  std::optional<Http2RequestRead> result;
  net::co_spawn(io, read_http2_request(stream, max_body_bytes),
                [&](std::exception_ptr failure, Http2RequestRead read) {
                  REQUIRE_FALSE(failure);
                  result = std::move(read);
                });
  io.run();
  REQUIRE(result);
  return std::move(*result);
}

// The status and reason of a refusal; a request read whole is a test failure.
UnreadableRequest refusal(HeaderList headers, std::deque<std::string> data = {"{}"},
                          std::uint64_t max_body_bytes = 1024) {
  ScriptedStream stream(std::move(headers), std::move(data));
  auto result = read(stream, max_body_bytes);
  REQUIRE(std::holds_alternative<UnreadableRequest>(result));
  return std::get<UnreadableRequest>(result);
}

}  // namespace

TEST_CASE("an HTTP/2 REST request becomes the HTTP/1.1 path's request, body read whole") {
  ScriptedStream stream(commit_head({{"content-length", "13"}, {"x-request-id", "r1"}}),
                        {R"({"writes":)", "[]}"});
  auto result = read(stream);
  REQUIRE(std::holds_alternative<Request>(result));
  const auto& request = std::get<Request>(result);
  CHECK(request.method() == http::verb::post);
  CHECK(request.target() == "/v1/projects/p/databases/(default)/documents:commit");
  CHECK(request.version() == 11);
  CHECK(request[http::field::host] == "firewarden");  // from :authority
  CHECK(request["x-request-id"] == "r1");
  CHECK(request.body() == R"({"writes":[]})");
}

TEST_CASE("connection-specific fields are refused (RFC 9113 section 8.2.2)") {
  for (const auto& field :
       std::vector<std::pair<std::string, std::string>>{{"connection", "close"},
                                                        {"keep-alive", "timeout=5"},
                                                        {"proxy-connection", "keep-alive"},
                                                        {"transfer-encoding", "chunked"},
                                                        {"upgrade", "h2c"},
                                                        {"te", "gzip"}}) {
    CAPTURE(field.first);
    const auto refused = refusal(commit_head({field}));
    CHECK(refused.status == 400);
    CHECK_THAT(refused.reason, Catch::Contains("connection-specific"));
  }
  ScriptedStream trailers_te(commit_head({{"te", "trailers"}}), {"{}"});
  CHECK(std::holds_alternative<Request>(read(trailers_te)));
  CHECK(is_connection_specific("connection", ""));
  CHECK_FALSE(is_connection_specific("content-type", "application/json"));
}

TEST_CASE("a content-length the DATA does not match is refused (RFC 9113 section 8.1.1)") {
  CHECK(refusal(commit_head({{"content-length", "3"}}), {"{}"}).status == 400);
  CHECK(refusal(commit_head({{"content-length", "1"}}), {"{}"}).status == 400);
  CHECK(refusal(commit_head({{"content-length", "2"}, {"content-length", "2"}}), {"{}"}).status ==
        400);
  CHECK(refusal(commit_head({{"content-length", "+2"}}), {"{}"}).status == 400);
  CHECK(refusal(commit_head({{"content-length", "2, 2"}}), {"{}"}).status == 400);
}

TEST_CASE("a body over max_body_bytes is 413, declared or sent") {
  CHECK(refusal(commit_head({{"content-length", "2048"}}), {"{}"}).status == 413);
  CHECK(refusal(commit_head(), {std::string(600, 'x'), std::string(600, 'x')}).status == 413);
}

TEST_CASE("what no request line could carry is refused") {
  auto head = commit_head();
  head[0].second = "GET /v1/x HTTP/1.1";  // :method with spaces
  CHECK(refusal(head).status == 400);
  head = commit_head();
  head[3].second = "/v1/x y";  // :path with a space
  CHECK(refusal(head).status == 400);
  CHECK(refusal(commit_head({{"x-a", "1\r\nhost: evil"}})).status == 400);
  CHECK(refusal(commit_head({{":protocol", "websocket"}})).status == 400);
  CHECK(refusal(commit_head({{"host", "elsewhere"}})).status == 400);  // not :authority
  HeaderList no_path{{":method", "GET"}, {":scheme", "http"}};
  CHECK(refusal(no_path).status == 400);
}

TEST_CASE("trailer fields on a REST request are refused") {
  ScriptedStream stream(commit_head(), {"{}"}, {{"x-forwarded-client-cert", "By=x"}});
  auto result = read(stream);
  REQUIRE(std::holds_alternative<UnreadableRequest>(result));
  CHECK(std::get<UnreadableRequest>(result).status == 400);
}

}  // namespace firewarden::transport::test
