#include "server/demand_flusher.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "base/log.h"

namespace availability::server {

using ::availability::base::Log;
using ::availability::base::LogLevel;

DemandFlusher::DemandFlusher(Options options, DemandCounter& counter,
                             cache::DemandStore& store,
                             const core::Clock& clock)
    : options_(options), counter_(counter), store_(store), clock_(clock) {
  thread_ = std::thread([this] { Loop(); });
}

DemandFlusher::~DemandFlusher() { Stop(); }

void DemandFlusher::Stop() {
  if (stopped_.exchange(true)) return;
  stop_.Notify();
  thread_.join();
  (void)FlushNow();
}

void DemandFlusher::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
    (void)FlushNow();
  }
}

absl::Status DemandFlusher::FlushNow() {
  absl::MutexLock lock(&flush_mu_);
  std::vector<cache::DemandIncrement> due = counter_.Take();
  if (due.empty()) return absl::OkStatus();
  // The day from the clock; the deadline in real time, as the Redis client
  // keeps it.
  const absl::CivilDay day =
      absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone());
  // Shared with the callback, which may run after a wait that timed out.
  struct Result {
    absl::Notification done;
    absl::Status status;
  };
  auto result = std::make_shared<Result>();
  store_.Add(day, due, absl::Now() + options_.timeout,
             [result](absl::Status s) {
               result->status = std::move(s);
               result->done.Notify();
             });
  absl::Status status = absl::DeadlineExceededError("demand flush: no answer");
  // The store's own deadline ends the wait; the margin covers its timer.
  if (result->done.WaitForNotificationWithTimeout(options_.timeout +
                                                  absl::Seconds(1))) {
    status = result->status;
  }
  if (status.ok()) {
    flushed_.fetch_add(due.size(), std::memory_order_relaxed);
  } else {
    flush_errors_.fetch_add(1, std::memory_order_relaxed);
    Log(LogLevel::kWarning, "demand counts not flushed; they are lost",
        {{"entries", absl::StrCat(due.size())},
         {"error", std::string(status.message())}});
  }
  return status;
}

}  // namespace availability::server
