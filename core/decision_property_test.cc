// Properties of Decide over thousands of generated records (fixed seed):
// the split sums to the request, shipments are in date order and account for
// everything in stock or backordered, asking for more never ships the last
// unit earlier, and Decide is pure.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "absl/time/civil_time.h"
#include "core/decision.h"
#include "gtest/gtest.h"

namespace availability::core {
namespace {

using absl::CivilDay;

constexpr int kRecords = 5000;
const CivilDay kToday(2024, 3, 1);

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Int(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(int percent) { return Int(1, 100) <= percent; }

  // A quantity in units or, for decimal products, ten-thousandths too.
  Qty Quantity(int lo_units, int hi_units, bool decimal) {
    Qty q = QtyFromUnits(Int(lo_units, hi_units));
    if (decimal && Chance(50)) q += Int(0, kQtyScale - 1);
    return q;
  }

  Record NextRecord() {
    Record r;
    r.sku = "SKU-" + std::to_string(Int(0, 1000000));
    r.is_qty_decimal = Chance(25);
    if (Chance(3)) r.manage_stock = false;
    r.is_in_stock = !Chance(5);
    r.source_qty = Quantity(0, 30, r.is_qty_decimal);
    r.reserved_qty = -Quantity(0, 20, r.is_qty_decimal);
    const int backorders = Int(0, 2);
    r.backorders = static_cast<Backorders>(backorders);
    if (Chance(40)) {
      r.min_qty =
          QtyFromUnits(backorders != 0 && Chance(50) ? -Int(0, 20) : Int(0, 5));
    }
    r.min_sale_qty = 0;  // cart rules are tested elsewhere
    r.max_sale_qty = 0;
    const int lifecycle = Int(0, 9);
    if (lifecycle == 0) {
      r.lifecycle = Lifecycle::kPreorder;
      if (Chance(90)) r.release_date = kToday + Int(-10, 30);
    } else if (lifecycle == 1) {
      r.lifecycle = Lifecycle::kDiscontinued;
    }
    const int receipts = Int(0, 4);
    for (int i = 0; i < receipts; ++i) {
      r.inbound.push_back(
          {kToday + Int(-10, 60), Quantity(-1, 15, r.is_qty_decimal)});
    }
    r.lead_time_days = Chance(50) ? Int(0, 30) : 0;
    return r;
  }

  StoreConfig NextConfig() {
    StoreConfig c;
    c.handling_days = Int(0, 3);
    c.safety_days = Int(0, 2);
    c.only_x_left_threshold = QtyFromUnits(Int(0, 5));
    if (Chance(50)) {
      c.calendar.weekend[static_cast<int>(absl::Weekday::saturday)] = true;
      c.calendar.weekend[static_cast<int>(absl::Weekday::sunday)] = true;
      c.calendar.holidays = {kToday + 3, kToday + 17};
    }
    return c;
  }

 private:
  std::mt19937 rng_;
};

// The date the last unit ships: nullopt when nothing ships, CivilDay::max()
// when part of it is undated.
std::optional<CivilDay> LastShipDate(const Decision& d) {
  if (d.undated_qty > 0) return CivilDay::max();
  if (d.shipments.empty()) return std::nullopt;
  return d.shipments.back().ship_date;
}

void CheckInvariants(const Record& r, const StoreConfig& config,
                     const Decision& d) {
  SCOPED_TRACE(r.sku);
  EXPECT_EQ(d.in_stock_qty + d.backorder_qty + d.unavailable_qty, d.requested);
  EXPECT_GE(d.in_stock_qty, 0);
  EXPECT_GE(d.backorder_qty, 0);
  EXPECT_GE(d.unavailable_qty, 0);
  Qty shipped = d.undated_qty;
  for (size_t i = 0; i < d.shipments.size(); ++i) {
    EXPECT_GT(d.shipments[i].qty, 0);
    EXPECT_GE(d.shipments[i].ship_date, kToday);
    if (i > 0) {
      EXPECT_LT(d.shipments[i - 1].ship_date, d.shipments[i].ship_date);
    }
    shipped += d.shipments[i].qty;
  }
  EXPECT_EQ(shipped, d.in_stock_qty + d.backorder_qty);
  EXPECT_EQ(d.eta_known, d.undated_qty == 0);
  EXPECT_EQ(d.orderable, d.unavailable_qty == 0);
  if (!r.is_qty_decimal) {
    EXPECT_EQ(d.in_stock_qty % kQtyScale, 0);
    EXPECT_EQ(d.backorder_qty % kQtyScale, 0);
  }
  if (d.status == Status::kInStock) {
    EXPECT_EQ(d.in_stock_qty, d.requested);
  }
  if (d.status == Status::kBackorderable) {
    EXPECT_TRUE(d.orderable);
  }
  if (d.status == Status::kDiscontinued || d.status == Status::kOutOfStock) {
    EXPECT_FALSE(d.orderable);
  }
  if (d.status == Status::kDiscontinued) {
    EXPECT_EQ(d.backorder_qty, 0);
    EXPECT_FALSE(d.restock_date.has_value());
  }
  // The feed follows the display status, whatever the request.
  const Decision display = Decide(r, config, kToday, std::nullopt);
  EXPECT_EQ(d.display_status, display.status);
  EXPECT_EQ(d.feed, display.feed);
  // (Its date is the display quantity's first ETA, not the request's.)
  EXPECT_EQ(display.feed, FeedFor(display));
}

TEST(DecisionPropertyTest, InvariantsHoldForGeneratedRecords) {
  Generator gen(20240301);
  for (int i = 0; i < kRecords; ++i) {
    const Record r = gen.NextRecord();
    const StoreConfig config = gen.NextConfig();
    CheckInvariants(r, config, Decide(r, config, kToday, std::nullopt));
    const Qty q = gen.Quantity(1, 40, r.is_qty_decimal);
    CheckInvariants(r, config, Decide(r, config, kToday, q));
  }
}

TEST(DecisionPropertyTest, AskingForMoreNeverShipsEarlier) {
  Generator gen(7);
  for (int i = 0; i < kRecords; ++i) {
    const Record r = gen.NextRecord();
    const StoreConfig config = gen.NextConfig();
    std::optional<CivilDay> previous_last;
    Qty previous_scheduled = 0;
    for (int units = 1; units <= 40; ++units) {
      const Decision d = Decide(r, config, kToday, QtyFromUnits(units));
      const std::optional<CivilDay> last = LastShipDate(d);
      const Qty scheduled = d.in_stock_qty + d.backorder_qty;
      EXPECT_GE(scheduled, previous_scheduled) << r.sku << " q=" << units;
      if (previous_last.has_value()) {
        ASSERT_TRUE(last.has_value()) << r.sku << " q=" << units;
        EXPECT_GE(*last, *previous_last) << r.sku << " q=" << units;
      }
      previous_last = last;
      previous_scheduled = scheduled;
    }
  }
}

TEST(DecisionPropertyTest, DecideIsPure) {
  Generator gen(99);
  for (int i = 0; i < kRecords; ++i) {
    const Record r = gen.NextRecord();
    const Record copy = r;
    const StoreConfig config = gen.NextConfig();
    const Qty q = gen.Quantity(1, 40, r.is_qty_decimal);
    const Decision first = Decide(r, config, kToday, q);
    const Decision second = Decide(r, config, kToday, q);
    EXPECT_EQ(first, second) << r.sku;
    EXPECT_EQ(r, copy);  // inputs untouched
    EXPECT_EQ(Decide(r, config, kToday, std::nullopt),
              Decide(r, config, kToday, std::nullopt));
  }
}

TEST(DecisionPropertyTest, ReceiptOrderDoesNotMatter) {
  Generator gen(1234);
  for (int i = 0; i < kRecords; ++i) {
    Record r = gen.NextRecord();
    const StoreConfig config = gen.NextConfig();
    const Qty q = gen.Quantity(1, 40, r.is_qty_decimal);
    Record sorted = r;
    std::stable_sort(
        sorted.inbound.begin(), sorted.inbound.end(),
        [](const Receipt& a, const Receipt& b) { return a.date < b.date; });
    std::reverse(r.inbound.begin(), r.inbound.end());
    // Reversal changes the order of same-day receipts, which only moves
    // quantity between equal dates: the merged plan is the same.
    EXPECT_EQ(Decide(r, config, kToday, q).shipments,
              Decide(sorted, config, kToday, q).shipments)
        << r.sku;
  }
}

}  // namespace
}  // namespace availability::core
