// Answers availability queries: resolves the scope, reads the store
// configuration and records in one Redis round trip, decides each item with
// core/, and, where DOMAIN.md §5 asks for alternatives, reads every item's
// candidates in one more round trip.
//
// With a near-cache: configuration and records found there answer without
// Redis (on the calling thread); the missing ones of a call are read in one
// pipeline and stored (guarded by the cache's read ticket). While Redis is
// unreachable (client not connected, or the invalidation listener's pings
// unanswered; also when a read fails with Unavailable) an item answers from
// memory with freshness.stale = true (entries up to the cache's max_stale
// old), and a call with any item not in memory fails fast with Unavailable.
// Alternatives are left out of stale answers.
//
//   lookup.Run(std::move(query), deadline, [](absl::StatusOr<Answers> a) {
//     ... // on the Redis loop thread; finish the RPC here
//   });
//
// Thread-safe; never blocks. `done` runs exactly once, on the calling thread
// (validation-level errors, near-cache hits) or the Redis loop thread.
#ifndef AVAILABILITY_SERVER_AVAILABILITY_LOOKUP_H_
#define AVAILABILITY_SERVER_AVAILABILITY_LOOKUP_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "availability/v1/availability.pb.h"
#include "cache/near_cache.h"
#include "cache/record_store.h"
#include "core/clock.h"
#include "server/channel_resolver.h"
#include "server/request_validation.h"

namespace availability::server {

class AvailabilityLookup {
 public:
  // One answer per query item, in order (STATUS_UNKNOWN for unknown SKUs).
  // A RepeatedPtrField, so a batch response takes them with one Swap.
  using Answers = google::protobuf::RepeatedPtrField<v1::ProductAvailability>;
  using Callback = std::function<void(absl::StatusOr<Answers>)>;

  // `near_cache` may be null (every read goes to Redis); it must outlive
  // the lookup.
  AvailabilityLookup(cache::RecordStore& store, ChannelResolver& channels,
                     const core::Clock& clock,
                     cache::NearCache* near_cache = nullptr);

  // Errors: InvalidArgument "scope.sales_channel: unknown ...", Unavailable
  // and DeadlineExceeded from the cache.
  void Run(ValidatedQuery query, absl::Time deadline, Callback done);

  // The time zone of a stock's store (for the store's midnight). Errors as
  // for Run.
  void ReadTimeZone(int32_t stock_id, absl::Time deadline,
                    std::function<void(absl::StatusOr<absl::TimeZone>)> done);

  // Resolves the scope alone (for subscriptions).
  void ResolveStock(const ValidatedScope& scope, absl::Time deadline,
                    std::function<void(absl::StatusOr<int32_t>)> done);

 private:
  struct Call;
  void ReadAndDecide(std::shared_ptr<Call> call);
  // Reads `missing` items (and the config) from Redis, stores them in the
  // near-cache, then decides.
  void ReadMissing(std::shared_ptr<Call> call, std::vector<size_t> missing);
  // Answers every item from memory, stale; Unavailable when one is not held.
  void AnswerStale(std::shared_ptr<Call> call, absl::Status why);
  void Decide(std::shared_ptr<Call> call);
  void ReadAlternatives(std::shared_ptr<Call> call);

  cache::RecordStore& store_;
  ChannelResolver& channels_;
  const core::Clock& clock_;
  cache::NearCache* const near_cache_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_AVAILABILITY_LOOKUP_H_
