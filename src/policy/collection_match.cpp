#include "firewarden/policy/collection_match.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <set>

// How the relations are decided.
//
// Each pattern is a nondeterministic automaton over segments with states
// 0..n ("the first i pattern segments are matched"): a literal or `*` at i
// moves to i+1 on a matching segment, a `**` at i loops on any segment and
// may be skipped (an epsilon move to i+1); n accepts.
//
// The alphabet (segment texts) is infinite, but an automaton only ever
// compares a segment against its own literals. So every text that neither
// side names behaves exactly like one "fresh" text, and a pattern wildcard
// can always pick such a text (real IDs are unbounded). That reduces both
// questions to finite automata without losing exactness.
//
// Parity: concrete collection paths have an odd number of segments, so every
// product state also carries the length parity of the path read so far, and
// only odd-length paths count.
//
// intersects(a, b): reachability in the product of the two automata over
// states (i, j, parity): a step consumes one segment both sides can read (two
// literals must be equal; a wildcard reads anything). Polynomial, exact.
//
// covers(A₁…A_k, R): language inclusion Paths(R) ⊆ ∪ Paths(A_i). The rule side
// is determinised on the fly (its state is a bit set per pattern, which is
// also how a union is handled), the requirement side stays nondeterministic,
// and we search for a counterexample: a reachable state where R accepts with
// odd parity while no A_i does. Where R reads a wildcard we try every literal
// the rule patterns name plus the fresh text. No counterexample reachable =
// covered. Patterns that cannot meet the requirement are dropped first, and
// each remaining pattern is tried alone before the union. A work budget
// bounds time and memory; running out answers "not covered".
namespace firewarden::policy {
namespace {

using Kind = firestore::Segment::Kind;

bool is_literal(const SegmentRef& segment) { return segment.kind == Kind::literal; }

bool all_literal(PatternRef pattern) {
  return std::all_of(pattern.begin(), pattern.end(), is_literal);
}

// The most automaton steps one covers() call may take (under a millisecond);
// beyond it the answer is "not covered". It bounds time and memory alike: each
// search state costs one step per pattern to make.
constexpr std::size_t kCoverWorkBudget = 50'000;

// A pattern of at most kMaxAutomatonSegments segments as a bit-parallel NFA:
// bit i of a state word is position i.
class BitAutomaton {
 public:
  explicit BitAutomaton(PatternRef pattern) : pattern_(pattern) {
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      switch (pattern[i].kind) {
        case Kind::literal:
          literal_ |= bit;
          break;
        case Kind::any_one:
          any_one_ |= bit;
          break;
        case Kind::any_depth:
          any_depth_ |= bit;
          break;
      }
    }
    accept_ = std::uint64_t{1} << pattern.size();
  }

  std::uint64_t start() const { return closure(1); }
  bool accepts(std::uint64_t states) const { return (states & accept_) != 0; }

  // The literal positions among `states` whose text is `text`.
  std::uint64_t literal_hits(std::uint64_t states, std::string_view text) const {
    std::uint64_t hits = 0;
    for (std::uint64_t rest = states & literal_; rest != 0; rest &= rest - 1) {
      const int i = std::countr_zero(rest);
      if (pattern_[static_cast<std::size_t>(i)].text == text) hits |= std::uint64_t{1} << i;
    }
    return hits;
  }

  // Reads one segment; `hits` are the literal positions it equals.
  std::uint64_t step(std::uint64_t states, std::uint64_t hits) const {
    const std::uint64_t advance = states & (any_one_ | hits);
    return closure((advance << 1U) | (states & any_depth_));
  }

  std::uint64_t step_text(std::uint64_t states, std::string_view text) const {
    return step(states, literal_hits(states, text));
  }

 private:
  // Follows the epsilon moves past `**` (possibly several in a row).
  std::uint64_t closure(std::uint64_t states) const {
    for (;;) {
      const std::uint64_t next = states | ((states & any_depth_) << 1U);
      if (next == states) return states;
      states = next;
    }
  }

