#pragma once
// A rule's collection pattern as written in the policy (SPEC §4): `/`-separated
// segments, each a literal, `*` (any one segment), `**` (any number of
// segments, including none) or a variable standing for the caller's own
// `{namespace}`, `{service_account}` or `{trust_domain}`.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/text/expected.hpp"

namespace firewarden::policy {

enum class Variable { namespace_name, service_account, trust_domain };

struct RuleSegment {
  enum class Kind { literal, any_one, any_depth, variable };
  Kind kind = Kind::literal;
  std::string text;                              // the literal (Kind::literal only)
  Variable variable = Variable::namespace_name;  // Kind::variable only

  friend bool operator==(const RuleSegment&, const RuleSegment&) = default;
};

struct RulePattern {
  std::string source;  // as written, for explain and errors
  std::vector<RuleSegment> segments;

  bool has_variables() const;
};

// Limits that keep matching cheap and catch nonsense early. Firestore IDs are
// at most 1500 bytes; a rule deeper than 48 segments is better written with `**`.
inline constexpr std::size_t kMaxRulePatternSegments = 48;
inline constexpr std::size_t kMaxSegmentBytes = 1500;

// Parses and validates one pattern. Refused, each with its own message: an
// empty pattern, a leading or trailing `/`, empty segments, partial wildcards
// (`ord*`, `***`), braces that are not a whole known variable, `.` and `..`,
// Firestore-reserved `__…__` IDs (the classifier refuses them, so a rule
// naming one could never match), control characters, over-long segments,
// too many segments, and a pattern that can never match a collection path
// (an even number of segments and no `**`: that names documents).
text::Expected<RulePattern, std::string> parse_rule_pattern(std::string_view text);

}  // namespace firewarden::policy
