// Waiting in tests without fixed sleeps: Eventually() polls a condition
// until it holds or a deadline passes; Waiter<T> takes the one result of an
// asynchronous call and waits for it with a deadline.
//
//   EXPECT_TRUE(testing::Eventually([&] { return cache.size() == 0; }));
//
//   testing::Waiter<absl::StatusOr<Reply>> w;
//   client.Execute(argv, deadline, w.Callback());
//   absl::StatusOr<Reply> reply = w.Get();
//
// Eventually runs on the calling thread. A Waiter's callback may run on any
// thread, once; Get() is called once, by the test.
#ifndef AVAILABILITY_TESTING_EVENTUALLY_H_
#define AVAILABILITY_TESTING_EVENTUALLY_H_

#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace availability::testing {

// Calls `condition` every `poll` until it returns true (then true) or
// `timeout` passes (then the result of one last call).
inline bool Eventually(const std::function<bool()>& condition,
                       absl::Duration timeout = absl::Seconds(5),
                       absl::Duration poll = absl::Milliseconds(1)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (condition()) return true;
    absl::SleepFor(poll);  // polling what the test cannot be told about
  }
  return condition();
}

// The result of one asynchronous call. T must be constructible from an
// absl::Status (absl::Status, absl::StatusOr<...>): Get() returns
// DeadlineExceeded, and adds a test failure, when no result came within the
// timeout.
template <typename T>
class Waiter {
 public:
  explicit Waiter(absl::Duration timeout = absl::Seconds(20))
      : timeout_(timeout) {}

  // The callback to hand to the asynchronous call; it keeps the state
  // alive, so it may outlive the Waiter.
  std::function<void(T)> Callback() {
    return [state = state_](T value) {
      state->value.emplace(std::move(value));
      state->done.Notify();
    };
  }

  T Get() {
    if (!state_->done.WaitForNotificationWithTimeout(timeout_)) {
      ADD_FAILURE() << "no callback within " << timeout_;
      return T(absl::DeadlineExceededError(absl::StrCat(
          "test: no callback within ", absl::FormatDuration(timeout_))));
    }
    return std::move(*state_->value);
  }

 private:
  struct State {
    absl::Notification done;
    std::optional<T> value;
  };
  const absl::Duration timeout_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_EVENTUALLY_H_
