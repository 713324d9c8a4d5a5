#pragma once
// A small Prometheus metrics registry (SPEC §9): counter, gauge and histogram
// families with bounded label sets, rendered in the Prometheus text format.
// Thread-safe; values are atomics, the label maps take a mutex only when a new
// label combination is first seen or when rendering.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace firewarden::telemetry {

class Counter {
 public:
  void increment(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& upper_bounds);
  void observe(double value);
  // Cumulative counts per upper bound (last = +Inf), sum and count.
  std::vector<std::uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // one per bound + 1 for +Inf
  std::atomic<double> sum_{0};
};

// Latency buckets from 100 µs to 60 s (seconds).
const std::vector<double>& default_latency_buckets();

// Orders label-value lists of any string type, so that a lookup with
// string_views finds the stored std::strings without building a key
// (no allocation per request for an existing label combination).
struct LabelValuesLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

template <typename Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        buckets_(std::move(buckets)) {}

  // The metric for these label values (same order as label_names). Callers on
  // hot paths keep the reference: it stays valid for the registry's lifetime.
  Metric& with(std::initializer_list<std::string_view> values);
  Metric& with(const std::vector<std::string>& values);

  // Info-style gauges (one series whose labels change, e.g. the sha256 of the
  // policy in force): sets the series for `values` to `value` and removes
  // every other series, in one step, so no scrape sees none or two. Hold no
  // reference to a series of such a family.
  void set_only(std::initializer_list<std::string_view> values,
                double value) requires std::is_same_v<Metric, Gauge>;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  template <typename Visit>
  void for_each(Visit&& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& [labels, metric] : metrics_) visit(labels, *metric);
  }

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, LabelValuesLess> metrics_;

  template <typename Values>
  Metric& find_or_add(const Values& values);
  void check_label_count(std::size_t count) const;
};

class Registry {
 public:
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names = {});
  // A counter whose total is read from elsewhere when sampled (process CPU
  // seconds from /proc): set like a gauge, rendered as a counter.
  Family<Gauge>& sampled_counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names = {},
                               std::vector<double> buckets = default_latency_buckets());

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  // Registration order is kept so the output is stable.
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> sampled_counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
};

}  // namespace firewarden::telemetry
