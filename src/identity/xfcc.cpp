#include "firewarden/identity/xfcc.hpp"

#include <array>
#include <utility>

#include "firewarden/text/ascii.hpp"
#include "parse_helpers.hpp"

namespace firewarden::identity {
namespace {

using detail::MaybeError;

Error refuse_at(std::string reason, std::string_view what, std::size_t position) {
  return Error{std::move(reason), std::string(what) + " at byte " + std::to_string(position)};
}

// Envoy writes printable ASCII only (subjects are RFC 2253 strings with
// non-ASCII bytes escaped as \XX), so anything else is not from Envoy.
// Refusing control characters also keeps CR/LF and NUL out of every value.
MaybeError check_characters(std::string_view header) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    const auto byte = static_cast<unsigned char>(header[i]);
    if (byte < 0x20 || byte > 0x7e) {
      return refuse_at("bad_character", "control or non-ASCII byte", i);
    }
  }
  return std::nullopt;
}

enum class Key { by, hash, cert, chain, subject, uri, dns };

constexpr std::array<std::pair<std::string_view, Key>, 7> key_names{{
    {"by", Key::by},
    {"hash", Key::hash},
    {"cert", Key::cert},
    {"chain", Key::chain},
    {"subject", Key::subject},
    {"uri", Key::uri},
    {"dns", Key::dns},
}};

using text::iequals;

// Keys are case-insensitive (Envoy's XFCC documentation). An unknown key is
// refused rather than skipped: Envoy documents a closed set, so anything
// else comes from another producer or a format we do not understand, and
// guessing what it means for the caller's identity is not fail-closed.
std::optional<Key> key_from_name(std::string_view name) {
  for (const auto& [key_name, key] : key_names) {
    if (iequals(name, key_name)) return key;
  }
  return std::nullopt;
}

MaybeError set_once(std::optional<std::string>& slot, std::string value, std::string reason,
                    std::size_t position) {
  if (slot) return refuse_at(std::move(reason), "key given twice in one element", position);
  slot = std::move(value);
  return std::nullopt;
}

// By and DNS repeat legitimately: Envoy writes one pair per SAN. URI
// repeats only for a certificate with several URI SANs, which is not an
// X.509-SVID (X.509-SVID §2) and whose identity would be ambiguous. It is
// refused in every element: it is also the last line of defence should
// client-written text ever end up in the trusted element, which then holds
// that text's URI besides the sidecar's own.
MaybeError store(XfccElement& element, Key key, std::string value, std::size_t position) {
  switch (key) {
    case Key::by:
      element.by.push_back(std::move(value));
      return std::nullopt;
    case Key::dns:
      element.dns.push_back(std::move(value));
      return std::nullopt;
    case Key::uri:
      return set_once(element.uri, std::move(value), "multiple_uris", position);
    case Key::hash:
      return set_once(element.hash, std::move(value), "duplicate_key", position);
    case Key::cert:
      return set_once(element.cert, std::move(value), "duplicate_key", position);
    case Key::chain:
      return set_once(element.chain, std::move(value), "duplicate_key", position);
    case Key::subject:
      return set_once(element.subject, std::move(value), "duplicate_key", position);
  }
  return refuse_at("unknown_key", "unknown key", position);
}

