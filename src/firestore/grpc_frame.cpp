#include "firewarden/firestore/grpc_frame.hpp"

#include <cstdint>

namespace firewarden::firestore {
namespace {

constexpr std::size_t kPrefixBytes = 5;

}  // namespace

void GrpcMessageReader::feed(std::string_view bytes) {
  if (failed_ != Status::need_more) return;  // nothing more is read
  // Drop what was returned before growing, so the buffer holds at most one
  // message and what follows it.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

GrpcMessageReader::Status GrpcMessageReader::next(std::string& message) {
  if (failed_ != Status::need_more) return failed_;
  const std::string_view rest = std::string_view(buffer_).substr(consumed_);
  if (rest.empty()) return Status::need_more;
  // The flag is judged as soon as it arrives: a compressed message is refused
  // without waiting for (or buffering) its body.
  if (rest[0] != 0) {
    failed_ = rest[0] == 1 ? Status::compressed : Status::unreadable;
    return failed_;
  }
  if (rest.size() < kPrefixBytes) return Status::need_more;
  std::uint64_t length = 0;
  for (std::size_t i = 1; i < kPrefixBytes; ++i) {
    length = (length << 8) | static_cast<std::uint8_t>(rest[i]);
  }
  if (length > max_message_bytes_) {
    failed_ = Status::too_large;
    return failed_;
  }
  if (rest.size() - kPrefixBytes < length) return Status::need_more;
  message.assign(rest.substr(kPrefixBytes, static_cast<std::size_t>(length)));
  consumed_ += kPrefixBytes + static_cast<std::size_t>(length);
  return Status::message;
}

std::string grpc_frame(std::string_view message) {
  const auto length = static_cast<std::uint32_t>(message.size());
  std::string framed;
  framed.reserve(kPrefixBytes + message.size());
  framed += '\0';
  for (int shift = 24; shift >= 0; shift -= 8) {
    framed += static_cast<char>((length >> shift) & 0xFFU);
  }
  framed += message;
  return framed;
}

}  // namespace firewarden::firestore
