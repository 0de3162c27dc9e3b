#include "base/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace availability::base {
namespace {

std::string FormatValue(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  return absl::StrFormat("%.17g", value);
}

// {a="x",b="y"} with `extra` appended (e.g. le="0.1"); "" when empty.
std::string Labels(const std::vector<std::string>& names,
                   const std::vector<std::string>& values,
                   const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"",
                    EscapeLabelValue(values[i]), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  const size_t i =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  double old = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(old, old + value,
                                     std::memory_order_relaxed)) {
  }
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

double Histogram::sum() const { return sum_.load(std::memory_order_relaxed); }

const std::vector<double>& LatencyBuckets() {
  static const auto* bounds =
      new std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return *bounds;
}

CounterFamily& MetricsRegistry::AddCounterFamily(
    std::string name, std::string help, std::vector<std::string> label_names) {
  auto entry = std::make_unique<Entry>();
  entry->counters = std::make_unique<CounterFamily>(
      name, help, std::move(label_names),
      [] { return std::make_unique<Counter>(); });
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = "counter";
  CounterFamily& family = *entry->counters;
  absl::MutexLock lock(&mu_);
  entries_.push_back(std::move(entry));
  return family;
}

HistogramFamily& MetricsRegistry::AddHistogramFamily(
    std::string name, std::string help, std::vector<std::string> label_names,
    std::vector<double> bounds) {
  std::sort(bounds.begin(), bounds.end());
  auto entry = std::make_unique<Entry>();
  entry->histograms = std::make_unique<HistogramFamily>(
      name, help, std::move(label_names),
      [bounds] { return std::make_unique<Histogram>(bounds); });
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = "histogram";
  HistogramFamily& family = *entry->histograms;
  absl::MutexLock lock(&mu_);
  entries_.push_back(std::move(entry));
  return family;
}

void MetricsRegistry::AddGauge(std::string name, std::string help,
                               std::function<double()> read) {
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = "gauge";
  entry->read = std::move(read);
  absl::MutexLock lock(&mu_);
  entries_.push_back(std::move(entry));
}

void MetricsRegistry::AddCounterFunction(std::string name, std::string help,
                                         std::function<uint64_t()> read) {
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = "counter";
  entry->read = [read = std::move(read)] {
    return static_cast<double>(read());
  };
  absl::MutexLock lock(&mu_);
  entries_.push_back(std::move(entry));
}

std::string MetricsRegistry::RenderText() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& e : entries_) {
    absl::StrAppend(&out, "# HELP ", e->name, " ", EscapeHelp(e->help), "\n",
                    "# TYPE ", e->name, " ", e->type, "\n");
    if (e->counters != nullptr) {
      const auto& names = e->counters->label_names();
      e->counters->ForEach(
          [&](const std::vector<std::string>& values, const Counter& c) {
            absl::StrAppend(&out, e->name, Labels(names, values), " ",
                            c.value(), "\n");
          });
    } else if (e->histograms != nullptr) {
      const auto& names = e->histograms->label_names();
      e->histograms->ForEach([&](const std::vector<std::string>& values,
                                 const Histogram& h) {
        const std::vector<uint64_t> counts = h.CumulativeCounts();
        for (size_t i = 0; i < counts.size(); ++i) {
          const double bound = i < h.bounds().size()
                                   ? h.bounds()[i]
                                   : std::numeric_limits<double>::infinity();
          absl::StrAppend(
              &out, e->name, "_bucket",
              Labels(names, values,
                     absl::StrCat("le=\"", FormatValue(bound), "\"")),
              " ", counts[i], "\n");
        }
        absl::StrAppend(&out, e->name, "_sum", Labels(names, values), " ",
                        FormatValue(h.sum()), "\n", e->name, "_count",
                        Labels(names, values), " ", counts.back(), "\n");
      });
    } else if (e->read) {
      absl::StrAppend(&out, e->name, " ", FormatValue(e->read()), "\n");
    }
  }
  return out;
}

}  // namespace availability::base
