// A core::Clock for tests that reads a time the test sets: it never moves
// by itself, so tests step over deadlines and midnights without sleeping.
//
//   testing::FakeClock clock(absl::FromUnixSeconds(1700000000));
//   clock.Advance(absl::Seconds(59));
//
// Thread-safe: the code under test may read it from any thread while the
// test moves it.
#ifndef AVAILABILITY_TESTING_FAKE_CLOCK_H_
#define AVAILABILITY_TESTING_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"

namespace availability::testing {

class FakeClock final : public core::Clock {
 public:
  // 2023-11-14 22:13:20 UTC unless told otherwise.
  explicit FakeClock(absl::Time now = absl::FromUnixSeconds(1700000000))
      : now_(now) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_FAKE_CLOCK_H_
