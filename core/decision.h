// The availability decision (docs/domain.md §2-§7): a pure function of
// (record, store configuration, today, requested quantity).
//
//   core::StoreConfig config;  // Magento defaults
//   absl::CivilDay today = core::StoreToday(config, absl::Now());
//   core::Decision d = core::Decide(record, config, today, std::nullopt);
//   if (d.status == core::Status::kInStock && d.only_x_left) ...
//
// Everything here is a pure function of its arguments; safe from any thread.
#ifndef AVAILABILITY_CORE_DECISION_H_
#define AVAILABILITY_CORE_DECISION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/quantity.h"
#include "core/record.h"

namespace availability::core {

enum class Status {
  kUnknown = 0,
  kInStock,
  kBackorderable,
  kPreorder,
  kOutOfStock,
  kDiscontinued,
};

enum class CartRule {
  kNone = 0,
  kMinSaleQty,
  kMaxSaleQty,
  kQtyIncrements,
  kIsQtyDecimal,
};

// Magento's code for a cart rule ("min_sale_qty", ...); "" for kNone.
absl::string_view CartRuleCode(CartRule rule);

// A record's settings after use_config_* resolution against the store.
struct ResolvedSettings {
  bool manage_stock = true;
  Backorders backorders = Backorders::kNo;
  Qty min_qty = 0;
  Qty min_sale_qty = 0;
  Qty max_sale_qty = 0;
  // 0 when increments are not enabled.
  Qty qty_increments = 0;
  Qty notify_stock_qty = 0;
};
ResolvedSettings ResolveSettings(const Record& record,
                                 const StoreConfig& config);

// docs/domain.md §2.
struct DerivedQuantities {
  Qty net = 0;
  Qty threshold = 0;
  Qty ships_now = 0;
  // kUnlimitedQty when unlimited.
  Qty backorder_cap = 0;
  Qty salable_qty = 0;
  bool operator==(const DerivedQuantities& o) const {
    return net == o.net && threshold == o.threshold &&
           ships_now == o.ships_now && backorder_cap == o.backorder_cap &&
           salable_qty == o.salable_qty;
  }
};
DerivedQuantities Derive(const Record& record, const ResolvedSettings& s);

struct Shipment {
  Qty qty = 0;
  absl::CivilDay ship_date;
  bool operator==(const Shipment& o) const {
    return qty == o.qty && ship_date == o.ship_date;
  }
};

// The feed mappings of docs/domain.md §7.
struct FeedValues {
  // Full URL, e.g. "https://schema.org/InStock".
  absl::string_view schema_org;
  // "in_stock", "out_of_stock", "preorder", "backorder".
  absl::string_view merchant;
  std::optional<absl::CivilDay> merchant_date;
  bool operator==(const FeedValues& o) const {
    return schema_org == o.schema_org && merchant == o.merchant &&
           merchant_date == o.merchant_date;
  }
};

struct Decision {
  // The status for the quantity answered for (`requested`).
  Status status = Status::kUnknown;
  // The status for the display quantity (docs/domain.md §3), which the badge,
  // the feed values and structured data follow: equal to `status` unless a
  // quantity was requested and its answer differs (10 asked, 3 in stock:
  // status BACKORDERABLE, display_status IN_STOCK).
  Status display_status = Status::kUnknown;
  // False when manage_stock is off: no quantity may be shown.
  bool quantity_exposed = true;
  std::optional<Qty> only_x_left;

