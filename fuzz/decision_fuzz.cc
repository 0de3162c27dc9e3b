// Fuzzes core::Decide over records, store configurations, days and requested
// quantities in the ranges the sync API admits (server/sync_mapping.h), and
// checks the decision's contract (core/decision.h):
//   - in_stock_qty + backorder_qty + unavailable_qty == requested, each >= 0;
//   - shipments (+ undated_qty) sum to in_stock_qty + backorder_qty, every
//     tranche > 0, in strictly increasing date order, none before today;
//   - orderable iff no cart rule is broken and nothing is unavailable;
//   - Decide is pure: a second call gives an equal decision.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/time/civil_time.h"
#include "core/decision.h"
#include "core/quantity.h"
#include "core/record.h"
#include "fuzz/fuzz_check.h"
#include "fuzzer/FuzzedDataProvider.h"

namespace availability::core {
namespace {

// Bounds of the sync API (server/sync_mapping.h); duplicated so that this
// target depends on core/ only.
constexpr int kMaxInbound = 100;
constexpr int kMaxLeadTimeDays = 3650;
constexpr int kMaxHandlingDays = 60;
constexpr int kMaxHolidays = 50;  // the API allows 1000; 50 keeps runs fast
const absl::CivilDay kMinDay(1, 1, 1);
const absl::CivilDay kMaxDay(9999, 12, 31);

// A quantity as the API admits it, biased towards small whole units.
Qty AnyQty(FuzzedDataProvider& in, bool allow_negative) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return QtyFromUnits(
          in.ConsumeIntegralInRange<int>(allow_negative ? -20 : 0, 40));
    case 1:
      return in.ConsumeIntegralInRange<Qty>(
          allow_negative ? -kQtyScale * 50 : 0, kQtyScale * 50);
    default:
      return in.ConsumeIntegralInRange<Qty>(allow_negative ? -kMaxQty : 0,
                                            kMaxQty);
  }
}

std::optional<Qty> MaybePositiveQty(FuzzedDataProvider& in) {
  if (!in.ConsumeBool()) return std::nullopt;
  const Qty q = AnyQty(in, false);
  return q > 0 ? q : kQtyScale;
}

// A day near `today` most of the time, anywhere in years 1..9999 otherwise.
absl::CivilDay AnyDay(FuzzedDataProvider& in, absl::CivilDay today) {
  if (in.ConsumeIntegralInRange<int>(0, 7) != 0) {
    const absl::CivilDay d = today + in.ConsumeIntegralInRange<int>(-30, 120);
    return d < kMinDay ? kMinDay : (d > kMaxDay ? kMaxDay : d);
  }
  return kMinDay + in.ConsumeIntegralInRange<int64_t>(0, kMaxDay - kMinDay);
}

Record AnyRecord(FuzzedDataProvider& in, absl::CivilDay today) {
  Record r;
  r.sku = "SKU-1";
  r.stock_id = 1;
  r.version = 1;
  if (in.ConsumeBool()) r.manage_stock = in.ConsumeBool();
  r.is_in_stock = in.ConsumeIntegralInRange<int>(0, 7) != 0;
  r.is_qty_decimal = in.ConsumeBool();
  r.source_qty = AnyQty(in, true);
  r.reserved_qty = AnyQty(in, true);
  if (in.ConsumeBool()) {
    r.backorders =
        static_cast<Backorders>(in.ConsumeIntegralInRange<int>(0, 2));
  }
  if (in.ConsumeBool()) {
    // The API rejects a negative min_qty with backorders explicitly NO.
    const bool negative_ok = r.backorders != Backorders::kNo;
    r.min_qty = AnyQty(in, negative_ok);
  }
  // Cart rules: positive; whole units unless decimal.
  auto cart_qty = [&](std::optional<Qty> q) -> std::optional<Qty> {
    if (q && !r.is_qty_decimal && !IsWholeQty(*q)) {
      *q = QtyFromUnits(*q / kQtyScale + 1);
    }
    return q;
  };
  r.min_sale_qty = cart_qty(MaybePositiveQty(in));
  r.max_sale_qty = MaybePositiveQty(in);
  if (r.max_sale_qty && r.min_sale_qty && *r.max_sale_qty < *r.min_sale_qty) {
    r.max_sale_qty = r.min_sale_qty;
  }
  if (in.ConsumeBool()) r.enable_qty_increments = in.ConsumeBool();
  r.qty_increments = cart_qty(MaybePositiveQty(in));
  if (in.ConsumeBool()) r.notify_stock_qty = AnyQty(in, true);
  r.lifecycle = static_cast<Lifecycle>(in.ConsumeIntegralInRange<int>(0, 2));
  if (r.lifecycle == Lifecycle::kPreorder || in.ConsumeBool()) {
    r.release_date = AnyDay(in, today);
  }
  const int receipts = in.ConsumeIntegralInRange<int>(0, kMaxInbound);
  for (int i = 0; i < receipts && in.remaining_bytes() > 0; ++i) {
    Qty q = AnyQty(in, false);
    if (q <= 0) q = 1;
    r.inbound.push_back({AnyDay(in, today), q});
  }
  r.lead_time_days = in.ConsumeBool()
                         ? in.ConsumeIntegralInRange<int>(0, 60)
                         : in.ConsumeIntegralInRange<int>(0, kMaxLeadTimeDays);
  return r;
}

