// Fuzzes the sync API's record and store-config mapping
// (server/sync_mapping.h) with arbitrary messages. The first byte picks the
// message (even: InventoryRecord, odd: StoreConfig); the rest is its wire
// form. An accepted message must satisfy every rule the header and the proto
// comments promise, survive the trip through the cache's storage format
// unchanged, and (for a config) through StoreConfigToApi and back.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "availability/v1/inventory_sync.pb.h"
#include "cache/record_codec.h"
#include "core/decision.h"
#include "core/quantity.h"
#include "core/record.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/stubs/logging.h"
#include "server/sync_mapping.h"

namespace availability::server {
namespace {

const absl::CivilDay kMinDay(1, 1, 1);
const absl::CivilDay kMaxDay(9999, 12, 31);

bool InRange(core::Qty q) { return q >= -core::kMaxQty && q <= core::kMaxQty; }
bool Positive(core::Qty q) { return q > 0 && q <= core::kMaxQty; }
bool SaneDay(absl::CivilDay d) { return d >= kMinDay && d <= kMaxDay; }

void CheckRecord(const v1::InventoryRecord& in) {
  absl::StatusOr<core::Record> mapped = RecordFromApi(in, "records[0]");
  if (!mapped.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(mapped.status())) << mapped.status();
    FUZZ_CHECK(absl::StartsWith(mapped.status().message(), "records[0]."))
        << "error names no field: " << mapped.status();
    return;
  }
  const core::Record& r = *mapped;
  FUZZ_CHECK(!r.sku.empty() && r.sku.size() <= core::kMaxSkuBytes) << r.sku;
  FUZZ_CHECK(r.sku == in.sku());
  FUZZ_CHECK(r.stock_id >= 1 && r.version >= 1);
  FUZZ_CHECK(InRange(r.source_qty) && InRange(r.reserved_qty))
      << r.source_qty << " " << r.reserved_qty;
  if (r.min_qty) {
    FUZZ_CHECK(InRange(*r.min_qty));
    FUZZ_CHECK(*r.min_qty >= 0 || r.backorders != core::Backorders::kNo)
        << "negative min_qty with backorders NO";
  }
  if (r.min_sale_qty) FUZZ_CHECK(Positive(*r.min_sale_qty));
  if (r.max_sale_qty) FUZZ_CHECK(Positive(*r.max_sale_qty));
  if (r.min_sale_qty && r.max_sale_qty) {
    FUZZ_CHECK(*r.max_sale_qty >= *r.min_sale_qty);
  }
  if (r.qty_increments) FUZZ_CHECK(Positive(*r.qty_increments));
  if (!r.is_qty_decimal) {
    FUZZ_CHECK(!r.min_sale_qty || core::IsWholeQty(*r.min_sale_qty));
    FUZZ_CHECK(!r.qty_increments || core::IsWholeQty(*r.qty_increments));
  }
  if (r.notify_stock_qty) FUZZ_CHECK(InRange(*r.notify_stock_qty));
  if (r.lifecycle == core::Lifecycle::kPreorder) {
    FUZZ_CHECK(r.release_date.has_value()) << "PREORDER without release_date";
  }
  if (r.release_date) FUZZ_CHECK(SaneDay(*r.release_date));
  FUZZ_CHECK(r.successor_sku != r.sku);
  FUZZ_CHECK(r.inbound.size() <= static_cast<size_t>(kMaxInbound));
  for (const core::Receipt& receipt : r.inbound) {
    FUZZ_CHECK(Positive(receipt.qty)) << "inbound quantity " << receipt.qty;
    FUZZ_CHECK(SaneDay(receipt.date)) << receipt.date;
  }
  FUZZ_CHECK(r.lead_time_days >= 0 && r.lead_time_days <= kMaxLeadTimeDays);
  FUZZ_CHECK(r.alternatives.size() <=
             static_cast<size_t>(kMaxStoredAlternatives));
  for (const core::AlternativeLink& link : r.alternatives) {
    FUZZ_CHECK(!link.sku.empty() && link.sku != r.sku);
    FUZZ_CHECK(link.relation != core::Relation::kSameCategory);
  }
  FUZZ_CHECK(r.category_ids.size() <= static_cast<size_t>(kMaxCategoryIds));
  for (int64_t id : r.category_ids) FUZZ_CHECK(id >= 1);

