// gRPC status codes, grpc-message and grpc-timeout (gRPC PROTOCOL-HTTP2).
#include "firewarden/proxy/grpc_status.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace firewarden::proxy {

GrpcCode grpc_code(const errors::ApiError& error) {
  if (error.http_status == 413) return GrpcCode::resource_exhausted;
  static constexpr std::array<std::pair<std::string_view, GrpcCode>, 7> kByName{{
      {"INVALID_ARGUMENT", GrpcCode::invalid_argument},
      {"DEADLINE_EXCEEDED", GrpcCode::deadline_exceeded},
      {"PERMISSION_DENIED", GrpcCode::permission_denied},
      {"RESOURCE_EXHAUSTED", GrpcCode::resource_exhausted},
      {"UNIMPLEMENTED", GrpcCode::unimplemented},
      {"UNAVAILABLE", GrpcCode::unavailable},
      {"UNAUTHENTICATED", GrpcCode::unauthenticated},
  }};
  for (const auto& [name, code] : kByName) {
    if (error.status == name) return code;
  }
  return GrpcCode::internal;  // a status the table lacks: never reported as success
}

std::string grpc_message(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte <= 0x7e && byte != '%') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

std::optional<std::chrono::nanoseconds> parse_grpc_timeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  std::int64_t amount = 0;
  for (const char digit : value.substr(0, value.size() - 1)) {
    if (digit < '0' || digit > '9') return std::nullopt;
    amount = amount * 10 + (digit - '0');
  }
  using namespace std::chrono;
  switch (value.back()) {
    case 'H':
      return duration_cast<nanoseconds>(hours(amount));
    case 'M':
      return duration_cast<nanoseconds>(minutes(amount));
    case 'S':
      return duration_cast<nanoseconds>(seconds(amount));
    case 'm':
      return duration_cast<nanoseconds>(milliseconds(amount));
    case 'u':
      return duration_cast<nanoseconds>(microseconds(amount));
    case 'n':
      return nanoseconds(amount);
    default:
      return std::nullopt;
  }
}

std::string format_grpc_timeout(std::chrono::nanoseconds timeout) {
  static constexpr std::array<std::pair<std::int64_t, char>, 6> kUnits{{
      {1, 'n'},
      {1'000, 'u'},
      {1'000'000, 'm'},
      {1'000'000'000, 'S'},
      {60'000'000'000, 'M'},
      {3'600'000'000'000, 'H'},
  }};
  const std::int64_t nanos = std::max<std::int64_t>(timeout.count(), 1);
  for (const auto& [per_unit, unit] : kUnits) {
    const std::int64_t amount = (nanos + per_unit - 1) / per_unit;  // never shorter
    if (amount <= 99'999'999) return std::to_string(amount) + unit;
  }
  return "99999999H";
}

}  // namespace firewarden::proxy
