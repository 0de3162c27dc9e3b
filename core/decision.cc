#include "core/decision.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace availability::core {
namespace {

constexpr Qty kOneUnit = kQtyScale;

// Largest multiple of `granularity` not above `q` (q >= 0).
Qty FloorTo(Qty q, Qty granularity) { return q - q % granularity; }
// Smallest multiple of `granularity` not below `q` (q >= 0).
Qty CeilTo(Qty q, Qty granularity) {
  const Qty rest = q % granularity;
  return rest == 0 ? q : q + (granularity - rest);
}

int NonNegativeDays(int32_t days) { return days > 0 ? days : 0; }

// Everything the plan over time needs (docs/domain.md §4), computed once.
struct PlanningContext {
  absl::CivilDay today;
  const BusinessCalendar* calendar = nullptr;
  // net - threshold: stock above the threshold; negative = the shortfall
  // that receipts fill first (existing backorders included).
  Qty base = 0;
  // The smallest quantity that can be sold: one unit for products that are
  // not sold in decimals, 1/10000 otherwise.
  Qty granularity = kOneUnit;
  // handling_days + safety_days: receipt arrival to ship date.
  int receipt_to_ship_days = 0;
  int lead_time_days = 0;
  // Sorted by date; may hold non-positive quantities (ignored).
  absl::Span<const Receipt> receipts;
};

// `day`, or empty (an unknown date) when it is after kLatestAnswerDate.
std::optional<absl::CivilDay> WithinRange(absl::CivilDay day) {
  if (day > kLatestAnswerDate) return std::nullopt;
  return day;
}

// Adds a tranche keeping `shipments` in strictly increasing date order; a
// tranche on a date already present is merged into it.
void AddShipment(std::vector<Shipment>& shipments, Qty qty,
                 absl::CivilDay date) {
  auto it = shipments.end();
  while (it != shipments.begin() && (it - 1)->ship_date > date) --it;
  if (it != shipments.begin() && (it - 1)->ship_date == date) {
    (it - 1)->qty += qty;
    return;
  }
  shipments.insert(it, Shipment{qty, date});
}

// A receipt dated before today counts as arriving today (docs/domain.md §4.1).
// Ambiguity decided: so an overdue receipt never ships before
// today + handling + safety, even when its own date + handling is past.
// Empty when the ship date would be after kLatestAnswerDate (unknown): then
// so is every later receipt's, as ship dates follow receipt dates.
std::optional<absl::CivilDay> ReceiptShipDate(const PlanningContext& ctx,
                                              const Receipt& receipt) {
  const absl::CivilDay arrival = std::max(receipt.date, ctx.today);
  return WithinRange(
      AddShippingDays(*ctx.calendar, arrival, ctx.receipt_to_ship_days));
}

// Empty without a lead time, or when the date would be after
// kLatestAnswerDate.
std::optional<absl::CivilDay> LeadTimeShipDate(const PlanningContext& ctx) {
  if (ctx.lead_time_days <= 0) return std::nullopt;
  return WithinRange(AddShippingDays(
      *ctx.calendar, ctx.today, ctx.lead_time_days + ctx.receipt_to_ship_days));
}

// Plans units `in_stock` .. `target` (the part that does not ship today) over
// receipts, first come first served, then lead time (docs/domain.md §4.2-4.4).
// The cumulative view: after receipt k, max(0, base + Σ receipts) units are
// shippable; this request gets them up to `target`, rounded down to the
// product's granularity.
void PlanBackorder(const PlanningContext& ctx, Qty in_stock, Qty target,
                   Decision& d) {
  Qty allocated = in_stock;
  Qty cumulative = ctx.base;
  for (const Receipt& receipt : ctx.receipts) {
    if (allocated >= target) break;
    // Ambiguity decided: a non-positive receipt (a cancelled or corrected
    // purchase order) is ignored rather than taking stock away.
    if (receipt.qty <= 0) continue;
    cumulative += receipt.qty;
    if (cumulative <= 0) continue;
    const Qty reachable =
        std::min(target, FloorTo(cumulative, ctx.granularity));
    if (reachable <= allocated) continue;
    const std::optional<absl::CivilDay> dated = ReceiptShipDate(ctx, receipt);
    if (!dated) break;  // this and later receipts: unknown dates
    const absl::CivilDay ship = *dated;
    AddShipment(d.shipments, reachable - allocated, ship);
    if (!d.first_ship_date || ship < *d.first_ship_date) {
      d.first_ship_date = ship;
    }
    allocated = reachable;
  }
  const Qty uncovered = target - allocated;
  if (uncovered <= 0) return;
  if (const std::optional<absl::CivilDay> lead = LeadTimeShipDate(ctx)) {
    // Ambiguity decided: docs/domain.md §4.4 dates the uncovered part from
    // today, so with a short lead time it can ship before a late receipt's
    // tranche; `shipments` stays in date order.
    const absl::CivilDay ship = *lead;
    AddShipment(d.shipments, uncovered, ship);
    if (!d.first_ship_date || ship < *d.first_ship_date) {
      d.first_ship_date = ship;
    }
  } else {
    d.undated_qty = uncovered;
    d.eta_known = false;
  }
}

// docs/domain.md §4 restock_date: the first date at which receipts, after the
// shortfall, make at least `need` units shippable; else today + lead time.
// Ambiguity decided: dates are ship dates like every ETA (receipt arrival +
// handling + safety; today + lead + handling + safety), not arrival dates.
std::optional<absl::CivilDay> RestockDate(const PlanningContext& ctx,
                                          Qty need) {
  Qty cumulative = ctx.base;
  for (const Receipt& receipt : ctx.receipts) {
    if (receipt.qty <= 0) continue;
    cumulative += receipt.qty;
    if (cumulative > 0 && FloorTo(cumulative, ctx.granularity) >= need) {
      const std::optional<absl::CivilDay> ship = ReceiptShipDate(ctx, receipt);
      if (ship) return ship;
      break;  // past the date range: the lead time may still date it
    }
  }
  return LeadTimeShipDate(ctx);
}

// The first cart rule `q` breaks, in Magento's order of checks
// (StockStateProvider::checkQuoteItemQty): decimal, min, max, increments.
CartRule BrokenCartRule(const ResolvedSettings& s, bool is_qty_decimal, Qty q,
                        Qty* limit) {
  if (!is_qty_decimal && !IsWholeQty(q)) {
    *limit = kOneUnit;
    return CartRule::kIsQtyDecimal;
  }
  if (s.min_sale_qty > 0 && q < s.min_sale_qty) {
    *limit = s.min_sale_qty;
    return CartRule::kMinSaleQty;
  }
  // Ambiguity decided: max_sale_qty <= 0 means no limit (Magento tests
  // `getMaxSaleQty() && ...`).
  if (s.max_sale_qty > 0 && q > s.max_sale_qty) {
    *limit = s.max_sale_qty;
    return CartRule::kMaxSaleQty;
  }
  if (s.qty_increments > 0 && q % s.qty_increments != 0) {
    *limit = s.qty_increments;
    return CartRule::kQtyIncrements;
  }
  *limit = 0;
  return CartRule::kNone;
}

// Sorted receipts without allocating when (as usual) they already are.
absl::Span<const Receipt> SortedReceipts(const std::vector<Receipt>& inbound,
                                         std::vector<Receipt>& scratch) {
  auto by_date = [](const Receipt& a, const Receipt& b) {
    return a.date < b.date;
  };
  if (std::is_sorted(inbound.begin(), inbound.end(), by_date)) return inbound;
  scratch = inbound;
  std::stable_sort(scratch.begin(), scratch.end(), by_date);
  return scratch;
}

// The decision for quantity q (> 0) with no cart rule broken.
Decision DecideQuantity(const Record& record, const ResolvedSettings& s,
                        const StoreConfig& config, absl::CivilDay today, Qty q,
                        bool requested_explicitly) {
  Decision d;
  d.requested = q;
  d.lifecycle = record.lifecycle;
  d.release_date = record.release_date;
  d.successor_sku = record.successor_sku;
  d.derived = Derive(record, s);
  const DerivedQuantities& dq = d.derived;
  const int handling_days = NonNegativeDays(config.handling_days);

  // §3.2. Ambiguity decided: the split is still given (all of q in stock,
  // shipping today: Magento always accepts the order) because it reveals
  // nothing about stock; quantity_exposed = false tells the edge to show no
  // quantity (no only_x_left, no derived quantities).
  if (!s.manage_stock) {
    d.status = Status::kInStock;
    d.quantity_exposed = false;
    d.in_stock_qty = q;
    d.shipments.push_back(Shipment{q, today});
  } else if (!record.is_in_stock) {
    // §3.3. Ambiguity decided: no restock_date either; the merchant's manual
    // status, not the receipts, decides when this product is back.
    d.status = Status::kOutOfStock;
  } else if (record.lifecycle == Lifecycle::kPreorder &&
             record.release_date.has_value() && *record.release_date > today) {
    // §3.4. Ambiguity decided: the whole request is the preorder ("backorder")
    // part, unlimited by stock or backorder settings, shipping on release
    // date + handling_days. No safety_days: the release date is the
    // merchant's own firm date, not an uncertain receipt. On and after the
    // release date (and with no release date) the product is ACTIVE.
    d.status = Status::kPreorder;
    d.backorder_qty = q;
    const std::optional<absl::CivilDay> ship = WithinRange(
        AddShippingDays(config.calendar, *record.release_date, handling_days));
    if (ship) {
      d.shipments.push_back(Shipment{q, *ship});
      d.first_ship_date = ship;
    } else {
      // Past kLatestAnswerDate: still a preorder, honestly undated.
      d.undated_qty = q;
      d.eta_known = false;
    }
  } else {
    const Qty granularity = record.is_qty_decimal ? 1 : kOneUnit;
    // Ambiguity decided: a product not sold in decimals ships whole units
    // only, so fractional stock is rounded down everywhere in the split and
    // in only_x_left (derived quantities stay exact, as Magento's).
    const Qty ships_now = FloorTo(dq.ships_now, granularity);
    d.in_stock_qty = std::min(q, ships_now);
    if (d.in_stock_qty < q && record.lifecycle != Lifecycle::kDiscontinued) {
      // Today's tranche, one per receipt, the lead-time tranche: a single
      // allocation.
      d.shipments.reserve(record.inbound.size() + 2);
    }
    if (d.in_stock_qty > 0) {
      d.shipments.push_back(Shipment{d.in_stock_qty, today});
    }
    if (d.in_stock_qty == q) {
      // §3.5. only_x_left is a fact of the product, shown with any IN_STOCK
      // answer whatever quantity was asked.
      d.status = Status::kInStock;
      if (config.only_x_left_threshold > 0 && ships_now > 0 &&
          ships_now <= config.only_x_left_threshold &&
          (s.backorders == Backorders::kNo || s.min_qty < 0)) {
        d.only_x_left = ships_now;
      }
    } else if (record.lifecycle == Lifecycle::kDiscontinued) {
      // §3.6. Ambiguity decided: sell-through keeps what is on hand in the
      // split (in_stock_qty = what is left) and the rest is unavailable.
      d.status = Status::kDiscontinued;
    } else {
      // §3.7 / §3.8. For OUT_OF_STOCK the split still says how much could be
      // had (in stock + within the backorder limit); the rest is unavailable.
      const Qty reachable =
          dq.backorder_cap >= kUnlimitedQty
              ? q
              : std::min(q, FloorTo(std::max<Qty>(0, dq.ships_now) +
                                        dq.backorder_cap,
                                    granularity));
      d.status = reachable == q ? Status::kBackorderable : Status::kOutOfStock;
      std::vector<Receipt> scratch;
      PlanningContext ctx;
      ctx.today = today;
      ctx.calendar = &config.calendar;
      ctx.base = dq.net - dq.threshold;
      ctx.granularity = granularity;
      ctx.receipt_to_ship_days =
          handling_days + NonNegativeDays(config.safety_days);
      ctx.lead_time_days = NonNegativeDays(record.lead_time_days);
      ctx.receipts = SortedReceipts(record.inbound, scratch);
      if (reachable > d.in_stock_qty) {
        d.backorder_qty = reachable - d.in_stock_qty;
        PlanBackorder(ctx, d.in_stock_qty, reachable, d);
        // Ambiguity decided: the notice goes with any backordered part.
        d.backorder_notice = s.backorders == Backorders::kYesNotify;
      }
      if (d.status == Status::kOutOfStock) {
        // Ambiguity decided: for the display quantity, "back" means any
        // sellable stock (docs/domain.md: ships_now > 0); for an explicit
        // request it means the whole request can ship from stock.
        const Qty need = requested_explicitly ? q : granularity;
        d.restock_date = RestockDate(ctx, need);
      }
    }
  }
  d.unavailable_qty = q - d.in_stock_qty - d.backorder_qty;
  d.orderable = d.unavailable_qty == 0;
  d.display_status = d.status;
  d.feed = FeedFor(d);
  return d;
}

}  // namespace

