// NearCache on its own (fake clock), and with InvalidationListener against a
// real redis-server: invalidation, negative entries, flushes, the race
// guard, unresponsive Redis.

#include "cache/near_cache.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cache/invalidation_listener.h"
#include "cache/record_codec.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/fake_clock.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"

namespace availability::cache {
namespace {

NearCache::RecordPtr MakeRecord(const std::string& sku, int64_t version) {
  auto r = std::make_shared<core::Record>();
  r->sku = sku;
  r->stock_id = 1;
  r->version = version;
  r->source_qty = core::QtyFromUnits(5);
  return r;
}

class NearCacheTest : public ::testing::Test {
 protected:
  NearCacheTest() : cache_(Options(), KeySchema("av"), clock_) {
    cache_.SetTracking(true);
  }
  static NearCacheOptions Options() {
    NearCacheOptions o;
    o.max_entries = 16 * 4;  // 4 per shard
    o.max_age = absl::Seconds(10);
    o.max_stale = absl::Minutes(1);
    return o;
  }
  testing::FakeClock clock_;
  NearCache cache_;
};

TEST_F(NearCacheTest, HitMissAndNegativeEntries) {
  NearCache::RecordPtr out;
  EXPECT_FALSE(cache_.GetRecord(1, "A", &out));
  cache_.PutRecord(1, "A", MakeRecord("A", 3), cache_.ReadTicket());
  cache_.PutRecord(1, "UNKNOWN", nullptr, cache_.ReadTicket());
  ASSERT_TRUE(cache_.GetRecord(1, "A", &out));
  EXPECT_EQ(out->version, 3);
  ASSERT_TRUE(cache_.GetRecord(1, "UNKNOWN", &out));
  EXPECT_EQ(out, nullptr);
  EXPECT_FALSE(cache_.GetRecord(2, "A", &out)) << "other stock";
  const NearCacheStats stats = cache_.stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_GT(stats.bytes, 0u);
}

TEST_F(NearCacheTest, EntriesExpireAfterMaxAgeButServeStale) {
  cache_.PutRecord(1, "A", MakeRecord("A", 1), cache_.ReadTicket());
  clock_.Advance(absl::Seconds(11));
  NearCache::RecordPtr out;
  EXPECT_FALSE(cache_.GetRecord(1, "A", &out));
  EXPECT_TRUE(cache_.GetStaleRecord(1, "A", &out));
  clock_.Advance(absl::Minutes(1));
  EXPECT_FALSE(cache_.GetStaleRecord(1, "A", &out)) << "past max_stale";
}

TEST_F(NearCacheTest, InvalidateKeyParsesRecordAndConfigKeys) {
  cache_.PutRecord(7, "X:{y}", MakeRecord("X:{y}", 1), cache_.ReadTicket());
  cache_.PutConfig(7, std::make_shared<core::StoreConfig>(),
                   cache_.ReadTicket());
  EXPECT_TRUE(cache_.InvalidateKey("av:{7}:r:X:{y}"));
  EXPECT_TRUE(cache_.InvalidateKey("av:{7}:config"));
  EXPECT_FALSE(cache_.InvalidateKey("av:{7}:events"));
  EXPECT_FALSE(cache_.InvalidateKey("other:{7}:r:X"));
  NearCache::RecordPtr record;
  NearCache::ConfigPtr config;
  EXPECT_FALSE(cache_.GetRecord(7, "X:{y}", &record));
  EXPECT_FALSE(cache_.GetConfig(7, &config));
  EXPECT_EQ(cache_.stats().invalidations, 2u);
}

TEST_F(NearCacheTest, RaceGuardDropsARepliesOvertakenByItsInvalidation) {
  // The read is sent (ticket), the write's invalidation arrives, then the
  // read's (older) reply: it must not be stored.
  const uint64_t ticket = cache_.ReadTicket();
  cache_.InvalidateRecord(1, "A");
  cache_.PutRecord(1, "A", MakeRecord("A", 1), ticket);
  NearCache::RecordPtr out;
  EXPECT_FALSE(cache_.GetRecord(1, "A", &out));
  EXPECT_EQ(cache_.stats().puts_dropped, 1u);
  // A read sent after the invalidation is stored.
  cache_.PutRecord(1, "A", MakeRecord("A", 2), cache_.ReadTicket());
  ASSERT_TRUE(cache_.GetRecord(1, "A", &out));
  EXPECT_EQ(out->version, 2);
}

TEST_F(NearCacheTest, FlushStartsANewEpochAndStopsOlderReplies) {
  cache_.PutRecord(1, "A", MakeRecord("A", 1), cache_.ReadTicket());
  const uint64_t before = cache_.ReadTicket();
  cache_.Flush();
  NearCache::RecordPtr out;
  EXPECT_FALSE(cache_.GetRecord(1, "A", &out));
  EXPECT_TRUE(cache_.GetStaleRecord(1, "A", &out)) << "kept for stale use";
  cache_.PutRecord(1, "B", MakeRecord("B", 1), before);
  EXPECT_FALSE(cache_.GetRecord(1, "B", &out));
  EXPECT_EQ(cache_.stats().flushes, 1u);
}

TEST_F(NearCacheTest, TrackingOffMeansNoHitsAndNoPuts) {
  cache_.SetTracking(false);
  cache_.PutRecord(1, "A", MakeRecord("A", 1), cache_.ReadTicket());
  NearCache::RecordPtr out;
  EXPECT_FALSE(cache_.GetRecord(1, "A", &out));
  const uint64_t before = cache_.ReadTicket();
  cache_.SetTracking(true);
  cache_.PutRecord(1, "A", MakeRecord("A", 1), before);
  EXPECT_FALSE(cache_.GetRecord(1, "A", &out)) << "read sent while off";
}

TEST_F(NearCacheTest, EvictsLeastRecentlyUsedOverTheBound) {
  for (int i = 0; i < 1000; ++i) {
    const std::string sku = "S" + std::to_string(i);
    cache_.PutRecord(1, sku, MakeRecord(sku, 1), cache_.ReadTicket());
  }
  const NearCacheStats stats = cache_.stats();
  EXPECT_LE(stats.entries, 64u);
  EXPECT_EQ(stats.evictions, 1000u - stats.entries);
}

TEST_F(NearCacheTest, AnEntryInUseSurvivesEviction) {
  NearCache::RecordPtr out;
  cache_.PutRecord(1, "HOT", MakeRecord("HOT", 1), cache_.ReadTicket());
  for (int i = 0; i < 1000; ++i) {
    const std::string sku = "S" + std::to_string(i);
    cache_.PutRecord(1, sku, MakeRecord(sku, 1), cache_.ReadTicket());
    ASSERT_TRUE(cache_.GetRecord(1, "HOT", &out)) << "evicted after " << i;
  }
}

// ---- With a real Redis. ----

class InvalidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    options_.port = redis_->port();
    auto client = RedisClient::Start(options_);
    ASSERT_TRUE(client.ok());
    client_ = *std::move(client);
    ASSERT_TRUE(client_->WaitUntilConnected(absl::Seconds(5)).ok());
    NearCacheOptions cache_options;
    cache_ = std::make_unique<NearCache>(cache_options, KeySchema("av"),
                                         core::SystemClock::Get());
    InvalidationListener::Options listener_options;
    listener_options.redis = options_;
    listener_options.ping_interval = absl::Milliseconds(50);
    listener_options.ping_timeout = absl::Milliseconds(300);
    InvalidationListener::Observer observer;
    observer.on_keys = [this](const std::vector<std::string>& keys) {
      absl::MutexLock lock(&mu_);
      for (const auto& k : keys) seen_keys_.push_back(k);
    };
    observer.on_all = [this] {
      absl::MutexLock lock(&mu_);
      ++all_events_;
    };
    auto listener = InvalidationListener::Start(listener_options, *client_,
                                                cache_.get(), observer);
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
    ASSERT_TRUE(listener_->WaitUntilTracking(absl::Seconds(5)).ok());
  }
  void TearDown() override {
    listener_.reset();
    client_.reset();
    writer_.reset();
  }

