#pragma once
// One request's bookkeeping on the data path (private to the proxy module):
// the Exchange every step of the proxy writes into, the one fail() that
// says why an exchange ended early, and the small request readers the
// steps share. Answering and logging an exchange (respond_error, finish)
// are in exchange.cpp.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "firewarden/proxy/firestore_proxy.hpp"
#include "firewarden/telemetry/access_log.hpp"
#include "firewarden/telemetry/trace.hpp"

namespace firewarden::proxy {

using Clock = std::chrono::steady_clock;

struct FirestoreProxy::Exchange {
  Clock::time_point started = Clock::now();
  std::uint64_t connection_id = 0;
  std::uint64_t request_number = 0;
  telemetry::TraceContext trace;  // the caller's trace, our span in it
  // The Firestore method once classified: a bounded label set, unlike the
  // client's HTTP method string.
  std::string metric_method = "unknown";
  telemetry::AccessRecord record;  // record.request_id is the request's id

  // "[c42 r7]" (STYLE.md 10); made only when a line is logged.
  std::string log_prefix() const {
    return "[c" + std::to_string(connection_id) + " r" + std::to_string(request_number) + "]";
  }
  const std::string& request_id() const { return record.request_id; }
};

// Records why an exchange ended before its response was complete, as
// "<what>: <why>" in the access line's error (the status line may already
// be out: this is the only trace the failure leaves).
void fail(FirestoreProxy::Exchange& exchange, std::string_view what, std::string_view why);
void fail(FirestoreProxy::Exchange& exchange, std::string_view what,
          const boost::system::error_code& error);

// The single value of a header that must not repeat; nullopt when absent.
// `repeated` says whether it was given more than once. Names compare
// case-insensitively.
std::optional<std::string_view> single_header(const firestore::HttpRequest& request,
                                              std::string_view name, bool& repeated);

// A transport's request as the data path reads it: views into `request`,
// valid while it is not changed.
firestore::HttpRequest request_view(const transport::Request& request);

// The access line's decision for a refusal: 403 (policy or scope) is a deny,
// every other error status an error (SPEC §9).
std::string decision_label(const firestore::ApiError& error);

// Whether a write's response must be cut before the caller sees it: the
// policy says so, or audit mode forwards a denied write of documents (a
// denied decision does not say whether the caller may read them: fail
// closed).
bool needs_response_cut(const firestore::RequestModel& model, const policy::Decision& decision);

// "ip:port" ("[ip]:port" for IPv6) for the access log.
std::string peer_string(const net::ip::tcp::endpoint& peer);

}  // namespace firewarden::proxy