bool Decision::operator==(const Decision& o) const {
  return status == o.status && display_status == o.display_status &&
         quantity_exposed == o.quantity_exposed &&
         only_x_left == o.only_x_left && requested == o.requested &&
         in_stock_qty == o.in_stock_qty && backorder_qty == o.backorder_qty &&
         unavailable_qty == o.unavailable_qty && shipments == o.shipments &&
         undated_qty == o.undated_qty && eta_known == o.eta_known &&
         first_ship_date == o.first_ship_date &&
         restock_date == o.restock_date &&
         backorder_notice == o.backorder_notice &&
         broken_rule == o.broken_rule &&
         broken_rule_limit == o.broken_rule_limit && orderable == o.orderable &&
         lifecycle == o.lifecycle && release_date == o.release_date &&
         successor_sku == o.successor_sku && feed == o.feed &&
         derived == o.derived;
}

absl::string_view CartRuleCode(CartRule rule) {
  switch (rule) {
    case CartRule::kNone:
      return "";
    case CartRule::kMinSaleQty:
      return "min_sale_qty";
    case CartRule::kMaxSaleQty:
      return "max_sale_qty";
    case CartRule::kQtyIncrements:
      return "qty_increments";
    case CartRule::kIsQtyDecimal:
      return "is_qty_decimal";
  }
  return "";
}

