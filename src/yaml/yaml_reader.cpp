// About 420 lines: the strict YAML reader (a second document and duplicate keys
// refused, every error at FILE:LINE:COL) with the scalar parsers its typed fields
// share; the MapView at the bottom is the part to split next.
#include "firewarden/yaml/yaml_reader.hpp"

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <sstream>
#include <tuple>

#include "firewarden/text/ascii.hpp"

namespace firewarden::yaml {
namespace {

// Quotes a scalar for an error message, shortened so that a huge value
// cannot flood the output.
std::string quoted_value(const std::string& value) { return text::quoted_prefix(value, 80); }

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quoted_value(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

bool is_var_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

template <typename Int>
std::optional<Int> parse_unsigned(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  Int value{};
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

// Splits "250ms" into ("250", "ms").
std::pair<std::string_view, std::string_view> split_number(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) ++i;
  return {text.substr(0, i), text.substr(i)};
}

// Records where each document starts; ignores everything else.
class DocumentCounter final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::optional<std::string> expand_env(std::string_view text, const EnvLookup& env,
                                      std::string& error) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {  // "$$" is a literal '$'
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {  // a lone '$' is literal
      out += '$';
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error = "unterminated ${ in " + quoted_value(std::string(text));
      return std::nullopt;
    }
    const std::string_view reference = text.substr(i + 2, close - i - 2);
    const std::size_t separator = reference.find(":-");
    const std::string_view name = reference.substr(0, separator);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_var_char)) {
      error = "bad environment reference ${" + std::string(reference) + "}";
      return std::nullopt;
    }
    const std::optional<std::string> value = env(std::string(name));
    if (separator != std::string_view::npos) {
      // ${VAR:-default}: the default applies when VAR is unset or empty, as in sh.
      out += (value && !value->empty()) ? *value : std::string(reference.substr(separator + 2));
    } else if (value) {
      out += *value;
    } else {
      // An unset variable without default is an error: silently substituting
      // "" could, e.g., empty a trust domain list entry or a file path.
      error = "environment variable " + std::string(name) + " is not set";
      return std::nullopt;
    }
    i = close;
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto [digits, unit] = split_number(text);
  const auto count = parse_unsigned<std::uint64_t>(digits);
  if (!count) return std::nullopt;
  std::uint64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else {
    return std::nullopt;
  }
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (*count > kMax / factor) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(*count * factor));
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  auto [digits, unit] = split_number(text);
  const auto count = parse_unsigned<std::uint64_t>(digits);
  if (!count) return std::nullopt;
  std::uint64_t factor = 0;
  if (unit.empty()) {
    factor = 1;
  } else if (unit == "KiB") {
    factor = std::uint64_t{1} << 10U;
  } else if (unit == "MiB") {
    factor = std::uint64_t{1} << 20U;
  } else if (unit == "GiB") {
    factor = std::uint64_t{1} << 30U;
  } else {
    return std::nullopt;
  }
  if (*count > std::numeric_limits<std::uint64_t>::max() / factor) return std::nullopt;
  return *count * factor;
}

std::string format_duration(std::chrono::milliseconds value) {
  const auto ms = value.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_byte_size(std::uint64_t value) {
  if (value != 0 && value % (std::uint64_t{1} << 20) == 0)
    return std::to_string(value >> 20) + "MiB";
  if (value != 0 && value % 1024 == 0) return std::to_string(value >> 10) + "KiB";
  return std::to_string(value);
}

// ---------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------

Reader::Reader(std::string file, EnvLookup env) : file_(std::move(file)), env_(std::move(env)) {}

YAML::Node Reader::parse(const std::string& text) {
  try {
    // YAML::Load would silently drop every document after the first, and with
    // it any setting written there: refuse a second document instead. The
    // documents are counted with the event parser, at most two of them:
    // YAML::LoadAll never ends on some inputs (e.g. ",") in yaml-cpp 0.7.
    std::istringstream input(text);
    YAML::Parser parser(input);
    DocumentCounter counter;
    for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
    }
    if (counter.starts.size() > 1) {
      error(counter.starts[1], "only one YAML document is allowed; a second one starts here");
      return YAML::Node(YAML::NodeType::Undefined);
    }
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    error(e.mark, "YAML syntax error: " + e.msg);
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

Diagnostics Reader::take_diagnostics() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  return std::move(diagnostics_);
}

void Reader::error(const YAML::Node& at, const std::string& message) {
  if (const std::string* origin = origin_of(at)) {
    diagnostics_.push_back(Diagnostic{*origin, 0, 0, message});
    return;
  }
  error(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), message);
}

void Reader::mark_origin(const YAML::Node& node, const std::string& origin) {
  origins_.emplace_back(node, origin);
  if (node.IsMap()) {
    for (const auto& entry : node) {
      mark_origin(entry.first, origin);
      mark_origin(entry.second, origin);
    }
  } else if (node.IsSequence()) {
    for (const auto& element : node) mark_origin(element, origin);
  }
}

const std::string* Reader::origin_of(const YAML::Node& node) const {
  if (!node.IsDefined()) return nullptr;  // also guards Node::is, which throws on zombies
  for (const auto& [marked, origin] : origins_) {
    if (node.is(marked)) return &origin;
  }
  return nullptr;
}

