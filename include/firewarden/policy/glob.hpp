#pragma once
// Subject globs (SPEC §3, §4 `subjects`). In a principal (a SPIFFE ID),
// `*` matches any run of characters within one path segment (never `/`) and
// `**` any run across segments (including `/`); every other character
// matches itself, byte for byte. A pattern made only of stars (`*`, `**`)
// matches every value: `principals: ["*"]` names every caller. Namespaces
// and service accounts contain no `/`, so there `*` and `**` agree. There is
// no escape and no `?`; three or more stars in a row act as `**` (the policy
// loader refuses them).
#include <string>
#include <string_view>
#include <vector>

namespace firewarden::policy {

class Glob {
 public:
  explicit Glob(std::string pattern);

  bool matches(std::string_view value) const;
  bool is_literal() const { return !has_star_; }  // no `*`: plain equality
  const std::string& pattern() const { return pattern_; }

 private:
  // The pattern between its literal prefix and suffix: stars and literals,
  // starting and ending with a star. Offsets, not views: a Glob is moved
  // (and a short pattern_ lives inside the object).
  struct Token {
    enum class Kind { literal, one_segment, any_segments } kind = Kind::literal;
    std::size_t offset = 0;  // literal only: pattern_.substr(offset, size)
    std::size_t size = 0;
  };

  bool matches_middle(std::string_view middle) const;

  std::string pattern_;
  bool has_star_ = false;
  bool match_all_ = false;       // the pattern is only stars
  std::size_t prefix_size_ = 0;  // literal before the first star
  std::size_t suffix_size_ = 0;  // literal after the last star
  std::vector<Token> middle_;
};

}  // namespace firewarden::policy
