#include "core/composite.h"

#include <algorithm>
#include <utility>

namespace availability::core {
namespace {

// docs/domain.md §10's order: IN_STOCK > BACKORDERABLE > PREORDER >
// OUT_OF_STOCK; a DISCONTINUED (or unknown) component ranks as OUT_OF_STOCK.
// Lower is better.
constexpr int kOutOfStockRank = 3;
int Rank(Status status) {
  switch (status) {
    case Status::kInStock:
      return 0;
    case Status::kBackorderable:
      return 1;
    case Status::kPreorder:
      return 2;
    default:
      return kOutOfStockRank;
  }
}

Status StatusOfRank(int rank) {
  switch (rank) {
    case 0:
      return Status::kInStock;
    case 1:
      return Status::kBackorderable;
    case 2:
      return Status::kPreorder;
    default:
      return Status::kOutOfStock;
  }
}

// A component's answer can serve the quantity asked only when no cart rule
// of its own is broken.
int ServingRank(const Decision& d) {
  return d.broken_rule == CartRule::kNone ? Rank(d.status) : kOutOfStockRank;
}

// The date the whole of `d`'s answered quantity ships; empty when unknown.
std::optional<absl::CivilDay> CompletionDate(const Decision& d,
                                             absl::CivilDay today) {
  if (d.status == Status::kInStock) return today;
  if (!d.eta_known || d.shipments.empty()) return std::nullopt;
  return d.shipments.back().ship_date;
}

// a's date before b's; an unknown date comes last.
bool EarlierDate(const std::optional<absl::CivilDay>& a,
                 const std::optional<absl::CivilDay>& b) {
  if (!a.has_value()) return false;
  if (!b.has_value()) return true;
  return *a < *b;
}

// The better of two components' answers: serving rank, then one that breaks
// no cart rule, then the earlier date (first ship date for variants,
// completion date for bundle selections). Ties keep the first (catalog
// order).
struct Candidate {
  int rank = kOutOfStockRank;
  bool broken = false;
  std::optional<absl::CivilDay> date;
};
Candidate KeyOf(const Decision& d, std::optional<absl::CivilDay> date) {
  return Candidate{ServingRank(d), d.broken_rule != CartRule::kNone,
                   std::move(date)};
}
bool Better(const Candidate& a, const Candidate& b) {
  if (a.rank != b.rank) return a.rank < b.rank;
  if (a.broken != b.broken) return !a.broken;
  return EarlierDate(a.date, b.date);
}

void EarliestInto(const std::optional<absl::CivilDay>& day,
                  std::optional<absl::CivilDay>* out) {
  if (day && (!*out || *day < **out)) *out = day;
}

// The parent's own fields that every composite answer carries; quantities
// come from the components.
Decision ParentBase(const Record& parent, Qty q) {
  Decision d;
  d.requested = q;
  d.lifecycle = parent.lifecycle;
  d.successor_sku = parent.successor_sku;
  return d;
}

// Nothing of q can be had (the parent's is_in_stock = false, or no
// component serves it).
void MakeOutOfStock(Decision* d) {
  d->status = Status::kOutOfStock;
  d->in_stock_qty = 0;
  d->backorder_qty = 0;
  d->unavailable_qty = d->requested;
  d->shipments.clear();
  d->undated_qty = 0;
  d->eta_known = true;
  d->first_ship_date.reset();
  d->backorder_notice = false;
  d->orderable = false;
  d->release_date.reset();
}

// The quantity of a component that q bundles take: q × per_bundle, rounded
// up to the scale, capped at kMaxQty + 1 (which no stock holds).
Qty ComponentNeed(Qty q, Qty per_bundle) {
  if (per_bundle <= 0 || q <= 0) return 0;
  const Qty cap = kMaxQty + 1;
  // kMaxQty × kQtyScale fits in 64 bits; so does any product below it.
  if (q > kMaxQty * kQtyScale / per_bundle) return cap;
  const Qty need = (q * per_bundle + kQtyScale - 1) / kQtyScale;
  return std::min(need, cap);
}

Decision DecideComponent(const Record* record, const StoreConfig& config,
                         absl::CivilDay today, std::optional<Qty> q) {
  return record != nullptr ? Decide(*record, config, today, q)
                           : DecideUnknown(q);
}

// Configurable and grouped parents: the best component for q.
CompositeDecision DecideVariants(const Record& parent,
                                 const StoreConfig& config,
                                 ComponentFinder find, absl::CivilDay today,
                                 std::optional<Qty> requested) {
  CompositeDecision out;
  std::vector<std::string> skus = ComponentSkus(parent);
  out.components.reserve(skus.size());
  int best = -1;
  Candidate best_key;
  std::optional<absl::CivilDay> restock;
  for (std::string& sku : skus) {
    ComponentAnswer a;
    const Record* record = find(sku);
    a.found = record != nullptr;
    a.decision = DecideComponent(record, config, today, requested);
    a.sku = std::move(sku);
    const Candidate key = KeyOf(a.decision, a.decision.first_ship_date);
    if (best < 0 || Better(key, best_key)) {
      best = static_cast<int>(out.components.size());
      best_key = key;
    }
    EarliestInto(a.decision.restock_date, &restock);
    out.components.push_back(std::move(a));
  }

  const Qty q = best >= 0 ? out.components[best].decision.requested
                          : requested.value_or(QtyFromUnits(1));
  Decision& d = out.decision;
  if (!parent.is_in_stock || best < 0 ||
      (best_key.rank == kOutOfStockRank && !best_key.broken)) {
    d = ParentBase(parent, q);
    MakeOutOfStock(&d);
    // Ambiguity decided: a parent switched out of stock by the merchant has
    // no restock date (as for a simple product, docs/domain.md §3 rule 3).
    if (parent.is_in_stock) d.restock_date = restock;
  } else {
    // The best variant's answer for q is the parent's: its status, split
    // and ship dates. Its own quantities stay on the variant.
    d = out.components[best].decision;
    d.only_x_left.reset();
    d.derived = DerivedQuantities{};
    d.lifecycle = parent.lifecycle;
    d.successor_sku = parent.successor_sku;
    if (d.status != Status::kPreorder) d.release_date.reset();
    d.restock_date.reset();
  }
  d.display_status = d.status;
  d.feed = FeedFor(d);
  return out;
}

// Bundles: each option served by its best selection for q × its qty; the
// bundle is the worst required option.
CompositeDecision DecideBundle(const Record& parent, const StoreConfig& config,
                               ComponentFinder find, absl::CivilDay today,
                               std::optional<Qty> requested) {
  CompositeDecision out;
  // The display quantity as Decide's: max(min_sale_qty, 1), whole bundles.
  const Qty unit = QtyFromUnits(1);
  const Qty min_sale = ResolveSettings(parent, config).min_sale_qty;
  const Qty q =
      requested.value_or(std::max(unit, (min_sale + unit - 1) / unit * unit));

  bool any_required = false;
  for (const BundleOption& option : parent.bundle_options) {
    any_required = any_required || option.required;
  }
  int worst_rank = -1;
  int best_optional_rank = kOutOfStockRank + 1;
  for (size_t i = 0; i < parent.bundle_options.size(); ++i) {
    const BundleOption& option = parent.bundle_options[i];
    ComponentAnswer chosen;
    Candidate chosen_key;
    bool have = false;
    for (const BundleSelection& selection : option.selections) {
      const Record* record = find(selection.sku);
      Decision decision = DecideComponent(record, config, today,
                                          ComponentNeed(q, selection.qty));
      const Candidate key = KeyOf(decision, CompletionDate(decision, today));
      if (!have || Better(key, chosen_key)) {
        have = true;
        chosen_key = key;
        chosen.sku = selection.sku;
        chosen.found = record != nullptr;
        chosen.decision = std::move(decision);
      }
    }
    // Ambiguity decided: an option without selections cannot be served.
    const int rank = have ? chosen_key.rank : kOutOfStockRank;
    if (option.required) {
      worst_rank = std::max(worst_rank, rank);
    } else {
      best_optional_rank = std::min(best_optional_rank, rank);
    }
    if (!have) continue;
    chosen.option_index = static_cast<int>(i);
    chosen.required = option.required;
    out.components.push_back(std::move(chosen));
  }

  // Ambiguity decided (as Magento's Bundle\Model\Product\Type::isSalable):
  // with no required option the bundle needs one servable option; with no
  // option at all it is out of stock.
  const int rank =
      any_required ? worst_rank : std::min(best_optional_rank, kOutOfStockRank);
  // The options that limit the bundle: the required ones, or the best
  // optional one when none is required.
  auto limits = [&](const ComponentAnswer& a) {
    if (any_required) return a.required;
    return ServingRank(a.decision) == rank;
  };

  Decision& d = out.decision;
  d = ParentBase(parent, q);
  d.status = parent.is_in_stock ? StatusOfRank(rank) : Status::kOutOfStock;
  if (d.status == Status::kOutOfStock) {
    MakeOutOfStock(&d);
    // Back when every limiting option that is out is back: the latest of
    // their restock dates, none when one has none.
    std::optional<absl::CivilDay> restock;
    bool known = parent.is_in_stock && rank == kOutOfStockRank;
    bool any = false;
    for (const ComponentAnswer& a : out.components) {
      if (!limits(a) || ServingRank(a.decision) != kOutOfStockRank) continue;
      any = true;
      if (!a.decision.restock_date ||
          a.decision.broken_rule != CartRule::kNone) {
        known = false;
      } else if (!restock || *a.decision.restock_date > *restock) {
        restock = a.decision.restock_date;
      }
    }
    if (known && any) d.restock_date = restock;
  } else if (d.status == Status::kInStock) {
    d.in_stock_qty = q;
    d.shipments.push_back(Shipment{q, today});
    d.orderable = true;
  } else {
    // Ambiguity decided: the bundle ships whole, on the date its slowest
    // limiting option ships in full; undated when one is undated.
    std::optional<absl::CivilDay> ship = today;
    for (const ComponentAnswer& a : out.components) {
      if (!limits(a)) continue;
      const std::optional<absl::CivilDay> done =
          CompletionDate(a.decision, today);
      if (!done) {
        ship.reset();
        break;
      }
      ship = std::max(*ship, *done);
    }
    for (const ComponentAnswer& a : out.components) {
      if (!limits(a)) continue;
      d.backorder_notice = d.backorder_notice || a.decision.backorder_notice;
      if (a.decision.status == Status::kPreorder && a.decision.release_date &&
          (!d.release_date || *a.decision.release_date > *d.release_date)) {
        d.release_date = a.decision.release_date;
      }
    }
    d.backorder_qty = q;
    if (ship) {
      d.shipments.push_back(Shipment{q, *ship});
      d.first_ship_date = ship;
    } else {
      d.undated_qty = q;
      d.eta_known = false;
    }
    d.orderable = true;
  }
  d.display_status = d.status;
  d.feed = FeedFor(d);
  return out;
}

}  // namespace

bool IsComposite(const Record& record) {
  return record.product_type != ProductType::kSimple;
}

std::vector<std::string> ComponentSkus(const Record& record) {
  std::vector<std::string> skus;
  auto add = [&skus](const std::string& sku) {
    if (std::find(skus.begin(), skus.end(), sku) == skus.end()) {
      skus.push_back(sku);
    }
  };
  switch (record.product_type) {
    case ProductType::kSimple:
      break;
    case ProductType::kConfigurable:
    case ProductType::kGrouped:
      skus.reserve(record.components.size());
      for (const std::string& sku : record.components) add(sku);
      break;
    case ProductType::kBundle:
      for (const BundleOption& option : record.bundle_options) {
        for (const BundleSelection& selection : option.selections) {
          add(selection.sku);
        }
      }
      break;
  }
  return skus;
}

CompositeDecision DecideComposite(const Record& parent,
                                  const StoreConfig& config,
                                  ComponentFinder find, absl::CivilDay today,
                                  std::optional<Qty> requested) {
  if (!IsComposite(parent)) {
    CompositeDecision out;
    out.decision = Decide(parent, config, today, requested);
    return out;
  }
  auto decide = [&](std::optional<Qty> q) {
    return parent.product_type == ProductType::kBundle
               ? DecideBundle(parent, config, find, today, q)
               : DecideVariants(parent, config, find, today, q);
  };
  CompositeDecision out = decide(requested);
  if (requested.has_value()) {
    // The badge and feeds follow the display answer (docs/domain.md §4).
    const CompositeDecision display = decide(std::nullopt);
    out.decision.display_status = display.decision.status;
    out.decision.feed = display.decision.feed;
  }
  return out;
}

CompositeDecision DecideComposite(const Record& parent,
                                  const StoreConfig& config,
                                  absl::Span<const Record> components,
                                  absl::CivilDay today,
                                  std::optional<Qty> requested) {
  std::vector<const Record*> sorted;
  sorted.reserve(components.size());
  for (const Record& r : components) sorted.push_back(&r);
  auto by_sku = [](const Record* a, const Record* b) {
    return a->sku < b->sku;
  };
  std::stable_sort(sorted.begin(), sorted.end(), by_sku);
  auto find = [&sorted](absl::string_view sku) -> const Record* {
    auto it = std::lower_bound(
        sorted.begin(), sorted.end(), sku,
        [](const Record* r, absl::string_view s) { return r->sku < s; });
    return it != sorted.end() && (*it)->sku == sku ? *it : nullptr;
  };
  return DecideComposite(parent, config, find, today, requested);
}

}  // namespace availability::core
