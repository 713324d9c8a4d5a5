#pragma once
// gRPC Length-Prefixed-Message framing (grpc/doc/PROTOCOL-HTTP2.md):
// a 1-byte Compressed-Flag, a 4-byte big-endian Message-Length, the message.
// Request messages are read only uncompressed: flag 1 is refused
// (firewarden checks the bytes it forwards, never a decoded form), and any
// other flag value is unreadable.
#include <cstddef>
#include <string>
#include <string_view>

namespace firewarden::firestore {

class GrpcMessageReader {
 public:
  explicit GrpcMessageReader(std::size_t max_message_bytes)
      : max_message_bytes_(max_message_bytes) {}

  // Appends bytes of the stream's DATA. The reader keeps them until next()
  // has returned them, so the caller bounds what it feeds between calls
  // (the stream's flow-control window does).
  void feed(std::string_view bytes);

  enum class Status {
    need_more,   // no whole message buffered yet
    message,     // `message` holds the next one, without its prefix
    too_large,   // its length exceeds max_message_bytes (RESOURCE_EXHAUSTED)
    compressed,  // its flag is 1 (refused; the stream cannot be read on)
    unreadable,  // its flag is neither 0 nor 1: not gRPC framing
  };
  // Too_large, compressed and unreadable are final: the reader stays there.
  Status next(std::string& message);

  // No partial message is buffered (a stream may end only here).
  bool empty() const { return buffer_.size() == consumed_; }

 private:
  std::size_t max_message_bytes_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already returned
  Status failed_ = Status::need_more;
};

// `message` with its 5-byte prefix: uncompressed, big-endian length.
std::string grpc_frame(std::string_view message);

}  // namespace firewarden::firestore
