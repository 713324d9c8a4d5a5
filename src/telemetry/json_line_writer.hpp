#pragma once
// Writes one JSON object field by field into a string (access lines of every
// format); private to the telemetry module.
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "firewarden/telemetry/time_format.hpp"
#include "firewarden/text/utf8.hpp"

namespace firewarden::telemetry::detail {

// The access line is written field by field instead of through a JSON DOM:
// building and dumping an nlohmann::json object was a third of firewarden's
// instructions per proxied GET (bench/RESULTS.md).
class LineWriter {
 public:
  explicit LineWriter(std::string& out) : out_(out) {}

  void key(std::string_view name) {  // names are our own constants: nothing to escape
    // Put together on the stack and appended once: a line has ~20 keys.
    char text[48];
    if (name.size() > sizeof text - 4) name = name.substr(0, sizeof text - 4);
    text[0] = first_ ? '{' : ',';
    text[1] = '"';
    std::memcpy(text + 2, name.data(), name.size());
    text[2 + name.size()] = '"';
    text[3 + name.size()] = ':';
    out_.append(text, name.size() + 4);
    first_ = false;
  }
  void timestamp(std::string_view name, std::chrono::system_clock::time_point when) {
    key(name);
    out_ += '"';
    append_rfc3339_millis(out_, when);
    out_ += '"';
  }
  void text(std::string_view name, std::string_view value) {
    key(name);
    string(value);
  }
  void optional_text(std::string_view name, const std::optional<std::string>& value) {
    key(name);
    value ? string(*value) : null();
  }
  // "" is no value: written as null.
  void text_or_null(std::string_view name, std::string_view value) {
    key(name);
    value.empty() ? null() : string(value);
  }
  void optional_boolean(std::string_view name, const std::optional<bool>& value) {
    key(name);
    out_ += !value ? "null" : *value ? "true" : "false";
  }
  void optional_strings(std::string_view name,
                        const std::optional<std::vector<std::string>>& items) {
    key(name);
    if (!items) return null();
    out_ += '[';
    for (std::size_t i = 0; i < items->size(); ++i) {
      if (i != 0) out_ += ',';
      string((*items)[i]);
    }
    out_ += ']';
  }
  void integer(std::string_view name, std::uint64_t value) {
    key(name);
    number(value);
  }
  void optional_integer(std::string_view name, const std::optional<unsigned>& value) {
    key(name);
    value ? number(std::uint64_t{*value}) : null();
  }
  void real(std::string_view name, double value) {
    key(name);
    number(value);
  }
  void optional_real(std::string_view name, const std::optional<double>& value) {
    key(name);
    value ? number(*value) : null();
  }
  // [{"first_name": a, "second_name": b}, …]
  void pairs(std::string_view name, const std::vector<std::pair<std::string, std::string>>& items,
             std::string_view first_name, std::string_view second_name) {
    key(name);
    out_ += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i != 0) out_ += ',';
      out_ += '{';
      out_ += '"';
      out_ += first_name;
      out_ += "\":";
      string(items[i].first);
      out_ += ",\"";
      out_ += second_name;
      out_ += "\":";
      string(items[i].second);
      out_ += '}';
    }
    out_ += ']';
  }
  // A nested object: its fields follow, then end_object().
  void begin_object(std::string_view name) {
    key(name);
    first_ = true;
  }
  void end_object() {
    close();
    first_ = false;
  }
  void close() { out_ += first_ ? "{}" : "}"; }

 private:
  void null() { out_ += "null"; }
  void number(std::uint64_t value) {
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, result.ptr);
  }
  // Milliseconds with three decimals (microseconds), always with a point:
  // "1.250", "3.000". Durations need no more digits, and integer formatting
  // is a fraction of the shortest round-trip double formatting's cost.
  void number(double value) {
    char buffer[40];
    if (!(value >= 0 && value < 1e15)) {  // not a duration (or NaN): as before
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
      const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
      out_ += text;
      if (text.find_first_of(".e") == std::string_view::npos) out_ += ".0";
      return;
    }
    const auto thousandths = static_cast<std::uint64_t>(std::llround(value * 1000));
    char* end = std::to_chars(buffer, buffer + 24, thousandths / 1000).ptr;
    const auto fraction = static_cast<unsigned>(thousandths % 1000);
    end[0] = '.';
    end[1] = static_cast<char>('0' + fraction / 100);
    end[2] = static_cast<char>('0' + fraction / 10 % 10);
    end[3] = static_cast<char>('0' + fraction % 10);
    out_.append(buffer, static_cast<std::size_t>(end + 4 - buffer));
  }

  // A JSON string (RFC 8259 §7): quote, backslash and control characters
  // escaped; client-controlled text may be invalid UTF-8, and every invalid
  // sequence becomes U+FFFD, so a line is always valid JSON and one line.
  void string(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    std::size_t i = 0;
    while (i < text.size()) {
      // The common case, a run of printable ASCII, is copied in one go.
      std::size_t run = i;
      while (run < text.size() && is_plain(static_cast<unsigned char>(text[run]))) ++run;
      out_.append(text.data() + i, run - i);
      i = run;
      if (i == text.size()) break;
      const auto byte = static_cast<unsigned char>(text[i]);
      if (byte < 0x80) {
        if (byte == '"' || byte == '\\') {
          out_ += '\\';
          out_ += static_cast<char>(byte);
        } else if (byte < 0x20) {
          switch (byte) {
            case '\n':
              out_ += "\\n";
              break;
            case '\r':
              out_ += "\\r";
              break;
            case '\t':
              out_ += "\\t";
              break;
            case '\b':
              out_ += "\\b";
              break;
            case '\f':
              out_ += "\\f";
              break;
            default:
              out_ += "\\u00";
              out_ += kHex[byte >> 4U];
              out_ += kHex[byte & 0xFU];
          }
        } else {
          out_ += static_cast<char>(byte);
        }
        ++i;
        continue;
      }
      const std::size_t length = firewarden::text::utf8_sequence_length(text, i);
      if (length == 0) {
        out_ += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
        ++i;
      } else {
        out_.append(text.data() + i, length);
        i += length;
      }
    }
    out_ += '"';
  }

  static bool is_plain(unsigned char byte) { return kPlain[byte]; }

  // Printable ASCII but quote and backslash: copied as is.
  static constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> plain{};
    for (unsigned byte = 0x20; byte < 0x80; ++byte) plain[byte] = byte != '"' && byte != '\\';
    return plain;
  }();

  std::string& out_;
  bool first_ = true;
};

}  // namespace firewarden::telemetry::detail
