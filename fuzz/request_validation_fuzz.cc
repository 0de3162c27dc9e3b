// Fuzzes the storefront's read path without Redis: a request in wire form
// (first byte even: GetAvailabilityRequest, odd: BatchGetAvailabilityRequest)
// is validated (server/request_validation.h); for each accepted item a
// record derived from the item's bytes is decided on (core::Decide) and the
// decision mapped to the API answer (server/availability_mapping.h), as the
// service does. Checks: a validated query keeps the API's limits; an
// answer's split sums to the request; every Date and Timestamp in an answer
// is one a client library accepts.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "availability/v1/availability.pb.h"
#include "core/decision.h"
#include "core/quantity.h"
#include "core/record.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/stubs/logging.h"
#include "server/availability_mapping.h"
#include "server/request_validation.h"

namespace availability::server {
namespace {

const absl::CivilDay kToday(2026, 3, 1);

// Google's Timestamp range, as in the sync API.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

// 64-bit FNV-1a: a stable spread of the SKU's bytes into record fields.
uint64_t Hash(absl::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// A record in the sync API's ranges, its fields taken from the SKU's hash.
core::Record RecordFor(const ValidatedItem& item, int32_t stock_id) {
  uint64_t h = Hash(item.sku);
  auto take = [&h](uint64_t n) {
    const uint64_t v = h % n;
    h = h / n ^ (h * 0x9e3779b97f4a7c15ull);
    return static_cast<int64_t>(v);
  };
  core::Record r;
  r.sku = item.sku;
  r.stock_id = stock_id;
  r.version = 1 + take(1000);
  // Any time the sync API accepts, before and after 1970, to the microsecond.
  r.source_time =
      absl::FromUnixMicros((kMinTimestampSeconds +
                            take(kMaxTimestampSeconds - kMinTimestampSeconds)) *
                               1000000 +
                           take(1000000));
  if (take(4) == 0) r.manage_stock = take(2) == 0;
  r.is_in_stock = take(8) != 0;
  r.is_qty_decimal = take(2) == 0;
  r.source_qty = take(2) == 0 ? core::QtyFromUnits(take(30))
                              : item.quantity.value_or(core::kQtyScale);
  r.reserved_qty = -core::QtyFromUnits(take(10));
  if (take(2) == 0) r.backorders = static_cast<core::Backorders>(take(3));
  if (take(3) == 0) {
    r.min_qty = core::QtyFromUnits(
        r.backorders != core::Backorders::kNo ? take(20) - 10 : take(5));
  }
  if (take(4) == 0) r.min_sale_qty = core::QtyFromUnits(1 + take(3));
  if (take(4) == 0) r.max_sale_qty = core::QtyFromUnits(3 + take(30));
  if (take(4) == 0) {
    r.enable_qty_increments = true;
    r.qty_increments = core::QtyFromUnits(1 + take(4));
  }
  r.lifecycle = static_cast<core::Lifecycle>(take(3));
  if (r.lifecycle == core::Lifecycle::kPreorder || take(4) == 0) {
    r.release_date = kToday + (take(60) - 10);
  }
  if (take(3) == 0) r.successor_sku = "SUCCESSOR";
  const int64_t receipts = take(4);
  for (int64_t i = 0; i < receipts; ++i) {
    r.inbound.push_back(
        {kToday + (take(90) - 10), core::QtyFromUnits(1 + take(20))});
  }
  r.lead_time_days = take(2) == 0 ? 0 : static_cast<int32_t>(take(40));
  return r;
}

void CheckDate(const v1::Date& date) {
  FUZZ_CHECK(date.year() >= 1 && date.year() <= 9999 && date.month() >= 1 &&
             date.month() <= 12 && date.day() >= 1 && date.day() <= 31)
      << date.ShortDebugString();
}

void CheckAnswer(const v1::ProductAvailability& out, const core::Decision& d) {
  FUZZ_CHECK(out.status() != v1::STATUS_UNSPECIFIED);
  if (out.has_split()) {
    const v1::QuantitySplit& s = out.split();
    const core::Qty sum = d.in_stock_qty + d.backorder_qty + d.unavailable_qty;
    FUZZ_CHECK(sum == d.requested) << sum << " != " << d.requested;
    FUZZ_CHECK(s.in_stock_quantity() >= 0 && s.backorder_quantity() >= 0 &&
               s.unavailable_quantity() >= 0)
        << s.ShortDebugString();
  }
  for (const v1::Shipment& shipment : out.shipments()) {
    FUZZ_CHECK(shipment.quantity() > 0) << shipment.ShortDebugString();
    CheckDate(shipment.ship_date());
  }
  if (out.has_first_ship_date()) CheckDate(out.first_ship_date());
  if (out.has_restock_date()) CheckDate(out.restock_date());
  if (out.has_release_date()) CheckDate(out.release_date());
  if (out.freshness().has_source_time()) {
    // google.protobuf.Timestamp: nanos in 0..999999999, also before 1970.
    const auto& t = out.freshness().source_time();
    FUZZ_CHECK(t.nanos() >= 0 && t.nanos() <= 999999999)
        << "invalid Timestamp " << t.ShortDebugString();
    FUZZ_CHECK(t.seconds() >= kMinTimestampSeconds &&
               t.seconds() <= kMaxTimestampSeconds)
        << "invalid Timestamp " << t.ShortDebugString();
  }
  std::string wire;
  FUZZ_CHECK(out.SerializeToString(&wire));
}

void CheckQuery(const ValidatedQuery& query) {
  FUZZ_CHECK(!query.items.empty() && query.items.size() <= kMaxBatchItems);
  FUZZ_CHECK(query.max_alternatives <= kMaxAskedAlternatives);
  FUZZ_CHECK((query.scope.stock_id > 0) != !query.scope.sales_channel.empty())
      << "exactly one of stock_id and sales_channel";
  const int32_t stock_id = query.scope.stock_id > 0 ? query.scope.stock_id : 1;
  for (const ValidatedItem& item : query.items) {
    FUZZ_CHECK(!item.sku.empty() && item.sku.size() <= core::kMaxSkuBytes);
    if (item.quantity) {
      FUZZ_CHECK(*item.quantity > 0 && *item.quantity <= core::kMaxQty)
          << *item.quantity;
    }
    const core::Record record = RecordFor(item, stock_id);
    const core::Decision d =
        core::Decide(record, core::StoreConfig(), kToday, item.quantity);
    v1::ProductAvailability known;
    DecisionToApi(item.sku, stock_id, &record, d, false, &known);
    CheckAnswer(known, d);

    const core::Decision unknown_decision = core::DecideUnknown(item.quantity);
    v1::ProductAvailability unknown;
    DecisionToApi(item.sku, stock_id, nullptr, unknown_decision, true,
                  &unknown);
    CheckAnswer(unknown, unknown_decision);
    v1::CompactAvailability compact;
    CompactToApi(d, &compact);
  }
}

}  // namespace
}  // namespace availability::server

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a string field is a parse failure, logged each time.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using availability::server::CheckQuery;
  using availability::server::ValidatedQuery;
  if (size < 1 || size > (1 << 20)) return 0;
  const void* body = data + 1;
  const int body_size = static_cast<int>(size - 1);
  absl::StatusOr<ValidatedQuery> query;
  if (data[0] & 1) {
    availability::v1::BatchGetAvailabilityRequest request;
    if (!request.ParseFromArray(body, body_size)) return 0;
    query = availability::server::ValidateBatch(request);
  } else {
    availability::v1::GetAvailabilityRequest request;
    if (!request.ParseFromArray(body, body_size)) return 0;
    query = availability::server::ValidateGet(request);
  }
  if (!query.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(query.status())) << query.status();
    return 0;
  }
  CheckQuery(*query);
  return 0;
}
