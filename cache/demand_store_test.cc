#include "cache/demand_store.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_sync.h"
#include "testing/redis_test.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::RedisTest;
using ::availability::testing::SyncRedisClient;
using ::availability::testing::Waiter;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kWait = absl::Seconds(10);
const absl::CivilDay kDay(2026, 3, 1);

class DemandStoreTest : public RedisTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RedisTest::SetUp());
    redis_ = sync_client_.get();
    DemandStore::Options options;
    options.max_pipeline = 4;  // several pipelines per Add
    store_ = std::make_unique<DemandStore>(*client_, keys_, options);
  }

  absl::Status Add(absl::CivilDay day, std::vector<DemandIncrement> incs) {
    Waiter<absl::Status> w(kWait);
    store_->Add(day, incs, absl::Now() + kWait, w.Callback());
    return w.Get();
  }
  absl::StatusOr<DemandSums> Read(absl::CivilDay first, absl::CivilDay last) {
    Waiter<absl::StatusOr<DemandSums>> w(kWait);
    store_->Read(1, first, last, absl::Now() + kWait, w.Callback());
    return w.Get();
  }

  SyncRedisClient* redis_ = nullptr;
  std::unique_ptr<DemandStore> store_;
};

TEST_F(DemandStoreTest, AddsUpAcrossCallsAndDays) {
  ASSERT_THAT(Add(kDay, {{1, "A", {2, 0, 0}}, {1, "B", {0, 5, 30000}}}),
              IsOk());
  ASSERT_THAT(Add(kDay, {{1, "A", {1, 1, 0}}, {2, "A", {7, 0, 0}}}), IsOk());
  ASSERT_THAT(Add(kDay + 1, {{1, "A", {10, 0, 5000}}}), IsOk());

  EXPECT_EQ(redis_->Expect({"HGET", "av:{1}:demand:20260301", "p:A"}).str, "3");
  EXPECT_EQ(redis_->Expect({"HGET", "av:{1}:demand:20260301", "q:B"}).str,
            "30000");
  // Zero counters are not written.
  EXPECT_EQ(
      redis_->Expect({"HEXISTS", "av:{1}:demand:20260301", "l:A"}).integer, 1);
  EXPECT_EQ(
      redis_->Expect({"HEXISTS", "av:{1}:demand:20260301", "q:A"}).integer, 0);

  auto one_day = Read(kDay, kDay);
  ASSERT_THAT(one_day, IsOk());
  EXPECT_THAT(*one_day,
              UnorderedElementsAre(Pair("A", DemandCounts{3, 1, 0}),
                                   Pair("B", DemandCounts{0, 5, 30000})));
  auto two_days = Read(kDay, kDay + 1);
  ASSERT_THAT(two_days, IsOk());
  EXPECT_EQ((*two_days)["A"], (DemandCounts{13, 1, 5000}));
  // Another stock's counts stay apart.
  EXPECT_EQ(redis_->Expect({"HGET", "av:{2}:demand:20260301", "p:A"}).str, "7");
}

TEST_F(DemandStoreTest, EveryWriteSetsTheBucketsExpiry) {
  ASSERT_THAT(Add(kDay, {{1, "A", {1, 0, 0}}}), IsOk());
  const int64_t ttl = redis_->Expect({"TTL", "av:{1}:demand:20260301"}).integer;
  EXPECT_GT(ttl, 34 * 24 * 3600);
  EXPECT_LE(ttl, 35 * 24 * 3600);
}

TEST_F(DemandStoreTest, CountsOpenSubscriptions) {
  redis_->Expect({"HSET", "av:{1}:sub:A", "c1", "1", "c2", "2"});
  Waiter<absl::StatusOr<std::vector<int64_t>>> w(kWait);
  store_->CountSubscribers(1, {"A", "B"}, absl::Now() + kWait, w.Callback());
  auto counts = w.Get();
  ASSERT_THAT(counts, IsOk());
  EXPECT_THAT(*counts, ElementsAre(2, 0));
}

TEST_F(DemandStoreTest, ACounterThatIsNotAnIntegerFailsTheRead) {
  redis_->Expect({"HSET", "av:{1}:demand:20260301", "p:A", "x"});
  auto sums = Read(kDay, kDay);
  EXPECT_EQ(sums.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace availability::cache
