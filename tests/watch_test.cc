// WatchAvailability in-process: the real service with the real RedisClient,
// RecordStore, NearCache and InvalidationListener against a real
// redis-server, a fake clock (for the store's midnight), served on a
// loopback port-0 gRPC server.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "cache/invalidation_listener.h"
#include "cache/key_schema.h"
#include "cache/near_cache.h"
#include "cache/record_codec.h"
#include "cache/record_store.h"
#include "cache/redis_client.h"
#include "core/clock.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/availability_lookup.h"
#include "server/availability_service.h"
#include "server/channel_resolver.h"
#include "server/watch_registry.h"
#include "testing/eventually.h"
#include "testing/fake_clock.h"
#include "testing/in_process_server.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;
using ::testing::HasSubstr;

constexpr int32_t kStock = 1;

class WatchTest : public ::testing::Test {
 protected:
  // 23:59:59.95 UTC on the store's day: the midnight alarm fires (and,
  // finding the fake clock still before midnight, re-arms) before the
  // midnight test moves the clock.
  WatchTest()
      : today_(2024, 3, 14),
        clock_(absl::FromCivil(absl::CivilSecond(2024, 3, 14, 23, 59, 59),
                               absl::UTCTimeZone()) +
               absl::Milliseconds(950)) {}

  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    cache::RedisOptions options;
    options.port = redis_->port();
    auto redis_client = testing::SyncRedisClient::Connect(options);
    ASSERT_TRUE(redis_client.ok()) << redis_client.status();
    redis_client_ = *std::move(redis_client);
    cache::RedisClient& client = redis_client_->client();

    core::StoreConfig config;
    config.stock_id = kStock;
    config.handling_days = 1;
    redis_client_->PutStoreConfig(config);
    Put("A", 1, 10);

    store_ = std::make_unique<cache::RecordStore>(client, keys_);
    channels_ = std::make_unique<server::ChannelResolver>(
        server::ChannelResolver::Options{}, *store_, clock_);
    near_cache_ = std::make_unique<cache::NearCache>(cache::NearCacheOptions{},
                                                     keys_, clock_);
    registry_ = std::make_unique<server::WatchRegistry>(keys_);
    cache::InvalidationListener::Options listener_options;
    listener_options.redis = options;
    cache::InvalidationListener::Observer observer;
    observer.on_keys = [this](const std::vector<std::string>& keys) {
      registry_->OnKeys(keys);
    };
    observer.on_all = [this] { registry_->OnAll(); };
    listener_ = *cache::InvalidationListener::Start(
        listener_options, client, near_cache_.get(), observer);
    ASSERT_TRUE(listener_->WaitUntilTracking(absl::Seconds(5)).ok());
    lookup_ = std::make_unique<server::AvailabilityLookup>(
        *store_, *channels_, clock_, near_cache_.get());
    service_ = std::make_unique<server::AvailabilityService>(
        server::AvailabilityService::Options{}, *lookup_, nullptr, clock_,
        registry_.get());

    auto server = testing::InProcessServer::Start({service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::Availability::NewStub(server_->Channel());
  }

  void TearDown() override {
    server_.reset();
    listener_.reset();
  }

  std::string Encoded(const std::string& sku, int64_t version, int64_t qty) {
    core::Record r;
    r.sku = sku;
    r.stock_id = kStock;
    r.version = version;
    r.source_qty = core::QtyFromUnits(qty);
    return cache::EncodeRecord(r);
  }
  void Put(const std::string& sku, int64_t version, int64_t qty) {
    redis_client_->Expect(
        {"SET", keys_.Record(kStock, sku), Encoded(sku, version, qty)});
  }

  std::unique_ptr<grpc::ClientReader<v1::ProductAvailability>> Watch(
      grpc::ClientContext* context, std::vector<std::string> skus) {
    v1::WatchAvailabilityRequest request;
    for (auto& sku : skus) request.add_skus(sku);
    request.mutable_scope()->set_stock_id(kStock);
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub_->WatchAvailability(context, request);
  }

  absl::CivilDay today_;
  testing::FakeClock clock_;
  cache::KeySchema keys_{"av"};
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::SyncRedisClient> redis_client_;
  std::unique_ptr<cache::RecordStore> store_;
  std::unique_ptr<server::ChannelResolver> channels_;
  std::unique_ptr<cache::NearCache> near_cache_;
  std::unique_ptr<server::WatchRegistry> registry_;
  std::unique_ptr<cache::InvalidationListener> listener_;
  std::unique_ptr<server::AvailabilityLookup> lookup_;
  std::unique_ptr<server::AvailabilityService> service_;
  std::unique_ptr<testing::InProcessServer> server_;
  std::unique_ptr<v1::Availability::Stub> stub_;
};

TEST_F(WatchTest, InitialAnswersThenAChangeAfterAWrite) {
  clock_.Set(clock_.Now() - absl::Hours(12));  // midnight far away
  grpc::ClientContext context;
  auto reader = Watch(&context, {"A", "NOPE"});
  v1::ProductAvailability answer;
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "A");
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(answer.freshness().version(), 1);
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "NOPE");
  EXPECT_EQ(answer.status(), v1::STATUS_UNKNOWN);

  Put("A", 2, 0);
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "A");
  EXPECT_EQ(answer.freshness().version(), 2);
  EXPECT_EQ(answer.status(), v1::STATUS_OUT_OF_STOCK);

  // An unknown SKU that appears is announced too.
  Put("NOPE", 1, 3);
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "NOPE");
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);

  context.TryCancel();
  EXPECT_FALSE(reader->Read(&answer));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(testing::Eventually([&] { return registry_->size() == 0; }))
      << "the call unregisters when it ends";
}

