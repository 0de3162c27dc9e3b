#include "server/finish_handoff.h"

#include <iterator>
#include <utility>

namespace availability::server {
namespace {

// Depth of ScopedGrpcThread on this thread.
thread_local int grpc_thread_depth = 0;

}  // namespace

FinishHandoff::FinishHandoff(absl::Duration linger)
    : linger_(linger), fallback_([this] { FallbackLoop(); }) {}

FinishHandoff::~FinishHandoff() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.SignalAll();
  fallback_.join();
  Drain();
  // A Queue whose task another thread ran (and so let the owner go) may
  // still be reading the counters; it touches nothing once it has left.
  while (queuing_.load() > 0) std::this_thread::yield();
}

FinishHandoff::ScopedGrpcThread::ScopedGrpcThread(FinishHandoff& handoff)
    : handoff_(handoff) {
  ++grpc_thread_depth;
  handoff_.in_handler_.fetch_add(1);
  handoff_.Drain();
}

FinishHandoff::ScopedGrpcThread::~ScopedGrpcThread() {
  handoff_.in_handler_.fetch_sub(1);
  handoff_.Drain();
  --grpc_thread_depth;
}

void FinishHandoff::CallDone() {
  int64_t pending = finishing_.load();
  while (pending > 0 &&
         !finishing_.compare_exchange_weak(pending, pending - 1)) {
  }
  Drain();
}

bool FinishHandoff::NobodyComing() const {
  return finishing_.load() <= 0 && in_handler_.load() <= 0;
}

bool FinishHandoff::RunsNow() const {
  return grpc_thread_depth > 0 || NobodyComing();
}

void FinishHandoff::Queue(Task task) {
  queuing_.fetch_add(1);
  QueueCounted(std::move(task));
  // The last access to *this: the destructor waits for it.
  queuing_.fetch_sub(1);
}

void FinishHandoff::QueueCounted(Task task) {
  bool queued = false;
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      tasks_.emplace_back(queued_.fetch_add(1), std::move(task));
      pending_.store(tasks_.size());
      queued = true;
      wake = idle_;
      idle_ = false;
    }
  }
  if (!queued) {  // stopping: the fallback thread may be gone
    task();
    return;
  }
  if (wake) wake_.Signal();
  // The completion or handler that was to take it may have finished
  // meanwhile (they decrement before they drain): then nobody will come.
  if (NobodyComing()) Drain();
}

void FinishHandoff::Drain() {
  if (pending_.load() == 0) return;
  std::vector<std::pair<uint64_t, Task>> tasks;
  {
    absl::MutexLock lock(&mu_);
    tasks.swap(tasks_);
    pending_.store(0);
  }
  for (auto& [seq, task] : tasks) task();
}

void FinishHandoff::FallbackLoop() {
  mu_.Lock();
  uint64_t seen = queued_.load();
  while (!stopping_) {
    if (tasks_.empty() && queued_.load() == seen) {
      // Nothing queued for a whole `linger`: sleep until Queue signals.
      while (tasks_.empty() && !stopping_) {
        idle_ = true;
        wake_.Wait(&mu_);
      }
      idle_ = false;
      if (stopping_) break;
    }
    seen = queued_.load();
    wake_.WaitWithTimeout(&mu_, linger_);
    if (stopping_) break;
    // Run the tasks queued before the wait that nobody took (a prefix:
    // tasks_ is in queue order).
    auto old = tasks_.begin();
    while (old != tasks_.end() && old->first < seen) ++old;
    if (old == tasks_.begin()) continue;
    std::vector<std::pair<uint64_t, Task>> left(
        std::make_move_iterator(tasks_.begin()), std::make_move_iterator(old));
    tasks_.erase(tasks_.begin(), old);
    pending_.store(tasks_.size());
    by_fallback_.fetch_add(left.size(), std::memory_order_relaxed);
    mu_.Unlock();
    for (auto& [seq, task] : left) task();
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace availability::server
