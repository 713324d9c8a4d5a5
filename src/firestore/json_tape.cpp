// A strict JSON reader into a flat tape (about 540 lines: one recursive-descent
// grammar with its string scans, kept in one file so the grammar reads whole;
// why it is not Boost.JSON is said at the parser class below).
#include "firewarden/firestore/json_tape.hpp"

#include <locale.h>  // strtod_l: a number's meaning must not depend on the process locale

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

// The string scan: SSE2 where the target has it (every x86-64), else the
// portable SWAR and byte-wise path that arm64 and the rest run.
// FIREWARDEN_PORTABLE_SCAN selects the portable path on x86-64 too, so a test
// build there runs the code other targets ship (tests/portable_scan.cmake).
#if defined(__SSE2__) && !defined(FIREWARDEN_PORTABLE_SCAN)
#define FIREWARDEN_SSE2_SCAN 1
#include <emmintrin.h>
#endif

#include "firewarden/firestore/text.hpp"
#include "firewarden/text/ascii.hpp"

namespace firewarden::firestore {

// One pass over the body, recursive descent (depth is bounded before each
// descent). Every branch that is not the grammar of RFC 8259 refuses.
//
// Why not Boost.JSON's basic_parser (tried as a SAX handler filling this tape):
// Boost 1.81 refuses valid numbers whose exponent does not fit an int
// ("0e9999999999", which RFC 8259 §6 allows and Google reads as 0), reports
// every grammar error as one "syntax error", and cost ~6,000 more instructions
// on the 4 KB commit body of bench mix (b) (~53,000 against ~47,000).
class JsonTapeParser {
 public:
  JsonTapeParser(std::string_view body, JsonTape& tape) : body_(body), tape_(tape) {}

  bool parse() {
    // A 4 KB commit has one node per ~10 bytes; one reservation covers it.
    // Capped: a large body that is mostly one string should not reserve for
    // nodes it does not have (the vector grows as needed).
    tape_.nodes_.reserve(std::min<std::size_t>(body_.size() / 8 + 8, 16384));
    skip_whitespace();
    if (!value(0)) return false;
    skip_whitespace();
    if (pos_ != body_.size()) return syntax_error("unexpected content after the JSON value");
    return true;
  }

  std::string take_error() { return std::move(error_); }

 private:
  // With few keys a linear scan is cheapest; beyond this many an object keeps
  // its keys in an ordered set, so a huge object costs O(n log n), never O(n²)
  // (and no hash an attacker could collide).
  static constexpr std::size_t kLinearKeyScan = 32;

  // Error paths and rare cases (escapes, non-ASCII, refusals) are kept out of
  // line ([[gnu::noinline]]), so the functions on the common path stay small.
  bool value(std::size_t depth) {
    if (pos_ >= body_.size()) return syntax_error("unexpected end of input");
    switch (body_[pos_]) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string(JsonKind::string);
      case 't':
        return literal("true", JsonKind::boolean, true);
      case 'f':
        return literal("false", JsonKind::boolean, false);
      case 'n':
        return literal("null", JsonKind::null, false);
      default:
        if (body_[pos_] == '-' || is_digit(body_[pos_])) return number();
        return syntax_error("invalid literal");
    }
  }

  // An object being read: its node, and its keys once there are many.
  struct OpenObject {
    std::size_t index = 0;
    std::size_t keys = 0;
    std::unique_ptr<std::set<std::string_view>> many_keys;
  };

  bool object(std::size_t depth) {
    OpenObject open{tape_.nodes_.size(), 0, nullptr};  // container() pushes its node here
    return container(depth, JsonKind::object, '}', "expected ',' or '}' in an object",
                     [&] { return member(depth, open); });
  }

  bool member(std::size_t depth, OpenObject& open) {
    if (peek() != '"') return syntax_error("expected a string as object key");
    if (!string(JsonKind::key)) return false;
    if (!unique_key(open)) return false;
    skip_whitespace();
    if (peek() != ':') return syntax_error("expected ':' after an object key");
    ++pos_;
    skip_whitespace();
    return value(depth + 1);
  }

  bool array(std::size_t depth) {
    return container(depth, JsonKind::array, ']', "expected ',' or ']' in an array",
                     [&] { return value(depth + 1); });
  }

  // The '{' or '[' at pos_ and its items (read_item reads one), separated by
  // ',' and ended by `closing`.
  template <typename ReadItem>
  bool container(std::size_t depth, JsonKind kind, char closing, std::string_view expected,
                 ReadItem read_item) {
    if (!enter(depth)) return false;
    const std::size_t index = tape_.nodes_.size();
    push(kind);
    ++pos_;
    skip_whitespace();
    if (peek() != closing) {
      for (;;) {
        if (!read_item()) return false;
        skip_whitespace();
        if (peek() != ',') break;
        ++pos_;
        skip_whitespace();
      }
      if (peek() != closing) return syntax_error(expected);
    }
    ++pos_;
    close(index);
    return true;
  }

