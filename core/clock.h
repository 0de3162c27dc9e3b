// Where "now" comes from. Code that needs the time takes a Clock, so tests
// can use a fixed one (testing/fake_clock.h) and never sleep on the wall clock.
//
// Implementations are safe to call from any thread.
#ifndef AVAILABILITY_CORE_CLOCK_H_
#define AVAILABILITY_CORE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace availability::core {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system's wall clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance (stateless).
  static const SystemClock& Get() {
    static const SystemClock clock;
    return clock;
  }
};

}  // namespace availability::core

#endif  // AVAILABILITY_CORE_CLOCK_H_
