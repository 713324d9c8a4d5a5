#include "firewarden/telemetry/trace.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
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

namespace {
// Our span id: 16 random hex digits, not all zero.
std::string new_span_id() {
  std::string id(16, '0');
  fill_random_hex(id.data(), id.size());
  make_nonzero(id.data(), id.size());
  return id;
}

std::string to_hex16(std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4U) out[static_cast<std::size_t>(i)] = kHex[value & 0xFU];
  return out;
}
}  // namespace

bool TraceContext::sampled() const {
  unsigned value = 0;
  std::from_chars(flags.data(), flags.data() + flags.size(), value, 16);
  return (value & 1U) != 0;
}

std::string TraceContext::traceparent() const {
  return "00-" + trace_id + '-' + span_id + '-' + flags;
}

std::string TraceContext::cloud_trace_context() const {
  std::uint64_t span = 0;
  std::from_chars(span_id.data(), span_id.data() + span_id.size(), span, 16);
  return trace_id + '/' + std::to_string(span) + (sampled() ? ";o=1" : ";o=0");
}

std::optional<CloudTraceContext> parse_cloud_trace_context(std::string_view value) {
  const std::size_t slash = value.find('/');
  if (slash != 32) return std::nullopt;
  std::string trace_id(value.substr(0, 32));
  for (char& c : trace_id) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!is_lower_hex(trace_id) || all_zero(trace_id)) return std::nullopt;
  std::string_view rest = value.substr(33);
  const std::size_t semicolon = rest.find(';');
  const std::string_view span = rest.substr(0, semicolon);
  bool sampled = false;
  if (semicolon != std::string_view::npos) {
    const std::string_view options = rest.substr(semicolon);
    if (options == ";o=1") {
      sampled = true;
    } else if (options != ";o=0") {
      return std::nullopt;
    }
  }
  // An unsigned 64-bit decimal: digits only (no sign, no leading +), no overflow.
  if (span.empty() || span.size() > 20 ||
      !std::all_of(span.begin(), span.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(span.data(), span.data() + span.size(), number);
  if (error != std::errc{} || end != span.data() + span.size() || number == 0) return std::nullopt;
  return CloudTraceContext{std::move(trace_id), to_hex16(number), sampled};
}

TraceContext continue_trace(std::optional<std::string_view> traceparent,
                            std::optional<std::string_view> cloud_trace_context) {
  TraceContext context;
  context.span_id = new_span_id();
  if (traceparent) {
    if (is_valid_traceparent(*traceparent)) {
      context.trace_id = std::string(traceparent->substr(3, 32));
      context.caller_span_id = std::string(traceparent->substr(36, 16));
      context.flags = std::string(traceparent->substr(53, 2));
      context.from_traceparent = true;
      return context;
    }
  } else if (cloud_trace_context) {
    if (auto cloud = parse_cloud_trace_context(*cloud_trace_context)) {
      context.trace_id = std::move(cloud->trace_id);
      context.caller_span_id = std::move(cloud->span_id);
      context.flags = cloud->sampled ? "01" : "00";
      return context;
    }
  }
  context.trace_id = new_traceparent().substr(3, 32);
  return context;
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
