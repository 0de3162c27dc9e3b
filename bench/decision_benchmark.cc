// The full availability decision for typical records: ResolveSettings +
// Derive + status + split + ATP + FeedFor, as Decide runs them per request.
//
//   build-core/bench/decision_benchmark --benchmark_min_time=1
#include <optional>

#include "absl/time/civil_time.h"
#include "benchmark/benchmark.h"
#include "core/decision.h"
#include "core/record.h"

namespace availability::core {
namespace {

const absl::CivilDay kToday(2024, 3, 1);

StoreConfig TypicalConfig() {
  StoreConfig config;
  config.handling_days = 1;
  config.safety_days = 1;
  config.only_x_left_threshold = QtyFromUnits(5);
  config.calendar.weekend[static_cast<int>(absl::Weekday::saturday)] = true;
  config.calendar.weekend[static_cast<int>(absl::Weekday::sunday)] = true;
  config.calendar.holidays = {absl::CivilDay(2024, 3, 29),
                              absl::CivilDay(2024, 4, 1),
                              absl::CivilDay(2024, 12, 25)};
  return config;
}

Record BaseRecord() {
  Record r;
  r.sku = "24-MB01";
  r.stock_id = 1;
  r.version = 42;
  return r;
}

void RunDecision(benchmark::State& state, const Record& record,
                 std::optional<Qty> requested) {
  const StoreConfig config = TypicalConfig();
  for (auto _ : state) {
    Decision d = Decide(record, config, kToday, requested);
    benchmark::DoNotOptimize(d);
  }
}

void BM_DecideInStock(benchmark::State& state) {
  Record r = BaseRecord();
  r.source_qty = QtyFromUnits(120);
  r.reserved_qty = -QtyFromUnits(7);
  RunDecision(state, r, std::nullopt);
}
BENCHMARK(BM_DecideInStock);

void BM_DecideBackorderOverThreeReceipts(benchmark::State& state) {
  Record r = BaseRecord();
  r.source_qty = QtyFromUnits(3);
  r.backorders = Backorders::kYesNotify;
  r.inbound = {{absl::CivilDay(2024, 3, 4), QtyFromUnits(5)},
               {absl::CivilDay(2024, 3, 20), QtyFromUnits(10)},
               {absl::CivilDay(2024, 4, 8), QtyFromUnits(20)}};
  r.lead_time_days = 21;
  // 3 now, 5 + 10 + 4 from the receipts.
  RunDecision(state, r, QtyFromUnits(22));
}
BENCHMARK(BM_DecideBackorderOverThreeReceipts);

void BM_DecideOutOfStockWithRestock(benchmark::State& state) {
  Record r = BaseRecord();
  r.source_qty = QtyFromUnits(2);
  r.reserved_qty = -QtyFromUnits(4);
  r.inbound = {{absl::CivilDay(2024, 3, 11), QtyFromUnits(1)},
               {absl::CivilDay(2024, 3, 18), QtyFromUnits(12)}};
  RunDecision(state, r, std::nullopt);
}
BENCHMARK(BM_DecideOutOfStockWithRestock);

}  // namespace
}  // namespace availability::core

BENCHMARK_MAIN();
