#pragma once
// Raw HTTP/2 frames (RFC 9113 §4, §6) and HPACK literals (RFC 7541 §5.1,
// §6.1, §6.2.2) for tests that must misbehave where a real client
// (nghttp2's, curl's) refuses to: floods, resets, broken prefaces, HPACK
// bombs. Header-only with a blocking loopback connection (unit tests link
// no support library); responses' header blocks are decoded with nghttp2's
// HPACK inflater.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace firewarden::testing::h2 {

enum Type : std::uint8_t {
  kData = 0x0,
  kHeaders = 0x1,
  kPriority = 0x2,
  kRstStream = 0x3,
  kSettings = 0x4,
  kPing = 0x6,
  kGoaway = 0x7,
  kWindowUpdate = 0x8,
  kContinuation = 0x9,
};
constexpr std::uint8_t kEndStream = 0x1;
constexpr std::uint8_t kAck = 0x1;
constexpr std::uint8_t kEndHeaders = 0x4;

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

inline void put32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

inline std::uint32_t get32(std::string_view in, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<std::uint8_t>(in[at + i]);
  return value;
}

inline std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                         std::string_view payload = {}) {
  std::string out;
  const auto length = static_cast<std::uint32_t>(payload.size());
  out.push_back(static_cast<char>(length >> 16));
  out.push_back(static_cast<char>(length >> 8));
  out.push_back(static_cast<char>(length));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  put32(out, stream & 0x7fffffffU);
  out.append(payload);
  return out;
}

inline std::string settings(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& entries) {
  std::string payload;
  for (const auto& [id, value] : entries) {
    payload.push_back(static_cast<char>(id >> 8));
    payload.push_back(static_cast<char>(id));
    put32(payload, value);
  }
  return frame(kSettings, 0, 0, payload);
}

inline std::string rst_stream(std::uint32_t stream, std::uint32_t code) {
  std::string payload;
  put32(payload, code);
  return frame(kRstStream, 0, stream, payload);
}

inline std::string window_update(std::uint32_t stream, std::uint32_t increment) {
  std::string payload;
  put32(payload, increment);
  return frame(kWindowUpdate, 0, stream, payload);
}

// RFC 7541 §5.1: an integer with an N-bit prefix; `first` holds the bits
// above the prefix.
inline std::string hpack_integer(std::uint8_t first, int prefix_bits, std::size_t value) {
  std::string out;
  const std::size_t max_prefix = (std::size_t{1} << prefix_bits) - 1;
  if (value < max_prefix) {
    out.push_back(static_cast<char>(first | value));
    return out;
  }
  out.push_back(static_cast<char>(first | max_prefix));
  value -= max_prefix;
  while (value >= 128) {
    out.push_back(static_cast<char>(0x80 | (value & 0x7f)));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

inline std::string hpack_string(std::string_view text) {
  return hpack_integer(0x00, 7, text.size()) + std::string(text);  // no Huffman
}

// §6.2.2: literal header field without indexing, new name.
inline std::string literal(std::string_view name, std::string_view value) {
  return std::string(1, '\0') + hpack_string(name) + hpack_string(value);
}

// §6.2.1: literal with incremental indexing, new name (enters the
// dynamic table at index 62).
inline std::string indexed_literal(std::string_view name, std::string_view value) {
  return std::string(1, '\x40') + hpack_string(name) + hpack_string(value);
}

// §6.1: an indexed header field.
inline std::string indexed(std::size_t index) { return hpack_integer(0x80, 7, index); }

inline std::string request_block(std::string_view path, std::string_view method = "GET") {
  return literal(":method", method) + literal(":scheme", "http") + literal(":path", path) +
         literal(":authority", "localhost");
}

struct Frame {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t stream = 0;
  std::string payload;
};

// A blocking loopback connection that writes raw bytes and reads frames.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  // The client connection preface with our SETTINGS (RFC 9113 §3.4);
  // false when the connection or the write failed.
  bool open(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& entries = {}) {
    return connected_ && send(std::string(kPreface) + settings(entries));
  }

  // False once the peer closed (EPIPE/ECONNRESET).
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // The next frame, or nothing once the peer closed or `timeout` passed.
  std::optional<Frame> next(std::chrono::milliseconds timeout) {
    if (!fill(9, timeout)) return std::nullopt;
    const std::size_t length = static_cast<std::uint8_t>(buffer_[0]) << 16 |
                               static_cast<std::uint8_t>(buffer_[1]) << 8 |
                               static_cast<std::uint8_t>(buffer_[2]);
    if (!fill(9 + length, timeout)) return std::nullopt;
    Frame frame{static_cast<std::uint8_t>(buffer_[3]), static_cast<std::uint8_t>(buffer_[4]),
                get32(buffer_, 5) & 0x7fffffffU, buffer_.substr(9, length)};
    buffer_.erase(0, 9 + length);
    return frame;
  }

  // Every frame until the peer closes (true) or `timeout` passes (false).
  bool read_until_closed(std::vector<Frame>& frames, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto frame = next(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!frame) return closed_;
      frames.push_back(std::move(*frame));
    }
    return false;
  }

  bool closed() const { return closed_; }
  std::string& unparsed() { return buffer_; }

 private:
  bool fill(std::size_t size, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffer_.size() < size) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return false;
      char chunk[16384];
      const auto got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got <= 0) {
        closed_ = true;
        return false;
      }
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
    return true;
  }

  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

