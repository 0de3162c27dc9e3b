#include "cache/record_codec.h"

#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "availability/storage/v1/record.pb.h"
#include "core/time_zone.h"

namespace availability::cache {
namespace {

namespace pb = ::availability::storage::v1;

constexpr absl::CivilDay kEpochDay(1970, 1, 1);

int32_t DayNumber(absl::CivilDay day) {
  return static_cast<int32_t>(day - kEpochDay);
}
absl::CivilDay DayFromNumber(int32_t n) { return kEpochDay + n; }

void AppendHeader(int64_t version, std::string& out) {
  out.push_back(kRecordFormatTag);
  const uint64_t v = static_cast<uint64_t>(version);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

absl::Status CheckHeader(absl::string_view value, absl::string_view what) {
  if (value.size() < kRecordHeaderBytes) {
    return absl::DataLossError(
        absl::StrCat(what, ": value of ", value.size(),
                     " bytes is shorter than its header"));
  }
  if (value[0] != kRecordFormatTag) {
    return absl::DataLossError(
        absl::StrCat(what, ": unknown format tag ",
                     static_cast<int>(static_cast<unsigned char>(value[0]))));
  }
  return absl::OkStatus();
}

int64_t ReadVersion(absl::string_view value) {
  uint64_t v = 0;
  for (size_t i = 1; i < kRecordHeaderBytes; ++i) {
    v = (v << 8) | static_cast<unsigned char>(value[i]);
  }
  return static_cast<int64_t>(v);
}

template <typename Message>
bool ParseBody(absl::string_view value, Message& msg) {
  const absl::string_view body = value.substr(kRecordHeaderBytes);
  if (body.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return false;
  }
  return msg.ParseFromArray(body.data(), static_cast<int>(body.size()));
}

bool ValidBackorders(int32_t v) { return v >= 0 && v <= 2; }
bool ValidLifecycle(int32_t v) { return v >= 0 && v <= 2; }
bool ValidRelation(int32_t v) { return v >= 1 && v <= 6; }
bool ValidProductType(int32_t v) { return v >= 0 && v <= 3; }

}  // namespace

std::string EncodeRecord(const core::Record& r,
                         absl::string_view unknown_fields) {
  pb::Record m;
  if (r.source_time != absl::InfinitePast()) {
    m.set_source_time_micros(absl::ToUnixMicros(r.source_time));
  }
  if (r.manage_stock) m.set_manage_stock(*r.manage_stock);
  m.set_out_of_stock(!r.is_in_stock);
  m.set_source_qty(r.source_qty);
  m.set_reserved_qty(r.reserved_qty);
  if (r.min_qty) m.set_min_qty(*r.min_qty);
  if (r.backorders) m.set_backorders(static_cast<int32_t>(*r.backorders));
  if (r.min_sale_qty) m.set_min_sale_qty(*r.min_sale_qty);
  if (r.max_sale_qty) m.set_max_sale_qty(*r.max_sale_qty);
  if (r.enable_qty_increments) {
    m.set_enable_qty_increments(*r.enable_qty_increments);
  }
  if (r.qty_increments) m.set_qty_increments(*r.qty_increments);
  m.set_is_qty_decimal(r.is_qty_decimal);
  if (r.notify_stock_qty) m.set_notify_stock_qty(*r.notify_stock_qty);
  m.set_lifecycle(static_cast<int32_t>(r.lifecycle));
  if (r.release_date) m.set_release_day(DayNumber(*r.release_date));
  m.set_successor_sku(r.successor_sku);
  for (const core::Receipt& receipt : r.inbound) {
    pb::Receipt* out = m.add_inbound();
    out->set_day(DayNumber(receipt.date));
    out->set_qty(receipt.qty);
  }
  m.set_lead_time_days(r.lead_time_days);
  for (const core::AlternativeLink& link : r.alternatives) {
    pb::Alternative* out = m.add_alternatives();
    out->set_sku(link.sku);
    out->set_relation(static_cast<int32_t>(link.relation));
  }
  for (int64_t id : r.category_ids) m.add_category_ids(id);
  m.set_product_type(static_cast<int32_t>(r.product_type));
  for (const std::string& sku : r.components) m.add_components(sku);
  for (const core::BundleOption& option : r.bundle_options) {
    pb::BundleOption* out = m.add_bundle_options();
    out->set_optional_option(!option.required);
    for (const core::BundleSelection& selection : option.selections) {
      pb::BundleSelection* sel = out->add_selections();
      sel->set_sku(selection.sku);
      sel->set_qty(selection.qty);
    }
  }

  std::string out;
  out.reserve(kRecordHeaderBytes + m.ByteSizeLong() + unknown_fields.size());
  AppendHeader(r.version, out);
  m.AppendToString(&out);
  // Concatenated wire format merges: the unknown fields follow the known.
  out.append(unknown_fields.data(), unknown_fields.size());
  return out;
}

absl::StatusOr<int64_t> PeekRecordVersion(absl::string_view value) {
  if (absl::Status s = CheckHeader(value, "record"); !s.ok()) return s;
  return ReadVersion(value);
}

absl::StatusOr<core::Record> DecodeRecord(absl::string_view value,
                                          int32_t stock_id,
                                          absl::string_view sku,
                                          std::string* unknown_fields) {
  if (absl::Status s = CheckHeader(value, "record"); !s.ok()) return s;
  pb::Record m;
  if (!ParseBody(value, m)) {
    return absl::DataLossError("record: malformed storage message");
  }
  core::Record r;
  r.sku = std::string(sku);
  r.stock_id = stock_id;
  r.version = ReadVersion(value);
  if (m.has_source_time_micros()) {
    r.source_time = absl::FromUnixMicros(m.source_time_micros());
  }
  if (m.has_manage_stock()) r.manage_stock = m.manage_stock();
  r.is_in_stock = !m.out_of_stock();
  r.source_qty = m.source_qty();
  r.reserved_qty = m.reserved_qty();
  if (m.has_min_qty()) r.min_qty = m.min_qty();
  if (m.has_backorders()) {
    if (!ValidBackorders(m.backorders())) {
      return absl::DataLossError(
          absl::StrCat("record: unknown backorders value ", m.backorders()));
    }
    r.backorders = static_cast<core::Backorders>(m.backorders());
  }
  if (m.has_min_sale_qty()) r.min_sale_qty = m.min_sale_qty();
  if (m.has_max_sale_qty()) r.max_sale_qty = m.max_sale_qty();
  if (m.has_enable_qty_increments()) {
    r.enable_qty_increments = m.enable_qty_increments();
  }
  if (m.has_qty_increments()) r.qty_increments = m.qty_increments();
  r.is_qty_decimal = m.is_qty_decimal();
  if (m.has_notify_stock_qty()) r.notify_stock_qty = m.notify_stock_qty();
  if (!ValidLifecycle(m.lifecycle())) {
    return absl::DataLossError(
        absl::StrCat("record: unknown lifecycle value ", m.lifecycle()));
  }
  r.lifecycle = static_cast<core::Lifecycle>(m.lifecycle());
  if (m.has_release_day()) r.release_date = DayFromNumber(m.release_day());
  r.successor_sku = m.successor_sku();
  r.inbound.reserve(m.inbound_size());
  for (const pb::Receipt& receipt : m.inbound()) {
    r.inbound.push_back({DayFromNumber(receipt.day()), receipt.qty()});
  }
  r.lead_time_days = m.lead_time_days();
  r.alternatives.reserve(m.alternatives_size());
  for (const pb::Alternative& link : m.alternatives()) {
    if (!ValidRelation(link.relation())) {
      return absl::DataLossError(
          absl::StrCat("record: unknown relation value ", link.relation()));
    }
    r.alternatives.push_back(
        {link.sku(), static_cast<core::Relation>(link.relation())});
  }
  r.category_ids.assign(m.category_ids().begin(), m.category_ids().end());
  if (!ValidProductType(m.product_type())) {
    return absl::DataLossError(
        absl::StrCat("record: unknown product type ", m.product_type()));
  }
  r.product_type = static_cast<core::ProductType>(m.product_type());
  r.components.assign(m.components().begin(), m.components().end());
  r.bundle_options.reserve(m.bundle_options_size());
  for (const pb::BundleOption& option : m.bundle_options()) {
    core::BundleOption& out = r.bundle_options.emplace_back();
    out.required = !option.optional_option();
    out.selections.reserve(option.selections_size());
    for (const pb::BundleSelection& selection : option.selections()) {
      out.selections.push_back({selection.sku(), selection.qty()});
    }
  }
  if (unknown_fields != nullptr) {
    unknown_fields->clear();
    if (!m.GetReflection()->GetUnknownFields(m).empty()) {
      m.GetReflection()->GetUnknownFields(m).SerializeToString(unknown_fields);
    }
  }
  return r;
}

std::string EncodeStoreConfig(const core::StoreConfig& c) {
  pb::StoreConfig m;
  m.set_manage_stock(c.manage_stock);
  m.set_backorders(static_cast<int32_t>(c.backorders));
  m.set_min_qty(c.min_qty);
  m.set_min_sale_qty(c.min_sale_qty);
  m.set_max_sale_qty(c.max_sale_qty);
  m.set_notify_stock_qty(c.notify_stock_qty);
  m.set_enable_qty_increments(c.enable_qty_increments);
  m.set_qty_increments(c.qty_increments);
  m.set_only_x_left_threshold(c.only_x_left_threshold);
  m.set_handling_days(c.handling_days);
  m.set_safety_days(c.safety_days);
  m.set_time_zone(c.time_zone_name);
  uint32_t weekend_mask = 0;
  for (size_t i = 0; i < c.calendar.weekend.size(); ++i) {
    if (c.calendar.weekend[i]) weekend_mask |= 1u << i;
  }
  m.set_weekend_mask(weekend_mask);
  for (absl::CivilDay day : c.calendar.holidays) {
    m.add_holiday_days(DayNumber(day));
  }
  m.set_alternatives_backorder_days(c.alternatives_backorder_days);

  std::string out;
  out.reserve(kRecordHeaderBytes + m.ByteSizeLong());
  AppendHeader(0, out);
  m.AppendToString(&out);
  return out;
}

core::StoreConfig DefaultStoreConfig(int32_t stock_id) {
  core::StoreConfig defaults;
  defaults.stock_id = stock_id;
  return defaults;
}

absl::StatusOr<core::StoreConfig> DecodeStoreConfig(absl::string_view value,
                                                    int32_t stock_id) {
  if (absl::Status s = CheckHeader(value, "store config"); !s.ok()) return s;
  pb::StoreConfig m;
  if (!ParseBody(value, m)) {
    return absl::DataLossError("store config: malformed storage message");
  }
  core::StoreConfig c;
  c.stock_id = stock_id;
  if (m.has_manage_stock()) c.manage_stock = m.manage_stock();
  if (m.has_backorders()) {
    if (!ValidBackorders(m.backorders())) {
      return absl::DataLossError(absl::StrCat(
          "store config: unknown backorders value ", m.backorders()));
    }
    c.backorders = static_cast<core::Backorders>(m.backorders());
  }
  if (m.has_min_qty()) c.min_qty = m.min_qty();
  if (m.has_min_sale_qty()) c.min_sale_qty = m.min_sale_qty();
  if (m.has_max_sale_qty()) c.max_sale_qty = m.max_sale_qty();
  if (m.has_notify_stock_qty()) c.notify_stock_qty = m.notify_stock_qty();
  if (m.has_enable_qty_increments()) {
    c.enable_qty_increments = m.enable_qty_increments();
  }
  if (m.has_qty_increments()) c.qty_increments = m.qty_increments();
  c.only_x_left_threshold = m.only_x_left_threshold();
  c.handling_days = m.handling_days();
  c.safety_days = m.safety_days();
  c.time_zone_name = m.time_zone();
  absl::StatusOr<absl::TimeZone> zone =
      core::LoadStoreTimeZone(c.time_zone_name);
  if (!zone.ok()) {
    return absl::DataLossError(absl::StrCat("store config of stock ", stock_id,
                                            ": ", zone.status().message()));
  }
  c.time_zone = *zone;
  for (size_t i = 0; i < c.calendar.weekend.size(); ++i) {
    c.calendar.weekend[i] = (m.weekend_mask() >> i) & 1u;
  }
  c.calendar.holidays.reserve(m.holiday_days_size());
  for (int32_t day : m.holiday_days()) {
    c.calendar.holidays.push_back(DayFromNumber(day));
  }
  c.alternatives_backorder_days = m.alternatives_backorder_days();
  return c;
}

}  // namespace availability::cache
