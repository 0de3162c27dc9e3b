#include "server/sync_mapping.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/decision.h"
#include "core/quantity.h"
#include "core/status_macros.h"
#include "core/time_zone.h"
#include "server/api_convert.h"

namespace availability::server {
namespace {

namespace v1 = ::availability::v1;

// Google's Timestamp range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

// "prefix.name", or "name" without a prefix.
std::string Field(absl::string_view prefix, absl::string_view name) {
  if (prefix.empty()) return std::string(name);
  return absl::StrCat(prefix, ".", name);
}

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

// The store configuration's limits keep receipts' ship dates in range
// (see kLatestPlannedDate): one business day a week, every holiday on one.
static_assert((2 * kMaxHandlingDays + kMaxHolidays) * 7 <
                  core::kLatestAnswerDate - kLatestPlannedDate,
              "kLatestPlannedDate leaves too small a margin");

// A date of a record from which ship dates are derived (`field`), parsed
// and at most kLatestPlannedDate.
absl::StatusOr<absl::CivilDay> PlannedDateFromApi(const v1::Date& date,
                                                  absl::string_view field) {
  AV_ASSIGN_OR_RETURN(absl::CivilDay day, DateFromApi(date, field));
  if (day > kLatestPlannedDate) {
    return Invalid(
        field, absl::StrCat("after ", absl::FormatCivilTime(kLatestPlannedDate),
                            ", the latest date whose ship date "
                            "stays within 9999-12-31"));
  }
  return day;
}

absl::StatusOr<std::optional<core::Backorders>> BackordersFromApi(
    v1::Backorders b, absl::string_view field) {
  switch (b) {
    case v1::BACKORDERS_UNSPECIFIED:
      return std::optional<core::Backorders>();
    case v1::BACKORDERS_NO:
      return core::Backorders::kNo;
    case v1::BACKORDERS_YES:
      return core::Backorders::kYes;
    case v1::BACKORDERS_YES_NOTIFY:
      return core::Backorders::kYesNotify;
    default:
      return Invalid(field,
                     absl::StrCat("unknown value ", static_cast<int>(b)));
  }
}

v1::Backorders BackordersToApi(core::Backorders b) {
  switch (b) {
    case core::Backorders::kNo:
      return v1::BACKORDERS_NO;
    case core::Backorders::kYes:
      return v1::BACKORDERS_YES;
    case core::Backorders::kYesNotify:
      return v1::BACKORDERS_YES_NOTIFY;
  }
  return v1::BACKORDERS_NO;
}

// An optional quantity > 0.
absl::StatusOr<core::Qty> PositiveQty(double value, absl::string_view field) {
  AV_ASSIGN_OR_RETURN(core::Qty q, QtyFromApi(value, field));
  if (q <= 0) return Invalid(field, "must be > 0");
  return q;
}

absl::Status WholeUnlessDecimal(core::Qty q, bool is_qty_decimal,
                                absl::string_view field) {
  if (!is_qty_decimal && !core::IsWholeQty(q)) {
    return Invalid(field, "fractional while is_qty_decimal is false");
  }
  return absl::OkStatus();
}

absl::Status MapQuantities(const v1::InventoryRecord& in, absl::string_view p,
                           core::Record& out) {
  AV_ASSIGN_OR_RETURN(out.source_qty, QtyFromApi(in.source_quantity(),
                                                 Field(p, "source_quantity")));
  AV_ASSIGN_OR_RETURN(
      out.reserved_qty,
      QtyFromApi(in.reserved_quantity(), Field(p, "reserved_quantity")));
  AV_ASSIGN_OR_RETURN(
      out.backorders,
      BackordersFromApi(in.backorders(), Field(p, "backorders")));
  if (in.has_min_qty()) {
    AV_ASSIGN_OR_RETURN(core::Qty min_qty,
                        QtyFromApi(in.min_qty(), Field(p, "min_qty")));
    if (min_qty < 0 && out.backorders == core::Backorders::kNo) {
      return Invalid(Field(p, "min_qty"), "negative requires backorders");
    }
    out.min_qty = min_qty;
  }
  out.is_qty_decimal = in.is_qty_decimal();
  if (in.has_min_sale_qty()) {
    const std::string f = Field(p, "min_sale_qty");
    AV_ASSIGN_OR_RETURN(core::Qty q, PositiveQty(in.min_sale_qty(), f));
    AV_RETURN_IF_ERROR(WholeUnlessDecimal(q, out.is_qty_decimal, f));
    out.min_sale_qty = q;
  }
  if (in.has_max_sale_qty()) {
    const std::string f = Field(p, "max_sale_qty");
    AV_ASSIGN_OR_RETURN(core::Qty q, PositiveQty(in.max_sale_qty(), f));
    if (out.min_sale_qty && q < *out.min_sale_qty) {
      return Invalid(f, "less than min_sale_qty");
    }
    out.max_sale_qty = q;
  }
  if (in.has_enable_qty_increments()) {
    out.enable_qty_increments = in.enable_qty_increments();
  }
  if (in.has_qty_increments()) {
    const std::string f = Field(p, "qty_increments");
    AV_ASSIGN_OR_RETURN(core::Qty q, PositiveQty(in.qty_increments(), f));
    AV_RETURN_IF_ERROR(WholeUnlessDecimal(q, out.is_qty_decimal, f));
    out.qty_increments = q;
  }
  if (in.has_notify_stock_qty()) {
    AV_ASSIGN_OR_RETURN(
        out.notify_stock_qty,
        QtyFromApi(in.notify_stock_qty(), Field(p, "notify_stock_qty")));
  }
  return absl::OkStatus();
}

absl::Status MapLifecycle(const v1::InventoryRecord& in, absl::string_view p,
                          core::Record& out) {
  switch (in.lifecycle()) {
    case v1::LIFECYCLE_UNSPECIFIED:
    case v1::LIFECYCLE_ACTIVE:
      out.lifecycle = core::Lifecycle::kActive;
      break;
    case v1::LIFECYCLE_PREORDER:
      out.lifecycle = core::Lifecycle::kPreorder;
      break;
    case v1::LIFECYCLE_DISCONTINUED:
      out.lifecycle = core::Lifecycle::kDiscontinued;
      break;
    default:
      return Invalid(
          Field(p, "lifecycle"),
          absl::StrCat("unknown value ", static_cast<int>(in.lifecycle())));
  }
  if (in.has_release_date()) {
    AV_ASSIGN_OR_RETURN(
        out.release_date,
        PlannedDateFromApi(in.release_date(), Field(p, "release_date")));
  } else if (out.lifecycle == core::Lifecycle::kPreorder) {
    return Invalid(Field(p, "lifecycle"), "PREORDER requires release_date");
  }
  if (!in.successor_sku().empty()) {
    const std::string f = Field(p, "successor_sku");
    AV_RETURN_IF_ERROR(ValidateSku(in.successor_sku(), f));
    if (in.successor_sku() == in.sku()) {
      return Invalid(f, "same as the record's sku");
    }
    out.successor_sku = in.successor_sku();
  }
  return absl::OkStatus();
}

absl::Status MapInbound(const v1::InventoryRecord& in, absl::string_view p,
                        core::Record& out) {
  if (in.inbound_size() > kMaxInbound) {
    return Invalid(Field(p, "inbound"),
                   absl::StrCat("more than ", kMaxInbound, " receipts"));
  }
  out.inbound.reserve(in.inbound_size());
  for (int i = 0; i < in.inbound_size(); ++i) {
    const v1::Receipt& r = in.inbound(i);
    const std::string f = Field(p, absl::StrCat("inbound[", i, "]"));
    if (!r.has_date()) return Invalid(absl::StrCat(f, ".date"), "missing");
    core::Receipt receipt;
    AV_ASSIGN_OR_RETURN(receipt.date,
                        PlannedDateFromApi(r.date(), absl::StrCat(f, ".date")));
    AV_ASSIGN_OR_RETURN(
        receipt.qty, PositiveQty(r.quantity(), absl::StrCat(f, ".quantity")));
    out.inbound.push_back(receipt);
  }
  if (in.lead_time_days() < 0 || in.lead_time_days() > kMaxLeadTimeDays) {
    return Invalid(Field(p, "lead_time_days"),
                   absl::StrCat("must be 0..", kMaxLeadTimeDays));
  }
  out.lead_time_days = in.lead_time_days();
  return absl::OkStatus();
}

absl::Status MapLinks(const v1::InventoryRecord& in, absl::string_view p,
                      core::Record& out) {
  if (in.alternatives_size() > kMaxStoredAlternatives) {
    return Invalid(Field(p, "alternatives"),
                   absl::StrCat("more than ", kMaxStoredAlternatives));
  }
  out.alternatives.reserve(in.alternatives_size());
  for (int i = 0; i < in.alternatives_size(); ++i) {
    const v1::AlternativeLink& link = in.alternatives(i);
    const std::string f = Field(p, absl::StrCat("alternatives[", i, "]"));
    AV_RETURN_IF_ERROR(ValidateSku(link.sku(), absl::StrCat(f, ".sku")));
    if (link.sku() == in.sku()) {
      return Invalid(absl::StrCat(f, ".sku"), "same as the record's sku");
    }
    core::AlternativeLink a;
    a.sku = link.sku();
    switch (link.relation()) {
      case v1::RELATION_SUCCESSOR:
        a.relation = core::Relation::kSuccessor;
        break;
      case v1::RELATION_SUBSTITUTE:
        a.relation = core::Relation::kSubstitute;
        break;
      case v1::RELATION_RELATED:
        a.relation = core::Relation::kRelated;
        break;
      case v1::RELATION_UPSELL:
        a.relation = core::Relation::kUpsell;
        break;
      case v1::RELATION_CROSSSELL:
        a.relation = core::Relation::kCrosssell;
        break;
      default:
        return Invalid(
            absl::StrCat(f, ".relation"),
            "must be SUCCESSOR, SUBSTITUTE, RELATED, UPSELL or CROSSSELL");
    }
    out.alternatives.push_back(std::move(a));
  }
  if (in.category_ids_size() > kMaxCategoryIds) {
    return Invalid(Field(p, "category_ids"),
                   absl::StrCat("more than ", kMaxCategoryIds));
  }
  for (int i = 0; i < in.category_ids_size(); ++i) {
    if (in.category_ids(i) < 1) {
      return Invalid(Field(p, absl::StrCat("category_ids[", i, "]")),
                     "must be >= 1");
    }
  }
  out.category_ids.assign(in.category_ids().begin(), in.category_ids().end());
  return absl::OkStatus();
}

// The record's product type; an unknown enum value is refused.
absl::StatusOr<core::ProductType> ProductTypeFromApi(v1::ProductType t,
                                                     absl::string_view field) {
  switch (t) {
    case v1::PRODUCT_TYPE_UNSPECIFIED:
    case v1::PRODUCT_TYPE_SIMPLE:
      return core::ProductType::kSimple;
    case v1::PRODUCT_TYPE_CONFIGURABLE:
      return core::ProductType::kConfigurable;
    case v1::PRODUCT_TYPE_BUNDLE:
      return core::ProductType::kBundle;
    case v1::PRODUCT_TYPE_GROUPED:
      return core::ProductType::kGrouped;
    default:
      return Invalid(field,
                     absl::StrCat("unknown value ", static_cast<int>(t)));
  }
}

// A component SKU of the record `own_sku` (`field`): a valid SKU, not the
// record's own.
absl::Status ValidateComponentSku(absl::string_view sku,
                                  absl::string_view own_sku,
                                  absl::string_view field) {
  AV_RETURN_IF_ERROR(ValidateSku(sku, field));
  if (sku == own_sku) return Invalid(field, "same as the record's sku");
  return absl::OkStatus();
}

// component_skus: only on a configurable or grouped record, at most
// core::kMaxComponents, no duplicates.
absl::Status MapComponents(const v1::InventoryRecord& in, absl::string_view p,
                           core::Record& out) {
  const std::string f = Field(p, "component_skus");
  if (in.component_skus_size() == 0) return absl::OkStatus();
  if (out.product_type != core::ProductType::kConfigurable &&
      out.product_type != core::ProductType::kGrouped) {
    return Invalid(f, "only a CONFIGURABLE or GROUPED record has components");
  }
  if (static_cast<size_t>(in.component_skus_size()) > core::kMaxComponents) {
    return Invalid(f, absl::StrCat("more than ", core::kMaxComponents));
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (int i = 0; i < in.component_skus_size(); ++i) {
    const std::string& sku = in.component_skus(i);
    const std::string fi = absl::StrCat(f, "[", i, "]");
    AV_RETURN_IF_ERROR(ValidateComponentSku(sku, in.sku(), fi));
    if (!seen.insert(sku).second) return Invalid(fi, "duplicate sku");
  }
  out.components.assign(in.component_skus().begin(), in.component_skus().end());
  return absl::OkStatus();
}

// bundle_options: only on a bundle record, at most core::kMaxBundleOptions,
// each with 1..core::kMaxComponents selections of a quantity > 0 (0 = 1).
absl::Status MapBundleOptions(const v1::InventoryRecord& in,
                              absl::string_view p, core::Record& out) {
  const std::string f = Field(p, "bundle_options");
  if (in.bundle_options_size() == 0) return absl::OkStatus();
  if (out.product_type != core::ProductType::kBundle) {
    return Invalid(f, "only a BUNDLE record has bundle options");
  }
  if (static_cast<size_t>(in.bundle_options_size()) > core::kMaxBundleOptions) {
    return Invalid(f, absl::StrCat("more than ", core::kMaxBundleOptions));
  }
  out.bundle_options.reserve(in.bundle_options_size());
  for (int i = 0; i < in.bundle_options_size(); ++i) {
    const v1::BundleOption& option = in.bundle_options(i);
    const std::string fo = absl::StrCat(f, "[", i, "]");
    if (option.selections_size() == 0 ||
        static_cast<size_t>(option.selections_size()) > core::kMaxComponents) {
      return Invalid(absl::StrCat(fo, ".selections"),
                     absl::StrCat("must have 1..", core::kMaxComponents));
    }
    core::BundleOption mapped;
    mapped.required = option.required();
    for (int j = 0; j < option.selections_size(); ++j) {
      const v1::BundleSelection& sel = option.selections(j);
      const std::string fs = absl::StrCat(fo, ".selections[", j, "]");
      core::BundleSelection s;
      AV_RETURN_IF_ERROR(
          ValidateComponentSku(sel.sku(), in.sku(), absl::StrCat(fs, ".sku")));
      s.sku = sel.sku();
      if (sel.quantity() != 0) {
        AV_ASSIGN_OR_RETURN(
            s.qty, PositiveQty(sel.quantity(), absl::StrCat(fs, ".quantity")));
      }
      mapped.selections.push_back(std::move(s));
    }
    out.bundle_options.push_back(std::move(mapped));
  }
  return absl::OkStatus();
}

// The composite fields (docs/domain.md §10): product_type, component_skus,
// bundle_options.
absl::Status MapComposite(const v1::InventoryRecord& in, absl::string_view p,
                          core::Record& out) {
  AV_ASSIGN_OR_RETURN(
      out.product_type,
      ProductTypeFromApi(in.product_type(), Field(p, "product_type")));
  AV_RETURN_IF_ERROR(MapComponents(in, p, out));
  return MapBundleOptions(in, p, out);
}

}  // namespace

absl::StatusOr<core::Record> RecordFromApi(const v1::InventoryRecord& in,
                                           absl::string_view p) {
  core::Record out;
  AV_RETURN_IF_ERROR(ValidateSku(in.sku(), Field(p, "sku")));
  out.sku = in.sku();
  if (in.stock_id() < 1) return Invalid(Field(p, "stock_id"), "must be >= 1");
  out.stock_id = in.stock_id();
  if (in.version() < 1) return Invalid(Field(p, "version"), "must be >= 1");
  out.version = in.version();
  if (in.has_source_time()) {
    const auto& t = in.source_time();
    if (t.seconds() < kMinTimestampSeconds ||
        t.seconds() > kMaxTimestampSeconds || t.nanos() < 0 ||
        t.nanos() > 999999999) {
      return Invalid(Field(p, "source_time"), "not a valid timestamp");
    }
    // Kept to the microsecond, as the cache stores it (cache/record_codec.h):
    // the record mapped here is the record every reader gets back.
    out.source_time =
        absl::FromUnixMicros(t.seconds() * 1000000 + t.nanos() / 1000);
  }
  if (in.has_manage_stock()) out.manage_stock = in.manage_stock();
  out.is_in_stock = !in.has_is_in_stock() || in.is_in_stock();
  AV_RETURN_IF_ERROR(MapQuantities(in, p, out));
  AV_RETURN_IF_ERROR(MapLifecycle(in, p, out));
  AV_RETURN_IF_ERROR(MapInbound(in, p, out));
  AV_RETURN_IF_ERROR(MapLinks(in, p, out));
  AV_RETURN_IF_ERROR(MapComposite(in, p, out));
  return out;
}

absl::StatusOr<core::StoreConfig> StoreConfigFromApi(const v1::StoreConfig& in,
                                                     absl::string_view p) {
  core::StoreConfig out;
  if (in.stock_id() < 1) return Invalid(Field(p, "stock_id"), "must be >= 1");
  out.stock_id = in.stock_id();
  if (in.has_manage_stock()) out.manage_stock = in.manage_stock();
  AV_ASSIGN_OR_RETURN(
      std::optional<core::Backorders> backorders,
      BackordersFromApi(in.backorders(), Field(p, "backorders")));
  out.backorders = backorders.value_or(core::Backorders::kNo);
  if (in.has_min_qty()) {
    AV_ASSIGN_OR_RETURN(out.min_qty,
                        QtyFromApi(in.min_qty(), Field(p, "min_qty")));
    if (out.min_qty < 0 && out.backorders == core::Backorders::kNo) {
      return Invalid(Field(p, "min_qty"), "negative requires backorders");
    }
  }
  if (in.has_min_sale_qty()) {
    AV_ASSIGN_OR_RETURN(
        out.min_sale_qty,
        PositiveQty(in.min_sale_qty(), Field(p, "min_sale_qty")));
  }
  if (in.has_max_sale_qty()) {
    AV_ASSIGN_OR_RETURN(
        out.max_sale_qty,
        PositiveQty(in.max_sale_qty(), Field(p, "max_sale_qty")));
  }
  if (out.max_sale_qty < out.min_sale_qty) {
    return Invalid(Field(p, "max_sale_qty"), "less than min_sale_qty");
  }
  if (in.has_notify_stock_qty()) {
    AV_ASSIGN_OR_RETURN(
        out.notify_stock_qty,
        QtyFromApi(in.notify_stock_qty(), Field(p, "notify_stock_qty")));
  }
  if (in.has_enable_qty_increments()) {
    out.enable_qty_increments = in.enable_qty_increments();
  }
  if (in.has_qty_increments()) {
    AV_ASSIGN_OR_RETURN(
        out.qty_increments,
        PositiveQty(in.qty_increments(), Field(p, "qty_increments")));
  }
  AV_ASSIGN_OR_RETURN(out.only_x_left_threshold,
                      QtyFromApi(in.only_x_left_threshold(),
                                 Field(p, "only_x_left_threshold")));
  if (out.only_x_left_threshold < 0) {
    return Invalid(Field(p, "only_x_left_threshold"), "must be >= 0");
  }
  if (in.handling_days() < 0 || in.handling_days() > kMaxHandlingDays) {
    return Invalid(Field(p, "handling_days"),
                   absl::StrCat("must be 0..", kMaxHandlingDays));
  }
  out.handling_days = in.handling_days();
  if (in.safety_days() < 0 || in.safety_days() > kMaxHandlingDays) {
    return Invalid(Field(p, "safety_days"),
                   absl::StrCat("must be 0..", kMaxHandlingDays));
  }
  out.safety_days = in.safety_days();
  if (in.alternatives_backorder_days() < 0 ||
      in.alternatives_backorder_days() > kMaxLeadTimeDays) {
    return Invalid(Field(p, "alternatives_backorder_days"),
                   absl::StrCat("must be 0..", kMaxLeadTimeDays));
  }
  out.alternatives_backorder_days = in.alternatives_backorder_days();

  absl::StatusOr<absl::TimeZone> tz = core::LoadStoreTimeZone(in.time_zone());
  if (!tz.ok()) return Invalid(Field(p, "time_zone"), tz.status().message());
  out.time_zone_name = in.time_zone();
  out.time_zone = *tz;

  const std::string cal = Field(p, "calendar");
  for (int i = 0; i < in.calendar().weekend_days_size(); ++i) {
    const int d = in.calendar().weekend_days(i);
    if (d < 1 || d > 7) {
      return Invalid(absl::StrCat(cal, ".weekend_days[", i, "]"),
                     "must be 1 (Monday)..7 (Sunday)");
    }
    out.calendar.weekend[d - 1] = true;
  }
  if (std::all_of(out.calendar.weekend.begin(), out.calendar.weekend.end(),
                  [](bool w) { return w; })) {
    return Invalid(absl::StrCat(cal, ".weekend_days"),
                   "every day of the week is a weekend day");
  }
  if (in.calendar().holidays_size() > kMaxHolidays) {
    return Invalid(absl::StrCat(cal, ".holidays"),
                   absl::StrCat("more than ", kMaxHolidays));
  }
  for (int i = 0; i < in.calendar().holidays_size(); ++i) {
    AV_ASSIGN_OR_RETURN(absl::CivilDay day,
                        DateFromApi(in.calendar().holidays(i),
                                    absl::StrCat(cal, ".holidays[", i, "]")));
    out.calendar.holidays.push_back(day);
  }
  auto& h = out.calendar.holidays;
  std::sort(h.begin(), h.end());
  h.erase(std::unique(h.begin(), h.end()), h.end());
  return out;
}

void StoreConfigToApi(const core::StoreConfig& c, v1::StoreConfig* out) {
  out->Clear();
  out->set_stock_id(c.stock_id);
  out->set_manage_stock(c.manage_stock);
  out->set_backorders(BackordersToApi(c.backorders));
  out->set_min_qty(QtyToApi(c.min_qty));
  out->set_min_sale_qty(QtyToApi(c.min_sale_qty));
  out->set_max_sale_qty(QtyToApi(c.max_sale_qty));
  out->set_notify_stock_qty(QtyToApi(c.notify_stock_qty));
  out->set_enable_qty_increments(c.enable_qty_increments);
  out->set_qty_increments(QtyToApi(c.qty_increments));
  out->set_only_x_left_threshold(QtyToApi(c.only_x_left_threshold));
  out->set_handling_days(c.handling_days);
  out->set_safety_days(c.safety_days);
  out->set_time_zone(c.time_zone_name);
  for (int d = 0; d < 7; ++d) {
    if (c.calendar.weekend[d]) out->mutable_calendar()->add_weekend_days(d + 1);
  }
  for (absl::CivilDay day : c.calendar.holidays) {
    DateToApi(day, out->mutable_calendar()->add_holidays());
  }
  out->set_alternatives_backorder_days(c.alternatives_backorder_days);
}

absl::Status ValidateSnapshotId(absl::string_view id, absl::string_view field) {
  if (id.empty() || id.size() > kMaxSnapshotIdBytes) {
    return Invalid(field, absl::StrCat("must be 1..", kMaxSnapshotIdBytes,
                                       " bytes of [A-Za-z0-9_-]"));
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return Invalid(field, "only [A-Za-z0-9_-] allowed");
  }
  return absl::OkStatus();
}

absl::Status ValidateBatchSize(int n, absl::string_view field) {
  if (n < 1 || n > kMaxRecordsPerRequest) {
    return Invalid(
        field, absl::StrCat("1..", kMaxRecordsPerRequest, " per request, got ",
                            n, n > 0 ? " (split the batch)" : ""));
  }
  return absl::OkStatus();
}

absl::Status ValidateStockId(int32_t stock_id, absl::string_view field) {
  if (stock_id < 1) return Invalid(field, "must be >= 1");
  return absl::OkStatus();
}

absl::Status ValidateUpsertRequest(const v1::UpsertRecordsRequest& request) {
  AV_RETURN_IF_ERROR(ValidateBatchSize(request.records_size(), "records"));
  if (!request.snapshot_id().empty()) {
    AV_RETURN_IF_ERROR(
        ValidateSnapshotId(request.snapshot_id(), "snapshot_id"));
  }
  return absl::OkStatus();
}

absl::StatusOr<cache::DeleteKey> DeleteKeyFromApi(const v1::RecordKey& key,
                                                  int index) {
  const std::string field = absl::StrCat("keys[", index, "]");
  AV_RETURN_IF_ERROR(ValidateSku(key.sku(), Field(field, "sku")));
  AV_RETURN_IF_ERROR(ValidateStockId(key.stock_id(), Field(field, "stock_id")));
  if (key.version() < 1)
    return Invalid(Field(field, "version"), "must be >= 1");
  return cache::DeleteKey{key.stock_id(), key.sku(), key.version()};
}

absl::StatusOr<cache::DeleteLimit> SnapshotFinishFromApi(
    const v1::FinishSnapshotRequest& request) {
  AV_RETURN_IF_ERROR(ValidateStockId(request.stock_id(), "stock_id"));
  AV_RETURN_IF_ERROR(ValidateSnapshotId(request.snapshot_id(), "snapshot_id"));
  cache::DeleteLimit limit;
  if (request.has_max_delete_fraction()) {
    const double fraction = request.max_delete_fraction();
    if (!(fraction >= 0 && fraction <= 1)) {  // also NaN
      return Invalid("max_delete_fraction",
                     absl::StrCat("must be 0..1 (0.1 = 10 %), got ", fraction));
    }
    limit.max_fraction = fraction;
  }
  if (request.has_max_delete_count()) {
    if (request.max_delete_count() < 0) {
      return Invalid(
          "max_delete_count",
          absl::StrCat("must be >= 0, got ", request.max_delete_count()));
    }
    limit.max_count = request.max_delete_count();
  }
  return limit;
}

absl::StatusOr<core::StoreConfig> StoreConfigFromApi(
    const v1::PutStoreConfigRequest& request) {
  if (!request.has_config()) return Invalid("config", "missing");
  return StoreConfigFromApi(request.config(), "config");
}

absl::StatusOr<std::map<std::string, int32_t>> SalesChannelsFromApi(
    const v1::PutSalesChannelsRequest& request) {
  std::map<std::string, int32_t> channels;
  for (const auto& [code, stock] : request.channels()) {
    const std::string field =
        absl::StrCat("channels[\"", absl::CHexEscape(code), "\"]");
    if (code.empty() || code.size() > kMaxSalesChannelCodeBytes) {
      return Invalid(field, absl::StrCat("code must be 1..",
                                         kMaxSalesChannelCodeBytes, " bytes"));
    }
    if (stock < 1) return Invalid(field, "stock id must be >= 1");
    channels[code] = stock;
  }
  return channels;
}

absl::StatusOr<std::vector<std::string>> CategoryRankingFromApi(
    const v1::PutCategoryRankingRequest& request) {
  AV_RETURN_IF_ERROR(ValidateStockId(request.stock_id(), "stock_id"));
  if (request.category_id() < 1) return Invalid("category_id", "must be >= 1");
  if (request.skus_size() > kMaxRankingSkus) {
    return Invalid("skus", absl::StrCat("more than ", kMaxRankingSkus));
  }
  std::vector<std::string> skus;
  skus.reserve(request.skus_size());
  for (int i = 0; i < request.skus_size(); ++i) {
    AV_RETURN_IF_ERROR(
        ValidateSku(request.skus(i), absl::StrCat("skus[", i, "]")));
    skus.push_back(request.skus(i));
  }
  return skus;
}

namespace {

// "" (only new), "0", "<ms>" or "<ms>-<seq>".
bool IsStreamId(absl::string_view id) {
  std::vector<absl::string_view> parts = absl::StrSplit(id, '-');
  if (parts.empty() || parts.size() > 2) return false;
  for (absl::string_view p : parts) {
    uint64_t v;
    if (p.empty() || !absl::SimpleAtoi(p, &v) ||
        !absl::ascii_isdigit(static_cast<unsigned char>(p[0]))) {
      return false;
    }
  }
  return true;
}

v1::InventoryEvent::Type EventTypeToApi(absl::string_view type) {
  if (type == "BACK_IN_STOCK") return v1::InventoryEvent::TYPE_BACK_IN_STOCK;
  if (type == "OUT_OF_STOCK") return v1::InventoryEvent::TYPE_OUT_OF_STOCK;
  if (type == "BACKORDER_STARTED") {
    return v1::InventoryEvent::TYPE_BACKORDER_STARTED;
  }
  if (type == "ETA_CHANGED") return v1::InventoryEvent::TYPE_ETA_CHANGED;
  if (type == "DISCONTINUED") return v1::InventoryEvent::TYPE_DISCONTINUED;
  if (type == "LOW_STOCK") return v1::InventoryEvent::TYPE_LOW_STOCK;
  return v1::InventoryEvent::TYPE_UNSPECIFIED;
}

}  // namespace

absl::Status ValidateTailEventsRequest(const v1::TailEventsRequest& request) {
  AV_RETURN_IF_ERROR(ValidateStockId(request.stock_id(), "stock_id"));
  if (!request.after_id().empty() && !IsStreamId(request.after_id())) {
    return Invalid("after_id",
                   "not a stream id (\"\", \"0\", \"<ms>\" or \"<ms>-<seq>\")");
  }
  return absl::OkStatus();
}

absl::StatusOr<JobClaim> JobClaimFromApi(
    const v1::ClaimNotificationJobsRequest& request) {
  JobClaim claim;
  AV_RETURN_IF_ERROR(ValidateStockId(request.stock_id(), "stock_id"));
  claim.stock_id = request.stock_id();
  const std::string& consumer = request.consumer();
  if (consumer.empty() || consumer.size() > kMaxConsumerBytes) {
    return Invalid("consumer", absl::StrCat("must be 1..", kMaxConsumerBytes,
                                            " bytes of [A-Za-z0-9_.-]"));
  }
  for (char c : consumer) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '.' && c != '-') {
      return Invalid("consumer", "only [A-Za-z0-9_.-] allowed");
    }
  }
  claim.consumer = consumer;
  if (request.max_jobs() < 1 ||
      request.max_jobs() > cache::NotificationJobQueue::kMaxJobsPerCall) {
    return Invalid("max_jobs",
                   absl::StrCat("must be 1..",
                                cache::NotificationJobQueue::kMaxJobsPerCall,
                                ", got ", request.max_jobs()));
  }
  claim.max_jobs = request.max_jobs();
  if (!request.has_lease()) return Invalid("lease", "missing");
  const int64_t nanos = request.lease().nanos();
  claim.lease =
      absl::Seconds(request.lease().seconds()) + absl::Nanoseconds(nanos);
  if (nanos <= -1000000000 || nanos >= 1000000000 ||
      claim.lease < absl::Milliseconds(1) || claim.lease > kMaxJobLease) {
    return Invalid("lease", "must be 1 ms .. 24 h");
  }
  return claim;
}

