#pragma once
// Strict YAML reading shared by the config and policy loaders: every error is
// collected (not only the first) as FILE:LINE:COL naming the key path, unknown
// and duplicate keys are errors, and ${VAR} / ${VAR:-default} are expanded in
// string values.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/yaml/diagnostic.hpp"
#include "firewarden/yaml/env_lookup.hpp"

namespace firewarden::yaml {

// Expands ${VAR} and ${VAR:-default} (default used when VAR is unset or
// empty); `$$` is a literal `$`. Returns std::nullopt and sets `error` for an
// unset variable without default or a malformed reference.
std::optional<std::string> expand_env(std::string_view text, const EnvLookup& env,
                                      std::string& error);

// "250ms", "5s", "2m", "1h" (non-negative integer + unit).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "1048576", "16KiB", "10MiB", "1GiB".
std::optional<std::uint64_t> parse_byte_size(std::string_view text);
// The other way round, for messages and printed configs: "5s", "250ms",
// "2m", "12h" (the largest unit that divides exactly) and "16KiB", "10MiB",
// "1000" (the largest binary unit that divides exactly).
std::string format_duration(std::chrono::milliseconds value);
std::string format_byte_size(std::uint64_t value);

class Reader {
 public:
  Reader(std::string file, EnvLookup env);

  // Parses the whole document; a syntax error becomes a diagnostic and the
  // result is an undefined node.
  YAML::Node parse(const std::string& text);

  const std::string& file() const { return file_; }
  const Diagnostics& diagnostics() const { return diagnostics_; }
  Diagnostics take_diagnostics();  // sorted by line and column
  bool ok() const { return diagnostics_.empty(); }

  // At the node's FILE:LINE:COL, or at its origin when it came from outside
  // the file (mark_origin).
  void error(const YAML::Node& at, const std::string& message);
  void error(const YAML::Mark& at, const std::string& message);
  void report(Diagnostic diagnostic) { diagnostics_.push_back(std::move(diagnostic)); }

  // Nodes grafted into the document from elsewhere (a --set flag, an
  // environment variable): errors at `node` or anything below it name
  // `origin` instead of a position in the file.
  void mark_origin(const YAML::Node& node, const std::string& origin);
  // Where `node` stands: its 1-based line and column, or its origin.
  Position position(const YAML::Node& node) const;

  // Scalar readers. Each reports a diagnostic "PATH: expected …, got …" at
  // the node and returns std::nullopt when the value is the wrong type.
  std::optional<std::string> string(const YAML::Node& node, std::string_view path);
  std::optional<bool> boolean(const YAML::Node& node, std::string_view path);
  std::optional<std::int64_t> integer(const YAML::Node& node, std::string_view path,
                                      std::int64_t min, std::int64_t max);
  std::optional<std::chrono::milliseconds> duration(const YAML::Node& node, std::string_view path);
  std::optional<std::uint64_t> byte_size(const YAML::Node& node, std::string_view path);
  // A sequence of strings (each env-expanded).
  std::optional<std::vector<std::string>> string_list(const YAML::Node& node,
                                                      std::string_view path);
  // One of `choices`, e.g. {"mtls","xfcc","fixed"}.
  std::optional<std::string> one_of(const YAML::Node& node, std::string_view path,
                                    const std::vector<std::string_view>& choices);

 private:
  const std::string* origin_of(const YAML::Node& node) const;

  std::string file_;
  EnvLookup env_;
  Diagnostics diagnostics_;
  std::vector<std::pair<YAML::Node, std::string>> origins_;
};

// A mapping read strictly: `take` each known key; when the view goes out of
// scope every key not taken is reported as unknown. Duplicate keys are
// reported at construction (YAML forbids them; yaml-cpp silently keeps one).
class MapView {
 public:
  // Reports "PATH: expected a mapping" unless `node` is a map (or null /
  // undefined, which reads as an empty mapping when `allow_missing`).
  MapView(Reader& reader, const YAML::Node& node, std::string path, bool allow_missing = true);
  ~MapView();
  MapView(const MapView&) = delete;
  MapView& operator=(const MapView&) = delete;

  bool valid() const { return valid_; }
  // The value of `key`, or an undefined node when absent. Null values read as
  // absent.
  YAML::Node take(std::string_view key);
  bool has(std::string_view key) const;
  std::string path_of(std::string_view key) const;  // "listener.tls.cert_file"
  const YAML::Node& node() const { return node_; }

 private:
  Reader& reader_;
  YAML::Node node_;
  std::string path_;
  bool valid_ = false;
  std::set<std::string, std::less<>> taken_;
};

}  // namespace firewarden::yaml
