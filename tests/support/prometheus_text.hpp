#pragma once
// A strict parser for the Prometheus text exposition format 0.0.4, for tests
// of what /metrics serves. It refuses everything `promtool check metrics`
// refuses or lints about, and a little more:
//   - every family has exactly one `# HELP` and one `# TYPE`, before its
//     samples; a family's lines are contiguous; counter names end in _total;
//   - metric and label names follow the grammar, label names are unique per
//     sample and not reserved (`__`), label values use only the escapes
//     \\ \" \n, HELP text only \\ \n;
//   - values are floats (NaN, +Inf, -Inf allowed; counters finite and >= 0);
//   - no series twice (same name and label set, in any label order);
//   - histograms: `_bucket` series carry `le`, bounds strictly increasing and
//     ending with +Inf, counts cumulative, `_count` equal to the +Inf bucket,
//     `_sum` present; `le` nowhere else.
// Header-only so unit tests (which do not link the test support library)
// can use it too.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace firewarden::testing::prometheus {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;  // e.g. family_bucket
  Labels labels;
  double value = 0;
};

struct Family {
  std::string name;
  std::string type;  // counter | gauge | histogram | summary | untyped
  std::string help;
  std::vector<Sample> samples;
};

struct Exposition {
  std::vector<Family> families;  // in the order served