  // Through a second client: binary values do not fit redis-cli's argv.
  // Returns once the write's invalidation reached the cache, so that a
  // read after it is not (rightly) refused by the race guard.
  void Set(const std::string& key, const std::string& value) {
    const uint64_t before = cache_->stats().invalidations;
    SetNoWait(key, value);
    EXPECT_TRUE(testing::Eventually(
        [&] { return cache_->stats().invalidations > before; }));
  }
  void SetNoWait(const std::string& key, const std::string& value) {
    if (writer_ == nullptr) {
      writer_ = *RedisClient::Start(options_);
      ASSERT_TRUE(writer_->WaitUntilConnected(absl::Seconds(5)).ok());
    }
    // A test may have just killed every normal connection, the writer's
    // too: retry until it has reconnected.
    EXPECT_TRUE(testing::Eventually(
        [&] {
          absl::StatusOr<RedisReply> r =
              testing::RunSync(*writer_, {"SET", key, value}, absl::Seconds(1));
          return r.ok() && !r->is_error();
        },
        absl::Seconds(5), absl::Milliseconds(10)));
  }
  // Fills the cache the way a reader does: ticket, GET, put.
  void ReadThrough(const std::string& sku) {
    const uint64_t ticket = cache_->ReadTicket();
    absl::StatusOr<RedisReply> r = testing::RunSync(
        *client_, {"GET", "av:{1}:r:" + sku}, absl::Seconds(2));
    EXPECT_TRUE(r.ok());
    NearCache::RecordPtr record;
    if (r.ok() && !r->is_nil()) {
      auto decoded = DecodeRecord(r->str, 1, sku);
      EXPECT_TRUE(decoded.ok()) << decoded.status();
      if (decoded.ok()) record = std::make_shared<core::Record>(*decoded);
    }
    cache_->PutRecord(1, sku, record, ticket);
  }
  // ReadThrough until the entry is in the cache: a put is refused (rightly)
  // when any invalidation arrived between its ticket and the put, e.g. a
  // late one of the write before.
  bool FillCache(const std::string& sku) {
    return testing::Eventually([&] {
      ReadThrough(sku);
      return Cached(sku);
    });
  }
  bool Cached(const std::string& sku) {
    NearCache::RecordPtr out;
    return cache_->GetRecord(1, sku, &out);
  }