TEST_F(WatchTest, DatesMoveAtTheStoresMidnight) {
  // A pre-order released tomorrow (store time): its answer changes when
  // the store's day turns, with no write at all.
  core::Record r;
  r.sku = "P";
  r.stock_id = kStock;
  r.version = 1;
  r.source_qty = core::QtyFromUnits(5);
  r.lifecycle = core::Lifecycle::kPreorder;
  r.release_date = today_ + 1;
  redis_client_->PutRecord(r);
  grpc::ClientContext context;
  auto reader = Watch(&context, {"P"});
  v1::ProductAvailability before;
  ASSERT_TRUE(reader->Read(&before));
  EXPECT_EQ(before.status(), v1::STATUS_PREORDER);
  // The store's day turns (the alarm fires within half a second of real
  // time and finds the fake clock past midnight).
  clock_.Set(absl::FromCivil(absl::CivilSecond(2024, 3, 15, 0, 0, 1),
                             absl::UTCTimeZone()));
  v1::ProductAvailability after;
  ASSERT_TRUE(reader->Read(&after));
  EXPECT_EQ(after.sku(), "P");
  EXPECT_NE(after.status(), v1::STATUS_PREORDER);
  EXPECT_NE(before.SerializeAsString(), after.SerializeAsString())
      << before.ShortDebugString() << "\n"
      << after.ShortDebugString();
  context.TryCancel();
  reader->Finish();
}

TEST_F(WatchTest, ASlowReaderGetsTheLatestAnswerNotABacklog) {
  clock_.Set(clock_.Now() - absl::Hours(12));
  grpc::ClientContext context;
  auto reader = Watch(&context, {"A"});
  v1::ProductAvailability answer;
  ASSERT_TRUE(reader->Read(&answer));
  // 100 updates while the client reads nothing, each a different answer.
  absl::Mutex mu;
  int acked = 0;
  for (int v = 2; v <= 101; ++v) {
    redis_client_->client().Execute(
        {"SET", keys_.Record(kStock, "A"), Encoded("A", v, v)},
        absl::Now() + absl::Seconds(5),
        [&](absl::StatusOr<cache::RedisReply> r) {
          EXPECT_TRUE(r.ok());
          absl::MutexLock lock(&mu);
          ++acked;
        });
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n == 100; }, &acked));
  }
  int messages = 0;
  do {
    ASSERT_TRUE(reader->Read(&answer)) << "after " << messages;
    ++messages;
  } while (answer.freshness().version() != 101);
  std::printf("slow reader: %d messages for 100 updates\n", messages);
  EXPECT_LT(messages, 50);
  EXPECT_EQ(answer.freshness().version(), 101);
  context.TryCancel();
  reader->Finish();
}

TEST_F(WatchTest, InvalidRequestsAreRejected) {
  {
    grpc::ClientContext context;
    auto reader = Watch(&context, {"A", "A"});
    v1::ProductAvailability answer;
    EXPECT_FALSE(reader->Read(&answer));
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("skus[1]: duplicate"));
  }
  {
    grpc::ClientContext context;
    auto reader = Watch(&context, {});
    v1::ProductAvailability answer;
    EXPECT_FALSE(reader->Read(&answer));
    EXPECT_EQ(reader->Finish().error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    std::vector<std::string> many;
    for (int i = 0; i < 1001; ++i) many.push_back(absl::StrCat("S", i));
    grpc::ClientContext context;
    auto reader = Watch(&context, many);
    v1::ProductAvailability answer;
    EXPECT_FALSE(reader->Read(&answer));
    EXPECT_EQ(reader->Finish().error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_F(WatchTest, AThousandSkusGetTheirFirstAnswers) {
  clock_.Set(clock_.Now() - absl::Hours(12));
  std::vector<std::string> skus;
  for (int i = 0; i < 1000; ++i) skus.push_back(absl::StrCat("S", i));
  grpc::ClientContext context;
  auto reader = Watch(&context, skus);
  v1::ProductAvailability answer;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(reader->Read(&answer)) << i;
    EXPECT_EQ(answer.sku(), skus[i]);
  }
  context.TryCancel();
  reader->Finish();
}

}  // namespace
}  // namespace availability
