// The back-in-stock notification jobs of a stock (docs/domain.md §8), read
// at least once by mailers: a Redis Streams consumer group over the stream
// RecordWriter's script appends to (KeySchema::NotificationJobs).
//
//   NotificationJobQueue queue(client, KeySchema("av"));
//   queue.Claim(1, "mailer-1", 100, absl::Minutes(5), deadline,
//               [](absl::StatusOr<std::vector<NotificationJob>> jobs) {...});
//   ...send them...
//   queue.Ack(1, {ids...}, deadline, [](absl::StatusOr<int64_t> n) {...});
//
// Claim: XGROUP CREATE <jobs> mailers 0 MKSTREAM (every call, pipelined with
// the first XAUTOCLAIM; BUSYGROUP means it exists; from 0 so jobs queued
// before the first claim count), then XAUTOCLAIM with min-idle = the lease
// (jobs claimed earlier, by anyone, and not acknowledged within that long;
// following the cursor through the pending list), then XREADGROUP ">" for jobs
// never delivered. A job stays in the group's pending list until Ack, so a
// consumer that dies loses nothing: its jobs go to the next claim after the
// lease. A job is taken over once it has been pending longer than the
// *claimer's* lease: consumers of a stock should agree on one lease.
//
// Ack: only jobs that are pending (delivered, not yet acknowledged) are
// acknowledged: XACK and XDEL in one MULTI/EXEC, so the stream holds only
// jobs not yet acknowledged (never trimmed: RecordWriter's jobs_max_len
// stays 0). An id never delivered is left alone, so a wrong id cannot drop
// an unsent job.
//
// Errors (cache/redis_reply.h): InvalidArgument for bad arguments (naming
// the parameter); Unavailable / DeadlineExceeded from Redis. Entries that do
// not parse as jobs are skipped (they stay pending; XPENDING shows them).
//
// Thread safety: safe from any thread; callbacks run on the Redis client's
// loop thread and must not block. The client and the queue must outlive
// every call.
#ifndef AVAILABILITY_CACHE_JOB_QUEUE_H_
#define AVAILABILITY_CACHE_JOB_QUEUE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "cache/redis_client.h"

namespace availability::cache {

// One notification to send: an open subscription of (stock, sku) when the
// SKU came back in stock.
struct NotificationJob {
  // Stream id "<ms>-<seq>": what Ack takes.
  std::string id;
  std::string sku;
  int32_t stock_id = 0;
  std::string subscriber;
  // Version of the write whose BACK_IN_STOCK made the job.
  int64_t version = 0;
  // When the job was queued (from its stream id) and the subscription taken.
  absl::Time queued_at = absl::InfinitePast();
  absl::Time subscribed_at = absl::InfinitePast();
  // Delivered before, and its lease ran out without an acknowledgement.
  bool redelivered = false;
};

// Parses one stream entry ([id, [field, value, ...]]) of the jobs stream.
// Errors: DataLoss naming what is malformed.
absl::StatusOr<NotificationJob> ParseNotificationJob(const RedisReply& entry);

class NotificationJobQueue {
 public:
  // The consumer group every mailer joins.
  static constexpr char kGroup[] = "mailers";
  static constexpr int kMaxJobsPerCall = 1000;

  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;

  NotificationJobQueue(RedisClient& client, KeySchema keys);

  // Up to `max_jobs` (1..kMaxJobsPerCall) jobs of the stock for `consumer`
  // (non-empty), leased for `lease` (> 0): redelivered ones first, then new
  // ones, each group oldest first. Empty when there is nothing to send.
  void Claim(int32_t stock_id, std::string consumer, int max_jobs,
             absl::Duration lease, absl::Time deadline,
             Callback<std::vector<NotificationJob>> done);

  // Acknowledges and removes the pending jobs among `ids` (1..kMaxJobsPerCall
  // stream ids); `done` gets how many were pending. Ids not pending (already
  // acknowledged, never delivered, unknown) are ignored.
  void Ack(int32_t stock_id, std::vector<std::string> ids, absl::Time deadline,
           Callback<int64_t> done);

 private:
  struct ClaimCall;
  // XAUTOCLAIM of `call`'s remaining count from `cursor`.
  static std::vector<std::string> ReclaimCommand(const ClaimCall& call,
                                                 std::string cursor);
  // Takes the reclaimed jobs; then XAUTOCLAIM on from the reply's cursor, or
  // ReadNew.
  void OnReclaimed(std::shared_ptr<ClaimCall> call,
                   absl::StatusOr<RedisReply> reply);
  // XREADGROUP ">" for the rest of the count; then answers.
  void ReadNew(std::shared_ptr<ClaimCall> call);

  RedisClient& client_;
  const KeySchema keys_;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_JOB_QUEUE_H_