absl::StatusOr<std::vector<std::string>> JobIdsFromApi(
    const v1::AckNotificationJobsRequest& request) {
  AV_RETURN_IF_ERROR(ValidateStockId(request.stock_id(), "stock_id"));
  const int n = request.ids_size();
  if (n < 1 || n > cache::NotificationJobQueue::kMaxJobsPerCall) {
    return Invalid(
        "ids", absl::StrCat("1..", cache::NotificationJobQueue::kMaxJobsPerCall,
                            " per request, got ", n));
  }
  std::vector<std::string> ids;
  ids.reserve(n);
  for (int i = 0; i < n; ++i) {
    if (request.ids(i).empty() || !IsStreamId(request.ids(i))) {
      return Invalid(absl::StrCat("ids[", i, "]"),
                     "not a job id (\"<ms>-<seq>\" from "
                     "ClaimNotificationJobs)");
    }
    ids.push_back(request.ids(i));
  }
  return ids;
}

void WriteOutcomeToApi(const cache::WriteOutcome& w, v1::RecordOutcome* o) {
  switch (w.result) {
    case cache::WriteResult::kApplied:
      o->set_result(v1::RecordOutcome::RESULT_APPLIED);
      break;
    case cache::WriteResult::kStale:
      o->set_result(v1::RecordOutcome::RESULT_STALE);
      o->set_stored_version(w.stored_version);
      break;
    case cache::WriteResult::kFailed:
      // "UNAVAILABLE: writing stock 3: redis error: OOM ...".
      o->set_result(v1::RecordOutcome::RESULT_FAILED);
      o->set_error(absl::StrCat(absl::StatusCodeToString(w.error.code()), ": ",
                                w.error.message()));
      break;
  }
}