Position Reader::position(const YAML::Node& node) const {
  if (const std::string* origin = origin_of(node)) return {0, 0, *origin};
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1, {}};
}

void Reader::error(const YAML::Mark& at, const std::string& message) {
  // yaml-cpp marks are 0-based; a null mark (-1) means "position unknown".
  const bool known = at.line >= 0 && at.column >= 0;
  diagnostics_.push_back(
      Diagnostic{file_, known ? at.line + 1 : 0, known ? at.column + 1 : 0, message});
}

std::optional<std::string> Reader::string(const YAML::Node& node, std::string_view path) {
  if (!node.IsScalar()) {
    error(node, std::string(path) + ": expected a string, got " + describe_node(node));
    return std::nullopt;
  }
  std::string problem;
  auto expanded = expand_env(node.Scalar(), env_, problem);
  if (!expanded) error(node, std::string(path) + ": " + problem);
  return expanded;
}

std::optional<bool> Reader::boolean(const YAML::Node& node, std::string_view path) {
  // Only true/false: YAML 1.1's yes/no/on/off are too easy to misread.
  if (node.IsScalar() && (node.Scalar() == "true" || node.Scalar() == "false")) {
    return node.Scalar() == "true";
  }
  error(node, std::string(path) + ": expected true or false, got " + describe_node(node));
  return std::nullopt;
}

std::optional<std::int64_t> Reader::integer(const YAML::Node& node, std::string_view path,
                                            std::int64_t min, std::int64_t max) {
  std::optional<std::int64_t> value;
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    std::int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc{} && end == text.data() + text.size()) value = parsed;
  }
  if (!value) {
    error(node, std::string(path) + ": expected an integer, got " + describe_node(node));
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    error(node, std::string(path) + ": must be between " + std::to_string(min) + " and " +
                    std::to_string(max) + ", got " + std::to_string(*value));
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> Reader::duration(const YAML::Node& node,
                                                          std::string_view path) {
  const auto text = node.IsScalar() ? string(node, path) : std::nullopt;
  if (text) {
    if (auto parsed = parse_duration(*text)) return parsed;
  }
  if (!node.IsScalar() || text) {
    error(node, std::string(path) + ": expected a duration like 5s, got " + describe_node(node));
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Reader::byte_size(const YAML::Node& node, std::string_view path) {
  const auto text = node.IsScalar() ? string(node, path) : std::nullopt;
  if (text) {
    if (auto parsed = parse_byte_size(*text)) return parsed;
  }
  if (!node.IsScalar() || text) {
    error(node,
          std::string(path) + ": expected a size like 16KiB or 10MiB, got " + describe_node(node));
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> Reader::string_list(const YAML::Node& node,
                                                            std::string_view path) {
  if (!node.IsSequence()) {
    error(node, std::string(path) + ": expected a list of strings, got " + describe_node(node));
    return std::nullopt;
  }
  std::vector<std::string> values;
  bool all_good = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto value = string(node[i], std::string(path) + "[" + std::to_string(i) + "]");
    if (value) {
      values.push_back(std::move(*value));
    } else {
      all_good = false;
    }
  }
  if (!all_good) return std::nullopt;
  return values;
}

std::optional<std::string> Reader::one_of(const YAML::Node& node, std::string_view path,
                                          const std::vector<std::string_view>& choices) {
  auto value = string(node, path);
  if (!value) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *value) != choices.end()) return value;
  std::string expected;
  for (std::string_view choice : choices) {
    if (!expected.empty()) expected += ", ";
    expected += choice;
  }
  error(node,
        std::string(path) + ": expected one of " + expected + ", got " + quoted_value(*value));
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// MapView
// ---------------------------------------------------------------------------

MapView::MapView(Reader& reader, const YAML::Node& node, std::string path, bool allow_missing)
    : reader_(reader), node_(node), path_(std::move(path)) {
  const std::string where = path_.empty() ? "the document" : path_;
  if (!node.IsDefined() || node.IsNull()) {
    if (!allow_missing) reader_.error(node, where + ": expected a mapping, got nothing");
    return;
  }
  if (!node.IsMap()) {
    reader_.error(node, where + ": expected a mapping, got " + describe_node(node));
    return;
  }
  valid_ = true;
  std::set<std::string, std::less<>> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      reader_.error(key, where + ": keys must be plain strings");
      continue;
    }
    if (!seen.insert(key.Scalar()).second) {
      // yaml-cpp keeps one of the two silently; which one is meant is unknowable.
      reader_.error(key, path_of(key.Scalar()) + ": duplicate key");
    }
  }
}

MapView::~MapView() {
  if (!valid_) return;
  for (const auto& entry : node_) {
    const YAML::Node& key = entry.first;
    if (key.IsScalar() && taken_.find(key.Scalar()) == taken_.end()) {
      reader_.error(key, path_of(key.Scalar()) + ": unknown key");
    }
  }
}

YAML::Node MapView::take(std::string_view key) {
  taken_.emplace(key);
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& entry : node_) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) {
      if (entry.second.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
      return entry.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool MapView::has(std::string_view key) const {
  if (!valid_) return false;
  for (const auto& entry : node_) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return !entry.second.IsNull();
  }
  return false;
}

std::string MapView::path_of(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

}  // namespace firewarden::yaml
