#pragma once
// Typed, strict field reading on top of yaml::Reader and MapView, for loaders
// that fill a struct key by key (the config loader). It remembers which keys
// were given (and where) and which were refused, so cross-field rules can look
// only at valid values and a refused value is not reported twice.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/yaml/yaml_reader.hpp"

namespace firewarden::yaml {

template <class T>
struct Range {
  T min;
  T max;
};

// One spelling of an enumeration value in a file: {"mtls", IdentityMode::mtls}.
template <class E>
struct Choice {
  std::string_view name;
  E value;
};

template <class E, std::size_t N>
std::string_view name_of(const std::array<Choice<E>, N>& choices, E value) {
  for (const auto& choice : choices) {
    if (choice.value == value) return choice.name;
  }
  return "?";
}

std::string in_quotes(std::string_view text);

class Fields {
 public:
  // `base` resolves relative file paths (file_field).
  Fields(std::string file, EnvLookup env, std::filesystem::path base);

  // Where each given key stands ("firestore.connect_timeout",
  // "identity.trust_domains[1]").
  Positions take_positions() { return std::move(positions_); }

 protected:
  // The value of `key` in `map`, remembered as given (with its position).
  YAML::Node take(MapView& map, std::string_view key);
  // Opens the mapping at `path` (already taken); a value that is not a
  // mapping has been reported and marks `path` and all below it as failed.
  MapView open(const YAML::Node& node, const std::string& path);
  // A nested mapping under `parent`.
  MapView section(MapView& parent, std::string_view key);

  bool given(std::string_view path) const { return nodes_.find(path) != nodes_.end(); }
  // Given with a value that passed its own checks: cross-field rules look
  // only at these, so a refused value is not reported twice.
  bool given_valid(std::string_view path) const { return given(path) && !failed(path); }
  // True when `path` or a mapping or list containing it was refused.
  bool failed(std::string_view path) const;
  void forget(const std::string& path);

  void invalid(const std::string& path, const YAML::Node& node, const std::string& message);
  // Reports at the first of `paths` that was given ("" is the document).
  void error_at(std::initializer_list<std::string_view> paths, const std::string& message);

  template <class Read>
  auto read_scalar(MapView& map, std::string_view key, Read read)
      -> decltype(read(YAML::Node(), std::string())) {
    const YAML::Node node = take(map, key);
    if (!node.IsDefined()) return std::nullopt;
    const std::string path = map.path_of(key);
    auto value = read(node, path);
    if (!value) failed_.insert(path);
    return value;
  }

  std::optional<std::string> string_field(MapView& map, std::string_view key);

  template <class Check>
  void checked_string_field(MapView& map, std::string_view key, std::string& out, Check check) {
    auto value = string_field(map, key);
    if (!value) return;
    const std::string path = map.path_of(key);
    if (auto error = check(*value)) {
      invalid(path, nodes_.at(path), *error + ", got " + in_quotes(*value));
      return;
    }
    out = std::move(*value);
    if (out.empty()) forget(path);
  }

  // A file path, resolved against the base directory. A required path keeps
  // its default (if any) when absent; `parent` is where a missing one is
  // reported.
  void file_field(MapView& map, std::string_view parent, std::string_view key, std::string& out,
                  bool required);
  void bool_field(MapView& map, std::string_view key, bool& out);

  template <class Int>
  void integer_field(MapView& map, std::string_view key, Int& out, Range<std::int64_t> range) {
    auto value = read_scalar(map, key, [&](const YAML::Node& node, const std::string& path) {
      return reader_.integer(node, path, range.min, range.max);
    });
    if (value) out = static_cast<Int>(*value);
  }

  // A value read by `read` and kept only within `range`; `format` writes
  // values back in config syntax for the message.
  template <class T, class Read, class Format>
  void ranged_field(MapView& map, std::string_view key, T& out, Range<T> range, Read read,
                    Format format) {
    auto value = read_scalar(map, key, read);
    if (!value) return;
    if (*value < range.min || *value > range.max) {
      const std::string path = map.path_of(key);
      invalid(path, nodes_.at(path),
              "must be between " + format(range.min) + " and " + format(range.max) + ", got " +
                  format(*value));
      return;
    }
    out = *value;
  }

  void duration_field(MapView& map, std::string_view key, std::chrono::milliseconds& out,
                      Range<std::chrono::milliseconds> range);
  void byte_size_field(MapView& map, std::string_view key, std::uint64_t& out,
                       Range<std::uint64_t> range);

  template <class E, std::size_t N>
  void enum_field(MapView& map, std::string_view key, E& out,
                  const std::array<Choice<E>, N>& choices) {
    std::vector<std::string_view> names;
    names.reserve(N);
    for (const auto& choice : choices) names.push_back(choice.name);
    auto value = read_scalar(map, key, [&](const YAML::Node& node, const std::string& path) {
      return reader_.one_of(node, path, names);
    });
    if (!value) return;
    for (const auto& choice : choices) {
      if (choice.name == *value) out = choice.value;
    }
  }

  // A list of distinct strings, each passing `check` (which returns an error
  // phrase or std::nullopt). std::nullopt when absent or when any element is
  // refused (each refusal reported at its element).
  template <class Check>
  std::optional<std::vector<std::string>> list_field(MapView& map, std::string_view key,
                                                     Check check) {
    const YAML::Node node = take(map, key);
    if (!node.IsDefined()) return std::nullopt;
    const std::string path = map.path_of(key);
    if (!node.IsSequence()) {
      reader_.string_list(node, path);  // reports "expected a list of strings, got …"
      failed_.insert(path);
      return std::nullopt;
    }
    std::vector<std::string> values;
    bool all_good = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node element = node[i];
      const std::string element_path = path + "[" + std::to_string(i) + "]";
      positions_.emplace(element_path, reader_.position(element));
      auto value = reader_.string(element, element_path);
      std::optional<std::string> error;
      if (!value) {
        all_good = false;
      } else if ((error = check(*value))) {
        reader_.error(element, element_path + ": " + *error);
        all_good = false;
      } else if (std::find(values.begin(), values.end(), *value) != values.end()) {
        reader_.error(element, element_path + ": " + in_quotes(*value) + " is listed twice");
        all_good = false;
      } else {
        values.push_back(std::move(*value));
      }
    }
    if (!all_good) {
      failed_.insert(path);
      return std::nullopt;
    }
    return values;
  }

  Reader reader_;
  std::filesystem::path base_;
  YAML::Node root_;
  std::map<std::string, YAML::Node, std::less<>> nodes_;  // every key given, by path
  std::set<std::string, std::less<>> failed_;             // paths whose value was refused
  Positions positions_;
};

}  // namespace firewarden::yaml
