// Subject globs: `*` within one path segment, `**` across segments, a
// pattern of stars alone matches everything. Fixed cases, then a property
// test against a brute-force recursive matcher over random patterns and values.
#include "firewarden/policy/glob.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <string_view>

namespace {

using firewarden::policy::Glob;

struct Case {
  const char* pattern;
  const char* value;
  bool matches;
};

TEST_CASE("glob: * stays within a path segment, ** crosses segments", "[policy][glob]") {
  const Case cases[] = {
      {"spiffe://cluster.local/ns/orders/sa/*", "spiffe://cluster.local/ns/orders/sa/api", true},
      {"spiffe://cluster.local/ns/orders/sa/*", "spiffe://cluster.local/ns/orders/sa/x/y", false},
      {"spiffe://cluster.local/ns/*/sa/api", "spiffe://cluster.local/ns/a/sa/api", true},
      {"spiffe://cluster.local/ns/*/sa/api", "spiffe://cluster.local/ns/a/b/sa/api", false},
      {"spiffe://cluster.local/*", "spiffe://cluster.local/ns/a/sa/b", false},
      {"spiffe://cluster.local/**", "spiffe://cluster.local/ns/a/sa/b", true},
      {"spiffe://cluster.local/ns/**/sa/b", "spiffe://cluster.local/ns/a/x/sa/b", true},
      {"spiffe://*/ns/a/sa/b", "spiffe://partner.example/ns/a/sa/b", true},
      {"spiffe://*", "spiffe://cluster.local/ns/a/sa/b", false},
      {"spiffe://**", "spiffe://cluster.local/ns/a/sa/b", true},
      {"spiffe://cluster.local/ns/etl-*/sa/*", "spiffe://cluster.local/ns/etl-1/sa/r", true},
      {"spiffe://cluster.local/ns/etl-*/sa/*", "spiffe://cluster.local/ns/etl-1/x/sa/r", false},
      {"*/b", "a/b", true},
      {"*/b", "a/x/b", false},
      {"a*b", "a/b", false},
      {"a**b", "a/b", true},
      {"*-reader", "etl-reader", true},
      {"etl-*", "etl-", true},
      {"etl-*", "etl", false},
      {"literal", "literal", true},
      {"literal", "Literal", false},
      // Stars alone match every value, '/' or not: `principals: ["*"]` is everyone.
      {"*", "spiffe://cluster.local/ns/a/sa/b", true},
      {"**", "", true},
      {"*", "", true},
  };
  for (const Case& c : cases) {
    INFO(c.pattern << " ~ " << c.value);
    CHECK(Glob(c.pattern).matches(c.value) == c.matches);
  }
}

TEST_CASE("glob: a moved glob still matches (no views into a moved string)", "[policy][glob]") {
  std::vector<Glob> globs;
  for (int i = 0; i < 20; ++i) globs.emplace_back("a*b" + std::to_string(i) + "*c");
  CHECK(globs[3].matches("axb3yc"));
  CHECK_FALSE(globs[3].matches("a/b3yc"));
  CHECK(globs[19].matches("ab19c"));
}

// The oracle: SPEC's definition, by brute force. `**` (two or more stars)
// consumes any run; `*` any run without '/'; anything else itself.
bool oracle_rest(std::string_view pattern, std::string_view value) {
  if (pattern.empty()) return value.empty();
  if (pattern.front() == '*') {
    const std::size_t stars = std::min(pattern.find_first_not_of('*'), pattern.size());
    const std::string_view rest = pattern.substr(stars);
    for (std::size_t take = 0; take <= value.size(); ++take) {
      if (stars == 1 && take > 0 && value[take - 1] == '/') break;
      if (oracle_rest(rest, value.substr(take))) return true;
    }
    return false;
  }
  return !value.empty() && pattern.front() == value.front() &&
         oracle_rest(pattern.substr(1), value.substr(1));
}

bool oracle(std::string_view pattern, std::string_view value) {
  if (!pattern.empty() && pattern.find_first_not_of('*') == std::string_view::npos) return true;
  return oracle_rest(pattern, value);
}

TEST_CASE("glob: random patterns agree with a brute-force matcher", "[policy][glob][property]") {
  std::mt19937 rng(20261206);
  const auto below = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  const std::string_view pattern_pieces[] = {"a", "b", "/", "*", "**", "ab", "/a"};
  const char value_chars[] = {'a', 'b', '/'};
  std::size_t matched = 0;
  std::size_t refused = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string pattern;
    for (std::size_t n = 1 + below(6); n > 0; --n) pattern += pattern_pieces[below(7)];
    const Glob glob(pattern);
    for (int v = 0; v < 12; ++v) {
      std::string value;
      for (std::size_t n = below(9); n > 0; --n) value += value_chars[below(3)];
      const bool expected = oracle(pattern, value);
      INFO("pattern " << pattern << " value " << value);
      REQUIRE(glob.matches(value) == expected);
      ++(expected ? matched : refused);
    }
  }
  // Both answers are exercised, not just one.
  CHECK(matched > 2000);
  CHECK(refused > 2000);
}

}  // namespace
