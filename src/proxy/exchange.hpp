#pragma once
// One request's bookkeeping on the data path (private to the proxy module):
// shared by the relay in firestore_proxy.cpp and the cut relay in
// write_response_relay.cpp.
#include <chrono>
#include <cstdint>
#include <string>

#include "firewarden/proxy/firestore_proxy.hpp"
#include "firewarden/telemetry/access_log.hpp"

namespace firewarden::proxy {

using Clock = std::chrono::steady_clock;

struct FirestoreProxy::Exchange {
  Clock::time_point started = Clock::now();
  std::uint64_t connection_id = 0;
  std::uint64_t request_number = 0;
  std::string traceparent;
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

}  // namespace firewarden::proxy
