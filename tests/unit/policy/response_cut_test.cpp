// Decision::response_cut: what a write returns is a read (SPEC §4). An
// allowed request that creates or updates documents in a collection the
// caller may not `get` has its response cut; the decision itself is the
// write's alone.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "policy_test_support.hpp"

namespace {

using namespace firewarden::policy::testing;  // NOLINT(google-build-using-namespace)
using firewarden::firestore::Action;
using firewarden::identity::Identity;

const char* const kPolicy = R"(
version: 1
rules:
  - name: writer-writes-inbox
    subjects: {namespaces: ["writer"]}
    collections: ["inbox", "inbox/*/items", "shared"]
    actions: [create, update, delete]
  - name: writer-reads-shared
    subjects: {namespaces: ["writer"]}
    collections: ["shared"]
    actions: [get]
  - name: writer-lists-inbox
    subjects: {namespaces: ["writer"]}
    collections: ["inbox"]
    actions: [list, query]
  - name: owner-all
    subjects: {namespaces: ["owner"]}
    collections: ["inbox", "inbox/**", "shared"]
    actions: [read, write]
  - name: no-reads-of-items
    effect: deny
    subjects: {namespaces: ["owner"]}
    collections: ["inbox/*/items"]
    actions: [get]
  - name: would-allow-get
    mode: dry-run
    subjects: {namespaces: ["writer"]}
    collections: ["inbox"]
    actions: [get]
)";

}  // namespace

TEST_CASE("response cut: a write-only caller's writes are cut, with the reason",
          "[policy][response_cut]") {
  const auto policy = load(kPolicy);
  const Identity writer = workload("writer", "w");

  SECTION("an upsert (create and update) without get: cut, no rule allows the get") {
    const auto decision =
        policy->decide(writer, request({{Action::create, "inbox"}, {Action::update, "inbox"}}));
    REQUIRE(decision.allowed);
    CHECK(decision.rule == "writer-writes-inbox");  // decided by the write alone
    REQUIRE(decision.cuts_response());
    CHECK(decision.response_cut->collection == collection("inbox"));
    CHECK(decision.response_cut->rule.empty());
    CHECK(firewarden::policy::response_cut_reason(*decision.response_cut) ==
          "no get on collection inbox (no rule allows it)");
    // list and query do not make a get; a dry-run allow does not either.
    CHECK(decision.dry_run.empty());
  }
  SECTION("an update to a collection it may get: not cut") {
    const auto decision = policy->decide(writer, request({{Action::update, "shared"}}));
    REQUIRE(decision.allowed);
    CHECK_FALSE(decision.cuts_response());
  }
  SECTION("a commit over a readable and an unreadable collection: cut, naming the latter") {
    const auto decision = policy->decide(
        writer, request({{Action::update, "shared"}, {Action::create, "inbox/i1/items"}}));
    REQUIRE(decision.allowed);
    REQUIRE(decision.cuts_response());
    CHECK(decision.response_cut->collection == collection("inbox/i1/items"));
  }
  SECTION("deletes return no data: a delete-only request is not cut") {
    const auto decision = policy->decide(writer, request({{Action::remove, "inbox"}}));
    REQUIRE(decision.allowed);
    CHECK_FALSE(decision.cuts_response());
  }
  SECTION("reads are never cut (they are decided by their own get)") {
    const auto decision = policy->decide(writer, request({{Action::get, "shared"}}));
    REQUIRE(decision.allowed);
    CHECK_FALSE(decision.cuts_response());
  }
  SECTION("a denied request has no cut: nothing is forwarded") {
    const auto decision = policy->decide(writer, request({{Action::create, "elsewhere"}}));
    REQUIRE_FALSE(decision.allowed);
    CHECK_FALSE(decision.cuts_response());
  }
}

TEST_CASE("response cut: an enforcing deny of get cuts even where an allow covers it",
          "[policy][response_cut]") {
  const auto policy = load(kPolicy);
  const Identity owner = workload("owner", "o");
  CHECK_FALSE(policy->decide(owner, request({{Action::update, "inbox"}})).cuts_response());
  const auto decision = policy->decide(owner, request({{Action::update, "inbox/i1/items"}}));
  REQUIRE(decision.allowed);
  REQUIRE(decision.cuts_response());
  CHECK(decision.response_cut->rule == "no-reads-of-items");
  CHECK(firewarden::policy::response_cut_reason(*decision.response_cut) ==
        "no get on collection inbox/i1/items (denied by rule no-reads-of-items)");
}

TEST_CASE("response cut: the cut is exactly 'some written collection would deny get'",
          "[policy][response_cut][property]") {
  // Random policies and write requests; the oracle asks decide() for a get
  // on each written collection on its own.
  std::mt19937 rng(1515);
  const auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
  };
  const std::vector<std::string> patterns = {"a", "b", "a/*/c", "**", "a/**", "*"};
  const std::vector<std::string> action_sets = {"[get]",        "[create, update]", "[read, write]",
                                                "[write]",      "[update, get]",    "[list, query]",
                                                "[create, get]"};
  const std::vector<std::string> paths = {"a", "b", "a/x/c", "b/y/c"};
  int cut_count = 0;
  int uncut_count = 0;
  for (int round = 0; round < 40; ++round) {
    std::string yaml = "version: 1\nrules:\n";
    const int count = std::uniform_int_distribution<int>(1, 6)(rng);
    for (int r = 0; r < count; ++r) {
      const bool deny = std::uniform_int_distribution<int>(0, 3)(rng) == 0;
      yaml += "  - name: r" + std::to_string(r) + "\n    effect: " + (deny ? "deny" : "allow") +
              "\n    subjects: {namespaces: [n]}\n    collections: [\"" + pick(patterns) +
              "\"]\n    actions: " + pick(action_sets) + "\n";
    }
    INFO(yaml);
    const auto policy = load(yaml);
    const Identity who = workload("n", "s");
    for (int q = 0; q < 30; ++q) {
      const std::string first = pick(paths);
      const std::string second = pick(paths);
      const auto write = request({{Action::update, first}, {Action::create, second}});
      const auto decision = policy->decide(who, write);
      INFO(first << " " << second);
      if (!decision.allowed) {
        CHECK_FALSE(decision.cuts_response());
        continue;
      }
      const bool first_readable = policy->decide(who, request({{Action::get, first}})).allowed;
      const bool second_readable = policy->decide(who, request({{Action::get, second}})).allowed;
      REQUIRE(decision.cuts_response() == !(first_readable && second_readable));
      if (decision.cuts_response()) {
        CHECK(decision.response_cut->collection == collection(first_readable ? second : first));
        ++cut_count;
      } else {
        ++uncut_count;
      }
    }
  }
  CHECK(cut_count > 20);
  CHECK(uncut_count > 20);
}
