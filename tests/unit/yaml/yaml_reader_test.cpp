#include "firewarden/yaml/yaml_reader.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "yaml_test_support.hpp"

using namespace std::chrono_literals;
using firewarden::yaml::Diagnostics;
using firewarden::yaml::expand_env;
using firewarden::yaml::MapView;
using firewarden::yaml::parse_byte_size;
using firewarden::yaml::parse_duration;
using firewarden::yaml::Reader;
using firewarden::yaml::testing::fake_env;
using firewarden::yaml::testing::render;

TEST_CASE("expand_env substitutes, defaults and escapes") {
  const auto env = fake_env({{"HOST", "db.internal"}, {"EMPTY", ""}, {"PORT", "8080"}});
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"plain", "plain"},
      {"${HOST}", "db.internal"},
      {"http://${HOST}:${PORT}/", "http://db.internal:8080/"},
      {"${MISSING:-fallback}", "fallback"},
      {"${EMPTY:-fallback}", "fallback"},  // as in sh: empty counts as unset
      {"${HOST:-fallback}", "db.internal"},
      {"${MISSING:-}", ""},
      {"${EMPTY}", ""},  // set but empty, no default: empty
      {"$$", "$"},
      {"$${HOST}", "${HOST}"},
      {"cost: 5$", "cost: 5$"},  // a lone '$' is literal
      {"$HOST", "$HOST"},        // only the braced form expands
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string error;
    const auto expanded = expand_env(c.text, env, error);
    REQUIRE(expanded);
    CHECK(*expanded == c.expected);
    CHECK(error.empty());
  }
}

TEST_CASE("expand_env refuses unset variables and malformed references") {
  const auto env = fake_env({{"HOST", "h"}});
  struct Case {
    std::string text;
    std::string error_contains;
  };
  const std::vector<Case> cases = {
      {"${MISSING}", "environment variable MISSING is not set"},
      {"a ${HOST} ${MISSING} b", "MISSING"},
      {"${HOST", "unterminated"},
      {"${}", "bad environment reference"},
      {"${A-B}", "bad environment reference"},
      {"${ HOST}", "bad environment reference"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string error;
    CHECK_FALSE(expand_env(c.text, env, error));
    CHECK_THAT(error, Catch::Contains(c.error_contains));
  }
}

TEST_CASE("parse_duration reads a whole number and a unit") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("0s") == 0ms);
  CHECK(parse_duration("5s") == 5s);
  CHECK(parse_duration("2m") == 2min);
  CHECK(parse_duration("12h") == 12h);
  CHECK(parse_duration("3600s") == 1h);
  for (const char* bad : {"", "five", "5", "s", "-5s", "+5s", "5 s", " 5s", "5s ", "1.5s", "5S",
                          "5sec", "5d", "5us", "99999999999999999999h", "9223372036854775807h"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad));
  }
}

TEST_CASE("parse_byte_size reads bytes and binary units") {
  CHECK(parse_byte_size("0") == 0u);
  CHECK(parse_byte_size("1048576") == 1048576u);
  CHECK(parse_byte_size("16KiB") == 16u * 1024);
  CHECK(parse_byte_size("10MiB") == 10u * 1024 * 1024);
  CHECK(parse_byte_size("1GiB") == 1024u * 1024 * 1024);
  for (const char* bad : {"", "16kb", "16KB", "16k", "16 KiB", "-1", "1.5MiB", "MiB", "16kib",
                          "99999999999999999999", "17179869184GiB"}) {
    INFO(bad);
    CHECK_FALSE(parse_byte_size(bad));
  }
}

namespace {

// Reads `text` with a root MapView whose `body` takes keys; returns the
// diagnostics.
template <class Body>
Diagnostics read(const std::string& text, Body body, firewarden::yaml::EnvLookup env = fake_env()) {
  Reader reader("test.yaml", std::move(env));
  const YAML::Node root = reader.parse(text);
  if (reader.ok()) {
    MapView map(reader, root, "");
    body(reader, map);
  }
  return reader.take_diagnostics();
}

}  // namespace

TEST_CASE("a YAML syntax error is one diagnostic with its position") {
  const auto diagnostics = read("a: [1, 2\nb: 3\n", [](Reader&, MapView&) {});
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].file == "test.yaml");
  CHECK(diagnostics[0].line >= 1);
  CHECK_THAT(diagnostics[0].message, Catch::StartsWith("YAML syntax error"));
}