  const Family* family(std::string_view name) const {
    for (const auto& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  // The value of the one sample named `name` whose labels include `labels`;
  // nullopt when none or more than one matches.
  std::optional<double> value(std::string_view name, const Labels& labels = {}) const {
    std::optional<double> found;
    int matches = 0;
    for (const auto& f : families) {
      for (const auto& s : f.samples) {
        if (s.name != name) continue;
        const bool all = std::all_of(labels.begin(), labels.end(), [&](const auto& wanted) {
          const auto it = s.labels.find(wanted.first);
          return it != s.labels.end() && it->second == wanted.second;
        });
        if (all) {
          found = s.value;
          ++matches;
        }
      }
    }
    if (matches != 1) return std::nullopt;
    return found;
  }
};

namespace detail {

inline bool is_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

inline bool is_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

// Go's strconv.ParseFloat forms that Prometheus writes and reads.
inline std::optional<double> parse_float(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "+Inf" || text == "Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text.empty()) return std::nullopt;
  std::string_view digits = text;
  if (digits.front() == '+' || digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() ||
      !((digits.front() >= '0' && digits.front() <= '9') || digits.front() == '.'))
    return std::nullopt;
  double value = 0;
  const auto result = std::from_chars(text.data() + (text.front() == '+' ? 1 : 0),
                                      text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// Unescapes in place; false on an escape the format does not have.
inline bool unescape(std::string_view text, bool is_label_value, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') return false;
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return false;
    if (text[i] == '\\') {
      out += '\\';
    } else if (text[i] == 'n') {
      out += '\n';
    } else if (text[i] == '"' && is_label_value) {
      out += '"';
    } else {
      return false;
    }
  }
  return true;
}

inline std::string family_of(const std::string& sample, const std::string& type,
                             std::string& suffix) {
  suffix.clear();
  if (type == "histogram" || type == "summary") {
    for (const char* s : {"_bucket", "_sum", "_count"}) {
      const std::string_view end(s);
      if (sample.size() > end.size() && sample.ends_with(end)) {
        suffix = std::string(end);
        return sample.substr(0, sample.size() - end.size());
      }
    }
  }
  return sample;
}

inline std::string series_key(const std::string& name, const Labels& labels) {
  std::string key = name + "{";
  for (const auto& [k, v] : labels) key += k + "=\"" + v + "\",";  // map: order-insensitive
  return key + "}";
}

inline std::optional<std::string> check_histogram(const Family& family) {
  struct Series {
    std::vector<std::pair<double, double>> buckets;  // (le, cumulative count)
    std::optional<double> sum;
    std::optional<double> count;
  };
  std::map<std::string, Series> series;  // by labels without le
  for (const auto& sample : family.samples) {
    Labels labels = sample.labels;
    const auto le = labels.find("le");
    std::optional<double> bound;
    if (sample.name == family.name + "_bucket") {
      if (le == labels.end()) return "bucket without le: " + sample.name;
      bound = parse_float(le->second);
      if (!bound || std::isnan(*bound)) return "bad le \"" + le->second + "\"";
      labels.erase(le);
    } else if (le != labels.end()) {
      return "le on a sample that is no bucket: " + sample.name;
    }
    auto& s = series[series_key(family.name, labels)];
    if (std::isnan(sample.value) || sample.value < 0) {
      if (!sample.name.ends_with("_sum")) return "negative or NaN count in " + sample.name;
    }
    if (bound) {
      s.buckets.emplace_back(*bound, sample.value);
    } else if (sample.name.ends_with("_sum")) {
      s.sum = sample.value;
    } else if (sample.name.ends_with("_count")) {
      s.count = sample.value;
    } else {
      return "histogram sample " + sample.name + " is no _bucket, _sum or _count";
    }
  }
  for (const auto& [key, s] : series) {
    if (s.buckets.empty()) return "histogram series without buckets: " + key;
    for (std::size_t i = 1; i < s.buckets.size(); ++i) {
      if (!(s.buckets[i].first > s.buckets[i - 1].first)) {
        return "bucket bounds not strictly increasing in " + key;
      }
      if (s.buckets[i].second < s.buckets[i - 1].second) {
        return "bucket counts not cumulative in " + key;
      }
    }
    if (!std::isinf(s.buckets.back().first) || s.buckets.back().first < 0) {
      return "last bucket is not le=\"+Inf\" in " + key;
    }
    if (!s.sum) return "histogram without _sum: " + key;
    if (!s.count) return "histogram without _count: " + key;
    if (*s.count != s.buckets.back().second) return "_count differs from the +Inf bucket: " + key;
  }
  return std::nullopt;
}

}  // namespace detail

// The exposition, or "line N: what is wrong".
inline std::variant<Exposition, std::string> parse(std::string_view text) {
  using namespace detail;
  Exposition out;
  std::set<std::string> seen_families;
  std::set<std::string> seen_series;
  Family* current = nullptr;
  bool current_has_help = false;
  bool current_has_type = false;
  std::size_t line_number = 0;
  auto fail = [&](const std::string& message) -> std::variant<Exposition, std::string> {
    return "line " + std::to_string(line_number) + ": " + message;
  };
  auto finish_family = [&]() -> std::optional<std::string> {
    if (current == nullptr) return std::nullopt;
    if (!current_has_help) return "no # HELP for " + current->name;
    if (!current_has_type) return "no # TYPE for " + current->name;
    if (current->type == "histogram") return check_histogram(*current);
    return std::nullopt;
  };
  auto open_family = [&](const std::string& name) -> std::optional<std::string> {
    if (current != nullptr && current->name == name) return std::nullopt;
    if (auto problem = finish_family()) return problem;
    if (!seen_families.insert(name).second) return "family " + name + " appears twice";
    out.families.push_back(Family{name, "", "", {}});
    current = &out.families.back();
    current_has_help = current_has_type = false;
    return std::nullopt;
  };

  if (!text.empty() && text.back() != '\n') {
    line_number = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    return fail("last line does not end with a newline");
  }
  std::size_t start = 0;
  while (start < text.size()) {
    ++line_number;
    const std::size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) return fail("empty line");

    if (line.front() == '#') {
      const bool help = line.starts_with("# HELP ");
      const bool type = line.starts_with("# TYPE ");
      if (!help && !type) continue;  // a plain comment
      std::string_view rest = line.substr(7);
      const std::size_t space = rest.find(' ');
      if (space == std::string_view::npos) return fail("no text after the metric name");
      const std::string name(rest.substr(0, space));
      rest.remove_prefix(space + 1);
      if (!is_metric_name(name)) return fail("bad metric name \"" + name + "\"");
      if (auto problem = open_family(name)) return fail(*problem);
      if (help) {
        if (current_has_help) return fail("second # HELP for " + name);
        if (!current->samples.empty()) return fail("# HELP after samples of " + name);
        if (!unescape(rest, false, current->help)) return fail("bad escape in # HELP " + name);
        if (current->help.empty()) return fail("empty # HELP for " + name);
        current_has_help = true;
      } else {
        if (current_has_type) return fail("second # TYPE for " + name);
        if (!current->samples.empty()) return fail("# TYPE after samples of " + name);
        const std::string kind(rest);
        if (kind != "counter" && kind != "gauge" && kind != "histogram" && kind != "summary" &&
            kind != "untyped") {
          return fail("unknown type \"" + kind + "\"");
        }
        if (kind == "counter" && !name.ends_with("_total")) {
          return fail("counter " + name + " does not end in _total");
        }
        current->type = kind;
        current_has_type = true;
      }
      continue;
    }

    // A sample: name [{labels}] value [timestamp]
    Sample sample;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    sample.name = std::string(line.substr(0, i));
    if (!is_metric_name(sample.name)) return fail("bad metric name \"" + sample.name + "\"");
    if (i < line.size() && line[i] == '{') {
      ++i;
      const bool empty_set = i < line.size() && line[i] == '}';
      if (empty_set) ++i;
      while (!empty_set) {
        const std::size_t eq = line.find('=', i);
        if (eq == std::string_view::npos) return fail("label without =");
        const std::string label(line.substr(i, eq - i));
        if (!is_label_name(label)) return fail("bad label name \"" + label + "\"");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') return fail("label value not quoted");
        std::size_t j = ++i;
        while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
        if (j >= line.size()) return fail("unterminated label value");
        std::string value;
        if (!unescape(line.substr(i, j - i), true, value)) {
          return fail("bad escape in label " + label);
        }
        if (!sample.labels.emplace(label, value).second) return fail("label " + label + " twice");
        i = j + 1;
        if (i < line.size() && line[i] == ',') {
          ++i;
          if (i < line.size() && line[i] == '}') return fail("trailing comma in label set");
          continue;
        }
        if (i >= line.size() || line[i] != '}') return fail("expected , or } after label value");
        ++i;
        break;
      }
    }
    if (i >= line.size() || line[i] != ' ') return fail("no value");
    std::string_view rest = line.substr(i + 1);
    const std::size_t space = rest.find(' ');
    const auto value = parse_float(rest.substr(0, space));
    if (!value) return fail("bad value \"" + std::string(rest.substr(0, space)) + "\"");
    sample.value = *value;
    if (space != std::string_view::npos) {
      const std::string_view timestamp = rest.substr(space + 1);
      long long ms = 0;
      const auto r = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ms);
      if (r.ec != std::errc() || r.ptr != timestamp.data() + timestamp.size()) {
        return fail("bad timestamp");
      }
    }

    if (current == nullptr) return fail("sample " + sample.name + " before any # TYPE");
    std::string suffix;
    const std::string family = family_of(sample.name, current->type, suffix);
    if (family != current->name) {
      return fail("sample " + sample.name + " outside its family's block (in " + current->name +
                  ")");
    }
    if (!current_has_type) return fail("sample " + sample.name + " before its # TYPE");
    if (current->type == "counter" && (std::isnan(sample.value) || sample.value < 0)) {
      return fail("counter " + sample.name + " is negative or NaN");
    }
    if (!seen_series.insert(series_key(sample.name, sample.labels)).second) {
      return fail("series " + series_key(sample.name, sample.labels) + " twice");
    }
    current->samples.push_back(std::move(sample));
  }
  if (auto problem = finish_family()) return "at the end: " + *problem;
  return out;
}

}  // namespace firewarden::testing::prometheus
