// The hot-path cost of demand counting: one CountProductPage per answer, for
// a SKU already held (the steady state), for an in-stock answer (returns at
// once), and with several threads on the same counter. Compare with the
// server's CPU time per warm Get (scripts/bench-demand prints it).
//
//   build/server/demand_counter_benchmark --benchmark_min_time=1
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "server/demand_counter.h"

namespace availability::server {
namespace {

constexpr int kSkus = 10000;

std::vector<v1::ProductAvailability> Answers(v1::Status status) {
  std::vector<v1::ProductAvailability> answers(kSkus);
  for (int i = 0; i < kSkus; ++i) {
    answers[i].set_sku(absl::StrFormat("SKU-%06d", i + 1));
    answers[i].set_stock_id(1);
    answers[i].set_status(status);
    answers[i].set_display_status(status);
  }
  return answers;
}

DemandCounter& SharedCounter() {
  static DemandCounter* counter = new DemandCounter({100000});
  return *counter;
}

void BM_CountOutOfStockHeld(benchmark::State& state) {
  const auto answers = Answers(v1::STATUS_OUT_OF_STOCK);
  DemandCounter& counter = SharedCounter();
  size_t i = static_cast<size_t>(state.thread_index()) * 997;
  for (auto _ : state) {
    counter.CountProductPage(answers[i++ % kSkus]);
  }
}
BENCHMARK(BM_CountOutOfStockHeld)->Threads(1)->Threads(2)->Threads(4);

void BM_CountInStock(benchmark::State& state) {
  const auto answers = Answers(v1::STATUS_IN_STOCK);
  DemandCounter counter({100000});
  size_t i = 0;
  for (auto _ : state) {
    counter.CountProductPage(answers[i++ % kSkus]);
  }
}
BENCHMARK(BM_CountInStock);

void BM_TakeTenThousand(benchmark::State& state) {
  const auto answers = Answers(v1::STATUS_OUT_OF_STOCK);
  DemandCounter counter({100000});
  for (auto _ : state) {
    state.PauseTiming();
    for (const auto& a : answers) counter.CountProductPage(a);
    state.ResumeTiming();
    benchmark::DoNotOptimize(counter.Take());
  }
}
BENCHMARK(BM_TakeTenThousand)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace availability::server
BENCHMARK_MAIN();