  // The quantity answered for: the request's, or max(min_sale_qty, 1 unit).
  Qty requested = 0;
  Qty in_stock_qty = 0;
  Qty backorder_qty = 0;
  Qty unavailable_qty = 0;
  // Strictly increasing dates (one tranche per date); together with
  // undated_qty sums to in_stock_qty + backorder_qty.
  std::vector<Shipment> shipments;
  // The part of backorder_qty that no receipt covers and no lead time dates.
  Qty undated_qty = 0;
  // False when part of backorder_qty has no date (undated_qty > 0).
  bool eta_known = true;
  // First ship date of the backorder (or preorder) part: the "first ETA".
  // Empty for IN_STOCK and when no part of the backorder is dated.
  std::optional<absl::CivilDay> first_ship_date;
  std::optional<absl::CivilDay> restock_date;
  bool backorder_notice = false;
  CartRule broken_rule = CartRule::kNone;
  // The bound of broken_rule (1 unit for kIsQtyDecimal).
  Qty broken_rule_limit = 0;
  // No rule broken and unavailable_qty == 0.
  bool orderable = false;

  Lifecycle lifecycle = Lifecycle::kActive;
  std::optional<absl::CivilDay> release_date;
  std::string successor_sku;

  // For the display status, whatever the quantity requested (docs/domain.md
  // §4).
  FeedValues feed;
  DerivedQuantities derived;

  bool operator==(const Decision& o) const;
  bool operator!=(const Decision& o) const { return !(*this == o); }
};

// The latest date an answer carries: the API's dates are years 1..9999. A
// ship or restock date that would fall after it (a record stored with a
// receipt or release date near the end of the range) is treated as unknown:
// that part is undated (eta_known = false), no restock_date. The sync API
// refuses such dates on write (server/sync_mapping.h kLatestPlannedDate).
inline constexpr absl::CivilDay kLatestAnswerDate(9999, 12, 31);

// The store's local date at `now` in its time zone.
absl::CivilDay StoreToday(const StoreConfig& config, absl::Time now);

// `days` days after `from`: business days when the calendar is not empty
// (the result is a business day), calendar days otherwise. days <= 0: from.
absl::CivilDay AddShippingDays(const BusinessCalendar& calendar,
                               absl::CivilDay from, int days);

// The full decision. `requested` empty: the display quantity. A requested
// quantity must be > 0 (validated by the caller; a non-positive one gets the
// display status with an empty split and orderable = false).
// Status is decided for the quantity answered for (docs/domain.md §3 with q =
// the request), except when a cart rule is broken: then status, feed and
// dates are the display decision's and the whole request is unavailable.
Decision Decide(const Record& record, const StoreConfig& config,
                absl::CivilDay today, std::optional<Qty> requested);

// The answer for a SKU that is not on the stock (status kUnknown).
Decision DecideUnknown(std::optional<Qty> requested);

FeedValues FeedFor(const Decision& decision);

// True when docs/domain.md §5 asks for alternatives for this answer:
// OUT_OF_STOCK, DISCONTINUED, and BACKORDERABLE when
// alternatives_backorder_days > 0 and the first ETA is more than that many days
// after `today` (or unknown).
bool WantsAlternatives(const Decision& decision, const StoreConfig& config,
                       absl::CivilDay today);

// A candidate alternative, in gathering order (successor, the record's
// alternatives, same-category by popularity), with its own display decision.
struct Candidate {
  std::string sku;
  Relation relation = Relation::kRelated;
  Decision decision;
};

struct PickedAlternative {
  std::string sku;
  Relation relation = Relation::kRelated;
  // Index into the candidates given to PickAlternatives.
  size_t candidate_index = 0;
};

// docs/domain.md §5: keeps candidates that are IN_STOCK or BACKORDERABLE with a
// known first ETA earlier than the subject's (never, for OUT_OF_STOCK and
// DISCONTINUED subjects and undated backorders: any known ETA qualifies; an
// IN_STOCK subject admits no backorderable candidate); in-stock first, each
// group in gathering order; no duplicates (a SKU is judged by its first
// appearance, whose relation it keeps), never `subject_sku` or an empty SKU;
// at most `max`. The caller passes only candidates on the subject's stock.
std::vector<PickedAlternative> PickAlternatives(
    absl::string_view subject_sku, const Decision& subject,
    absl::Span<const Candidate> candidates, size_t max);

}  // namespace availability::core

#endif  // AVAILABILITY_CORE_DECISION_H_