  PatternRef pattern_;
  std::uint64_t literal_ = 0;
  std::uint64_t any_one_ = 0;
  std::uint64_t any_depth_ = 0;
  std::uint64_t accept_ = 0;
};

// `pattern` (≤ kMaxAutomatonSegments) matches the all-literal `path`.
bool matches_concrete(PatternRef pattern, PatternRef path) {
  const BitAutomaton automaton(pattern);
  std::uint64_t states = automaton.start();
  for (const SegmentRef& segment : path) {
    states = automaton.step_text(states, segment.text);
    if (states == 0) return false;
  }
  return automaton.accepts(states);
}

// One consuming move of a pattern at position i: where it goes and what it reads.
struct ConsumingMove {
  std::size_t next = 0;
  bool any = false;       // reads any segment
  std::string_view text;  // else exactly this literal
};

bool consuming_move(PatternRef pattern, std::size_t i, ConsumingMove& move) {
  if (i >= pattern.size()) return false;
  const SegmentRef& segment = pattern[i];
  switch (segment.kind) {
    case Kind::literal:
      move = {i + 1, false, segment.text};
      return true;
    case Kind::any_one:
      move = {i + 1, true, {}};
      return true;
    case Kind::any_depth:
      move = {i, true, {}};
      return true;
  }
  return false;
}

bool intersects_product(PatternRef a, PatternRef b) {
  const std::size_t width_b = b.size() + 1;
  const auto index = [width_b](std::size_t i, std::size_t j, std::size_t parity) {
    return (i * width_b + j) * 2 + parity;
  };
  std::vector<bool> visited((a.size() + 1) * width_b * 2, false);
  struct State {
    std::size_t i, j, parity;
  };
  std::vector<State> stack;
  const auto visit = [&](std::size_t i, std::size_t j, std::size_t parity) {
    const std::size_t k = index(i, j, parity);
    if (visited[k]) return;
    visited[k] = true;
    stack.push_back({i, j, parity});
  };
  visit(0, 0, 0);
  while (!stack.empty()) {
    const State s = stack.back();
    stack.pop_back();
    if (s.i == a.size() && s.j == b.size() && s.parity == 1) return true;
    if (s.i < a.size() && a[s.i].kind == Kind::any_depth) visit(s.i + 1, s.j, s.parity);
    if (s.j < b.size() && b[s.j].kind == Kind::any_depth) visit(s.i, s.j + 1, s.parity);
    ConsumingMove move_a;
    ConsumingMove move_b;
    if (consuming_move(a, s.i, move_a) && consuming_move(b, s.j, move_b) &&
        (move_a.any || move_b.any || move_a.text == move_b.text)) {
      visit(move_a.next, move_b.next, s.parity ^ 1U);
    }
  }
  return false;
}

}  // namespace

bool denotes_collection(PatternRef pattern) {
  if (pattern.empty()) return false;
  bool has_any_depth = false;
  for (const SegmentRef& segment : pattern) {
    // A concrete segment is never empty and never holds a '/': such a
    // "literal" would be read as several segments upstream.
    if (segment.kind == Kind::literal &&
        (segment.text.empty() || segment.text.find('/') != std::string_view::npos)) {
      return false;
    }
    if (segment.kind == Kind::any_depth) has_any_depth = true;
  }
  return has_any_depth || pattern.size() % 2 == 1;
}

bool intersects(PatternRef a, PatternRef b) {
  if (!denotes_collection(a) || !denotes_collection(b)) return false;
  // The common case: one side is a concrete path (denotes_collection made
  // sure its length is odd).
  if (all_literal(b) && a.size() <= kMaxAutomatonSegments) return matches_concrete(a, b);
  if (all_literal(a) && b.size() <= kMaxAutomatonSegments) return matches_concrete(b, a);
  return intersects_product(a, b);
}

bool covers(PatternRef rule_pattern, PatternRef requirement) {
  return covers(std::span<const PatternRef>(&rule_pattern, 1), requirement);
}