  std::unique_ptr<testing::RedisServer> redis_;
  RedisOptions options_;
  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<RedisClient> writer_;
  std::unique_ptr<NearCache> cache_;
  std::unique_ptr<InvalidationListener> listener_;
  absl::Mutex mu_;
  std::vector<std::string> seen_keys_ ABSL_GUARDED_BY(mu_);
  int all_events_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST_F(InvalidationTest, AWriteRemovesTheEntry) {
  Set("av:{1}:r:A", EncodeRecord(*MakeRecord("A", 1)));
  ASSERT_TRUE(FillCache("A"));
  Set("av:{1}:r:A", EncodeRecord(*MakeRecord("A", 2)));
  EXPECT_TRUE(
      testing::Eventually([&] { return !Cached("A"); }, absl::Seconds(2)));
  ReadThrough("A");
  NearCache::RecordPtr out;
  ASSERT_TRUE(cache_->GetRecord(1, "A", &out));
  EXPECT_EQ(out->version, 2);
  absl::MutexLock lock(&mu_);
  EXPECT_FALSE(seen_keys_.empty());
}

TEST_F(InvalidationTest, AVersionedWriteThroughTheWriterRemovesTheEntry) {
  RecordWriter writer(*client_, KeySchema("av"));
  auto upsert = [&](int64_t version) {
    core::Record r = *MakeRecord("W", version);
    testing::Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w;
    writer.Upsert({r}, "", absl::Now(), absl::Now() + absl::Seconds(5),
                  w.Callback());
    const absl::StatusOr<std::vector<WriteOutcome>> out = w.Get();
    EXPECT_TRUE(out.ok()) << out.status();
  };
  const uint64_t before = cache_->stats().invalidations;
  upsert(1);
  // The first write's own invalidation must land before the read, or the
  // race guard (rightly) refuses to cache the read.
  ASSERT_TRUE(testing::Eventually(
      [&] { return cache_->stats().invalidations > before; }));
  ASSERT_TRUE(FillCache("W"));
  upsert(2);
  EXPECT_TRUE(
      testing::Eventually([&] { return !Cached("W"); }, absl::Seconds(2)));
}

TEST_F(InvalidationTest, NegativeEntryIsInvalidatedWhenTheSkuAppears) {
  ReadThrough("NEW");
  NearCache::RecordPtr out;
  ASSERT_TRUE(cache_->GetRecord(1, "NEW", &out));
  EXPECT_EQ(out, nullptr);
  Set("av:{1}:r:NEW", EncodeRecord(*MakeRecord("NEW", 1)));
  EXPECT_TRUE(
      testing::Eventually([&] { return !Cached("NEW"); }, absl::Seconds(2)));
}

TEST_F(InvalidationTest, KilledInvalidationConnectionFlushesAndRecovers) {
  Set("av:{1}:r:A", EncodeRecord(*MakeRecord("A", 1)));
  ASSERT_TRUE(FillCache("A"));
  const uint64_t flushes = cache_->stats().flushes;
  ASSERT_TRUE(redis_->Cli({"CLIENT", "KILL", "TYPE", "pubsub"}).ok());
  EXPECT_TRUE(
      testing::Eventually([&] { return cache_->stats().flushes > flushes; }));
  EXPECT_FALSE(Cached("A"));
  EXPECT_TRUE(
      testing::Eventually([&] { return listener_->subscriptions() >= 2; }));
  ASSERT_TRUE(listener_->WaitUntilTracking(absl::Seconds(5)).ok());
  // Tracking redirects to the new connection: invalidations flow again.
  ASSERT_TRUE(FillCache("A"));
  Set("av:{1}:r:A", EncodeRecord(*MakeRecord("A", 2)));
  EXPECT_TRUE(
      testing::Eventually([&] { return !Cached("A"); }, absl::Seconds(2)));
}

TEST_F(InvalidationTest, KilledDataConnectionFlushesAndRecovers) {
  Set("av:{1}:r:A", EncodeRecord(*MakeRecord("A", 1)));
  ASSERT_TRUE(FillCache("A"));
  const uint64_t flushes = cache_->stats().flushes;
  ASSERT_TRUE(
      redis_->Cli({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}).ok());
  EXPECT_TRUE(
      testing::Eventually([&] { return cache_->stats().flushes > flushes; }));
  EXPECT_TRUE(testing::Eventually([&] { return listener_->tracking(); }));
  ASSERT_TRUE(FillCache("A")) << "dropped " << cache_->stats().puts_dropped
                              << " tracking " << cache_->tracking();
  Set("av:{1}:r:A", EncodeRecord(*MakeRecord("A", 3)));
  EXPECT_TRUE(
      testing::Eventually([&] { return !Cached("A"); }, absl::Seconds(2)));
}

TEST_F(InvalidationTest, FlushAllFlushes) {
  Set("av:{1}:r:A", EncodeRecord(*MakeRecord("A", 1)));
  ASSERT_TRUE(FillCache("A"));
  ASSERT_TRUE(redis_->Cli({"FLUSHALL"}).ok());
  EXPECT_TRUE(
      testing::Eventually([&] { return !Cached("A"); }, absl::Seconds(2)));
  EXPECT_GE(cache_->stats().flushes, 1u);
}

TEST_F(InvalidationTest, RedisRestartFlushes) {
  Set("av:{1}:r:A", EncodeRecord(*MakeRecord("A", 1)));
  ASSERT_TRUE(FillCache("A"));
  ASSERT_TRUE(redis_->Restart().ok());
  EXPECT_FALSE(Cached("A"));
  EXPECT_TRUE(testing::Eventually([&] { return listener_->tracking(); },
                                  absl::Seconds(10)));
}

TEST_F(InvalidationTest, FollowsTheDataClientsResolver) {
  // As with Sentinel: host and port are not used, the resolver is.
  InvalidationListener::Options o;
  o.redis.host = "unused.invalid";
  o.redis.port = 1;
  const int port = redis_->port();
  o.redis.resolve_endpoint = [port]() -> absl::StatusOr<RedisEndpoint> {
    return RedisEndpoint{"127.0.0.1", port};
  };
  listener_.reset();
  auto listener = InvalidationListener::Start(o, *client_, cache_.get(), {});
  ASSERT_TRUE(listener.ok()) << listener.status();
  listener_ = *std::move(listener);
  ASSERT_TRUE(listener_->WaitUntilTracking(absl::Seconds(5)).ok());
}

TEST_F(InvalidationTest, PausedRedisIsUnresponsiveThenRecovers) {
  redis_->Pause();
  EXPECT_TRUE(testing::Eventually([&] { return !cache_->redis_responsive(); }));
  EXPECT_FALSE(listener_->tracking());
  redis_->Resume();
  EXPECT_TRUE(testing::Eventually([&] { return cache_->redis_responsive(); },
                                  absl::Seconds(10)));
  EXPECT_TRUE(testing::Eventually([&] { return listener_->tracking(); },
                                  absl::Seconds(10)));
}

}  // namespace
}  // namespace availability::cache
