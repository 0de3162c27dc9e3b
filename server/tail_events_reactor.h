// The reactor of InventorySync.TailEvents: writes the transition events of
// one stock's events stream as they are appended, until the caller cancels
// or its deadline passes.
//
// Polls with non-blocking XREAD (no XREAD BLOCK: the Redis connection is
// shared with the writes) -> writes each event -> XREAD again; when a poll
// finds nothing, an alarm schedules the next one after poll_interval. With
// after_id "" it first resolves the newest id now in the stream. The initial
// metadata is sent once the start position is fixed, so a caller that waits
// for it gets every event appended afterwards. A cache failure ends the call
// with its code, naming the after_id to resume from.
//
// Thread safety: at most one of {Redis read, alarm, write} is in flight; the
// state is locked (server/reactor_lock.h) and Finish is called once, when the
// call is cancelled or failed and nothing is in flight, so no callback can
// reach the reactor after OnDone. Created with new by the handler; deletes
// itself in OnDone. The client must outlive it.
#ifndef AVAILABILITY_SERVER_TAIL_EVENTS_REACTOR_H_
#define AVAILABILITY_SERVER_TAIL_EVENTS_REACTOR_H_

#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "availability/v1/inventory_sync.pb.h"
#include "cache/redis_client.h"
#include "grpcpp/alarm.h"
#include "grpcpp/support/server_callback.h"
#include "server/reactor_lock.h"

namespace availability::server {

class TailEventsReactor final
    : public grpc::ServerWriteReactor<::availability::v1::InventoryEvent> {
 public:
  struct Options {
    // Budget of each Redis read.
    absl::Duration read_timeout;
    // Pause after a poll that found nothing new.
    absl::Duration poll_interval;
    // The most events read per poll.
    int batch = 100;
  };

  // Starts at once: tails `events_key` after `after_id` (a valid stream id,
  // or "" for only new events).
  TailEventsReactor(Options options, cache::RedisClient& client,
                    std::string events_key, std::string after_id);

  void OnSendInitialMetadataDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override { delete this; }

 private:
  // Starts after the newest event now in the stream ("only new events").
  void ResolveLastId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The start position is fixed: tell the caller (initial metadata).
  void Started() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Poll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnPolled(absl::StatusOr<cache::RedisReply> reply)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WaitAndPoll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the in-flight step: with `stopping_`, finishes.
  void StepDone() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fail(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time ReadDeadline() const;

  const Options options_;
  cache::RedisClient& client_;
  const std::string key_;

  ReactorMutex mu_;
  std::string after_id_ ABSL_GUARDED_BY(mu_);
  std::deque<::availability::v1::InventoryEvent> queue_ ABSL_GUARDED_BY(mu_);
  // The event being written (StartWrite keeps a pointer to it).
  ::availability::v1::InventoryEvent current_;
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;
  // A read, alarm or write is in flight.
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_TAIL_EVENTS_REACTOR_H_
