// Answers availability queries: resolves the scope, reads the store
// configuration and records in one Redis round trip, decides each item with
// core/, and, where DOMAIN.md §5 asks for alternatives, reads every item's
// candidates in one more round trip.
//
//   lookup.Run(std::move(query), deadline, [](absl::StatusOr<Answers> a) {
//     ... // on the Redis loop thread; finish the RPC here
//   });
//
// Thread-safe; never blocks. `done` runs exactly once, on the calling thread
// (validation-level errors) or the Redis loop thread.
#ifndef AVAILABILITY_SERVER_AVAILABILITY_LOOKUP_H_
#define AVAILABILITY_SERVER_AVAILABILITY_LOOKUP_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "availability/v1/availability.pb.h"
#include "cache/record_store.h"
#include "core/clock.h"
#include "server/channel_resolver.h"
#include "server/request_validation.h"

namespace availability::server {

class AvailabilityLookup {
 public:
  // One answer per query item, in order (STATUS_UNKNOWN for unknown SKUs).
  using Answers = std::vector<v1::ProductAvailability>;
  using Callback = std::function<void(absl::StatusOr<Answers>)>;

  AvailabilityLookup(cache::RecordStore& store, ChannelResolver& channels,
                     const core::Clock& clock);

  // Errors: InvalidArgument "scope.sales_channel: unknown ...", Unavailable
  // and DeadlineExceeded from the cache.
  void Run(ValidatedQuery query, absl::Time deadline, Callback done);

  // Resolves the scope alone (for subscriptions).
  void ResolveStock(const ValidatedScope& scope, absl::Time deadline,
                    std::function<void(absl::StatusOr<int32_t>)> done);

 private:
  struct Call;
  void ReadAndDecide(std::shared_ptr<Call> call);
  void ReadAlternatives(std::shared_ptr<Call> call);

  cache::RecordStore& store_;
  ChannelResolver& channels_;
  const core::Clock& clock_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_AVAILABILITY_LOOKUP_H_
