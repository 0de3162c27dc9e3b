// Moves the demand counts of a DemandCounter into Redis every `interval`
// (cache/demand_store.h: pipelined HINCRBY into the bucket of the flush's
// UTC day), on a thread of its own, never on a gRPC or Redis callback
// thread. Counts reach Redis at most once: a flush that fails (Redis down,
// deadline) loses its counts and is counted in flush_errors().
//
//   DemandFlusher flusher({absl::Seconds(5)}, counter, store, clock);
//   ...
//   flusher.Stop();   // after the listeners stopped: one last flush
//
// Thread-safe. The counter, store and clock must outlive it.
#ifndef AVAILABILITY_SERVER_DEMAND_FLUSHER_H_
#define AVAILABILITY_SERVER_DEMAND_FLUSHER_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cache/demand_store.h"
#include "core/clock.h"
#include "server/demand_counter.h"

namespace availability::server {

class DemandFlusher {
 public:
  struct Options {
    // Pause between flushes, > 0.
    absl::Duration interval = absl::Seconds(5);
    // Deadline of one flush's writes.
    absl::Duration timeout = absl::Seconds(5);
  };

  // Starts the flushing thread.
  DemandFlusher(Options options, DemandCounter& counter,
                cache::DemandStore& store, const core::Clock& clock);
  // Stop().
  ~DemandFlusher();

  // Ends the thread, then flushes once (waits for it, up to `timeout`).
  // Idempotent.
  void Stop();

  // Takes the counts and writes them now, waiting up to `timeout`: OK (also
  // with nothing to write) or the store's error. Used by the thread, Stop
  // and tests.
  absl::Status FlushNow();

  // Since start: (stock, SKU) entries written, and flushes that failed.
  uint64_t flushed() const { return flushed_.load(std::memory_order_relaxed); }
  uint64_t flush_errors() const {
    return flush_errors_.load(std::memory_order_relaxed);
  }

 private:
  void Loop();

  const Options options_;
  DemandCounter& counter_;
  cache::DemandStore& store_;
  const core::Clock& clock_;
  // One flush at a time (the thread's and Stop's).
  absl::Mutex flush_mu_;
  std::atomic<uint64_t> flushed_{0};
  std::atomic<uint64_t> flush_errors_{0};
  absl::Notification stop_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_DEMAND_FLUSHER_H_
