// covers() / intersects(): tables for each pattern form, then property tests
// against a brute-force reference (random patterns over a small alphabet,
// concrete paths sampled from them and enumerated exhaustively).
#include "firewarden/policy/collection_match.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "policy_test_support.hpp"

namespace {

using firewarden::firestore::Segment;
using firewarden::policy::covers;
using firewarden::policy::denotes_collection;
using firewarden::policy::intersects;
using firewarden::policy::PatternRef;
using firewarden::policy::SegmentRef;

// "a/*/**" -> segments viewing `text`; `*` and `**` are wildcards here.
std::vector<SegmentRef> pat(std::string_view text) {
  std::vector<SegmentRef> out;
  if (text.empty()) return out;
  firewarden::policy::testing::for_each_segment(text, [&](std::string_view piece) {
    if (piece == "*") {
      out.push_back({Segment::Kind::any_one, {}});
    } else if (piece == "**") {
      out.push_back({Segment::Kind::any_depth, {}});
    } else {
      out.push_back({Segment::Kind::literal, piece});
    }
  });
  return out;
}

// Reference: does `pattern` match the concrete path (plain recursion)?
bool reference_match(PatternRef pattern, const std::vector<std::string>& path, std::size_t i = 0,
                     std::size_t j = 0) {
  if (i == pattern.size()) return j == path.size();
  switch (pattern[i].kind) {
    case Segment::Kind::any_depth:
      return reference_match(pattern, path, i + 1, j) ||
             (j < path.size() && reference_match(pattern, path, i, j + 1));
    case Segment::Kind::any_one:
      return j < path.size() && reference_match(pattern, path, i + 1, j + 1);
    case Segment::Kind::literal:
      return j < path.size() && pattern[i].text == path[j] &&
             reference_match(pattern, path, i + 1, j + 1);
  }
  return false;
}

std::vector<SegmentRef> as_refs(const std::vector<std::string>& path) {
  std::vector<SegmentRef> out;
  for (const std::string& segment : path) out.push_back({Segment::Kind::literal, segment});
  return out;
}

struct Case {
  const char* rule;
  const char* requirement;
  bool covers;
  bool intersects;
};

}  // namespace

TEST_CASE("denotes_collection: odd length or a ** to fix the parity", "[policy][match]") {
  CHECK(denotes_collection(pat("orders")));
  CHECK(denotes_collection(pat("orders/o1/items")));
  CHECK(denotes_collection(pat("*")));
  CHECK(denotes_collection(pat("**")));
  CHECK(denotes_collection(pat("orders/**")));
  CHECK(denotes_collection(pat("a/**/b")));
  CHECK_FALSE(denotes_collection(pat("")));
  CHECK_FALSE(denotes_collection(pat("orders/o1")));
  CHECK_FALSE(denotes_collection(pat("*/*")));
  std::vector<SegmentRef> empty_literal = {{Segment::Kind::literal, ""}};
  CHECK_FALSE(denotes_collection(empty_literal));
  std::vector<SegmentRef> slash_literal = {{Segment::Kind::literal, "a/b/c"}};
  CHECK_FALSE(denotes_collection(slash_literal));
  CHECK_FALSE(covers(pat("*"), slash_literal));
  CHECK_FALSE(intersects(pat("**"), slash_literal));
}

