// W3C Trace Context (§3.3): tracestate belongs to the traceparent beside it.
// Against the real binary and a recording upstream: the caller's tracestate
// goes upstream only when firewarden continued that traceparent's trace.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support/firewarden_instance.hpp"
#include "support/recording_upstream.hpp"

using namespace firewarden::testing;

TEST_CASE("trace: tracestate goes upstream only with the traceparent it belongs to") {
  RecordingUpstream upstream;
  FirewardenInstance fw({.upstream = upstream.url()});
  const std::string get = fw.documents() + "/orders/o1";
  const std::string state = "congo=t61rcWkgMzE";
  const auto sent_tracestate = [&](std::vector<std::pair<std::string, std::string>> headers) {
    headers.emplace_back("tracestate", state);
    REQUIRE(fw.request({"GET", get, {}, headers}).status == 200);
    const auto received = upstream.requests();
    REQUIRE_FALSE(received.empty());
    CHECK(received.back().headers.count("tracestate") <= 1);
    return received.back().header("tracestate");
  };
  // Continued: the caller's vendor state travels with its trace.
  CHECK(sent_tracestate(
            {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}) == state);
  // A new trace (traceparent malformed or absent): the state is not ours to pass on.
  CHECK(sent_tracestate({{"traceparent", "00-zz-b7ad6b7169203331-01"}}).empty());
  CHECK(sent_tracestate({}).empty());
  // Continued from X-Cloud-Trace-Context: no traceparent came, so neither does its state.
  CHECK(sent_tracestate({{"x-cloud-trace-context",
                          "4bf92f3577b34da6a3ce929d0e0e4736/13235353014750950193;o=1"}})
            .empty());
}
