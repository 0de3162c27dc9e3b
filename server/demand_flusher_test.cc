#include "server/demand_flusher.h"

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "cache/redis_client.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"

namespace availability::server {
namespace {

constexpr absl::Duration kWait = absl::Seconds(10);
// 2026-03-01 23:59:59 UTC.
const absl::Time kNow = absl::FromUnixSeconds(1772409599);

class DemandFlusherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto redis = testing::SyncRedisClient::Connect(server_->port(), kWait);
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    store_ = std::make_unique<cache::DemandStore>(
        redis_->client(), cache::KeySchema("av"),
        cache::DemandStore::Options());
    DemandFlusher::Options options;
    options.interval = absl::Hours(1);  // only the test flushes
    options.timeout = absl::Seconds(2);
    flusher_ =
        std::make_unique<DemandFlusher>(options, counter_, *store_, clock_);
  }
  void TearDown() override {
    if (flusher_ != nullptr) flusher_->Stop();
  }

  std::string Field(const std::string& key, const std::string& field) {
    return redis_->Expect({"HGET", key, field}).str;
  }

  testing::FakeClock clock_{kNow};
  DemandCounter counter_{{100}};
  std::unique_ptr<testing::RedisServer> server_;
  std::unique_ptr<testing::SyncRedisClient> redis_;
  std::unique_ptr<cache::DemandStore> store_;
  std::unique_ptr<DemandFlusher> flusher_;
};

TEST_F(DemandFlusherTest, FlushesIntoTheBucketOfTheFlushDay) {
  counter_.Add(1, "A", {2, 1, 0});
  ASSERT_TRUE(flusher_->FlushNow().ok());
  EXPECT_EQ(Field("av:{1}:demand:20260301", "p:A"), "2");
  EXPECT_EQ(flusher_->flushed(), 1u);
  // A second later it is the next UTC day.
  clock_.Advance(absl::Seconds(1));
  counter_.Add(1, "A", {1, 0, 0});
  ASSERT_TRUE(flusher_->FlushNow().ok());
  EXPECT_EQ(Field("av:{1}:demand:20260302", "p:A"), "1");
  EXPECT_EQ(Field("av:{1}:demand:20260301", "p:A"), "2");
  EXPECT_EQ(flusher_->flush_errors(), 0u);
}

TEST_F(DemandFlusherTest, StopFlushesOnce) {
  counter_.Add(1, "A", {0, 0, 30000});
  flusher_->Stop();
  EXPECT_EQ(Field("av:{1}:demand:20260301", "q:A"), "30000");
  EXPECT_EQ(counter_.entries(), 1u);  // zeroed, forgotten at the next take
}

TEST_F(DemandFlusherTest, AFailedFlushIsCountedAndItsCountsAreNotRetried) {
  counter_.Add(1, "A", {1, 0, 0});
  server_->Kill();
  EXPECT_FALSE(flusher_->FlushNow().ok());
  EXPECT_EQ(flusher_->flush_errors(), 1u);
  EXPECT_EQ(flusher_->flushed(), 0u);
  // Never written twice: the counts went with the failed flush.
  EXPECT_TRUE(counter_.Take().empty());
}

}  // namespace
}  // namespace availability::server
