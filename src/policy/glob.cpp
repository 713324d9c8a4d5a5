#include "firewarden/policy/glob.hpp"

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <utility>

namespace firewarden::policy {

Glob::Glob(std::string pattern) : pattern_(std::move(pattern)) {
  const std::string_view text = pattern_;
  const std::size_t first_star = text.find('*');
  has_star_ = first_star != std::string_view::npos;
  if (!has_star_) return;
  match_all_ = std::all_of(text.begin(), text.end(), [](char c) { return c == '*'; });
  if (match_all_) return;
  const std::size_t last_star = text.rfind('*');
  prefix_size_ = first_star;
  suffix_size_ = text.size() - last_star - 1;
  // Tokenize [first_star, last_star]: runs of stars and the literals between.
  std::size_t at = first_star;
  while (at <= last_star) {
    if (text[at] == '*') {
      const std::size_t end = std::min(text.find_first_not_of('*', at), last_star + 1);
      middle_.push_back(
          {end - at == 1 ? Token::Kind::one_segment : Token::Kind::any_segments, 0, 0});
      at = end;
    } else {
      const std::size_t end = text.find('*', at);
      middle_.push_back({Token::Kind::literal, at, end - at});
      at = end;
    }
  }
}

bool Glob::matches(std::string_view value) const {
  if (!has_star_) return value == pattern_;
  if (match_all_) return true;
  const std::string_view pattern = pattern_;
  if (value.size() < prefix_size_ + suffix_size_ ||
      !value.starts_with(pattern.substr(0, prefix_size_)) ||
      !value.ends_with(pattern.substr(pattern.size() - suffix_size_))) {
    return false;
  }
  return matches_middle(value.substr(prefix_size_, value.size() - prefix_size_ - suffix_size_));
}

// reach[j]: the tokens so far can match middle[0, j). One pass per token,
// O(tokens · |middle|), no recursion and no backtracking blow-up; a greedy
// last-star backtrack is not enough once `*` may not cross '/'.
bool Glob::matches_middle(std::string_view middle) const {
  if (middle_.size() == 1) {  // one run of stars, e.g. spiffe://td/ns/orders/sa/*
    return middle_.front().kind == Token::Kind::any_segments ||
           middle.find('/') == std::string_view::npos;
  }
  const std::size_t n = middle.size();
  boost::container::small_vector<bool, 256> reach(n + 1, false);
  reach[0] = true;
  for (const Token& token : middle_) {
    switch (token.kind) {
      case Token::Kind::literal: {
        const std::string_view text = std::string_view(pattern_).substr(token.offset, token.size);
        const std::size_t length = text.size();
        // Downwards, so reach[j - length] is still the previous token's value.
        for (std::size_t j = n + 1; j-- > 0;) {
          reach[j] =
              j >= length && reach[j - length] && middle.compare(j - length, length, text) == 0;
        }
        break;
      }
      case Token::Kind::any_segments: {
        bool seen = false;
        for (std::size_t j = 0; j <= n; ++j) {
          seen = seen || reach[j];
          reach[j] = seen;
        }
        break;
      }
      case Token::Kind::one_segment: {
        // From a reached i, every j with no '/' in middle[i, j).
        bool carry = false;
        for (std::size_t j = 0; j <= n; ++j) {
          carry = (carry && j > 0 && middle[j - 1] != '/') || reach[j];
          reach[j] = carry;
        }
        break;
      }
    }
  }
  return reach[n];
}

}  // namespace firewarden::policy
