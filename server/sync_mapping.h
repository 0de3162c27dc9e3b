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
// Whole requests are checked here too (ValidateUpsertRequest,
// SnapshotFinishFromApi, ...), so the service only sequences calls; and the
// cache's write outcomes and events map back to the API here.
//
// Pure functions; safe from any thread.
#ifndef AVAILABILITY_SERVER_SYNC_MAPPING_H_
#define AVAILABILITY_SERVER_SYNC_MAPPING_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "availability/v1/inventory_sync.pb.h"
#include "cache/job_queue.h"
#include "cache/record_writer.h"
#include "core/record.h"

namespace availability::server {

inline constexpr int kMaxInbound = 100;
// Alternatives one record may store (a sync write naming more is refused).
inline constexpr int kMaxStoredAlternatives = 50;
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

// --- Whole requests of the sync API (server/inventory_sync_service.h) ---
// Each checks what the service checks before it touches the cache, and
// names the field and the rule in an InvalidArgument error.

inline constexpr int kMaxRecordsPerRequest = 1000;
inline constexpr int kMaxRankingSkus = 1000;
inline constexpr int kMaxSalesChannelCodeBytes = 64;

// 1..kMaxRecordsPerRequest items: "<field>: 1..1000 per request, got N".
absl::Status ValidateBatchSize(int n, absl::string_view field);

// `field`: must be >= 1.
absl::Status ValidateStockId(int32_t stock_id, absl::string_view field);

// What an UpsertRecords message holds outside its records: a batch of
// 1..1000 records and, when set, a valid snapshot id.
absl::Status ValidateUpsertRequest(
    const ::availability::v1::UpsertRecordsRequest& request);

// keys[index] of a DeleteRecordsRequest: "keys[3].version: must be >= 1".
absl::StatusOr<cache::DeleteKey> DeleteKeyFromApi(
    const ::availability::v1::RecordKey& key, int index);

// FinishSnapshot's stock, snapshot id and mass-delete guard (the limit).
absl::StatusOr<cache::DeleteLimit> SnapshotFinishFromApi(
    const ::availability::v1::FinishSnapshotRequest& request);

// PutStoreConfig's configuration ("config: missing" when absent).
absl::StatusOr<core::StoreConfig> StoreConfigFromApi(
    const ::availability::v1::PutStoreConfigRequest& request);

// PutSalesChannels' map: codes 1..64 bytes, stock ids >= 1.
absl::StatusOr<std::map<std::string, int32_t>> SalesChannelsFromApi(
    const ::availability::v1::PutSalesChannelsRequest& request);

// PutCategoryRanking's SKUs (stock and category >= 1, at most 1000 SKUs).
absl::StatusOr<std::vector<std::string>> CategoryRankingFromApi(
    const ::availability::v1::PutCategoryRankingRequest& request);

// TailEvents' stock and start position ("", "0", "<ms>" or "<ms>-<seq>").
absl::Status ValidateTailEventsRequest(
    const ::availability::v1::TailEventsRequest& request);

// ClaimNotificationJobs: stock >= 1, consumer 1..64 bytes of
// [A-Za-z0-9_.-], max_jobs 1..1000, lease 1 ms..1 day.
struct JobClaim {
  int32_t stock_id = 0;
  std::string consumer;
  int max_jobs = 0;
  absl::Duration lease;
};
inline constexpr size_t kMaxConsumerBytes = 64;
inline constexpr absl::Duration kMaxJobLease = absl::Hours(24);
absl::StatusOr<JobClaim> JobClaimFromApi(
    const ::availability::v1::ClaimNotificationJobsRequest& request);

// AckNotificationJobs' ids (stock >= 1, 1..1000 ids, each a stream id
// "<ms>-<seq>": "ids[2]: not a job id ...").
absl::StatusOr<std::vector<std::string>> JobIdsFromApi(
    const ::availability::v1::AckNotificationJobsRequest& request);

// --- Results of the cache as the API shows them ---

// One written record's outcome (APPLIED, STALE with the stored version, or
// FAILED with "<CODE>: <message>"); index, SKU and stock are left as set.
void WriteOutcomeToApi(const cache::WriteOutcome& outcome,
                       ::availability::v1::RecordOutcome* out);

// Adds one written record to the totals of `response`: applied, stale or
// failed, and the events and notification jobs its write appended.
void CountWriteOutcome(const cache::WriteOutcome& outcome,
                       ::availability::v1::UpsertRecordsResponse& response);

// A transition event of the events stream (TYPE_UNSPECIFIED for a type this
// version does not know).
void EventToApi(const cache::TransitionEvent& event,
                ::availability::v1::InventoryEvent* out);

// A claimed notification job (event type BACK_IN_STOCK).
void NotificationJobToApi(const cache::NotificationJob& job,
                          ::availability::v1::NotificationJob* out);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_SYNC_MAPPING_H_
