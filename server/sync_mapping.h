// Sync API messages (availability.v1 InventoryRecord, StoreConfig) <-> core
// values, validating one message at a time and naming the field and the rule
// that it breaks, so a caller can fix the record:
//
//   absl::StatusOr<core::Record> r = RecordFromApi(request.records(3),
//                                                  "records[3]");
//   // InvalidArgument "records[3].inbound[2].date: not a valid date"
//
// Rules beyond the proto comments: min_qty < 0 is rejected when backorders
// is explicitly NO (left unset, it is resolved against the store when read);
// without is_qty_decimal, min_sale_qty and qty_increments must be whole;
// successor and alternatives never name the record itself; a calendar must
// leave at least one business day per week; receipt and release dates are at
// most kLatestPlannedDate. Composites (docs/domain.md §10): component_skus
// only on CONFIGURABLE or GROUPED records and bundle_options only on BUNDLE
// ones, at most core::kMaxComponents / core::kMaxBundleOptions, component
// SKUs valid, distinct and never the record's own; a selection's quantity 0
// means 1.
//
// Pure functions; safe from any thread.
#ifndef AVAILABILITY_SERVER_SYNC_MAPPING_H_
#define AVAILABILITY_SERVER_SYNC_MAPPING_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "availability/v1/inventory_sync.pb.h"
#include "core/record.h"

namespace availability::server {

inline constexpr int kMaxInbound = 100;
inline constexpr int kMaxAlternatives = 50;
inline constexpr int kMaxCategoryIds = 100;
inline constexpr int kMaxLeadTimeDays = 3650;
inline constexpr int kMaxHandlingDays = 60;
inline constexpr int kMaxHolidays = 1000;
inline constexpr size_t kMaxSnapshotIdBytes = 64;

// The latest receipt (inbound[].date) or release_date a record may carry, so
// that every date an answer derives from it stays within 9999-12-31 (the
// API's years 1..9999): a ship date adds at most handling + safety days
// (2 x kMaxHandlingDays business days) to it, which even a calendar with one
// business day a week and kMaxHolidays holidays stretches to at most
// (120 + 1000) x 7 = 7840 calendar days, well within the 100 years margin.
// Lead times count from today, not from a stored date. core::Decide treats a
// date past the range as unknown anyway (core::kLatestAnswerDate).
inline constexpr absl::CivilDay kLatestPlannedDate(9899, 12, 31);

// A sync record as a core record. `field_prefix` ("records[3]", or "" for
// bare field names) starts every error's field path. Errors:
// InvalidArgument "<prefix>.<field>: <rule>", e.g. "version: must be >= 1",
// "min_qty: negative requires backorders", "inbound: more than 100 receipts",
// "alternatives[1].sku: same as the record's sku",
// "lifecycle: PREORDER requires release_date",
// "component_skus[3]: duplicate sku".
absl::StatusOr<core::Record> RecordFromApi(
    const ::availability::v1::InventoryRecord& record,
    absl::string_view field_prefix = "");

// A store configuration, defaults filled in (Magento's) and the time zone
// loaded. Errors: InvalidArgument "<prefix>.<field>: <rule>", e.g.
// "config.handling_days: must be 0..60",
// "config.time_zone: unknown time zone: Mars/Olympus".
absl::StatusOr<core::StoreConfig> StoreConfigFromApi(
    const ::availability::v1::StoreConfig& config,
    absl::string_view field_prefix = "config");

// The configuration as the API shows it (every optional field set).
void StoreConfigToApi(const core::StoreConfig& config,
                      ::availability::v1::StoreConfig* out);

// A snapshot id: 1..64 bytes of [A-Za-z0-9_-]. Errors: InvalidArgument
// "<field>: ...".
absl::Status ValidateSnapshotId(absl::string_view id, absl::string_view field);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_SYNC_MAPPING_H_