ResolvedSettings ResolveSettings(const Record& record,
                                 const StoreConfig& config) {
  ResolvedSettings s;
  s.manage_stock = record.manage_stock.value_or(config.manage_stock);
  s.backorders = record.backorders.value_or(config.backorders);
  s.min_qty = record.min_qty.value_or(config.min_qty);
  // Ambiguity decided: docs/domain.md §1 allows a negative min_qty only with
  // backorders on; with backorders off it is treated as 0 (Magento's admin
  // refuses to save it otherwise).
  if (s.backorders == Backorders::kNo && s.min_qty < 0) s.min_qty = 0;
  s.min_sale_qty = record.min_sale_qty.value_or(config.min_sale_qty);
  s.max_sale_qty = record.max_sale_qty.value_or(config.max_sale_qty);
  const bool increments_enabled =
      record.enable_qty_increments.value_or(config.enable_qty_increments);
  const Qty increments = record.qty_increments.value_or(config.qty_increments);
  s.qty_increments = increments_enabled && increments > 0 ? increments : 0;
  s.notify_stock_qty =
      record.notify_stock_qty.value_or(config.notify_stock_qty);
  return s;
}

DerivedQuantities Derive(const Record& record, const ResolvedSettings& s) {
  DerivedQuantities d;
  d.net = record.source_qty + record.reserved_qty;
  d.threshold = std::max<Qty>(s.min_qty, 0);
  d.ships_now = std::max<Qty>(0, d.net - d.threshold);
  if (s.backorders == Backorders::kNo) {
    d.backorder_cap = 0;
  } else if (s.min_qty >= 0) {
    d.backorder_cap = kUnlimitedQty;
  } else {
    d.backorder_cap = std::max<Qty>(0, d.net - s.min_qty) - d.ships_now;
  }
  // Magento's GetProductSalableQty: never negative, and 0 for an item that
  // is not salable (the merchant's manual out-of-stock).
  d.salable_qty = record.is_in_stock ? std::max<Qty>(0, d.net - s.min_qty) : 0;
  return d;
}

