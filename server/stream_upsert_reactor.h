// The reactor of InventorySync.StreamUpsertRecords (a bulk load): reads
// batches of records and writes each through the RecordWriter while the next
// is read, and answers once with the totals and the outcomes of stale and
// rejected records.
//
// Flow control: at most kMaxWritesInFlight batches wait for Redis; then the
// next read waits for a write to finish, which holds the client back. A bad
// message (unreadable, not 1..1000 records, a bad snapshot id) or a cache
// failure stops the stream: INVALID_ARGUMENT / the cache's code naming the
// message counted from 1; nothing after it is written, and writes of earlier
// messages in flight finish first.
//
// Thread safety: reactions run on gRPC threads and write callbacks on the
// Redis loop thread; the shared state is locked (server/reactor_lock.h). The
// call finishes once reading is over and no write is in flight. Created with
// new by the handler; deletes itself in OnDone. The writer and clock must
// outlive it.
#ifndef AVAILABILITY_SERVER_STREAM_UPSERT_REACTOR_H_
#define AVAILABILITY_SERVER_STREAM_UPSERT_REACTOR_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "cache/record_writer.h"
#include "core/clock.h"
#include "core/record.h"
#include "grpcpp/support/server_callback.h"
#include "server/reactor_lock.h"
#include "server/request_parsing.h"

namespace availability::server {

class StreamUpsertReactor final
    : public grpc::ServerReadReactor<
          ParsedRequest<::availability::v1::UpsertRecordsRequest>> {
 public:
  static constexpr int kMaxWritesInFlight = 4;

  struct Options {
    // Budget of one batch's writes, capped by the call's deadline.
    absl::Duration write_timeout;
    // The most stale/rejected outcomes listed (the counts stay exact).
    int max_outcomes = 0;
  };

  // Starts reading at once. `context` and `response` are the call's.
  StreamUpsertReactor(Options options, cache::RecordWriter& writer,
                      const core::Clock& clock,
                      grpc::CallbackServerContext& context,
                      ::availability::v1::UpsertRecordsResponse& response);

  void OnReadDone(bool ok) override;
  void OnDone() override { delete this; }

 private:
  void Write(std::vector<core::Record> valid, std::vector<int64_t> indices)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void OnWritten(int64_t message, const std::vector<int64_t>& indices,
                 const std::vector<std::pair<std::string, int32_t>>& keys,
                 absl::StatusOr<std::vector<cache::WriteOutcome>> result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void ReadNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Remembers the first error and reads no further; the call ends with it
  // once no read and no write is outstanding.
  void Fail(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Finishes once nothing is outstanding and either the caller is done
  // sending or an error stopped the stream.
  void MaybeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // A new outcome, or null once max_outcomes are listed.
  ::availability::v1::RecordOutcome* AddOutcome(int64_t index,
                                                const std::string& sku,
                                                int32_t stock_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const Options options_;
  cache::RecordWriter& writer_;
  const core::Clock& clock_;
  grpc::CallbackServerContext& context_;
  ReactorMutex mutex_;
  ::availability::v1::UpsertRecordsResponse& response_ ABSL_GUARDED_BY(mutex_);
  // Filled by StartRead; read only in OnReadDone, before the next StartRead.
  ParsedRequest<::availability::v1::UpsertRecordsRequest> parsed_;
  int64_t next_index_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t messages_ ABSL_GUARDED_BY(mutex_) = 0;
  int writes_in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
  bool read_pending_ ABSL_GUARDED_BY(mutex_) = false;
  bool read_waits_for_write_ ABSL_GUARDED_BY(mutex_) = false;
  bool reading_done_ ABSL_GUARDED_BY(mutex_) = false;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::Status error_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_STREAM_UPSERT_REACTOR_H_
