#pragma once
// Set relations between collection patterns: the heart of the policy's
// soundness (SPEC §4 "covers the whole set", "could touch any part of it").
//
// A *concrete collection path* is a sequence of non-empty literal segments
// without '/', of odd length (collection / document / collection / …). A pattern is a
// sequence of segments: a literal (that exact text), `*` (any one segment) or
// `**` (any number of segments, including none). Paths(P) is the set of
// concrete collection paths P matches; segments of odd-length-only parity
// are part of that definition, so `orders/**/items` denotes orders/x/items,
// orders/x/y/z/items, … but never the non-path orders/items.
//
// The relations below are exact (decided on automata, see the .cpp) except
// where documented as conservative; conservative always means "answer that
// leads to deny": covers() may say false, intersects() may say true, never the
// other way round.
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "firewarden/firestore/request_model.hpp"

namespace firewarden::policy {

// A borrowed view of one segment; the matcher's common currency for rule
// patterns (after variables are bound) and requirement patterns.
struct SegmentRef {
  firestore::Segment::Kind kind = firestore::Segment::Kind::literal;
  std::string_view text;  // the literal; ignored for wildcards
};
using PatternRef = std::span<const SegmentRef>;

// The longest rule-side pattern the automaton handles exactly in covers().
// Longer rule patterns are skipped by covers() (conservative); the loader
// refuses them long before this limit.
inline constexpr std::size_t kMaxAutomatonSegments = 63;

// True when Paths(pattern) is not empty: at least one segment, no literal
// that is empty or contains '/', and an odd segment count unless a `**` can
// fix the parity.
bool denotes_collection(PatternRef pattern);

// Paths(requirement) ⊆ Paths(rule_patterns[0]) ∪ Paths(rule_patterns[1]) ∪ …
// False when Paths(requirement) is empty (nothing to authorize is not a
// reason to allow). Exact for rule patterns of at most kMaxAutomatonSegments
// segments when the search stays within its work budget (under a millisecond
// of automaton steps per call); otherwise false.
bool covers(std::span<const PatternRef> rule_patterns, PatternRef requirement);
bool covers(PatternRef rule_pattern, PatternRef requirement);

// Paths(a) ∩ Paths(b) ≠ ∅. Exact, for patterns of any length. Symmetric.
bool intersects(PatternRef a, PatternRef b);

// Views of a firestore::CollectionPattern (the strings stay owned by it).
std::vector<SegmentRef> segment_refs(const firestore::CollectionPattern& pattern);

}  // namespace firewarden::policy
