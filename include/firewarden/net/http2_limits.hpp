#pragma once
// What one HTTP/2 connection may cost us (config `limits.http2`): the limits
// a client cannot talk its way around, whatever frames it sends.
#include <chrono>
#include <cstdint>

namespace firewarden::transport {

struct Http2Limits {
  // Server: the SETTINGS_MAX_CONCURRENT_STREAMS we announce; a stream
  // beyond it is refused by the codec (RFC 9113 §5.1.2). Client: the most
  // streams we open on one connection (the peer's limit may be lower).
  std::uint32_t max_concurrent_streams = 100;
  // Stream resets a client may send for streams we have not answered yet,
  // as a token bucket: this many at once, refilled by a tenth of it per
  // second. Beyond it the connection ends with GOAWAY ENHANCE_YOUR_CALM
  // (rapid reset, CVE-2023-44487).
  std::uint32_t reset_budget = 200;
  // SETTINGS, PING, PRIORITY frames and frames without payload (empty DATA
  // or header blocks) a client may send, as the same kind of bucket, and
  // WINDOW_UPDATE frames beyond two per DATA frame we sent (a client that
  // reads needs no more); the codec itself bounds queued acknowledgements
  // and CONTINUATION frames.
  std::uint32_t control_frame_budget = 1000;
  // Bytes each stream, and the whole connection, may have received and not
  // yet read (the receive windows we announce): what an unread client
  // stream can make us hold.
  std::uint32_t stream_window_bytes = 256 * 1024;
  std::uint32_t connection_window_bytes = 1024 * 1024;
};

}  // namespace firewarden::transport