TEST_CASE("covers and intersects: every pattern form", "[policy][match]") {
  const Case cases[] = {
      // literal rule vs concrete requirement
      {"orders", "orders", true, true},
      {"orders", "users", false, false},
      {"orders/*/items", "orders/o1/items", true, true},
      {"orders/*/items", "orders/o1/notes", false, false},
      {"orders", "orders/o1/items", false, false},
      // * (one segment)
      {"*", "orders", true, true},
      {"*", "orders/o1/items", false, false},
      {"*/*/items", "orders/o1/items", true, true},
      // ** (any depth, including none)
      {"orders/**", "orders", true, true},
      {"orders/**", "orders/o1/items", true, true},
      {"orders/**", "users/u1/orders", false, false},
      {"**", "a/b/c/d/e", true, true},
      {"**/items", "orders/o1/items", true, true},
      {"**/items", "items", true, true},
      {"**/items", "orders", false, false},
      {"orders/**/items", "orders/o1/items", true, true},
      {"orders/**/items", "orders/o1/x/x1/items", true, true},
      // kindless requirement (any collection id)
      {"orders/*/items", "orders/o1/*", false, true},
      {"orders/*/*", "orders/o1/*", true, true},
      {"orders/**", "orders/o1/*", true, true},
      {"*", "*", true, true},
      {"orders", "*", false, true},
      // collection-group requirement (allDescendants)
      {"orders/**", "orders/**/items", true, true},
      {"**/items", "orders/**/items", true, true},
      {"**", "**/items", true, true},
      {"orders/*/items", "orders/**/items", false, true},
      // orders/**/items never denotes orders/items (an even path), so the rule
      // orders/*/items and the requirement agree exactly on orders/X/items ...
      {"orders/*/items", "orders/*/items", true, true},
      // ... but not on deeper paths (orders/a/b/c/items).
      {"orders/*/items", "orders/**/items", false, true},
      {"users/**", "orders/**/items", false, false},
      {"**/notes", "orders/**/items", false, false},
      {"orders/*/items/*/notes", "orders/**/notes", false, true},
      // parity: odd paths only. `*/*/*/**` is every path of length >= 3; the
      // requirement `*/*/**` is every path of length >= 2, i.e. >= 3 when odd.
      {"*/*/*/**", "*/*/**", true, true},
      {"*/*/*/**", "**", false, true},
      {"*/**", "**", true, true},
      // wildcard requirement against literal rule
      {"orders/o1/items", "orders/*/items", false, true},
      {"a/b/c", "**", false, true},
      {"a/b/c", "**/d", false, false},
      // rule with ** in the middle and requirement with * at the end
      {"tenants/t1/**", "tenants/t1/orders/*/items", true, true},
      {"tenants/t1/**", "tenants/*/orders", false, true},
      {"tenants/t1/**", "tenants/t2/orders", false, false},
  };
  for (const Case& c : cases) {
    const auto rule = pat(c.rule);
    const auto requirement = pat(c.requirement);
    INFO("rule " << c.rule << " requirement " << c.requirement);
    CHECK(covers(rule, requirement) == c.covers);
    CHECK(intersects(rule, requirement) == c.intersects);
    CHECK(intersects(requirement, rule) == c.intersects);
  }
}

TEST_CASE("covers: a union of patterns can cover what none covers alone", "[policy][match]") {
  const auto one = pat("*");
  const auto deeper = pat("*/*/*/**");
  const PatternRef both[] = {one, deeper};
  const auto everything = pat("**");
  CHECK_FALSE(covers(one, everything));
  CHECK_FALSE(covers(deeper, everything));
  CHECK(covers(both, everything));
}

TEST_CASE("covers: many patterns stay cheap and sound", "[policy][match]") {
  // Hundreds of patterns that all meet a collection-group requirement: the
  // ones that cannot meet it are dropped, single patterns are tried first,
  // and the union search has a work budget (running out means "no").
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) {
    texts.push_back("**/a" + std::to_string(i) + "/**/b" + std::to_string(i) + "/*/**");
    texts.push_back("users/u" + std::to_string(i) + "/items");
  }
  std::vector<std::vector<SegmentRef>> patterns;
  for (const std::string& text : texts) patterns.push_back(pat(text));
  std::vector<PatternRef> refs(patterns.begin(), patterns.end());
  const auto requirement = pat("orders/**/items");
  CHECK_FALSE(covers(refs, requirement));
  const auto everything = pat("**");
  refs.emplace_back(everything);
  CHECK(covers(refs, requirement));
}

