// Answers availability queries: resolves the scope, reads the store
// configuration and records in one Redis round trip, decides each item with
// core/, and, where docs/domain.md §5 asks for alternatives, reads every item's
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
// Composite parents (docs/domain.md §10) are answered from their
// components' records: the components no item names are looked up in the
// near-cache and the rest read in ONE more round trip for the whole call.
//
// A SKU named more than once in a call is looked up (near-cache) and read
// (Redis) once; each of its items is decided with its own quantity. A
// broken record (bytes that do not decode, or another Redis type at the
// record key) answers its items with an ItemError {15 DATA_LOSS, naming the
// key} and fails nothing else; it is counted and logged (BrokenRecordLog).
// A broken alternative candidate is skipped.
//
//   lookup.Run(std::move(query), deadline, [](absl::StatusOr<Answers> a) {
//     ... // on the Redis loop thread; finish the RPC here
//   });
//
// Thread-safe; never blocks. `done` runs exactly once, on the calling thread
// (validation-level errors, near-cache hits) or the Redis loop thread.
#ifndef AVAILABILITY_SERVER_AVAILABILITY_LOOKUP_H_
#define AVAILABILITY_SERVER_AVAILABILITY_LOOKUP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "availability/v1/availability.pb.h"
#include "cache/near_cache.h"
#include "cache/record_store.h"
#include "core/clock.h"
#include "server/channel_resolver.h"
#include "server/request_validation.h"

namespace availability::server {

// Counts reads of broken records and logs each one (warning, with the key),
// each key at most once per `interval` so that a broken key read by every
// call cannot flood the log. Remembers at most kMaxKeys keys (then forgets
// the oldest-logged ones, which may log again early).
// Thread-safe; Report holds a mutex for one map operation (rarely, when
// full, for one pass over the map) and logs after releasing it.
class BrokenRecordLog {
 public:
  static constexpr size_t kMaxKeys = 4096;

  BrokenRecordLog(const core::Clock& clock, absl::Duration interval)
      : clock_(clock), interval_(interval) {}

  // Counts one read of `key` that failed with `error`; true when it logged.
  bool Report(absl::string_view key, const absl::Status& error);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  const core::Clock& clock_;
  const absl::Duration interval_;
  std::atomic<uint64_t> count_{0};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> logged_at_ ABSL_GUARDED_BY(mu_);
};

class AvailabilityLookup {
 public:
  // One answer per query item, in order (STATUS_UNKNOWN for unknown SKUs,
  // an ItemError for broken records).
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

  // Run, writing the answers in place instead of handing them over: item
  // i's answer goes to out_list->Add() (in order; `out_list` empty at the
  // start), or, for a query of one item, to `*out_single`. Messages that
  // were Clear()ed keep their parts, so answers written into reused
  // responses (server/reused_messages.h) allocate nothing. Exactly one of
  // the two is non-null; it must stay valid until `done` runs. `done`
  // gets OK once every answer is written, or the error Run would give.
  using StatusCallback = std::function<void(absl::Status)>;
  void RunInto(ValidatedQuery query, absl::Time deadline, Answers* out_list,
               v1::ProductAvailability* out_single, StatusCallback done);

  // Run, also telling per item the SKUs its answer was derived from
  // (core::ComponentSkus of a composite parent's record; empty for others
  // and on error): what a watcher of the parent must watch.
  using ComponentsCallback = std::function<void(
      absl::StatusOr<Answers>, std::vector<std::vector<std::string>>)>;
  void RunWithComponents(ValidatedQuery query, absl::Time deadline,
                         ComponentsCallback done);

  // The time zone of a stock's store (for the store's midnight). Errors as
  // for Run.
  void ReadTimeZone(int32_t stock_id, absl::Time deadline,
                    std::function<void(absl::StatusOr<absl::TimeZone>)> done);

  // Resolves the scope alone (for subscriptions).
  void ResolveStock(const ValidatedScope& scope, absl::Time deadline,
                    std::function<void(absl::StatusOr<int32_t>)> done);

  // Reads of broken records since start (answered as item errors, or
  // skipped as candidates): availability_undecodable_records_total.
  uint64_t undecodable_records() const { return broken_.count(); }

  // How often one broken key is logged at most.
  static constexpr absl::Duration kBrokenLogInterval = absl::Minutes(1);

 private:
  struct Call;
  void Start(std::shared_ptr<Call> call, ValidatedQuery query,
             absl::Time deadline);
  void ReadAndDecide(std::shared_ptr<Call> call);
  // Reads `missing` items (and the config) from Redis, stores them in the
  // near-cache, then decides.
  // Indexes into a call's SKUs; one inline (most calls are a product page).
  using Indexes = absl::InlinedVector<size_t, 1>;
  void ReadMissing(std::shared_ptr<Call> call, Indexes missing);
  // Answers every item from memory, stale; Unavailable when one is not held.
  void AnswerStale(std::shared_ptr<Call> call, absl::Status why);
  // Adds the components of the call's composite parents that it has not
  // named to its SKUs, once; true when it added some.
  static bool AddComponentSkus(Call& call);
  // Looks up (near-cache) and reads (Redis, one round trip for the whole
  // call) those components, then decides.
  void ReadComponents(std::shared_ptr<Call> call);
  void Decide(std::shared_ptr<Call> call);
  void ReadAlternatives(std::shared_ptr<Call> call);

  cache::RecordStore& store_;
  ChannelResolver& channels_;
  const core::Clock& clock_;
  cache::NearCache* const near_cache_;
  BrokenRecordLog broken_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_AVAILABILITY_LOOKUP_H_
