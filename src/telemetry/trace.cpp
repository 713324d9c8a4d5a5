#include "firewarden/telemetry/trace.hpp"

#include <algorithm>
#include <random>

namespace firewarden::telemetry {
namespace {

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

// Correlation ids only: unpredictable enough not to collide, not secrets.
// Fills `out` with lowercase hex digits, 16 per 64 random bits.
void fill_random_hex(char* out, std::size_t digits) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = generator();
    out[i] = kHex[bits & 0xFU];
    bits >>= 4U;
  }
}

// A W3C id field may not be all zeros.
void make_nonzero(char* id, std::size_t digits) {
  if (all_zero(std::string_view(id, digits))) id[digits - 1] = '1';
}

}  // namespace

bool is_valid_traceparent(std::string_view value) {
  // 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55
  if (value.size() != 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') return false;
  const auto version = value.substr(0, 2);
  const auto trace_id = value.substr(3, 32);
  const auto parent_id = value.substr(36, 16);
  const auto flags = value.substr(53, 2);
  return version == "00" && is_lower_hex(trace_id) && !all_zero(trace_id) &&
         is_lower_hex(parent_id) && !all_zero(parent_id) && is_lower_hex(flags);
}

std::string new_traceparent() {
  // "00-" trace-id(32) "-" parent-id(16) "-00", written in place.
  std::string out = "00-________________________________-________________-00";
  fill_random_hex(out.data() + 3, 32);
  fill_random_hex(out.data() + 36, 16);
  make_nonzero(out.data() + 3, 32);
  make_nonzero(out.data() + 36, 16);
  return out;
}

std::string trace_id_of(std::string_view traceparent) {
  if (!is_valid_traceparent(traceparent)) return {};
  return std::string(traceparent.substr(3, 32));
}

bool is_acceptable_request_id(std::string_view value) {
  return !value.empty() && value.size() <= 128 &&
         std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

std::string new_request_id() {
  std::string out(32, '0');
  fill_random_hex(out.data(), out.size());
  return out;
}

}  // namespace firewarden::telemetry
