#pragma once
// A request body read as strict JSON into a flat tape: one node per value and
// per object key, in document order, with strings as views into the body (or,
// only when they hold an escape, into one buffer of unescaped text). No node
// allocates; the whole tape is one vector.
//
// Read so that no two parsers can disagree about it (RFC 8259 §4 leaves
// duplicate names to the implementation: Google takes the last one). Refused:
// duplicate keys at any level, compared after unescaping; nesting deeper than
// kMaxJsonDepth; a byte order mark; a NUL byte; invalid UTF-8 (also in \u
// escapes: lone surrogates); raw control characters in strings; numbers that do
// not fit a double; anything after the value; and a top-level value that is not
// an object. Error messages: "request body is not valid JSON (byte N): …",
// "request body: duplicate key …", "request body: JSON nested deeper than …",
// "request body must be a JSON object".
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/firestore/checked.hpp"

namespace firewarden::firestore {

// Firestore nests maps and arrays up to 20 levels; each level costs three JSON
// levels ({"mapValue":{"fields":{…}}}) below a few request levels, so 100 leaves
// room for every valid document and still bounds recursion.
inline constexpr std::size_t kMaxJsonDepth = 100;

enum class JsonKind : std::uint8_t { object, array, key, string, number, boolean, null };

// How a number token reads (as nlohmann::json, which this parser replaced,
// typed them): an integer token without '-' that fits 64 bits unsigned, one
// with '-' that fits 64 bits signed ("-0" too), anything else a double.
enum class NumberKind : std::uint8_t { unsigned_integer, signed_integer, floating };

struct JsonNode {
  JsonKind kind = JsonKind::null;
  NumberKind number = NumberKind::floating;
  bool truth = false;     // boolean
  std::uint32_t end = 0;  // object, array: index just past its last node
  // key, string: the unescaped text; number: the token as sent.
  std::string_view text;
  union {
    std::uint64_t unsigned_value;  // NumberKind::unsigned_integer
    std::int64_t signed_value;     // NumberKind::signed_integer
  };
  JsonNode() : unsigned_value(0) {}
};

class JsonTape {
 public:
  JsonTape() = default;
  JsonTape(const JsonTape&) = delete;  // nodes may point into unescaped_
  JsonTape& operator=(const JsonTape&) = delete;
  JsonTape(JsonTape&&) = default;
  JsonTape& operator=(JsonTape&&) = default;

  const JsonNode& operator[](std::size_t index) const { return nodes_[index]; }
  JsonNode& operator[](std::size_t index) { return nodes_[index]; }
  std::size_t size() const { return nodes_.size(); }

  // The index just past the value at `index` (and all it contains).
  std::size_t skip(std::size_t index) const {
    const JsonNode& node = nodes_[index];
    return node.kind == JsonKind::object || node.kind == JsonKind::array ? node.end : index + 1;
  }

 private:
  friend class JsonTapeParser;
  std::vector<JsonNode> nodes_;
  // Unescaped strings: allocated once, at the first escape, to the body's size
  // (unescaping never lengthens text), so views into it stay valid.
  std::unique_ptr<char[]> unescaped_;
  std::size_t unescaped_size_ = 0;
};

// Parses `body`; the root (index 0) is an object. The body must outlive the tape.
Checked<JsonTape> parse_json_tape(std::string_view body);

// How this build skips the plain text of strings: "sse2" (16 bytes at a
// time), "swar" (8) or "bytewise". The tests check which one they ran.
std::string_view json_string_scan();

}  // namespace firewarden::firestore