TEST_CASE("covers: a requirement denoting nothing is never covered", "[policy][match]") {
  CHECK_FALSE(covers(pat("**"), pat("orders/o1")));
  CHECK_FALSE(covers(pat("**"), pat("")));
  CHECK_FALSE(intersects(pat("**"), pat("orders/o1")));
}

TEST_CASE("matching is exact on literal text, wildcards in literals mean nothing",
          "[policy][match]") {
  // A requirement literal "*" is a document id that happens to be a star.
  std::vector<SegmentRef> star_literal = {{Segment::Kind::literal, "*"}};
  CHECK_FALSE(covers(pat("orders"), star_literal));
  CHECK(covers(pat("*"), star_literal));
  CHECK_FALSE(covers(pat("Orders"), pat("orders")));
  CHECK_FALSE(covers(pat("orders"), pat("orders ")));
}

TEST_CASE("long requirements and long rules", "[policy][match]") {
  std::string deep = "c0";
  for (int i = 1; i < 101; ++i) deep += "/d" + std::to_string(i) + "/c" + std::to_string(i);
  const auto requirement = pat(deep);  // 201 segments
  CHECK(covers(pat("c0/**"), requirement));
  CHECK(covers(pat("**/c100"), requirement));
  CHECK_FALSE(covers(pat("**/c99"), requirement));
  CHECK(intersects(requirement, pat("c0/**/c50/**")));
  // A rule longer than the automaton limit still intersects exactly (deny is
  // never weakened) but is never used to cover a wildcard requirement.
  CHECK(intersects(requirement, requirement));
  CHECK(covers(requirement, requirement));  // exact requirement: exact answer
  auto wild = pat(deep);
  wild.back() = {Segment::Kind::any_one, {}};
  CHECK(intersects(requirement, wild));
  CHECK_FALSE(covers(requirement, wild));
}

// ---------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------
namespace {

// Literals a and b; c never appears in patterns, so it plays the "fresh" text.
const std::vector<std::string> kAlphabet = {"a", "b", "c"};

std::vector<SegmentRef> random_pattern(std::mt19937& rng, std::size_t max_length) {
  std::uniform_int_distribution<std::size_t> length(1, max_length);
  std::uniform_int_distribution<int> kind(0, 4);
  std::vector<SegmentRef> out(length(rng));
  for (SegmentRef& segment : out) {
    switch (kind(rng)) {
      case 0:
        segment = {Segment::Kind::literal, "a"};
        break;
      case 1:
        segment = {Segment::Kind::literal, "b"};
        break;
      case 2:
        segment = {Segment::Kind::any_one, {}};
        break;
      case 3:
        segment = {Segment::Kind::any_depth, {}};
        break;
      default:
        segment = {Segment::Kind::literal, "a"};
        break;
    }
  }
  return out;
}

// A random concrete path the pattern matches (any parity; callers filter).
std::vector<std::string> sample_path(std::mt19937& rng, PatternRef pattern) {
  std::uniform_int_distribution<std::size_t> letter(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<int> depth(0, 3);
  std::vector<std::string> path;
  for (const SegmentRef& segment : pattern) {
    switch (segment.kind) {
      case Segment::Kind::literal:
        path.emplace_back(segment.text);
        break;
      case Segment::Kind::any_one:
        path.push_back(kAlphabet[letter(rng)]);
        break;
      case Segment::Kind::any_depth:
        for (int n = depth(rng); n > 0; --n) path.push_back(kAlphabet[letter(rng)]);
        break;
    }
  }
  return path;
}

// Every concrete collection path over kAlphabet of odd length <= max_length.
std::vector<std::vector<std::string>> all_paths(std::size_t max_length) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::vector<std::string>> layer = {{}};
  for (std::size_t length = 1; length <= max_length; ++length) {
    std::vector<std::vector<std::string>> next;
    for (const auto& prefix : layer) {
      for (const std::string& letter : kAlphabet) {
        next.push_back(prefix);
        next.back().push_back(letter);
      }
    }
    layer = std::move(next);
    if (length % 2 == 1) out.insert(out.end(), layer.begin(), layer.end());
  }
  return out;
}

std::string show(PatternRef pattern) {
  std::string out;
  for (const SegmentRef& s : pattern) {
    if (!out.empty()) out += '/';
    out += s.kind == Segment::Kind::any_one     ? "*"
           : s.kind == Segment::Kind::any_depth ? "**"
                                                : std::string(s.text);
  }
  return out;
}

}  // namespace

