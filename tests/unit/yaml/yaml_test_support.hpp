#pragma once
// Helpers shared by the YAML-reading tests: a fake environment and a way to
// find where a piece of text stands in a document, so expected LINE:COL
// values are exact without hand-counting columns.
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "firewarden/yaml/diagnostic.hpp"
#include "firewarden/yaml/env_lookup.hpp"

namespace firewarden::yaml::testing {

inline EnvLookup fake_env(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

struct Position {
  int line = 0;
  int column = 0;
};

// 1-based line and column of the first occurrence of `needle` in `text`.
inline Position position_of(std::string_view text, std::string_view needle) {
  const auto at = text.find(needle);
  REQUIRE(at != std::string_view::npos);
  Position position{1, 1};
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++position.line;
      position.column = 1;
    } else {
      ++position.column;
    }
  }
  return position;
}

inline std::string render(const Diagnostics& diagnostics) {
  std::string out;
  for (const auto& diagnostic : diagnostics) out += diagnostic.to_string() + "\n";
  return out;
}

}  // namespace firewarden::yaml::testing