  // What the writer stores in Redis is what a reader gets back.
  const std::string value = cache::EncodeRecord(r);
  absl::StatusOr<core::Record> stored =
      cache::DecodeRecord(value, r.stock_id, r.sku);
  FUZZ_CHECK(stored.ok()) << stored.status();
  FUZZ_CHECK(*stored == r) << "record changed by the storage format";

  // Mapping is deterministic.
  absl::StatusOr<core::Record> again = RecordFromApi(in, "records[0]");
  FUZZ_CHECK(again.ok() && *again == r);

  // Every accepted record can be decided on (Magento's default store).
  const core::Decision d = core::Decide(
      r, core::StoreConfig(), absl::CivilDay(2026, 3, 1), std::nullopt);
  FUZZ_CHECK(d.in_stock_qty + d.backorder_qty + d.unavailable_qty ==
             d.requested);
}

void CheckStoreConfig(const v1::StoreConfig& in) {
  absl::StatusOr<core::StoreConfig> mapped = StoreConfigFromApi(in);
  if (!mapped.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(mapped.status())) << mapped.status();
    FUZZ_CHECK(absl::StartsWith(mapped.status().message(), "config."))
        << "error names no field: " << mapped.status();
    return;
  }
  const core::StoreConfig& c = *mapped;
  FUZZ_CHECK(c.stock_id >= 1);
  FUZZ_CHECK(InRange(c.min_qty));
  FUZZ_CHECK(c.min_qty >= 0 || c.backorders != core::Backorders::kNo);
  FUZZ_CHECK(Positive(c.min_sale_qty) && Positive(c.max_sale_qty) &&
             c.max_sale_qty >= c.min_sale_qty);
  FUZZ_CHECK(Positive(c.qty_increments));
  FUZZ_CHECK(c.only_x_left_threshold >= 0 && InRange(c.only_x_left_threshold));
  FUZZ_CHECK(c.handling_days >= 0 && c.handling_days <= kMaxHandlingDays);
  FUZZ_CHECK(c.safety_days >= 0 && c.safety_days <= kMaxHandlingDays);
  FUZZ_CHECK(c.alternatives_backorder_days >= 0 &&
             c.alternatives_backorder_days <= kMaxLeadTimeDays);
  FUZZ_CHECK(!std::all_of(c.calendar.weekend.begin(), c.calendar.weekend.end(),
                          [](bool w) { return w; }));
  FUZZ_CHECK(
      std::is_sorted(c.calendar.holidays.begin(), c.calendar.holidays.end()));
  FUZZ_CHECK(std::adjacent_find(c.calendar.holidays.begin(),
                                c.calendar.holidays.end()) ==
             c.calendar.holidays.end());
  for (absl::CivilDay day : c.calendar.holidays) FUZZ_CHECK(SaneDay(day));

  // API -> core -> API -> core is the identity on core values.
  v1::StoreConfig shown;
  StoreConfigToApi(c, &shown);
  absl::StatusOr<core::StoreConfig> reread = StoreConfigFromApi(shown);
  FUZZ_CHECK(reread.ok()) << "StoreConfigToApi output rejected: "
                          << reread.status();
  FUZZ_CHECK(*reread == c) << "config changed by StoreConfigToApi -> FromApi";

  // And through the cache's storage format.
  absl::StatusOr<core::StoreConfig> stored =
      cache::DecodeStoreConfig(cache::EncodeStoreConfig(c), c.stock_id);
  FUZZ_CHECK(stored.ok()) << stored.status();
  FUZZ_CHECK(*stored == c) << "config changed by the storage format";
}

}  // namespace
}  // namespace availability::server

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a string field is a parse failure, logged each time.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  const bool is_config = data[0] & 1;
  const void* body = data + 1;
  const int body_size = static_cast<int>(size - 1);
  if (is_config) {
    availability::v1::StoreConfig config;
    if (config.ParseFromArray(body, body_size)) {
      availability::server::CheckStoreConfig(config);
    }
  } else {
    availability::v1::InventoryRecord record;
    if (record.ParseFromArray(body, body_size)) {
      availability::server::CheckRecord(record);
    }
  }
  return 0;
}