TEST_CASE("property: covers and intersects are sound on sampled paths",
          "[policy][match][property]") {
  std::mt19937 rng(20261126);
  int covered_pairs = 0;
  int intersecting_pairs = 0;
  for (int iteration = 0; iteration < 6000; ++iteration) {
    const auto a = random_pattern(rng, 5);
    const auto b = random_pattern(rng, 5);
    INFO("A = " << show(a) << "   B = " << show(b));
    const bool a_covers_b = covers(a, b);
    const bool a_meets_b = intersects(a, b);
    REQUIRE(a_meets_b == intersects(b, a));
    if (a_covers_b) {
      ++covered_pairs;
      REQUIRE(a_meets_b);  // B denotes something, all of it in A
    }
    if (a_meets_b) ++intersecting_pairs;
    for (int sample = 0; sample < 12; ++sample) {
      // Paths of B: covered => matched by A; matched by A => intersecting.
      const auto from_b = sample_path(rng, b);
      if (from_b.size() % 2 == 1) {
        const bool in_a = reference_match(a, from_b);
        INFO("path " << show(as_refs(from_b)));
        if (a_covers_b) REQUIRE(in_a);
        if (in_a) REQUIRE(a_meets_b);
      }
      // Deliberately common paths: sampled from A, kept when B matches too.
      const auto from_a = sample_path(rng, a);
      if (from_a.size() % 2 == 1 && reference_match(b, from_a)) {
        INFO("common path " << show(as_refs(from_a)));
        REQUIRE(a_meets_b);
      }
    }
  }
  // The generator produces both outcomes often enough to mean something.
  CHECK(covered_pairs > 300);
  CHECK(intersecting_pairs > 1500);
}

TEST_CASE("property: covers and intersects are exact against exhaustive enumeration",
          "[policy][match][property]") {
  // Patterns of up to 3 segments; any witness or counterexample then exists
  // among paths of at most 7 segments over {a, b, fresh c}.
  const auto paths = all_paths(7);
  std::mt19937 rng(7);
  for (int iteration = 0; iteration < 400; ++iteration) {
    const auto a = random_pattern(rng, 3);
    const auto b = random_pattern(rng, 3);
    bool some_b_path = false;
    bool all_b_in_a = true;
    bool common = false;
    for (const auto& path : paths) {
      const bool in_b = reference_match(b, path);
      const bool in_a = reference_match(a, path);
      some_b_path = some_b_path || in_b;
      if (in_b && !in_a) all_b_in_a = false;
      if (in_a && in_b) common = true;
    }
    INFO("A = " << show(a) << "   B = " << show(b));
    REQUIRE(intersects(a, b) == common);
    REQUIRE(covers(a, b) == (some_b_path && all_b_in_a));
  }
}

TEST_CASE("property: concrete requirements agree with the reference matcher",
          "[policy][match][property]") {
  std::mt19937 rng(99);
  const auto paths = all_paths(7);
  std::uniform_int_distribution<std::size_t> pick(0, paths.size() - 1);
  for (int iteration = 0; iteration < 3000; ++iteration) {
    const auto a = random_pattern(rng, 6);
    const auto& path = paths[pick(rng)];
    const auto refs = as_refs(path);
    const bool expected = reference_match(a, path);
    INFO("A = " << show(a) << "   path = " << show(refs));
    REQUIRE(covers(a, refs) == expected);
    REQUIRE(intersects(a, refs) == expected);
  }
}
