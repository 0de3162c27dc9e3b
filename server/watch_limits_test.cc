#include "server/watch_limits.h"

#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace availability::server {
namespace {

using ::testing::HasSubstr;

constexpr char kPeerA[] = "ipv4:127.0.0.1:40001";
constexpr char kPeerB[] = "ipv4:127.0.0.1:40002";

WatchLimits::Options Limits(int per_connection, int streams, int64_t skus) {
  WatchLimits::Options options;
  options.max_streams_per_connection = per_connection;
  options.max_streams = streams;
  options.max_skus = skus;
  return options;
}

TEST(WatchLimitsTest, RefusesTheStreamPastTheConnectionsLimitOnly) {
  WatchLimits limits(Limits(2, 100, 1000));
  std::vector<WatchLimits::Ticket> held;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<WatchLimits::Ticket> t = limits.Admit(kPeerA, 1);
    ASSERT_TRUE(t.ok()) << t.status();
    held.push_back(*std::move(t));
  }
  absl::StatusOr<WatchLimits::Ticket> third = limits.Admit(kPeerA, 1);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(third.status().message(),
              HasSubstr("2 streams already open on this connection"));
  EXPECT_THAT(third.status().message(),
              HasSubstr("--max_watch_streams_per_connection"));
  // Another connection is not affected.
  EXPECT_TRUE(limits.Admit(kPeerB, 1).ok());
  // A stream that ends gives its place back.
  held.pop_back();
  EXPECT_TRUE(limits.Admit(kPeerA, 1).ok());
  EXPECT_EQ(limits.refused().per_connection, 1u);
}

TEST(WatchLimitsTest, RefusesPastTheServersStreams) {
  WatchLimits limits(Limits(10, 2, 1000));
  absl::StatusOr<WatchLimits::Ticket> a = limits.Admit(kPeerA, 1);
  absl::StatusOr<WatchLimits::Ticket> b = limits.Admit(kPeerB, 1);
  ASSERT_TRUE(a.ok() && b.ok());
  absl::StatusOr<WatchLimits::Ticket> c = limits.Admit("ipv4:10.0.0.1:1", 1);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(c.status().message(),
              HasSubstr("2 streams already open on this server"));
  EXPECT_THAT(c.status().message(), HasSubstr("--max_watch_streams"));
  EXPECT_EQ(limits.streams(), 2);
  EXPECT_EQ(limits.refused().streams, 1u);
}

TEST(WatchLimitsTest, RefusesPastTheServersSkus) {
  WatchLimits limits(Limits(10, 10, 10));
  absl::StatusOr<WatchLimits::Ticket> six = limits.Admit(kPeerA, 6);
  ASSERT_TRUE(six.ok());
  absl::StatusOr<WatchLimits::Ticket> five = limits.Admit(kPeerA, 5);
  EXPECT_EQ(five.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(five.status().message(),
              HasSubstr("6 SKUs already watched on this server, 5 more"));
  EXPECT_THAT(five.status().message(), HasSubstr("--max_watched_skus"));
  absl::StatusOr<WatchLimits::Ticket> four = limits.Admit(kPeerA, 4);
  EXPECT_TRUE(four.ok());
  EXPECT_EQ(limits.skus(), 10);
  six->Release();
  six->Release();  // once only
  EXPECT_EQ(limits.skus(), 4);
  EXPECT_EQ(limits.streams(), 1);
}

TEST(WatchLimitsTest, MovedTicketsReleaseOnce) {
  WatchLimits limits(Limits(1, 10, 100));
  {
    absl::StatusOr<WatchLimits::Ticket> t = limits.Admit(kPeerA, 3);
    ASSERT_TRUE(t.ok());
    WatchLimits::Ticket moved = *std::move(t);
    WatchLimits::Ticket assigned;
    assigned = std::move(moved);
    EXPECT_EQ(limits.streams(), 1);
    EXPECT_FALSE(limits.Admit(kPeerA, 1).ok());
  }
  EXPECT_EQ(limits.streams(), 0);
  EXPECT_EQ(limits.skus(), 0);
  EXPECT_TRUE(limits.Admit(kPeerA, 1).ok());
}

TEST(WatchLimitsTest, ValidateNamesTheLimitThatIsNotPositive) {
  EXPECT_TRUE(WatchLimits::Validate(Limits(1, 1, 1)).ok());
  EXPECT_THAT(WatchLimits::Validate(Limits(0, 1, 1)).message(),
              HasSubstr("per connection"));
  EXPECT_THAT(WatchLimits::Validate(Limits(1, 0, 1)).message(),
              HasSubstr("watch streams 0"));
  EXPECT_THAT(WatchLimits::Validate(Limits(1, 1, 0)).message(),
              HasSubstr("watched SKUs 0"));
}

}  // namespace
}  // namespace availability::server
