// Hands the finishing of unary calls from the Redis loop thread to gRPC's
// own callback threads while those have work coming anyway.
//
// A call whose answer comes from Redis is finished on the Redis client's
// loop thread. Each Finish there queues a completion that a gRPC callback
// thread must wake up for, call after call: on a small machine that
// ping-pong of wake-ups costs more than the call itself (issue 18: most of
// the CPU between a Get through Redis and a null server was context
// switches). So while some finished call's completion is still to run on a
// gRPC thread, the loop thread queues its finish instead, and that gRPC
// thread runs every queued finish when the completion has run (CallDone),
// as does every unary handler when it starts (ScopedGrpcThread): threads
// that are awake already.
//
//   FinishHandoff handoff(absl::Milliseconds(1));
//   // In each unary handler (a gRPC callback thread), first:
//   FinishHandoff::ScopedGrpcThread on_grpc(handoff);  // runs queued ones
//   // Wherever a call is finished (any thread):
//   handoff.Run([=] { handoff.CallFinishing(); reactor->Finish(status); });
//   // When a call's completion has run (its messages released):
//   handoff.CallDone();
//
// Run executes the task at once on a gRPC thread (inside a
// ScopedGrpcThread), and when no finished call's completion is pending and
// no handler is running (a quiet server: nobody would come to take it, so
// nothing waits); otherwise it is queued. A queued task that nobody takes
// (should CallFinishing and CallDone ever not pair up) is run by a fallback
// thread after at most about two `linger`s; that thread sleeps while nothing is
// queued and wakes about once per `linger` while tasks are being queued. Tasks
// must not block; each runs exactly once. The destructor runs what is still
// queued, and waits for a Run still returning on another thread: a queued
// task may be the last finish that lets the owner be destroyed while the
// thread that queued it is still leaving Run. Thread-safe.
#ifndef AVAILABILITY_SERVER_FINISH_HANDOFF_H_
#define AVAILABILITY_SERVER_FINISH_HANDOFF_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace availability::server {

class FinishHandoff {
 public:
  using Task = std::function<void()>;

  // `linger` > 0: how often the fallback thread looks for tasks left over.
  explicit FinishHandoff(absl::Duration linger);
  ~FinishHandoff();
  FinishHandoff(const FinishHandoff&) = delete;
  FinishHandoff& operator=(const FinishHandoff&) = delete;

  // Marks the current thread as a gRPC callback thread in a handler for
  // its lifetime, and runs the queued tasks first and last.
  class ScopedGrpcThread {
   public:
    explicit ScopedGrpcThread(FinishHandoff& handoff);
    ~ScopedGrpcThread();
    ScopedGrpcThread(const ScopedGrpcThread&) = delete;
    ScopedGrpcThread& operator=(const ScopedGrpcThread&) = delete;

   private:
    FinishHandoff& handoff_;
  };

  // Runs `task` now or queues it (see the top of the file). A template so
  // that a task run at once is never copied into a Task.
  template <typename F>
  void Run(F&& task) {
    if (RunsNow()) {
      task();
    } else {
      Queue(Task(std::forward<F>(task)));
    }
  }

  // A call is being finished: its completion will run on a gRPC thread,
  // which then calls CallDone.
  void CallFinishing() { finishing_.fetch_add(1); }
  // A finished call's completion has run (a gRPC thread): runs the queued
  // tasks. Never counts below zero: a CallDone without its CallFinishing
  // (a call gRPC ended before its handler ran) must not make later
  // completions look absent for good.
  void CallDone();

  // Runs every queued task on the calling thread.
  void Drain();

  // Tasks queued so far, and of those the ones the fallback thread ran
  // (for tests and measurements).
  uint64_t queued() const { return queued_.load(std::memory_order_relaxed); }
  uint64_t run_by_fallback() const {
    return by_fallback_.load(std::memory_order_relaxed);
  }

 private:
  // True on a gRPC thread in a handler, or when no gRPC thread will come
  // soon: no completion pending, no handler running.
  bool RunsNow() const;
  bool NobodyComing() const;
  // Queues `task`; runs the queue at once when nobody is coming any more
  // (or when stopping).
  void Queue(Task task);
  void QueueCounted(Task task);
  void FallbackLoop();

  const absl::Duration linger_;
  // Calls finished whose completion has not run yet (CallFinishing minus
  // CallDone). Sequentially consistent: Queue pushes, then reads it;
  // CallDone decrements, then drains; so one of the two runs the task.
  std::atomic<int64_t> finishing_{0};
  // Threads inside a ScopedGrpcThread (they drain when they leave it).
  std::atomic<int64_t> in_handler_{0};
  std::atomic<uint64_t> queued_{0};
  std::atomic<uint64_t> by_fallback_{0};
  // Threads inside Queue: the destructor waits for them to leave.
  std::atomic<int64_t> queuing_{0};
  // tasks_.size(), read without the lock by Drain.
  std::atomic<size_t> pending_{0};

  absl::Mutex mu_;
  absl::CondVar wake_;
  // With their queue sequence numbers (queued_ before each was queued).
  std::vector<std::pair<uint64_t, Task>> tasks_ ABSL_GUARDED_BY(mu_);
  // The fallback thread sleeps until a task is queued (Queue signals it).
  bool idle_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread fallback_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_FINISH_HANDOFF_H_
