#pragma once
// Subject globs (SPEC §4 `subjects`): `*` matches any sequence of characters
// (including none, and including `/` inside a principal); every other
// character matches itself, byte for byte. There is no escape and no `?`.
#include <string>
#include <string_view>

namespace firewarden::policy {

class Glob {
 public:
  explicit Glob(std::string pattern);

  bool matches(std::string_view value) const;
  bool is_literal() const { return !has_star_; }  // no `*`: plain equality
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  bool has_star_ = false;
  bool match_all_ = false;  // the pattern is only stars
};

}  // namespace firewarden::policy