// A GOAWAY frame's error code (RFC 9113 §6.8).
inline std::uint32_t goaway_code(const Frame& frame) { return get32(frame.payload, 4); }
// A GOAWAY frame's last stream id: streams above it were not processed.
inline std::uint32_t goaway_last_stream(const Frame& frame) {
  return get32(frame.payload, 0) & 0x7fffffffU;
}

// How the peer ended a connection we misbehaved on.
struct Ending {
  bool closed = false;                // it closed within the time given
  std::optional<Frame> goaway;        // the last GOAWAY it sent
  std::optional<std::uint32_t> code;  // that GOAWAY's error code
  std::vector<Frame> frames;          // everything it sent
};

// Sends `frames` (the peer may close midway, so a failed write is no
// error) and reads until the peer closes or `timeout` passes.
inline Ending send_until_closed(RawConnection& connection, const std::string& frames,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  connection.send(frames);
  Ending ending;
  ending.closed = connection.read_until_closed(ending.frames, timeout);
  for (const auto& frame : ending.frames) {
    if (frame.type == kGoaway) ending.goaway = frame;
  }
  if (ending.goaway) ending.code = goaway_code(*ending.goaway);
  return ending;
}

// Decodes the header blocks of one connection's responses (they are
// Huffman-coded and use the dynamic table, so one decoder per connection).
class HeaderDecoder {
 public:
  HeaderDecoder() { nghttp2_hd_inflate_new(&inflater_); }
  ~HeaderDecoder() { nghttp2_hd_inflate_del(inflater_); }
  HeaderDecoder(const HeaderDecoder&) = delete;
  HeaderDecoder& operator=(const HeaderDecoder&) = delete;

  // The fields of a complete header block; nothing if it cannot be decoded.
  std::optional<std::vector<std::pair<std::string, std::string>>> decode(std::string_view block) {
    std::vector<std::pair<std::string, std::string>> fields;
    auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
    std::size_t left = block.size();
    for (;;) {
      nghttp2_nv nv{};
      int flags = 0;
      const auto used = nghttp2_hd_inflate_hd2(inflater_, &nv, &flags, in, left, 1);
      if (used < 0) return std::nullopt;
      in += used;
      left -= static_cast<std::size_t>(used);
      if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0) {
        fields.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                            std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
      }
      if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) break;
      if (used == 0 && left == 0) break;
    }
    nghttp2_hd_inflate_end_headers(inflater_);
    return fields;
  }

 private:
  nghttp2_hd_inflater* inflater_ = nullptr;
};

// The :status of the first response HEADERS on `stream`, or "" if none
// arrived within `timeout` (every header block before it is decoded too,
// to keep the decoder's table in step).
inline std::string response_status(RawConnection& connection, std::uint32_t stream = 1,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  HeaderDecoder decoder;
  while (auto frame = connection.next(timeout)) {
    if (frame->type != kHeaders) continue;
    const auto fields = decoder.decode(frame->payload);
    if (!fields || frame->stream != stream) continue;
    for (const auto& [name, value] : *fields) {
      if (name == ":status") return value;
    }
  }
  return {};
}

}  // namespace firewarden::testing::h2