StoreConfig AnyConfig(FuzzedDataProvider& in, absl::CivilDay today) {
  StoreConfig c;
  c.stock_id = 1;
  if (in.ConsumeBool()) {
    c.manage_stock = in.ConsumeBool();
    c.backorders =
        static_cast<Backorders>(in.ConsumeIntegralInRange<int>(0, 2));
    c.min_qty = AnyQty(in, c.backorders != Backorders::kNo);
    c.min_sale_qty = in.ConsumeBool() ? QtyFromUnits(1) : AnyQty(in, false);
    if (c.min_sale_qty <= 0) c.min_sale_qty = 1;
    c.max_sale_qty = in.ConsumeBool() ? QtyFromUnits(10000) : AnyQty(in, false);
    if (c.max_sale_qty < c.min_sale_qty) c.max_sale_qty = c.min_sale_qty;
    c.enable_qty_increments = in.ConsumeBool();
    c.qty_increments = AnyQty(in, false);
    if (c.qty_increments <= 0) c.qty_increments = QtyFromUnits(1);
    c.only_x_left_threshold = AnyQty(in, false);
  }
  c.handling_days = in.ConsumeIntegralInRange<int>(0, kMaxHandlingDays);
  c.safety_days = in.ConsumeIntegralInRange<int>(0, kMaxHandlingDays);
  // At least one business day a week, as the API requires.
  const int business_day = in.ConsumeIntegralInRange<int>(0, 6);
  for (int d = 0; d < 7; ++d) {
    c.calendar.weekend[d] = d != business_day && in.ConsumeBool();
  }
  const int holidays = in.ConsumeIntegralInRange<int>(0, kMaxHolidays);
  for (int i = 0; i < holidays && in.remaining_bytes() > 0; ++i) {
    c.calendar.holidays.push_back(AnyDay(in, today));
  }
  std::sort(c.calendar.holidays.begin(), c.calendar.holidays.end());
  c.calendar.holidays.erase(
      std::unique(c.calendar.holidays.begin(), c.calendar.holidays.end()),
      c.calendar.holidays.end());
  c.alternatives_backorder_days =
      in.ConsumeIntegralInRange<int>(0, kMaxLeadTimeDays);
  return c;
}

void CheckDecision(const Decision& d, std::optional<Qty> requested,
                   absl::CivilDay today) {
  if (requested) FUZZ_CHECK(d.requested == *requested) << d.requested;
  FUZZ_CHECK(d.requested > 0) << d.requested;
  FUZZ_CHECK(d.in_stock_qty >= 0 && d.backorder_qty >= 0 &&
             d.unavailable_qty >= 0)
      << d.in_stock_qty << " " << d.backorder_qty << " " << d.unavailable_qty;
  FUZZ_CHECK(d.in_stock_qty + d.backorder_qty + d.unavailable_qty ==
             d.requested)
      << d.in_stock_qty << " + " << d.backorder_qty << " + "
      << d.unavailable_qty << " != " << d.requested;
  Qty shipped = 0;
  for (size_t i = 0; i < d.shipments.size(); ++i) {
    const Shipment& s = d.shipments[i];
    FUZZ_CHECK(s.qty > 0) << "shipment " << i << " qty " << s.qty;
    FUZZ_CHECK(s.ship_date >= today) << "shipment " << i << " before today";
    if (i > 0) {
      FUZZ_CHECK(d.shipments[i - 1].ship_date < s.ship_date)
          << "shipments " << i - 1 << " and " << i
          << " not increasing: " << d.shipments[i - 1].ship_date << " "
          << s.ship_date;
    }
    shipped += s.qty;
  }
  FUZZ_CHECK(d.undated_qty >= 0) << d.undated_qty;
  FUZZ_CHECK(shipped + d.undated_qty == d.in_stock_qty + d.backorder_qty)
      << shipped << " + " << d.undated_qty << " != " << d.in_stock_qty << " + "
      << d.backorder_qty;
  FUZZ_CHECK(d.eta_known == (d.undated_qty == 0));
  FUZZ_CHECK(d.orderable ==
             (d.broken_rule == CartRule::kNone && d.unavailable_qty == 0));
  if (d.broken_rule != CartRule::kNone) {
    FUZZ_CHECK(d.in_stock_qty == 0 && d.backorder_qty == 0 &&
               d.shipments.empty());
  }
  if (d.only_x_left) FUZZ_CHECK(*d.only_x_left > 0) << *d.only_x_left;
  if (d.display_status == d.status && !requested) {
    FUZZ_CHECK(d.feed == FeedFor(d));
  }
}

// The badge and the feeds follow the display quantity's decision, whatever
// the quantity requested (docs/domain.md §4).
void CheckDisplay(const Decision& d, const Decision& display) {
  FUZZ_CHECK(display.display_status == display.status);
  FUZZ_CHECK(d.display_status == display.status)
      << static_cast<int>(d.display_status) << " "
      << static_cast<int>(display.status);
  FUZZ_CHECK(d.feed == display.feed);
  FUZZ_CHECK(display.feed == FeedFor(display));
}

}  // namespace
}  // namespace availability::core

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace availability::core;  // NOLINT: one function
  FuzzedDataProvider in(data, size);
  const absl::CivilDay today =
      in.ConsumeBool()
          ? absl::CivilDay(2026, 3, 1) + in.ConsumeIntegralInRange<int>(0, 730)
          : absl::CivilDay(1970, 1, 1) +
                in.ConsumeIntegralInRange<int>(0, 365 * 8000);
  const std::optional<Qty> requested = MaybePositiveQty(in);
  const StoreConfig config = AnyConfig(in, today);
  const Record record = AnyRecord(in, today);

  const Decision d = Decide(record, config, today, requested);
  CheckDecision(d, requested, today);
  CheckDisplay(d, Decide(record, config, today, std::nullopt));
  const Decision again = Decide(record, config, today, requested);
  FUZZ_CHECK(d == again) << "Decide is not deterministic";
  return 0;
}
