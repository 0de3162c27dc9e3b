// Process metrics in the Prometheus text exposition format (version 0.0.4):
// counters and fixed-bucket histograms, each a family of series told apart
// by label values, plus gauges read from a function at scrape time.
//
//   MetricsRegistry metrics;
//   CounterFamily& calls = metrics.AddCounterFamily(
//       "grpc_server_handled_total", "Calls finished.", {"grpc_method"});
//   calls.WithLabels({"GetAvailability"}).Increment();
//   std::string page = metrics.RenderText();   // for GET /metrics
//
// Thread safety: register every family before serving (Add* are not meant
// to race with RenderText, though they are safe). WithLabels, Increment,
// Observe and RenderText may be called from any thread at any time; a
// series' counters are atomics, so the hot path takes only the family's
// lock to find the series. Families are owned by the registry and live as
// long as it does; references to them and to series stay valid.
#ifndef AVAILABILITY_BASE_METRICS_H_
#define AVAILABILITY_BASE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace availability::base {

// A monotonically increasing count.
class Counter {
 public:
  void Increment(uint64_t by = 1) {
    value_.fetch_add(by, std::memory_order_relaxed);
  }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending), with
// their sum.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double value);

  // Cumulative counts per bound, then the total (the +Inf bucket).
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  // One per bound plus +Inf; not cumulative.
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// A metric name with its label names; one series per distinct label values.
template <typename Series>
class Family {
 public:
  using Factory = std::function<std::unique_ptr<Series>()>;
  Family(std::string name, std::string help, std::vector<std::string> labels,
         Factory factory)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(labels)),
        factory_(std::move(factory)) {}

  // The series for `values` (one per label name, in order), created on
  // first use. Missing values are taken as "", extra ones are ignored.
  Series& WithLabels(std::vector<std::string> values) {
    values.resize(label_names_.size());
    absl::MutexLock lock(&mu_);
    std::unique_ptr<Series>& slot = series_[std::move(values)];
    if (slot == nullptr) slot = factory_();
    return *slot;
  }

  // Calls `visit(values, series)` for each series, in label order.
  void ForEach(const std::function<void(const std::vector<std::string>&,
                                        const Series&)>& visit) const {
    absl::MutexLock lock(&mu_);
    for (const auto& [values, series] : series_) visit(values, *series);
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const Factory factory_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_
      ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using HistogramFamily = Family<Histogram>;

// Upper bounds in seconds for call and command latencies: 0.5 ms .. 10 s.
const std::vector<double>& LatencyBuckets();

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // `name` must be a valid Prometheus name (counters end in _total), unique
  // in the registry.
  CounterFamily& AddCounterFamily(std::string name, std::string help,
                                  std::vector<std::string> label_names);
  HistogramFamily& AddHistogramFamily(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> bounds);
  // A gauge whose value `read` returns at each scrape. `read` runs on the
  // scraping thread and must not block.
  void AddGauge(std::string name, std::string help,
                std::function<double()> read);
  // A counter kept elsewhere (e.g. by another module), read at each scrape.
  void AddCounterFunction(std::string name, std::string help,
                          std::function<uint64_t()> read);

  // Every family, in registration order, in the text format.
  std::string RenderText() const;

 private:
  struct Entry {
    std::unique_ptr<CounterFamily> counters;
    std::unique_ptr<HistogramFamily> histograms;
    std::string name, help, type;
    std::function<double()> read;
  };
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

// `value` escaped for a label value: backslash, double quote and newline.
std::string EscapeLabelValue(const std::string& value);

}  // namespace availability::base

#endif  // AVAILABILITY_BASE_METRICS_H_
