#include "server/call_limiter.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace availability::server {
namespace {

TEST(CallLimiterTest, RefusesBeyondTheLimitAndFreesOnRelease) {
  CallLimiter limiter(2);
  std::optional<CallLimiter::Slot> a = limiter.TryAcquire();
  std::optional<CallLimiter::Slot> b = limiter.TryAcquire();
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(limiter.in_flight(), 2);
  EXPECT_FALSE(limiter.TryAcquire().has_value());
  EXPECT_EQ(limiter.rejected(), 1u);
  EXPECT_EQ(limiter.in_flight(), 2);
  a.reset();
  EXPECT_EQ(limiter.in_flight(), 1);
  EXPECT_TRUE(limiter.TryAcquire().has_value());  // released at once
  EXPECT_EQ(limiter.in_flight(), 1);
}

TEST(CallLimiterTest, MovedSlotReleasesOnce) {
  CallLimiter limiter(1);
  {
    std::optional<CallLimiter::Slot> a = limiter.TryAcquire();
    ASSERT_TRUE(a.has_value());
    CallLimiter::Slot moved(std::move(*a));
    a.reset();
    EXPECT_EQ(limiter.in_flight(), 1);
  }
  EXPECT_EQ(limiter.in_flight(), 0);
}

TEST(CallLimiterTest, ZeroMeansUnlimitedButCounted) {
  CallLimiter limiter(0);
  std::vector<CallLimiter::Slot> slots;
  for (int i = 0; i < 1000; ++i) slots.push_back(*limiter.TryAcquire());
  EXPECT_EQ(limiter.in_flight(), 1000);
  EXPECT_EQ(limiter.rejected(), 0u);
}

}  // namespace
}  // namespace availability::server
