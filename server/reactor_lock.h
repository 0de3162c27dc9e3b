// A mutex for gRPC callback reactors whose scoped lock runs, once released,
// the actions deferred under it. Reactions decide under the lock what to ask
// of gRPC (StartRead, StartWrite, Finish) but must not ask while holding it:
// gRPC may run a reaction inline (which would lock again), and OnDone may
// delete the reactor, mutex included, as soon as Finish is called on any
// thread. So nothing touches the reactor after its deferred actions run.
//
//   ReactorMutex mu_;
//   bool done_ ABSL_GUARDED_BY(mu_);
//   void OnReadDone(bool ok) override {
//     ReactorLock lock(&mu_);
//     ...
//     mu_.Defer([this] { Finish(grpc::Status::OK); });
//   }  // unlocked here, then Finish runs
#ifndef AVAILABILITY_SERVER_REACTOR_LOCK_H_
#define AVAILABILITY_SERVER_REACTOR_LOCK_H_

#include <functional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace availability::server {

class ABSL_LOCKABLE ReactorMutex {
 public:
  // Runs `action` after the current ReactorLock releases the mutex.
  void Defer(std::function<void()> action) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    deferred_.push_back(std::move(action));
  }

 private:
  friend class ReactorLock;
  absl::Mutex mu_;
  std::vector<std::function<void()>> deferred_;
};

class ABSL_SCOPED_LOCKABLE ReactorLock {
 public:
  explicit ReactorLock(ReactorMutex* m) ABSL_EXCLUSIVE_LOCK_FUNCTION(m)
      : m_(m) {
    m_->mu_.Lock();
  }
  ReactorLock(const ReactorLock&) = delete;
  ReactorLock& operator=(const ReactorLock&) = delete;
  ~ReactorLock() ABSL_UNLOCK_FUNCTION() {
    std::vector<std::function<void()>> actions;
    actions.swap(m_->deferred_);
    m_->mu_.Unlock();
    for (auto& action : actions) action();
  }

 private:
  ReactorMutex* const m_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_REACTOR_LOCK_H_