TEST_CASE("a second YAML document is refused, not silently ignored") {
  Reader reader("test.yaml", fake_env());
  const YAML::Node root = reader.parse("a: 1\n---\nb: 2\n");
  CHECK_FALSE(root.IsDefined());
  const auto diagnostics = reader.take_diagnostics();
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].to_string() ==
        "test.yaml:2:1: only one YAML document is allowed; a second one starts here");

  // One document, with or without its markers, and the empty document are fine.
  for (const char* text : {"a: 1\n", "---\na: 1\n", "---\na: 1\n...\n", "", "# comment\n"}) {
    INFO(text);
    Reader one("test.yaml", fake_env());
    one.parse(text);
    CHECK(one.ok());
  }
}

TEST_CASE("unknown keys are reported at the key, with their path") {
  const std::string text = "known: 1\nlistener:\n  adress: x\ntypo: 2\n";
  const auto diagnostics = read(text, [](Reader& reader, MapView& root) {
    root.take("known");
    MapView listener(reader, root.take("listener"), "listener");
  });
  INFO(render(diagnostics));
  REQUIRE(diagnostics.size() == 2);
  CHECK(diagnostics[0].to_string() == "test.yaml:3:3: listener.adress: unknown key");
  CHECK(diagnostics[1].to_string() == "test.yaml:4:1: typo: unknown key");
}

TEST_CASE("duplicate keys are errors at the second occurrence") {
  const std::string text = "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n";
  const auto diagnostics = read(text, [](Reader& reader, MapView& root) {
    root.take("a");
    MapView b(reader, root.take("b"), "b");
    b.take("c");
  });
  INFO(render(diagnostics));
  REQUIRE(diagnostics.size() == 2);
  CHECK(diagnostics[0].to_string() == "test.yaml:4:3: b.c: duplicate key");
  CHECK(diagnostics[1].to_string() == "test.yaml:5:1: a: duplicate key");
}

TEST_CASE("a null value reads as absent, a non-mapping is refused") {
  const std::string text = "a:\nb: ~\nc: [1]\n";
  const auto diagnostics = read(text, [](Reader& reader, MapView& root) {
    CHECK_FALSE(root.take("a").IsDefined());
    CHECK_FALSE(root.has("b"));
    CHECK_FALSE(root.take("b").IsDefined());
    MapView c(reader, root.take("c"), "c");
    CHECK_FALSE(c.valid());
  });
  INFO(render(diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].to_string() == "test.yaml:3:4: c: expected a mapping, got a list");
}

TEST_CASE("typed scalar readers report the key path and the value at its position") {
  const std::string text =
      "timeout: five\n"
      "size: 16kb\n"
      "flag: yes\n"
      "count: 300\n"
      "mode: fast\n"
      "name: ${NOPE}\n"
      "list: x\n"
      "good: ${HOST:-h}:${PORT}\n";
  const auto diagnostics = read(
      text,
      [](Reader& reader, MapView& root) {
        CHECK_FALSE(reader.duration(root.take("timeout"), "timeout"));
        CHECK_FALSE(reader.byte_size(root.take("size"), "size"));
        CHECK_FALSE(reader.boolean(root.take("flag"), "flag"));
        CHECK_FALSE(reader.integer(root.take("count"), "count", 0, 256));
        CHECK_FALSE(reader.one_of(root.take("mode"), "mode", {"json", "text"}));
        CHECK_FALSE(reader.string(root.take("name"), "name"));
        CHECK_FALSE(reader.string_list(root.take("list"), "list"));
        CHECK(reader.string(root.take("good"), "good") == "h:9");
      },
      fake_env({{"PORT", "9"}}));
  INFO(render(diagnostics));
  REQUIRE(diagnostics.size() == 7);
  CHECK(diagnostics[0].to_string() ==
        "test.yaml:1:10: timeout: expected a duration like 5s, got \"five\"");
  CHECK(diagnostics[1].to_string() ==
        "test.yaml:2:7: size: expected a size like 16KiB or 10MiB, got \"16kb\"");
  CHECK(diagnostics[2].to_string() == "test.yaml:3:7: flag: expected true or false, got \"yes\"");
  CHECK(diagnostics[3].to_string() == "test.yaml:4:8: count: must be between 0 and 256, got 300");
  CHECK(diagnostics[4].to_string() ==
        "test.yaml:5:7: mode: expected one of json, text, got \"fast\"");
  CHECK(diagnostics[5].to_string() == "test.yaml:6:7: name: environment variable NOPE is not set");
  CHECK(diagnostics[6].to_string() == "test.yaml:7:7: list: expected a list of strings, got \"x\"");
}

TEST_CASE("durations and sizes are env-expanded like other strings") {
  const auto diagnostics = read(
      "timeout: ${T:-5s}\nsize: ${S}\n",
      [](Reader& reader, MapView& root) {
        CHECK(reader.duration(root.take("timeout"), "timeout") == 5s);
        CHECK(reader.byte_size(root.take("size"), "size") == 2048u);
      },
      fake_env({{"S", "2KiB"}}));
  CHECK(diagnostics.empty());
}