absl::CivilDay StoreToday(const StoreConfig& config, absl::Time now) {
  // Every call asks this, and the answer changes once a day per zone: each
  // thread remembers the last zone's day and the span of absolute time that
  // is surely that day (no offset change inside it), so a hit costs two
  // comparisons instead of a zone lookup.
  struct Span {
    absl::TimeZone zone;
    absl::Time start = absl::InfiniteFuture();
    absl::Time end = absl::InfinitePast();
    absl::CivilDay day;
  };
  thread_local Span span;
  const absl::TimeZone& zone = config.time_zone;
  if (span.zone == zone && now >= span.start && now < span.end) {
    return span.day;
  }
  const absl::CivilDay day = absl::ToCivilDay(now, zone);
  absl::Time start = absl::FromCivil(day, zone);
  absl::Time end = absl::FromCivil(day + 1, zone);
  // An offset change inside the day (DST): keep only the part before it.
  // (For a repeated hour FromCivil gives the earlier instant: the span only
  // gets shorter, never wrong.)
  if (absl::TimeZone::CivilTransition t; zone.NextTransition(start, &t)) {
    end = std::min(end, absl::FromCivil(t.to, zone));
  }
  if (start <= now && now < end && absl::ToCivilDay(start, zone) == day &&
      absl::ToCivilDay(end - absl::Nanoseconds(1), zone) == day) {
    span = Span{zone, start, end, day};
  }
  return day;
}

