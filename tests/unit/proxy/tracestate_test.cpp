// W3C Trace Context §3.3: tracestate belongs to the traceparent beside it. A
// client's tracestate goes upstream only when firewarden continued that
// trace; when it starts a new one, the old vendor state would describe a
// trace upstream never sees.
#include <catch2/catch.hpp>
#include <string>

#include "firewarden/proxy/header_hygiene.hpp"

using namespace firewarden;
namespace http = boost::beast::http;

namespace {

std::string sent_upstream(bool forward_tracestate) {
  http::request<http::string_body> client{http::verb::get, "/v1/x", 11};
  client.set("TraceState", "vendor=abc");
  client.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  client.set("user-agent", "ua/1");
  proxy::UpstreamHeaders headers;
  headers.authority = "firestore.googleapis.com";
  headers.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01";
  headers.request_id = "r1";
  headers.forward_tracestate = forward_tracestate;
  return proxy::upstream_request_bytes(client, "/v1/x", "", headers);
}

}  // namespace

TEST_CASE("tracestate: passed on with a continued trace") {
  const std::string sent = sent_upstream(true);
  CHECK(sent.find("TraceState: vendor=abc\r\n") != std::string::npos);
  CHECK(sent.find("user-agent: ua/1\r\n") != std::string::npos);
}

TEST_CASE("tracestate: dropped when firewarden starts a new trace") {
  const std::string sent = sent_upstream(false);
  CHECK(sent.find("vendor=abc") == std::string::npos);
  CHECK(sent.find("user-agent: ua/1\r\n") != std::string::npos);  // the rest still goes
  CHECK(sent.find("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01\r\n") !=
        std::string::npos);
}