void CountWriteOutcome(const cache::WriteOutcome& w,
                       v1::UpsertRecordsResponse& response) {
  switch (w.result) {
    case cache::WriteResult::kApplied:
      response.set_applied(response.applied() + 1);
      break;
    case cache::WriteResult::kStale:
      response.set_stale(response.stale() + 1);
      break;
    case cache::WriteResult::kFailed:
      response.set_failed(response.failed() + 1);
      break;
  }
  response.set_events_appended(response.events_appended() + w.events_appended);
  response.set_notifications_queued(response.notifications_queued() +
                                    w.notifications_queued);
}

void EventToApi(const cache::TransitionEvent& e, v1::InventoryEvent* out) {
  out->set_id(e.id);
  out->set_type(EventTypeToApi(e.type));
  out->set_sku(e.sku);
  out->set_stock_id(e.stock_id);
  out->set_version(e.version);
  out->set_old_status(e.old_status);
  out->set_new_status(e.new_status);
  if (e.eta_days >= 0) {
    DateToApi(absl::CivilDay(1970, 1, 1) + e.eta_days,
              out->mutable_first_ship_date());
  }
  out->set_net_quantity(QtyToApi(e.net));
}

namespace {

// A time of millisecond precision (at or after 1970) as a Timestamp.
void MillisToApi(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t ms = absl::ToUnixMillis(t);
  out->set_seconds(ms / 1000);
  out->set_nanos(static_cast<int32_t>(ms % 1000) * 1000000);
}

}  // namespace

void NotificationJobToApi(const cache::NotificationJob& job,
                          v1::NotificationJob* out) {
  out->set_id(job.id);
  out->set_sku(job.sku);
  out->set_stock_id(job.stock_id);
  out->set_subscriber_id(job.subscriber);
  out->set_event_type(v1::InventoryEvent::TYPE_BACK_IN_STOCK);
  out->set_event_version(job.version);
  MillisToApi(job.queued_at, out->mutable_queued_time());
  MillisToApi(job.subscribed_at, out->mutable_subscribed_time());
  out->set_redelivered(job.redelivered);
}

}  // namespace availability::server
