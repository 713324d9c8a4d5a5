#include "firewarden/telemetry/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace firewarden::telemetry {
namespace {

// Prometheus text format: label values escape backslash, double quote and
// newline; HELP text escapes backslash and newline.
std::string escape(std::string_view text, bool is_label_value) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && is_label_value) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];  // shortest round-trip form: 0.1, not 0.10000000000000001
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// {a="x",b="y"} plus an optional extra label (for histogram `le`).
std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + escape(values[i], true) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

template <typename Metric>
void render_header(const Family<Metric>& family, std::string_view type, std::string& out) {
  out += "# HELP " + family.name() + " " + escape(family.help(), false) + "\n";
  out += "# TYPE " + family.name() + " " + std::string(type) + "\n";
}

}  // namespace

void Gauge::add(double delta) {
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(const std::vector<double>& upper_bounds)
    : upper_bounds_(upper_bounds),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds.size() + 1)) {
  std::sort(upper_bounds_.begin(), upper_bounds_.end());
}

void Histogram::observe(double value) {
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  double current = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(current, current + value, std::memory_order_relaxed)) {
  }
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(upper_bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

const std::vector<double>& default_latency_buckets() {
  static const std::vector<double> buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                           0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                           1,      2.5,     5,      10,    30,     60};
  return buckets;
}

template <typename Metric>
void Family<Metric>::check_label_count(std::size_t count) const {
  // A series with too few or too many values would render labels that do
  // not exist (or read past them): a programming error, refused loudly.
  if (count != label_names_.size()) {
    throw std::logic_error("metric " + name_ + ": " + std::to_string(count) + " label values for " +
                           std::to_string(label_names_.size()) + " labels");
  }
}

template <typename Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> values) {
  return find_or_add(values);
}

template <typename Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& values) {
  return find_or_add(values);
}

template <typename Metric>
template <typename Values>
Metric& Family<Metric>::find_or_add(const Values& values) {
  check_label_count(values.size());
  std::lock_guard lock(mutex_);
  auto found = metrics_.find(values);
  if (found != metrics_.end()) return *found->second;
  std::unique_ptr<Metric> metric;
  if constexpr (std::is_same_v<Metric, Histogram>) {
    metric = std::make_unique<Histogram>(buckets_);
  } else {
    metric = std::make_unique<Metric>();
  }
  std::vector<std::string> key(values.begin(), values.end());
  return *metrics_.emplace(std::move(key), std::move(metric)).first->second;
}

template <typename Metric>
void Family<Metric>::set_only(std::initializer_list<std::string_view> values,
                              double value) requires std::is_same_v<Metric, Gauge> {
  // Clang instantiates this member for every `template class Family<…>`
  // below despite its constraint, so the body compiles only for gauges.
  if constexpr (std::is_same_v<Metric, Gauge>) {
    check_label_count(values.size());
    std::lock_guard lock(mutex_);
    for (auto it = metrics_.begin(); it != metrics_.end();) {
      const bool keep =
          std::equal(it->first.begin(), it->first.end(), values.begin(), values.end());
      it = keep ? std::next(it) : metrics_.erase(it);
    }
    auto& slot = metrics_[std::vector<std::string>(values.begin(), values.end())];
    if (!slot) slot = std::make_unique<Metric>();
    slot->set(value);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

namespace {

template <typename Metric>
Family<Metric>& find_or_add(std::vector<std::unique_ptr<Family<Metric>>>& families,
                            const std::string& name, const std::string& help,
                            std::vector<std::string> label_names, std::vector<double> buckets) {
  for (auto& family : families) {
    if (family->name() != name) continue;
    // The same name with other labels is a second declaration of the family
    // (metric_catalogue.cpp is the only place that declares them).
    if (family->label_names() != label_names) {
      throw std::logic_error("metric " + name + " registered again with other labels");
    }
    return *family;
  }
  families.push_back(
      std::make_unique<Family<Metric>>(name, help, std::move(label_names), std::move(buckets)));
  return *families.back();
}

}  // namespace

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return find_or_add(counters_, name, help, std::move(label_names), {});
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return find_or_add(gauges_, name, help, std::move(label_names), {});
}

Family<Gauge>& Registry::sampled_counter(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return find_or_add(sampled_counters_, name, help, std::move(label_names), {});
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  return find_or_add(histograms_, name, help, std::move(label_names), std::move(buckets));
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& family : counters_) {
    render_header(*family, "counter", out);
    family->for_each([&](const std::vector<std::string>& labels, const Counter& counter) {
      out += family->name() + label_set(family->label_names(), labels) + " " +
             std::to_string(counter.value()) + "\n";
    });
  }
  for (const auto& family : sampled_counters_) {
    render_header(*family, "counter", out);
    family->for_each([&](const std::vector<std::string>& labels, const Gauge& total) {
      out += family->name() + label_set(family->label_names(), labels) + " " +
             format_number(total.value()) + "\n";
    });
  }
  for (const auto& family : gauges_) {
    render_header(*family, "gauge", out);
    family->for_each([&](const std::vector<std::string>& labels, const Gauge& gauge) {
      out += family->name() + label_set(family->label_names(), labels) + " " +
             format_number(gauge.value()) + "\n";
    });
  }
  for (const auto& family : histograms_) {
    render_header(*family, "histogram", out);
    family->for_each([&](const std::vector<std::string>& labels, const Histogram& histogram) {
      const auto counts = histogram.cumulative_counts();
      const auto& bounds = histogram.upper_bounds();
      for (std::size_t i = 0; i < counts.size(); ++i) {
        const std::string le = i < bounds.size() ? format_number(bounds[i]) : "+Inf";
        out += family->name() + "_bucket" + label_set(family->label_names(), labels, "le", le) +
               " " + std::to_string(counts[i]) + "\n";
      }
      out += family->name() + "_sum" + label_set(family->label_names(), labels) + " " +
             format_number(histogram.sum()) + "\n";
      out += family->name() + "_count" + label_set(family->label_names(), labels) + " " +
             std::to_string(counts.back()) + "\n";
    });
  }
  return out;
}

}  // namespace firewarden::telemetry
