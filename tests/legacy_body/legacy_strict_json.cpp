#include "legacy_strict_json.hpp"

#include <vector>

#include "firewarden/firestore/text.hpp"

namespace firewarden::firestore::legacy {
namespace {

using json = nlohmann::json;

// Builds the document like nlohmann's own DOM parser, but refuses what that
// parser would silently accept.
class StrictDomBuilder {
 public:
  explicit StrictDomBuilder(json& root) : root_(root) {}

  bool null() { return add(nullptr); }
  bool boolean(bool value) { return add(value); }
  bool number_integer(json::number_integer_t value) { return add(value); }
  bool number_unsigned(json::number_unsigned_t value) { return add(value); }
  bool number_float(json::number_float_t value, const json::string_t&) { return add(value); }
  bool string(json::string_t& value) { return add(std::move(value)); }
  bool binary(json::binary_t&) { return refuse("binary values are not JSON"); }

  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& name) {
    json& object = *stack_.back();
    if (object.contains(name)) return refuse("duplicate key " + quote_input(name));
    pending_key_ = std::move(name);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    if (error_.empty()) {
      // nlohmann's message quotes the offending input; keep only its gist.
      std::string what = e.what();
      if (const std::size_t last_read = what.find("; last read"); last_read != std::string::npos) {
        what.resize(last_read);
      }
      error_ = "request body is not valid JSON (byte " + std::to_string(position) +
               "): " + quote_input(what);
    }
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  // Places a value in the current container (or as the root) and returns it.
  json* place(json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& container = *stack_.back();
    if (container.is_array()) {
      container.push_back(std::move(value));
      return &container.back();
    }
    json& slot = container[pending_key_];
    slot = std::move(value);
    return &slot;
  }

  bool add(json value) {
    place(std::move(value));
    return true;
  }

  bool open(json container) {
    if (stack_.size() >= kLegacyMaxJsonDepth) {
      return refuse("JSON nested deeper than " + std::to_string(kLegacyMaxJsonDepth) + " levels");
    }
    stack_.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  bool refuse(std::string message) {
    error_ = "request body: " + std::move(message);
    return false;
  }

  json& root_;
  std::vector<json*> stack_;
  std::string pending_key_;
  std::string error_;
};

}  // namespace

Checked<json> parse_json_object(std::string_view body) {
  // nlohmann skips a UTF-8 byte order mark; RFC 8259 §8.1 says not to send one.
  if (body.starts_with("\xEF\xBB\xBF")) {
    return ApiError::invalid_argument("request body starts with a byte order mark");
  }
  // nlohmann's lexer takes a NUL byte for the end of input, so "{}\0{…}" would
  // read as "{}". JSON has no place for a raw NUL (RFC 8259 §7).
  if (body.find('\0') != std::string_view::npos) {
    return ApiError::invalid_argument("request body contains a NUL byte");
  }
  json root;
  StrictDomBuilder builder(root);
  const bool parsed = json::sax_parse(body.begin(), body.end(), &builder,
                                      json::input_format_t::json, /*strict=*/true);
  if (!parsed) {
    return ApiError::invalid_argument(builder.error().empty() ? "request body is not valid JSON"
                                                              : builder.error());
  }
  if (!root.is_object()) return ApiError::invalid_argument("request body must be a JSON object");
  return root;
}

}  // namespace firewarden::firestore::legacy