absl::CivilDay AddShippingDays(const BusinessCalendar& calendar,
                               absl::CivilDay from, int days) {
  if (days <= 0) return from;
  const bool every_day_weekend =
      std::all_of(calendar.weekend.begin(), calendar.weekend.end(),
                  [](bool w) { return w; });
  if (every_day_weekend || calendar.empty()) return from + days;
  // Walks day offsets from `from`, tracking the weekday and the next holiday
  // as plain integers: civil-day arithmetic happens a few times per call, not
  // once per day walked (this is on the hot path, once per tranche).
  int weekday = static_cast<int>(absl::GetWeekday(from));
  auto next_holiday = std::upper_bound(calendar.holidays.begin(),
                                       calendar.holidays.end(), from);
  int64_t holiday_offset =
      next_holiday == calendar.holidays.end() ? -1 : *next_holiday - from;
  int64_t offset = 0;
  for (int counted = 0; counted < days;) {
    ++offset;
    weekday = weekday == 6 ? 0 : weekday + 1;
    const bool holiday = offset == holiday_offset;
    if (holiday) {
      ++next_holiday;
      holiday_offset =
          next_holiday == calendar.holidays.end() ? -1 : *next_holiday - from;
    }
    if (!holiday && !calendar.weekend[weekday]) ++counted;
  }
  return from + offset;
}

Decision Decide(const Record& record, const StoreConfig& config,
                absl::CivilDay today, std::optional<Qty> requested) {
  const ResolvedSettings s = ResolveSettings(record, config);
  // Ambiguity decided: the display quantity of a product not sold in
  // decimals is rounded up to a whole unit (a min_sale_qty of 1.5 shows the
  // status for 2).
  const Qty display_qty =
      record.is_qty_decimal
          ? std::max(s.min_sale_qty, kOneUnit)
          : CeilTo(std::max(s.min_sale_qty, kOneUnit), kOneUnit);
  if (!requested.has_value()) {
    return DecideQuantity(record, s, config, today, display_qty, false);
  }
  const Qty q = *requested;
  Qty limit = 0;
  const CartRule rule =
      q > 0 ? BrokenCartRule(s, record.is_qty_decimal, q, &limit)
            : CartRule::kNone;
  if (q > 0 && rule == CartRule::kNone) {
    Decision d = DecideQuantity(record, s, config, today, q, true);
    if (q != display_qty) {
      // The badge and the feeds follow the display quantity (docs/domain.md
      // §4): one call serves both the quantity box and the badge.
      const Decision display =
          DecideQuantity(record, s, config, today, display_qty, false);
      d.display_status = display.status;
      d.feed = display.feed;
    }
    return d;
  }
  // A broken cart rule (or a non-positive request): the product's display
  // status, feed and dates (first_ship_date, restock_date) with nothing of
  // the request orderable. Ambiguity decided: no shipments, no backorder
  // notice, eta_known = true, as there is no backorder part.
  Decision d = DecideQuantity(record, s, config, today, display_qty, false);
  d.requested = q;
  d.in_stock_qty = 0;
  d.backorder_qty = 0;
  d.unavailable_qty = std::max<Qty>(q, 0);
  d.shipments.clear();
  d.undated_qty = 0;
  d.eta_known = true;
  d.backorder_notice = false;
  d.broken_rule = rule;
  d.broken_rule_limit = limit;
  d.orderable = false;
  return d;
}

Decision DecideUnknown(std::optional<Qty> requested) {
  Decision d;
  d.status = Status::kUnknown;
  d.display_status = Status::kUnknown;
  d.quantity_exposed = false;
  d.requested = requested.value_or(kOneUnit);
  d.unavailable_qty = std::max<Qty>(d.requested, 0);
  d.orderable = false;
  d.feed = FeedFor(d);
  return d;
}

FeedValues FeedFor(const Decision& decision) {
  FeedValues feed;
  switch (decision.status) {
    case Status::kInStock:
      feed.schema_org = decision.only_x_left.has_value()
                            ? "https://schema.org/LimitedAvailability"
                            : "https://schema.org/InStock";
      feed.merchant = "in_stock";
      break;
    case Status::kBackorderable:
      feed.schema_org = "https://schema.org/BackOrder";
      feed.merchant = "backorder";
      feed.merchant_date = decision.first_ship_date;
      break;
    case Status::kPreorder:
      feed.schema_org = "https://schema.org/PreOrder";
      feed.merchant = "preorder";
      feed.merchant_date = decision.release_date;
      break;
    case Status::kDiscontinued:
      feed.schema_org = "https://schema.org/Discontinued";
      feed.merchant = "out_of_stock";
      break;
    case Status::kOutOfStock:
    case Status::kUnknown:
      // Ambiguity decided: an unknown SKU cannot be sold, so a feed that
      // lists it anyway says out of stock.
      feed.schema_org = "https://schema.org/OutOfStock";
      feed.merchant = "out_of_stock";
      break;
  }
  return feed;
}

}  // namespace availability::core
