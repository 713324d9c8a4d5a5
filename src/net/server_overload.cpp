// The server's connection counters (firewarden_connections_*, as Envoy's
// downstream_cx_*) and its overload response (Envoy's overload manager
// reduce_timeouts action): from limits.overload_threshold_percent of
// max_connections open, the timeouts slow clients hold connections with are
// cut.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "firewarden/net/server.hpp"
#include "session.hpp"

namespace firewarden::transport {

std::chrono::milliseconds overload_timeout(std::chrono::milliseconds configured) {
  return std::min(configured, std::max(configured / 10, std::chrono::milliseconds(1000)));
}

Server::ConnectionCounters::ConnectionCounters(const telemetry::MetricCatalogue& metrics)
    : active(metrics.connections_active.with({})),
      accepted(metrics.connections_accepted_total.with({})),
      refused_max_connections(metrics.connections_refused_total.with({"max_connections"})),
      closed_header_timeout(metrics.connections_closed_total.with({"header_timeout"})),
      closed_idle_timeout(metrics.connections_closed_total.with({"idle_timeout"})),
      closed_tls_handshake_timeout(
          metrics.connections_closed_total.with({"tls_handshake_timeout"})),
      closed_tls_handshake_failure(
          metrics.connections_closed_total.with({"tls_handshake_failure"})),
      closed_http2_protocol_error(metrics.connections_closed_total.with({"http2_protocol_error"})),
      closed_http2_flood(metrics.connections_closed_total.with({"http2_flood"})),
      closed_http2_rapid_reset(metrics.connections_closed_total.with({"http2_rapid_reset"})),
      closed_http2_write_timeout(metrics.connections_closed_total.with({"http2_write_timeout"})) {}

bool Server::overloaded() const {
  return open_connections_.load(std::memory_order_relaxed) >= overload_connections_;
}

std::chrono::milliseconds Server::header_timeout() const {
  return overloaded() ? overload_timeout(options_.header_timeout) : options_.header_timeout;
}

std::chrono::milliseconds Server::idle_timeout() const {
  return overloaded() ? overload_timeout(options_.idle_timeout) : options_.idle_timeout;
}

// Entering overload: connections already waiting (handshake, idle, a
// request's bytes) get the cut timeout too, counted from when their wait
// began, as Envoy's scaled timers are re-evaluated. At most once a second,
// so a load that hovers at the threshold does not walk every session per
// connection.
void Server::reduce_timeouts() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_reduction_ < std::chrono::seconds(1)) return;
  last_reduction_ = now;
  spdlog::info("overload: {} connections open (limits.max_connections {}): timeouts cut",
               overload_connections_, options_.max_connections);
  const auto header = overload_timeout(options_.header_timeout);
  const auto idle = overload_timeout(options_.idle_timeout);
  std::lock_guard lock(sessions_mutex_);
  for (auto& [id, weak] : sessions_) {
    if (auto session = weak.lock()) {
      net::post(session->strand, [session, header, idle] {
        // HTTP/2: the session's watchdog applies the cut (no open stream:
        // idle; a header block under way: header), streams keep theirs.
        if (session->http2) return session->http2->cut_timeouts();
        if (session->wait == Session::Wait::handler) return;  // the handler's deadlines
        const auto cut = session->wait == Session::Wait::idle ? idle : header;
        const auto left = session->wait_started + cut - std::chrono::steady_clock::now();
        // Never later than the deadline the wait has: cut <= its timeout.
        session->client.tcp().expires_after(
            std::max(left, std::chrono::steady_clock::duration::zero()));
      });
    }
  }
}

}  // namespace firewarden::transport