namespace {

// The inclusion search for a wildcard requirement against the union of
// `rule_patterns` (each at most kMaxAutomatonSegments long). Spends at most
// `work_left` automaton steps; false when they run out.
bool covers_search(std::span<const PatternRef> rule_patterns, PatternRef requirement,
                   std::size_t& work_left) {
  std::vector<BitAutomaton> automata(rule_patterns.begin(), rule_patterns.end());

  // The texts worth trying where the requirement has a wildcard: every literal
  // the rule side names, plus one fresh text (modelled as "no literal hits").
  std::vector<std::string_view> symbols;
  for (PatternRef rule : rule_patterns) {
    for (const SegmentRef& segment : rule) {
      if (is_literal(segment) &&
          std::find(symbols.begin(), symbols.end(), segment.text) == symbols.end()) {
        symbols.push_back(segment.text);
      }
    }
  }

  // A search state: [requirement position * 2 + parity, rule-side state per automaton].
  using State = std::vector<std::uint64_t>;
  std::set<State> seen;
  std::vector<State> pending;
  const auto visit = [&](State state) {
    if (seen.insert(state).second) pending.push_back(std::move(state));
  };
  State start(automata.size() + 1);
  for (std::size_t k = 0; k < automata.size(); ++k) start[k + 1] = automata[k].start();
  visit(std::move(start));

  // Reads one segment: `text` null = the fresh text.
  bool exhausted = false;
  const auto read = [&](const State& from, std::size_t next_position,
                        const std::string_view* text) {
    if (work_left < automata.size()) {
      exhausted = true;
      return;
    }
    work_left -= automata.size();
    State to(from.size());
    const std::uint64_t parity = (from[0] & 1U) ^ 1U;
    to[0] = next_position * 2 + parity;
    for (std::size_t k = 0; k < automata.size(); ++k) {
      const std::uint64_t hits = text ? automata[k].literal_hits(from[k + 1], *text) : 0;
      to[k + 1] = automata[k].step(from[k + 1], hits);
    }
    visit(std::move(to));
  };

  while (!pending.empty()) {
    if (exhausted) return false;
    const State state = std::move(pending.back());
    pending.pop_back();
    const auto j = static_cast<std::size_t>(state[0] >> 1U);
    const bool odd = (state[0] & 1U) != 0;
    if (j == requirement.size()) {
      if (!odd) continue;
      bool any_accepts = false;
      for (std::size_t k = 0; k < automata.size(); ++k) {
        any_accepts = any_accepts || automata[k].accepts(state[k + 1]);
      }
      if (!any_accepts) return false;  // a path of the requirement no rule pattern matches
      continue;
    }
    const SegmentRef& segment = requirement[j];
    switch (segment.kind) {
      case Kind::literal:
        read(state, j + 1, &segment.text);
        break;
      case Kind::any_one:
      case Kind::any_depth: {
        const std::size_t next = segment.kind == Kind::any_one ? j + 1 : j;
        for (const std::string_view& symbol : symbols) read(state, next, &symbol);
        read(state, next, nullptr);
        if (segment.kind == Kind::any_depth) {  // `**` matching nothing
          State skip = state;
          skip[0] = (j + 1) * 2 + (odd ? 1U : 0U);
          visit(std::move(skip));
        }
        break;
      }
    }
  }
  return !exhausted;
}

}  // namespace

bool covers(std::span<const PatternRef> rule_patterns, PatternRef requirement) {
  if (!denotes_collection(requirement)) return false;
  if (all_literal(requirement)) {
    // Exactly one path: covered iff some pattern contains it.
    return std::any_of(rule_patterns.begin(), rule_patterns.end(),
                       [&](PatternRef rule) { return intersects(rule, requirement); });
  }
  // A pattern that shares no path with the requirement cannot help cover it,
  // so dropping it changes nothing (exact). Patterns too long for the
  // automaton are dropped too, which can only turn a yes into a no (sound).
  std::vector<PatternRef> useful;
  for (PatternRef rule : rule_patterns) {
    if (rule.size() <= kMaxAutomatonSegments && intersects(rule, requirement)) {
      useful.push_back(rule);
    }
  }
  if (useful.empty()) return false;
  std::size_t work_left = kCoverWorkBudget;
  // Usually one pattern covers on its own, and alone its search is small.
  if (useful.size() > 1) {
    for (const PatternRef& rule : useful) {
      if (covers_search(std::span<const PatternRef>(&rule, 1), requirement, work_left)) {
        return true;
      }
    }
  }
  return covers_search(useful, requirement, work_left);
}

std::vector<SegmentRef> segment_refs(const firestore::CollectionPattern& pattern) {
  std::vector<SegmentRef> refs;
  refs.reserve(pattern.segments.size());
  for (const firestore::Segment& segment : pattern.segments) {
    refs.push_back({segment.kind, segment.text});
  }
  return refs;
}

}  // namespace firewarden::policy
