#include "firewarden/policy/rule_pattern.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "firewarden/text/ascii.hpp"

namespace firewarden::policy {
namespace {

constexpr std::array<std::pair<std::string_view, Variable>, 3> kVariables{{
    {"{namespace}", Variable::namespace_name},
    {"{service_account}", Variable::service_account},
    {"{trust_domain}", Variable::trust_domain},
}};

std::string quoted_pattern(std::string_view text) { return text::quoted_prefix(text, 60); }

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// Reads one segment into `out`, or returns why it is refused.
std::string parse_segment(std::string_view text, RuleSegment& out) {
  if (text.empty()) return "empty segment (\"//\")";
  if (text == "*") {
    out.kind = RuleSegment::Kind::any_one;
    return {};
  }
  if (text == "**") {
    out.kind = RuleSegment::Kind::any_depth;
    return {};
  }
  if (text.find('*') != std::string_view::npos) {
    return "partial wildcard " + quoted_pattern(text) +
           ": a wildcard must be a whole segment, * (one segment) or ** (any depth)";
  }
  if (text.find_first_of("{}") != std::string_view::npos) {
    for (const auto& [name, variable] : kVariables) {
      if (text == name) {
        out.kind = RuleSegment::Kind::variable;
        out.variable = variable;
        return {};
      }
    }
    if (text.front() == '{' && text.back() == '}') {
      return "unknown variable " + quoted_pattern(text) +
             " (known: {namespace}, {service_account}, {trust_domain})";
    }
    return "braces in " + quoted_pattern(text) +
           ": a variable must be a whole segment such as {namespace}";
  }
  if (text == "." || text == "..")
    return "segment " + quoted_pattern(text) + " is not a Firestore ID";
  if (text.size() >= 4 && text.starts_with("__") && text.ends_with("__")) {
    return "segment " + quoted_pattern(text) +
           " can never match: Firestore reserves IDs of the form __…__";
  }
  if (text.size() > kMaxSegmentBytes) {
    return "segment longer than " + std::to_string(kMaxSegmentBytes) + " bytes";
  }
  if (std::any_of(text.begin(), text.end(), is_control)) {
    return "control character in segment " + quoted_pattern(text);
  }
  out.kind = RuleSegment::Kind::literal;
  out.text = std::string(text);
  return {};
}

}  // namespace

bool RulePattern::has_variables() const {
  return std::any_of(segments.begin(), segments.end(), [](const RuleSegment& segment) {
    return segment.kind == RuleSegment::Kind::variable;
  });
}

text::Expected<RulePattern, std::string> parse_rule_pattern(std::string_view text) {
  if (text.empty()) return std::string("empty collection pattern");
  if (text.front() == '/') {
    return std::string(
        "must not start with '/': patterns are relative to the database's documents, "
        "e.g. orders/*/items");
  }
  if (text.back() == '/') return std::string("must not end with '/'");

  RulePattern pattern;
  pattern.source = std::string(text);
  bool has_any_depth = false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = text.find('/', start);
    const std::string_view piece = text.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    RuleSegment segment;
    std::string problem = parse_segment(piece, segment);
    if (!problem.empty()) return problem;
    has_any_depth = has_any_depth || segment.kind == RuleSegment::Kind::any_depth;
    pattern.segments.push_back(std::move(segment));
    if (pattern.segments.size() > kMaxRulePatternSegments) {
      return "more than " + std::to_string(kMaxRulePatternSegments) +
             " segments; use ** for deep paths";
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!has_any_depth && pattern.segments.size() % 2 == 0) {
    return quoted_pattern(text) +
           " has an even number of segments, so it names documents, not "
           "collections (a collection path is collection/document/collection/…)";
  }
  return pattern;
}

}  // namespace firewarden::policy