  // Compares the key just read (the last node) with its object's earlier keys,
  // unescaped. With few keys it walks them on the tape: each earlier key is
  // followed by its value, complete by now, which skip() steps over.
  bool unique_key(OpenObject& open) {
    const std::size_t key_index = tape_.nodes_.size() - 1;
    const std::string_view key = tape_.nodes_[key_index].text;
    if (open.many_keys) {
      if (!open.many_keys->insert(key).second) return duplicate(key);
      return true;
    }
    for (std::size_t i = open.index + 1; i < key_index; i = tape_.skip(i + 1)) {
      if (tape_.nodes_[i].text == key) return duplicate(key);
    }
    if (++open.keys >= kLinearKeyScan) {
      open.many_keys = std::make_unique<std::set<std::string_view>>();
      for (std::size_t i = open.index + 1;; i = tape_.skip(i + 1)) {
        open.many_keys->insert(tape_.nodes_[i].text);
        if (i == key_index) break;  // its value is not read yet
      }
    }
    return true;
  }

  bool literal(std::string_view word, JsonKind kind, bool truth) {
    if (body_.substr(pos_, word.size()) != word) return syntax_error("invalid literal");
    pos_ += word.size();
    push(kind).truth = truth;
    return true;
  }

  // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  bool number() {
    const std::size_t start = pos_;
    const bool negative = peek() == '-';
    if (negative) ++pos_;
    if (!is_digit(peek())) return syntax_error("invalid number");
    if (body_[pos_] == '0') {
      ++pos_;
    } else {
      skip_digits();
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!is_digit(peek())) return syntax_error("invalid number: digits must follow '.'");
      skip_digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(peek())) return syntax_error("invalid number: digits must follow the exponent");
      skip_digits();
    }
    JsonNode& node = push(JsonKind::number);
    node.text = body_.substr(start, pos_ - start);
    if (integral && integer_value(node, negative)) return true;
    node.number = NumberKind::floating;
    node.unsigned_value = 0;
    if (!is_finite_double(node.text)) {
      return syntax_error("number overflow (outside the range of a double)");
    }
    return true;
  }

  // An integer token as a 64-bit value; false when it does not fit (it then
  // reads as a double, as nlohmann::json and most JSON libraries read it).
  static bool integer_value(JsonNode& node, bool negative) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t magnitude = 0;
    for (const char c : node.text.substr(negative ? 1 : 0)) {
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (magnitude > (kMax - digit) / 10) return false;
      magnitude = magnitude * 10 + digit;
    }
    if (!negative) {
      node.number = NumberKind::unsigned_integer;
      node.unsigned_value = magnitude;
      return true;
    }
    constexpr auto kMinMagnitude =
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
    if (magnitude > kMinMagnitude) return false;
    node.number = NumberKind::signed_integer;
    node.signed_value = magnitude == kMinMagnitude ? std::numeric_limits<std::int64_t>::min()
                                                   : -static_cast<std::int64_t>(magnitude);
    return true;
  }

  static bool is_finite_double(std::string_view token) {
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
    if (c_locale == locale_t{}) return false;  // fail closed
    const std::string terminated(token);
    return std::isfinite(strtod_l(terminated.c_str(), nullptr, c_locale));
  }

  bool string(JsonKind kind) {
    const std::size_t start = ++pos_;
    for (;;) {
      skip_plain_ascii();
      if (pos_ >= body_.size()) return syntax_error("unterminated string");
      const auto c = static_cast<unsigned char>(body_[pos_]);
      if (c == '"') {
        push(kind).text = body_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c == '\\') return escaped_string(kind, start);
      if (!plain_character(c)) return false;
    }
  }

  static bool is_plain_ascii(unsigned char c) {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  // Skips bytes that are neither '"', '\\', a control character (< 0x20) nor
  // non-ASCII (>= 0x80), 16 or 8 at a time where it can; the caller reads the
  // byte it stops at byte-wise, so a fast path may stop early but never late.
  void skip_plain_ascii() {
#if defined(FIREWARDEN_SSE2_SCAN)
    if (skip_plain_ascii_sse2()) return;
#endif
    skip_plain_ascii_swar();
    while (pos_ < body_.size() && is_plain_ascii(static_cast<unsigned char>(body_[pos_]))) ++pos_;
  }

#if defined(FIREWARDEN_SSE2_SCAN)
  // Exact: a signed byte compare `< 0x20` flags the controls and every byte
  // >= 0x80 (negative as signed), the two equalities '"' and '\\'; the lowest
  // flagged byte is the first special one.
  // True when it stopped at a special byte (else fewer than 16 bytes are left).
  bool skip_plain_ascii_sse2() {
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (pos_ + 16 <= body_.size()) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(body_.data() + pos_));
      const __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
                       _mm_cmplt_epi8(bytes, space));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
      if (mask != 0) {
        pos_ += static_cast<std::size_t>(std::countr_zero(mask));
        return true;
      }
      pos_ += 16;
    }
    return false;
  }
