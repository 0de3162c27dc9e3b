// InventorySync.GetDemandReport (docs/operations.md, "Demand report"): the
// SKUs of a stock that shoppers asked about most while they could not ship
// now, over the last 1, 7 or 30 UTC days, with their current answers; and
// the low-stock SKUs among those with demand.
//
//   DemandReport report(demand_store, lookup, record_store, clock);
//   report.Run(request, deadline, response, [reactor](grpc::Status s) {
//     reactor->Finish(s);
//   });
//
// One call reads: the day buckets (one pipeline of HGETALL), the current
// answers of the most viewed SKUs through AvailabilityLookup (as a listing
// would see them), their records and store configuration (for each
// record's notify_stock_qty), then the open subscriptions of the SKUs
// reported (one pipeline). Only the kMaxCandidates most viewed SKUs are
// looked at for the low-stock list.
//
// Thread-safe; `done` runs once, on the calling thread (validation) or a
// Redis loop thread. The stores, lookup and clock must outlive it.
#ifndef AVAILABILITY_SERVER_DEMAND_REPORT_H_
#define AVAILABILITY_SERVER_DEMAND_REPORT_H_

#include <cstddef>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "availability/v1/inventory_sync.pb.h"
#include "cache/demand_store.h"
#include "cache/record_store.h"
#include "core/clock.h"
#include "grpcpp/support/status.h"

namespace availability::server {

// server/availability_lookup.h; not included here, so that the sync
// service's headers and the storefront's never meet.
class AvailabilityLookup;

class DemandReport {
 public:
  static constexpr int kDefaultLimit = 20;
  static constexpr int kMaxLimit = 500;
  // SKUs with demand whose current answers are read (most viewed first).
  static constexpr size_t kMaxCandidates = 2000;

  DemandReport(cache::DemandStore& demand, AvailabilityLookup& lookup,
               cache::RecordStore& records, const core::Clock& clock);

  // OK, or InvalidArgument naming the field and the rule ("days: must be
  // 1, 7 or 30, got 3").
  static absl::Status Validate(const v1::GetDemandReportRequest& request);

  // Fills `response` and calls `done` with OK; INVALID_ARGUMENT as
  // Validate; UNAVAILABLE / DEADLINE_EXCEEDED / INTERNAL from the cache
  // ("reading demand counts: ...").
  void Run(const v1::GetDemandReportRequest& request, absl::Time deadline,
           v1::DemandReport* response, std::function<void(grpc::Status)> done);

 private:
  struct Call;
  void ReadAnswers(std::shared_ptr<Call> call);
  void ReadSettings(std::shared_ptr<Call> call);
  void ReadSubscribers(std::shared_ptr<Call> call);

  cache::DemandStore& demand_;
  AvailabilityLookup& lookup_;
  cache::RecordStore& records_;
  const core::Clock& clock_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_DEMAND_REPORT_H_