bool ends_value(char c) { return c == ',' || c == ';'; }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<std::vector<XfccElement>> elements() {
    std::vector<XfccElement> elements;
    while (true) {
      Result<XfccElement> element = parse_element();
      if (Error* error = std::get_if<Error>(&element)) return std::move(*error);
      elements.push_back(std::move(std::get<XfccElement>(element)));
      if (at_end()) return elements;
      ++pos_;  // the ',' that parse_element stopped at
    }
  }

 private:
  bool at_end() const { return pos_ == text_.size(); }
  char peek() const { return text_[pos_]; }

  Result<XfccElement> parse_element() {
    if (at_end() || peek() == ',') return refuse_at("empty_element", "empty element", pos_);
    XfccElement element;
    while (true) {
      if (MaybeError error = parse_pair(element)) return std::move(*error);
      if (at_end() || peek() == ',') return element;
      ++pos_;  // the ';' that parse_pair stopped at
    }
  }

  MaybeError parse_pair(XfccElement& element) {
    const std::size_t start = pos_;
    if (at_end() || ends_value(peek())) return refuse_at("empty_pair", "empty pair", start);
    while (!at_end() && peek() != '=' && !ends_value(peek())) ++pos_;
    if (at_end() || peek() != '=') return refuse_at("missing_equals", "pair without '='", start);
    const std::optional<Key> key = key_from_name(text_.substr(start, pos_ - start));
    if (!key) return refuse_at("unknown_key", "unknown key", start);
    ++pos_;  // '='
    Result<std::string> value = parse_value();
    if (Error* error = std::get_if<Error>(&value)) return std::move(*error);
    return store(element, *key, std::move(std::get<std::string>(value)), start);
  }

  Result<std::string> parse_value() {
    if (!at_end() && peek() == '"') return parse_quoted();
    return parse_unquoted();
  }

  // Unquoted values run to the next ',' or ';'. '=' is allowed (Envoy
  // writes URIs unquoted, and the key already ended at the first '='), but
  // a '"' or '\' is refused: either would mean the producer's quoting and
  // ours disagree about where this value ends.
  Result<std::string> parse_unquoted() {
    const std::size_t start = pos_;
    for (; !at_end() && !ends_value(peek()); ++pos_) {
      if (peek() == '"') return refuse_at("bad_quote", "'\"' inside an unquoted value", pos_);
      if (peek() == '\\') return refuse_at("bad_escape", "'\\' outside quotes", pos_);
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  // Inside quotes, `\"` and `\\` stand for '"' and '\' (Envoy's XFCC
  // documentation). Any other `\X` is kept as the two characters: Envoy
  // copies RFC 2253 subjects, escapes included (`O=Acme\, Inc.`), into
  // Subject="…". Keeping them verbatim, rather than dropping the
  // backslash, means no value ever loses a character, so a URI with a
  // backslash stays invalid instead of turning into a different ID.
  Result<std::string> parse_quoted() {
    const std::size_t open = pos_++;
    std::string value;
    while (true) {
      if (at_end()) return refuse_at("unterminated_quote", "quoted value not closed", open);
      const char c = text_[pos_++];
      if (c == '"') break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (at_end()) return refuse_at("bad_escape", "'\\' at the end of the header", pos_ - 1);
      const char escaped = text_[pos_++];
      if (escaped != '"' && escaped != '\\') value += '\\';
      value += escaped;
    }
    if (!at_end() && !ends_value(peek())) {
      return refuse_at("bad_quote", "text after a closing '\"'", pos_);
    }
    return value;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<std::vector<XfccElement>> parse_xfcc(std::string_view header) {
  if (header.empty()) return Error{"empty_header", "the x-forwarded-client-cert header is empty"};
  if (header.size() > max_xfcc_bytes) {
    return Error{"header_too_large", "the x-forwarded-client-cert header is over 64 KiB"};
  }
  if (MaybeError error = check_characters(header)) return std::move(*error);
  return Parser(header).elements();
}

Result<SpiffeId> spiffe_id_from_xfcc(std::string_view header) {
  Result<std::vector<XfccElement>> elements = parse_xfcc(header);
  if (Error* error = std::get_if<Error>(&elements)) return std::move(*error);
  // The last element is the one the closest (trusted) hop appended.
  const XfccElement& last = std::get<std::vector<XfccElement>>(elements).back();
  if (!last.uri || last.uri->empty()) {
    return Error{"missing_uri", "the last x-forwarded-client-cert element has no URI"};
  }
  return parse_presented_spiffe_id(*last.uri);
}

Result<Identity> identity_from_xfcc(std::string_view header, const IdentityRules& rules) {
  return identity_from_spiffe_id(spiffe_id_from_xfcc(header), rules);
}

}  // namespace firewarden::identity