#endif

  // 8 bytes at a time. Safe as a fast path: the lowest byte the test flags is
  // the first special byte. Below it every byte is in 0x20..0x7F and not '"'
  // or '\\', so none of the three subtractions borrows or sets a high bit
  // there; at it, a '"' or '\\' (x ^ c == 0) and a control character borrow
  // into the high bit, and bytes >= 0x80 are flagged by `| bytes` itself.
  // Bytes above it may be flagged falsely, which only ends the fast path.
  void skip_plain_ascii_swar() {
    constexpr std::uint64_t kOnes = 0x0101010101010101;
    constexpr std::uint64_t kHigh = 0x8080808080808080;
    if constexpr (std::endian::native == std::endian::little) {
      while (pos_ + 8 <= body_.size()) {
        std::uint64_t bytes = 0;
        std::memcpy(&bytes, body_.data() + pos_, 8);
        const std::uint64_t quote = bytes ^ (kOnes * '"');
        const std::uint64_t backslash = bytes ^ (kOnes * '\\');
        const std::uint64_t special =
            ((quote - kOnes) | (backslash - kOnes) | (bytes - kOnes * 0x20) | bytes) & kHigh;
        if (special != 0) {
          pos_ += static_cast<std::size_t>(std::countr_zero(special)) / 8;
          return;
        }
        pos_ += 8;
      }
    }
  }

  // Steps over one unescaped character (c is its first byte): printable ASCII,
  // or a well-formed UTF-8 sequence; RFC 8259 §7 refuses raw controls.
  [[gnu::noinline]] bool plain_character(unsigned char c) {
    if (c < 0x20) return syntax_error("control character in a string (must be escaped)");
    if (c < 0x80) {
      ++pos_;
      return true;
    }
    const std::size_t length = utf8_sequence_length(body_, pos_);
    if (length == 0) return syntax_error("invalid UTF-8 in a string");
    pos_ += length;
    return true;
  }

  // The slow path, from the first backslash: the unescaped text goes to the
  // tape's buffer. Raw text never grows when unescaped (\uXXXX is 6 bytes for
  // at most 3, a surrogate pair 12 for 4), so the buffer sized to the body holds
  // every string of it.
  [[gnu::noinline]] bool escaped_string(JsonKind kind, std::size_t start) {
    char* const begin = unescaped_begin();
    char* out = begin;
    append(out, body_.substr(start, pos_ - start));
    while (pos_ < body_.size()) {
      const auto c = static_cast<unsigned char>(body_[pos_]);
      if (c == '"') {
        push(kind).text = std::string_view(begin, static_cast<std::size_t>(out - begin));
        tape_.unescaped_size_ += static_cast<std::size_t>(out - begin);
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!escape(out)) return false;
        continue;
      }
      const std::size_t from = pos_;
      if (!plain_character(c)) return false;
      append(out, body_.substr(from, pos_ - from));
    }
    return syntax_error("unterminated string");
  }

  char* unescaped_begin() {
    if (!tape_.unescaped_) tape_.unescaped_ = std::make_unique_for_overwrite<char[]>(body_.size());
    return tape_.unescaped_.get() + tape_.unescaped_size_;
  }

  static void append(char*& out, std::string_view text) {
    for (const char c : text) *out++ = c;
  }

  bool escape(char*& out) {
    ++pos_;  // the backslash
    if (pos_ >= body_.size()) return syntax_error("unterminated string");
    const char c = body_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        *out++ = c;
        return true;
      case 'b':
        *out++ = '\b';
        return true;
      case 'f':
        *out++ = '\f';
        return true;
      case 'n':
        *out++ = '\n';
        return true;
      case 'r':
        *out++ = '\r';
        return true;
      case 't':
        *out++ = '\t';
        return true;
      case 'u':
        return unicode_escape(out);
      default:
        return syntax_error("invalid escape in a string");
    }
  }

  // \uXXXX, with a UTF-16 surrogate pair as two escapes; a lone surrogate is
  // not a character (RFC 8259 §8.2) and is refused.
  bool unicode_escape(char*& out) {
    int unit = hex4();
    if (unit < 0) return syntax_error("\\u must be followed by 4 hex digits");
    std::uint32_t code_point = static_cast<std::uint32_t>(unit);
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
      return syntax_error("lone low surrogate \\u escape");
    }
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
      if (body_.substr(pos_, 2) != "\\u") return syntax_error("lone high surrogate \\u escape");
      pos_ += 2;
      unit = hex4();
      if (unit < 0xDC00 || unit > 0xDFFF) {
        return syntax_error("a high surrogate \\u escape must be followed by a low one");
      }
      code_point =
          0x10000 + ((code_point - 0xD800) << 10) + (static_cast<std::uint32_t>(unit) - 0xDC00);
    }
    encode_utf8(out, code_point);
    return true;
  }

  int hex4() {
    if (pos_ + 4 > body_.size()) return -1;
    int unit = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = text::hex_value(body_[pos_++]);
      if (digit < 0) return -1;
      unit = unit * 16 + digit;
    }
    return unit;
  }

  static void encode_utf8(char*& out, std::uint32_t cp) {
    const auto put = [&](std::uint32_t byte) { *out++ = static_cast<char>(byte); };
    if (cp < 0x80) {
      put(cp);
    } else if (cp < 0x800) {
      put(0xC0 | (cp >> 6));
      put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      put(0xE0 | (cp >> 12));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    } else {
      put(0xF0 | (cp >> 18));
      put(0x80 | ((cp >> 12) & 0x3F));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    }
  }

  bool enter(std::size_t depth) { return depth < kMaxJsonDepth || too_deep(); }

  [[gnu::noinline]] bool too_deep() {
    return refuse("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }

  // Flattened: emplace_back's fast path inline (GCC kept it out of line, a call
  // per node); parse() reserved for the usual body, so growth is rare.
  [[gnu::flatten]] JsonNode& push(JsonKind kind) {
    JsonNode& node = tape_.nodes_.emplace_back();
    node.kind = kind;
    return node;
  }

  void close(std::size_t index) {
    tape_.nodes_[index].end = static_cast<std::uint32_t>(tape_.nodes_.size());
  }

  // '\0' past the end: parse_json_tape refused any NUL in the body before
  // parsing, so it never stands for content.
  char peek() const { return pos_ < body_.size() ? body_[pos_] : '\0'; }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  void skip_digits() {
    while (is_digit(peek())) ++pos_;
  }
  void skip_whitespace() {
    while (pos_ < body_.size()) {
      const auto c = static_cast<unsigned char>(body_[pos_]);
      if (c > ' ') return;  // the usual case: every whitespace byte is <= ' '
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  [[gnu::noinline]] bool duplicate(std::string_view key) {
    return refuse("duplicate key " + quote_input(key));
  }

  [[gnu::noinline]] bool refuse(std::string message) {
    error_ = "request body: " + std::move(message);
    return false;
  }

  [[gnu::noinline]] bool syntax_error(std::string_view what) {
    error_ = "request body is not valid JSON (byte " + std::to_string(pos_ + 1) +
             "): " + std::string(what);
    return false;
  }

  std::string_view body_;
  JsonTape& tape_;
  std::size_t pos_ = 0;
  std::string error_;
};

std::string_view json_string_scan() {
#if defined(FIREWARDEN_SSE2_SCAN)
  return "sse2";
#else
  if constexpr (std::endian::native == std::endian::little) return "swar";
  return "bytewise";
#endif
}

Checked<JsonTape> parse_json_tape(std::string_view body) {
  // RFC 8259 §8.1: no byte order mark.
  if (body.starts_with("\xEF\xBB\xBF")) {
    return ApiError::invalid_argument("request body starts with a byte order mark");
  }
  // JSON has no place for a raw NUL (RFC 8259 §7); a NUL-terminated reader
  // further along would read "{}\0{…}" as "{}".
  if (body.find('\0') != std::string_view::npos) {
    return ApiError::invalid_argument("request body contains a NUL byte");
  }
  // Node indices are 32 bits; bodies are bounded far below that by limits.
  if (body.size() >= std::numeric_limits<std::uint32_t>::max() / 2) {
    return ApiError::invalid_argument("request body is too large");
  }
  JsonTape tape;
  JsonTapeParser parser(body, tape);
  if (!parser.parse()) return ApiError::invalid_argument(parser.take_error());
  if (tape[0].kind != JsonKind::object) {
    return ApiError::invalid_argument("request body must be a JSON object");
  }
  return tape;
}

}  // namespace firewarden::firestore
