#include "firewarden/policy/glob.hpp"

#include <algorithm>

namespace firewarden::policy {

Glob::Glob(std::string pattern) : pattern_(std::move(pattern)) {
  has_star_ = pattern_.find('*') != std::string::npos;
  match_all_ = !pattern_.empty() &&
               std::all_of(pattern_.begin(), pattern_.end(), [](char c) { return c == '*'; });
}

bool Glob::matches(std::string_view value) const {
  if (!has_star_) return value == pattern_;
  if (match_all_) return true;
  // Greedy matching with backtracking to the last star: linear in practice,
  // O(|pattern|·|value|) at worst, no recursion.
  const std::string_view pattern = pattern_;
  std::size_t p = 0;
  std::size_t v = 0;
  std::size_t star = std::string_view::npos;  // position of the last star seen
  std::size_t resume = 0;                     // where its match may grow from
  while (v < value.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = v;
    } else if (p < pattern.size() && pattern[p] == value[v]) {
      ++p;
      ++v;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace firewarden::policy
