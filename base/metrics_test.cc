#include "base/metrics.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace availability::base {
namespace {

using ::testing::HasSubstr;

TEST(MetricsRegistryTest, RendersCountersWithEscapedLabels) {
  MetricsRegistry registry;
  CounterFamily& calls = registry.AddCounterFamily(
      "calls_total", "Calls.\nSecond line.", {"method", "code"});
  calls.WithLabels({"Get", "OK"}).Increment();
  calls.WithLabels({"Get", "OK"}).Increment(2);
  calls.WithLabels({"we\"ird\\\n", "X"}).Increment();
  const std::string text = registry.RenderText();
  EXPECT_THAT(text, HasSubstr("# HELP calls_total Calls.\\nSecond line.\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE calls_total counter\n"));
  EXPECT_THAT(text, HasSubstr("calls_total{method=\"Get\",code=\"OK\"} 3\n"));
  EXPECT_THAT(
      text,
      HasSubstr("calls_total{method=\"we\\\"ird\\\\\\n\",code=\"X\"} 1\n"));
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulative) {
  MetricsRegistry registry;
  HistogramFamily& latency = registry.AddHistogramFamily(
      "latency_seconds", "Latency.", {"method"}, {0.1, 1});
  Histogram& h = latency.WithLabels({"Get"});
  h.Observe(0.05);
  h.Observe(0.1);  // on the bound: counts in le="0.1"
  h.Observe(0.5);
  h.Observe(7);
  const std::string text = registry.RenderText();
  EXPECT_THAT(text, HasSubstr("# TYPE latency_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{method=\"Get\",le=\"0."
                              "10000000000000001\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("latency_seconds_bucket{method=\"Get\",le=\"1\"} 3\n"));
  EXPECT_THAT(
      text,
      HasSubstr("latency_seconds_bucket{method=\"Get\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_sum{method=\"Get\"} 7.65"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_count{method=\"Get\"} 4\n"));
}

TEST(MetricsRegistryTest, UnlabelledSeriesAndFunctions) {
  MetricsRegistry registry;
  registry.AddHistogramFamily("lag_seconds", "Lag.", {}, {1})
      .WithLabels({})
      .Observe(2);
  registry.AddGauge("in_flight", "In flight.", [] { return 3.0; });
  registry.AddCounterFunction("hits_total", "Hits.", [] { return 42u; });
  const std::string text = registry.RenderText();
  EXPECT_THAT(text, HasSubstr("lag_seconds_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("lag_seconds_count 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE in_flight gauge\nin_flight 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE hits_total counter\nhits_total 42\n"));
}

TEST(MetricsRegistryTest, ConcurrentIncrementsAreAllCounted) {
  MetricsRegistry registry;
  CounterFamily& family = registry.AddCounterFamily("n_total", "N.", {"t"});
  HistogramFamily& hist =
      registry.AddHistogramFamily("h", "H.", {}, LatencyBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        family.WithLabels({"x"}).Increment();
        hist.WithLabels({}).Observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(family.WithLabels({"x"}).value(), 40000u);
  EXPECT_EQ(hist.WithLabels({}).CumulativeCounts().back(), 40000u);
  EXPECT_NEAR(hist.WithLabels({}).sum(), 40.0, 1e-6);
}

}  // namespace
}  // namespace availability::base
