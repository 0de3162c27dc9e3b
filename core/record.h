// The inventory record of one SKU on one stock (docs/domain.md §1), and the
// store configuration that its unset settings fall back to (docs/domain.md §6).
//
// Plain values: no I/O, no generated code. A `std::optional` setting that is
// empty means "use the store configuration" (Magento's use_config_* = 1); it
// is resolved at read time by ResolveSettings (decision.h).
#ifndef AVAILABILITY_CORE_RECORD_H_
#define AVAILABILITY_CORE_RECORD_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/quantity.h"

namespace availability::core {

enum class Backorders { kNo = 0, kYes = 1, kYesNotify = 2 };

enum class Lifecycle { kActive = 0, kPreorder = 1, kDiscontinued = 2 };

enum class Relation {
  kSuccessor = 1,
  kSubstitute = 2,
  kRelated = 3,
  kUpsell = 4,
  kCrosssell = 5,
  kSameCategory = 6,
};

// An expected receipt of stock.
struct Receipt {
  absl::CivilDay date;
  Qty qty = 0;
  bool operator==(const Receipt& o) const {
    return date == o.date && qty == o.qty;
  }
};

struct AlternativeLink {
  std::string sku;
  Relation relation = Relation::kRelated;
  bool operator==(const AlternativeLink& o) const {
    return sku == o.sku && relation == o.relation;
  }
};

// Magento's product types that matter for availability (docs/domain.md §10).
// A simple product (and Magento's virtual and downloadable ones) has stock
// of its own; a composite has none and is answered from its components.
enum class ProductType {
  kSimple = 0,
  kConfigurable = 1,
  kBundle = 2,
  kGrouped = 3
};

// One selection of a bundle option: a component and how many of it one
// bundle takes.
struct BundleSelection {
  std::string sku;
  Qty qty = kQtyScale;
  bool operator==(const BundleSelection& o) const {
    return sku == o.sku && qty == o.qty;
  }
};

// One option of a bundle: the shopper picks one of its selections. A
// required option limits the bundle; an optional one does not.
struct BundleOption {
  bool required = true;
  std::vector<BundleSelection> selections;
  bool operator==(const BundleOption& o) const {
    return required == o.required && selections == o.selections;
  }
};

inline constexpr size_t kMaxSkuBytes = 64;
// Limits on a composite's components (the sync API refuses more).
inline constexpr size_t kMaxComponents = 500;
inline constexpr size_t kMaxBundleOptions = 50;

struct Record {
  std::string sku;
  int32_t stock_id = 0;
  int64_t version = 0;
  // When the source produced this version; InfinitePast() when unknown.
  absl::Time source_time = absl::InfinitePast();

  std::optional<bool> manage_stock;
  bool is_in_stock = true;
  Qty source_qty = 0;
  Qty reserved_qty = 0;
  std::optional<Qty> min_qty;
  std::optional<Backorders> backorders;
  std::optional<Qty> min_sale_qty;
  std::optional<Qty> max_sale_qty;
  std::optional<bool> enable_qty_increments;
  std::optional<Qty> qty_increments;
  bool is_qty_decimal = false;
  std::optional<Qty> notify_stock_qty;

  Lifecycle lifecycle = Lifecycle::kActive;
  std::optional<absl::CivilDay> release_date;
  std::string successor_sku;

  std::vector<Receipt> inbound;
  int32_t lead_time_days = 0;
  std::vector<AlternativeLink> alternatives;
  std::vector<int64_t> category_ids;

  // Composite products (docs/domain.md §10). kSimple: the fields below are
  // empty. kConfigurable / kGrouped: `components` are the variants /
  // associated products on the same stock. kBundle: `bundle_options`.
  ProductType product_type = ProductType::kSimple;
  std::vector<std::string> components;
  std::vector<BundleOption> bundle_options;

  bool operator==(const Record& o) const;
  bool operator!=(const Record& o) const { return !(*this == o); }
};

// Days that are not business days. Empty (no weekend days, no holidays):
// every day counts. A calendar whose seven weekdays are all weekend is
// treated as empty by AddShippingDays (it would never reach a business day).
struct BusinessCalendar {
  // Indexed by absl::Weekday (monday = 0 .. sunday = 6); true = not a
  // business day.
  std::array<bool, 7> weekend{};
  // Sorted, unique.
  std::vector<absl::CivilDay> holidays;

  bool empty() const;
  bool IsBusinessDay(absl::CivilDay day) const;
  bool operator==(const BusinessCalendar& o) const {
    return weekend == o.weekend && holidays == o.holidays;
  }
};

// Configuration of one stock/website. Defaults are Magento's.
struct StoreConfig {
  int32_t stock_id = 0;

  // cataloginventory/item_options/*
  bool manage_stock = true;
  Backorders backorders = Backorders::kNo;
  Qty min_qty = 0;
  Qty min_sale_qty = QtyFromUnits(1);
  Qty max_sale_qty = QtyFromUnits(10000);
  Qty notify_stock_qty = QtyFromUnits(1);
  bool enable_qty_increments = false;
  Qty qty_increments = QtyFromUnits(1);

  // cataloginventory/options/stock_threshold_qty; 0 = off.
  Qty only_x_left_threshold = 0;
  int32_t handling_days = 0;
  int32_t safety_days = 0;
  // IANA name; empty = UTC. `time_zone` is loaded from it (LoadStoreTimeZone).
  std::string time_zone_name;
  absl::TimeZone time_zone = absl::UTCTimeZone();
  BusinessCalendar calendar;
  // Offer alternatives for BACKORDERABLE when the first ETA is more than this
  // many days away; 0 = never.
  int32_t alternatives_backorder_days = 0;

  bool operator==(const StoreConfig& o) const;
};

}  // namespace availability::core

#endif  // AVAILABILITY_CORE_RECORD_H_
