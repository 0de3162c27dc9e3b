#include "server/availability_mapping.h"

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "cache/record_writer.h"
#include "server/api_convert.h"

namespace availability::server {

// The cache stores statuses in summaries and events with numbers of its own
// (cache::SummaryStatus); the events API passes them on as v1::Status.
static_assert(static_cast<int>(cache::kSummaryUnknown) ==
              static_cast<int>(v1::STATUS_UNKNOWN));
static_assert(static_cast<int>(cache::kSummaryInStock) ==
              static_cast<int>(v1::STATUS_IN_STOCK));
static_assert(static_cast<int>(cache::kSummaryBackorderable) ==
              static_cast<int>(v1::STATUS_BACKORDERABLE));
static_assert(static_cast<int>(cache::kSummaryPreorder) ==
              static_cast<int>(v1::STATUS_PREORDER));
static_assert(static_cast<int>(cache::kSummaryOutOfStock) ==
              static_cast<int>(v1::STATUS_OUT_OF_STOCK));
static_assert(static_cast<int>(cache::kSummaryDiscontinued) ==
              static_cast<int>(v1::STATUS_DISCONTINUED));

v1::Status StatusToApi(core::Status status) {
  switch (status) {
    case core::Status::kUnknown:
      return v1::STATUS_UNKNOWN;
    case core::Status::kInStock:
      return v1::STATUS_IN_STOCK;
    case core::Status::kBackorderable:
      return v1::STATUS_BACKORDERABLE;
    case core::Status::kPreorder:
      return v1::STATUS_PREORDER;
    case core::Status::kOutOfStock:
      return v1::STATUS_OUT_OF_STOCK;
    case core::Status::kDiscontinued:
      return v1::STATUS_DISCONTINUED;
  }
  return v1::STATUS_UNSPECIFIED;
}

v1::Relation RelationToApi(core::Relation relation) {
  switch (relation) {
    case core::Relation::kSuccessor:
      return v1::RELATION_SUCCESSOR;
    case core::Relation::kSubstitute:
      return v1::RELATION_SUBSTITUTE;
    case core::Relation::kRelated:
      return v1::RELATION_RELATED;
    case core::Relation::kUpsell:
      return v1::RELATION_UPSELL;
    case core::Relation::kCrosssell:
      return v1::RELATION_CROSSSELL;
    case core::Relation::kSameCategory:
      return v1::RELATION_SAME_CATEGORY;
  }
  return v1::RELATION_UNSPECIFIED;
}

v1::Lifecycle LifecycleToApi(core::Lifecycle lifecycle) {
  switch (lifecycle) {
    case core::Lifecycle::kActive:
      return v1::LIFECYCLE_ACTIVE;
    case core::Lifecycle::kPreorder:
      return v1::LIFECYCLE_PREORDER;
    case core::Lifecycle::kDiscontinued:
      return v1::LIFECYCLE_DISCONTINUED;
  }
  return v1::LIFECYCLE_UNSPECIFIED;
}

v1::CartRule CartRuleToApi(core::CartRule rule) {
  switch (rule) {
    case core::CartRule::kNone:
      return v1::CART_RULE_UNSPECIFIED;
    case core::CartRule::kMinSaleQty:
      return v1::CART_RULE_MIN_SALE_QTY;
    case core::CartRule::kMaxSaleQty:
      return v1::CART_RULE_MAX_SALE_QTY;
    case core::CartRule::kQtyIncrements:
      return v1::CART_RULE_QTY_INCREMENTS;
    case core::CartRule::kIsQtyDecimal:
      return v1::CART_RULE_IS_QTY_DECIMAL;
  }
  return v1::CART_RULE_UNSPECIFIED;
}

v1::ProductType ProductTypeToApi(core::ProductType type) {
  switch (type) {
    case core::ProductType::kSimple:
      return v1::PRODUCT_TYPE_SIMPLE;
    case core::ProductType::kConfigurable:
      return v1::PRODUCT_TYPE_CONFIGURABLE;
    case core::ProductType::kBundle:
      return v1::PRODUCT_TYPE_BUNDLE;
    case core::ProductType::kGrouped:
      return v1::PRODUCT_TYPE_GROUPED;
  }
  return v1::PRODUCT_TYPE_UNSPECIFIED;
}

void ComponentsToApi(absl::Span<const core::ComponentAnswer> components,
                     v1::ProductAvailability* out) {
  out->mutable_components()->Reserve(static_cast<int>(components.size()));
  for (const core::ComponentAnswer& c : components) {
    const core::Decision& d = c.decision;
    v1::ComponentAvailability* component = out->add_components();
    component->set_sku(c.sku);
    component->set_status(StatusToApi(d.status));
    component->set_display_status(StatusToApi(d.display_status));
    component->set_orderable(d.orderable);
    component->set_requested_quantity(QtyToApi(d.requested));
    if (d.only_x_left) component->set_only_x_left(QtyToApi(*d.only_x_left));
    if (d.first_ship_date) {
      DateToApi(*d.first_ship_date, component->mutable_first_ship_date());
    }
    if (d.restock_date) {
      DateToApi(*d.restock_date, component->mutable_restock_date());
    }
    if (c.option_index >= 0) {
      component->set_bundle_option(c.option_index);
      component->set_option_required(c.required);
    }
  }
}

void CompactToApi(const core::Decision& decision,
                  v1::CompactAvailability* out) {
  out->set_status(StatusToApi(decision.status));
  if (decision.only_x_left) {
    out->set_only_x_left(QtyToApi(*decision.only_x_left));
  }
  if (decision.first_ship_date) {
    DateToApi(*decision.first_ship_date, out->mutable_first_ship_date());
  }
}

void ItemErrorToApi(const absl::Status& error, v1::ProductAvailability* out) {
  std::string sku = std::move(*out->mutable_sku());
  out->Clear();
  out->set_sku(std::move(sku));
  v1::ItemError* item_error = out->mutable_error();
  item_error->set_code(static_cast<int32_t>(error.code()));
  item_error->set_message(std::string(error.message()));
}

absl::Status ItemErrorFromApi(const v1::ItemError& error) {
  return absl::Status(static_cast<absl::StatusCode>(error.code()),
                      error.message());
}

namespace {

void AssignString(std::string* field, absl::string_view value) {
  field->assign(value.data(), value.size());
}

}  // namespace

void DecisionToApi(absl::string_view sku, int32_t stock_id,
                   const core::Record* record, const core::Decision& decision,
                   bool stale, v1::ProductAvailability* out) {
  // Strings are assigned into the fields' own buffers: a response reused
  // after Clear() (server/reused_messages.h) keeps them, so nothing is
  // allocated; set_x(std::string(...)) would allocate a temporary each time.
  AssignString(out->mutable_sku(), sku);
  out->set_stock_id(stock_id);
  out->set_status(StatusToApi(decision.status));
  out->set_display_status(StatusToApi(decision.display_status));
  out->set_orderable(decision.orderable);
  if (decision.only_x_left) {
    out->set_only_x_left(QtyToApi(*decision.only_x_left));
  }
  if (decision.quantity_exposed) {
    v1::QuantitySplit* split = out->mutable_split();
    split->set_requested_quantity(QtyToApi(decision.requested));
    split->set_in_stock_quantity(QtyToApi(decision.in_stock_qty));
    split->set_backorder_quantity(QtyToApi(decision.backorder_qty));
    split->set_unavailable_quantity(QtyToApi(decision.unavailable_qty));
    // A composite parent has no stock of its own (docs/domain.md §10).
    if (record != nullptr && !core::IsComposite(*record)) {
      out->set_salable_quantity(QtyToApi(decision.derived.salable_qty));
    }
  }
  // The shipments break the split down by date: no split, no shipments
  // (manage_stock off exposes no quantity).
  if (decision.quantity_exposed) {
    for (const core::Shipment& s : decision.shipments) {
      v1::Shipment* shipment = out->add_shipments();
      shipment->set_quantity(QtyToApi(s.qty));
      DateToApi(s.ship_date, shipment->mutable_ship_date());
    }
  }
  out->set_eta_known(decision.eta_known);
  if (decision.first_ship_date) {
    DateToApi(*decision.first_ship_date, out->mutable_first_ship_date());
  }
  if (decision.restock_date) {
    DateToApi(*decision.restock_date, out->mutable_restock_date());
  }
  out->set_backorder_notice(decision.backorder_notice);
  if (decision.broken_rule != core::CartRule::kNone) {
    v1::CartRuleViolation* violation = out->mutable_cart_rule_violation();
    violation->set_rule(CartRuleToApi(decision.broken_rule));
    AssignString(violation->mutable_code(),
                 core::CartRuleCode(decision.broken_rule));
    violation->set_limit(QtyToApi(decision.broken_rule_limit));
  }
  if (record != nullptr) {
    out->set_lifecycle(LifecycleToApi(decision.lifecycle));
    out->set_product_type(ProductTypeToApi(record->product_type));
  }
  if (decision.release_date) {
    DateToApi(*decision.release_date, out->mutable_release_date());
  }
  if (!decision.successor_sku.empty()) {
    AssignString(out->mutable_successor_sku(), decision.successor_sku);
  }

  v1::FeedValues* feed = out->mutable_feed();
  AssignString(feed->mutable_schema_org_availability(),
               decision.feed.schema_org);
  AssignString(feed->mutable_merchant_availability(), decision.feed.merchant);
  if (decision.feed.merchant_date) {
    DateToApi(*decision.feed.merchant_date,
              feed->mutable_merchant_availability_date());
  }

  v1::Freshness* freshness = out->mutable_freshness();
  freshness->set_stale(stale);
  if (record != nullptr) {
    freshness->set_version(record->version);
    if (record->source_time != absl::InfinitePast()) {
      // Timestamp wants nanos in 0..999999999, also before 1970: floor the
      // seconds (C++ division truncates towards zero).
      const int64_t micros = absl::ToUnixMicros(record->source_time);
      int64_t seconds = micros / 1000000;
      int64_t micros_part = micros % 1000000;
      if (micros_part < 0) {
        micros_part += 1000000;
        --seconds;
      }
      freshness->mutable_source_time()->set_seconds(seconds);
      freshness->mutable_source_time()->set_nanos(
          static_cast<int32_t>(micros_part) * 1000);
    }
  }
}

}  // namespace availability::server
