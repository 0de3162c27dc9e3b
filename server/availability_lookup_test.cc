// AvailabilityLookup and the storefront service in-process, against a real
// redis-server with the near-cache and invalidation listener: broken records
// answered per item, duplicate SKUs read once, broken candidates skipped.

#include "server/availability_lookup.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "base/log.h"
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
#include "server/availability_service.h"
#include "server/channel_resolver.h"
#include "server/watch_registry.h"
#include "testing/fake_clock.h"
#include "testing/in_process_server.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"

namespace availability::server {
using ::availability::base::LogLevel;
using ::availability::base::SetLogLevel;

namespace {

using ::testing::HasSubstr;

constexpr int32_t kStock = 1;
constexpr int kDataLoss = 15;

TEST(BrokenRecordLogTest, CountsEveryReadAndLogsAKeyOncePerInterval) {
  testing::FakeClock clock(absl::FromUnixSeconds(1700000000));
  BrokenRecordLog log(clock, absl::Minutes(1));
  const absl::Status error = absl::DataLossError("broken");
  EXPECT_TRUE(log.Report("av:{1}:r:A", error));
  EXPECT_FALSE(log.Report("av:{1}:r:A", error));
  EXPECT_TRUE(log.Report("av:{1}:r:B", error));  // another key: its own line
  clock.Advance(absl::Seconds(59));
  EXPECT_FALSE(log.Report("av:{1}:r:A", error));
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(log.Report("av:{1}:r:A", error));
  EXPECT_EQ(log.count(), 5u);
}

TEST(BrokenRecordLogTest, StaysBoundedUnderManyKeys) {
  testing::FakeClock clock(absl::FromUnixSeconds(1700000000));
  BrokenRecordLog log(clock, absl::Minutes(1));
  const absl::Status error = absl::DataLossError("broken");
  SetLogLevel(LogLevel::kError);  // not 12k warning lines
  for (size_t i = 0; i < 3 * BrokenRecordLog::kMaxKeys; ++i) {
    clock.Advance(absl::Milliseconds(1));
    EXPECT_TRUE(log.Report(absl::StrCat("k", i), error)) << i;
  }
  // The latest keys are still remembered.
  EXPECT_FALSE(
      log.Report(absl::StrCat("k", 3 * BrokenRecordLog::kMaxKeys - 1), error));
  SetLogLevel(LogLevel::kInfo);
  EXPECT_EQ(log.count(), 3 * BrokenRecordLog::kMaxKeys + 1);
}

class LookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    cache::RedisOptions options;
    options.port = redis_->port();
    auto client = testing::SyncRedisClient::Connect(options);
    ASSERT_TRUE(client.ok()) << client.status();
    sync_client_ = *std::move(client);
    client_ = &sync_client_->client();

    core::StoreConfig config;
    config.stock_id = kStock;
    config.handling_days = 1;
    sync_client_->PutStoreConfig(config);

    store_ = std::make_unique<cache::RecordStore>(*client_, keys_);
    channels_ = std::make_unique<ChannelResolver>(ChannelResolver::Options{},
                                                  *store_, clock_);
    near_cache_ = std::make_unique<cache::NearCache>(cache::NearCacheOptions{},
                                                     keys_, clock_);
    registry_ = std::make_unique<WatchRegistry>(keys_);
    cache::InvalidationListener::Options listener_options;
    listener_options.redis = options;
    cache::InvalidationListener::Observer observer;
    observer.on_keys = [this](const std::vector<std::string>& keys) {
      registry_->OnKeys(keys);
    };
    observer.on_all = [this] { registry_->OnAll(); };
    listener_ = *cache::InvalidationListener::Start(
        listener_options, *client_, near_cache_.get(), observer);
    ASSERT_TRUE(listener_->WaitUntilTracking(absl::Seconds(5)).ok());
    lookup_ = std::make_unique<AvailabilityLookup>(*store_, *channels_, clock_,
                                                   near_cache_.get());
    service_ = std::make_unique<AvailabilityService>(
        AvailabilityService::Options{}, *lookup_, nullptr, clock_,
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

  void Put(core::Record r) {
    r.stock_id = kStock;
    if (r.version == 0) r.version = 1;
    sync_client_->PutRecord(r);
  }
  void Put(const std::string& sku, int64_t qty) {
    core::Record r;
    r.sku = sku;
    r.source_qty = core::QtyFromUnits(qty);
    Put(r);
  }
  // Garbage bytes at SKU's record key, and a hash at another's.
  void Break(const std::string& garbage_sku, const std::string& hash_sku) {
    sync_client_->Expect(
        {"SET", keys_.Record(kStock, garbage_sku), "not a record"});
    sync_client_->Expect({"HSET", keys_.Record(kStock, hash_sku), "qty", "5"});
  }
  // keyspace_hits + keyspace_misses of INFO stats: keys Redis looked up.
  int64_t KeysLookedUp() {
    const int64_t hits = sync_client_->InfoField("stats", "keyspace_hits");
    const int64_t misses = sync_client_->InfoField("stats", "keyspace_misses");
    EXPECT_GE(hits, 0);
    EXPECT_GE(misses, 0);
    return hits + misses;
  }

  // Calls of one Redis command (lower case) since the last CONFIG
  // RESETSTAT, from INFO commandstats.
  int64_t CommandCalls(const std::string& command) {
    const std::string info = sync_client_->Run({"INFO", "commandstats"})->str;
    const std::string field = absl::StrCat("cmdstat_", command, ":calls=");
    const size_t at = info.find(field);
    if (at == std::string::npos) return 0;
    const size_t from = at + field.size();
    int64_t value = -1;
    EXPECT_TRUE(absl::SimpleAtoi(info.substr(from, info.find(',', from) - from),
                                 &value));
    return value;
  }
  // Until the near-cache has seen `n` invalidations since start: the
  // writes' invalidations are all in (a late one would drop the
  // near-cache's copy of a record read before it).
  void WaitForInvalidations(uint64_t n) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (near_cache_->stats().invalidations < n && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_GE(near_cache_->stats().invalidations, n);
  }
  void PutComposite(const std::string& sku, core::ProductType type,
                    std::vector<std::string> components) {
    core::Record r;
    r.sku = sku;
    r.product_type = type;
    r.components = std::move(components);
    Put(r);
  }

  absl::StatusOr<AvailabilityLookup::Answers> Lookup(ValidatedQuery query) {
    if (query.scope.stock_id == 0) query.scope.stock_id = kStock;
    absl::Notification done;
    absl::StatusOr<AvailabilityLookup::Answers> result;
    lookup_->Run(std::move(query), absl::Now() + absl::Seconds(5),
                 [&](absl::StatusOr<AvailabilityLookup::Answers> answers) {
                   result = std::move(answers);
                   done.Notify();
                 });
    done.WaitForNotification();
    return result;
  }
  static ValidatedQuery Query(std::vector<std::string> skus) {
    ValidatedQuery query;
    for (std::string& sku : skus) query.items.push_back({std::move(sku), {}});
    return query;
  }

  testing::FakeClock clock_{absl::Now()};
  cache::KeySchema keys_{"av"};
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::SyncRedisClient> sync_client_;
  cache::RedisClient* client_ = nullptr;
  std::unique_ptr<cache::RecordStore> store_;
  std::unique_ptr<ChannelResolver> channels_;
  std::unique_ptr<cache::NearCache> near_cache_;
  std::unique_ptr<WatchRegistry> registry_;
  std::unique_ptr<cache::InvalidationListener> listener_;
  std::unique_ptr<AvailabilityLookup> lookup_;
  std::unique_ptr<AvailabilityService> service_;
  std::unique_ptr<testing::InProcessServer> server_;
  std::unique_ptr<v1::Availability::Stub> stub_;
};

TEST_F(LookupTest, BrokenRecordsAreItemErrorsAndEveryOtherItemIsAnswered) {
  Put("A", 10);
  Put("B", 0);
  Break("GARBAGE", "HASH");
  for (int round = 0; round < 2; ++round) {  // Redis, then near-cache hits
    SCOPED_TRACE(round);
    auto answers =
        Lookup(Query({"A", "GARBAGE", "NOPE", "HASH", "B", "GARBAGE"}));
    ASSERT_TRUE(answers.ok()) << answers.status();
    ASSERT_EQ(answers->size(), 6);
    const std::vector<std::string> skus = {"A",    "GARBAGE", "NOPE",
                                           "HASH", "B",       "GARBAGE"};
    for (int i = 0; i < 6; ++i) EXPECT_EQ((*answers)[i].sku(), skus[i]);
    EXPECT_EQ((*answers)[0].status(), v1::STATUS_IN_STOCK);
    EXPECT_FALSE((*answers)[0].has_error());
    EXPECT_EQ((*answers)[2].status(), v1::STATUS_UNKNOWN);
    EXPECT_EQ((*answers)[4].status(), v1::STATUS_OUT_OF_STOCK);
    for (int i : {1, 5}) {
      const v1::ProductAvailability& broken = (*answers)[i];
      ASSERT_TRUE(broken.has_error()) << i;
      EXPECT_EQ(broken.error().code(), kDataLoss);
      EXPECT_THAT(broken.error().message(),
                  HasSubstr("record \"av:{1}:r:GARBAGE\": not a valid stored "
                            "record ("));
      EXPECT_THAT(broken.error().message(), HasSubstr("resync the SKU"));
      // Nothing but the SKU and the error.
      EXPECT_EQ(broken.status(), v1::STATUS_UNSPECIFIED);
      EXPECT_FALSE(broken.has_freshness());
      EXPECT_FALSE(broken.has_feed());
    }
    ASSERT_TRUE((*answers)[3].has_error());
    EXPECT_EQ((*answers)[3].error().code(), kDataLoss);
    EXPECT_THAT((*answers)[3].error().message(),
                HasSubstr("record \"av:{1}:r:HASH\": holds a Redis hash"));
  }
  // Each round read each broken key once (GARBAGE twice in the batch).
  EXPECT_EQ(lookup_->undecodable_records(), 4u);
}

TEST_F(LookupTest, ARepairedRecordAnswersAgain) {
  Break("GARBAGE", "HASH");
  auto broken = Lookup(Query({"GARBAGE"}));
  ASSERT_TRUE(broken.ok()) << broken.status();
  ASSERT_TRUE((*broken)[0].has_error());
  Put("GARBAGE", 4);  // the resync
  auto repaired = Lookup(Query({"GARBAGE"}));
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_FALSE((*repaired)[0].has_error());
  EXPECT_EQ((*repaired)[0].status(), v1::STATUS_IN_STOCK);
}

TEST_F(LookupTest, ASkuNamedTwentyTimesIsReadOnceAndAnsweredTwenty) {
  Put("ONE", 10);
  Put("TWENTY", 10);
  // A batch naming a SKU once, then a batch naming another one 20 times:
  // Redis looks up as many keys for each, and the near-cache counts one
  // miss for the record (plus one for the config on the first call).
  sync_client_->Expect({"CONFIG", "RESETSTAT"});
  const uint64_t misses_before = near_cache_->stats().misses;
  ASSERT_TRUE(Lookup(Query({"ONE"})).ok());
  const int64_t keys_for_one = KeysLookedUp();
  const uint64_t misses_for_one = near_cache_->stats().misses - misses_before;
  ASSERT_GT(keys_for_one, 0);

  sync_client_->Expect({"CONFIG", "RESETSTAT"});
  const uint64_t misses_before_twenty = near_cache_->stats().misses;
  ValidatedQuery query;
  for (int i = 1; i <= 20; ++i) {
    query.items.push_back({"TWENTY", core::QtyFromUnits(i)});
  }
  auto answers = Lookup(std::move(query));
  ASSERT_TRUE(answers.ok()) << answers.status();
  // The config was a near-cache hit this time: the config GET is still
  // sent (it rides along), so Redis looked up as many keys as for ONE.
  EXPECT_EQ(KeysLookedUp(), keys_for_one);
  EXPECT_EQ(near_cache_->stats().misses - misses_before_twenty,
            misses_for_one - 1);
  ASSERT_EQ(answers->size(), 20);
  for (int i = 0; i < 20; ++i) {
    const v1::ProductAvailability& a = (*answers)[i];
    EXPECT_EQ(a.sku(), "TWENTY");
    // Each item is decided with its own quantity: 10 of them can be had.
    EXPECT_EQ(a.split().requested_quantity(), i + 1) << i;
    EXPECT_EQ(a.split().unavailable_quantity(), i + 1 > 10 ? i + 1 - 10 : 0)
        << i;
  }
}

TEST_F(LookupTest, ABrokenCandidateIsSkippedFromAlternatives) {
  core::Record out;
  out.sku = "OUT";
  out.alternatives = {{"GARBAGE", core::Relation::kSubstitute},
                      {"HASH", core::Relation::kSubstitute},
                      {"GOOD", core::Relation::kRelated}};
  out.category_ids = {10};
  Put(out);
  Put("GOOD", 5);
  Put("RANKED", 5);
  Break("GARBAGE", "HASH");
  sync_client_->Expect({"RPUSH", keys_.CategoryRanking(kStock, 10), "GARBAGE",
                        "HASH", "RANKED"});
  ValidatedQuery query = Query({"OUT"});
  query.max_alternatives = 5;
  auto answers = Lookup(std::move(query));
  ASSERT_TRUE(answers.ok()) << answers.status();
  const v1::ProductAvailability& answer = (*answers)[0];
  EXPECT_FALSE(answer.has_error());
  EXPECT_EQ(answer.status(), v1::STATUS_OUT_OF_STOCK);
  std::vector<std::string> alternatives;
  for (const v1::Alternative& a : answer.alternatives()) {
    alternatives.push_back(a.sku());
  }
  EXPECT_THAT(alternatives, ::testing::ElementsAre("GOOD", "RANKED"));
  // GARBAGE counted as a named and as a ranked candidate.
  EXPECT_EQ(lookup_->undecodable_records(), 2u);
}

TEST_F(LookupTest, GetOfABrokenRecordIsDataLossNamingTheKey) {
  Break("GARBAGE", "HASH");
  for (const char* sku : {"GARBAGE", "HASH"}) {
    v1::GetAvailabilityRequest request;
    request.set_sku(sku);
    request.mutable_scope()->set_stock_id(kStock);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::ProductAvailability answer;
    const grpc::Status status =
        stub_->GetAvailability(&context, request, &answer);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS) << sku;
    EXPECT_THAT(status.error_message(),
                HasSubstr(absl::StrCat("record \"av:{1}:r:", sku, "\"")));
  }
}

TEST_F(LookupTest, WatchAnswersABrokenRecordAsAnItemError) {
  Put("A", 3);
  Break("GARBAGE", "HASH");
  v1::WatchAvailabilityRequest request;
  request.add_skus("GARBAGE");
  request.add_skus("A");
  request.mutable_scope()->set_stock_id(kStock);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  auto reader = stub_->WatchAvailability(&context, request);
  v1::ProductAvailability answer;
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "GARBAGE");
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().code(), kDataLoss);
  EXPECT_THAT(answer.error().message(), HasSubstr("av:{1}:r:GARBAGE"));
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "A");
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  // The resync repairs it on the open stream.
  Put("GARBAGE", 7);
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "GARBAGE");
  EXPECT_FALSE(answer.has_error());
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  context.TryCancel();
}

// docs/domain.md §10 on the read path.

TEST_F(LookupTest, AListingOfFiftyConfigurablesTakesOneMoreRoundTrip) {
  std::vector<std::string> plain;
  std::vector<std::string> parents;
  for (int p = 0; p < 50; ++p) {
    plain.push_back(absl::StrCat("PLAIN-", p));
    Put(plain.back(), p % 3);
    std::vector<std::string> variants;
    for (int v = 0; v < 6; ++v) {
      variants.push_back(absl::StrCat("P", p, "-V", v));
      // Parent p is in stock through its variant p % 7 (none for 6).
      Put(variants.back(), v == p % 7 ? 2 : 0);
    }
    parents.push_back(absl::StrCat("P", p));
    PutComposite(parents.back(), core::ProductType::kConfigurable, variants);
  }
  WaitForInvalidations(50 * 8);
  sync_client_->Expect({"CONFIG", "RESETSTAT"});
  ASSERT_TRUE(Lookup(Query(plain)).ok());
  EXPECT_EQ(CommandCalls("mget"), 1);

  sync_client_->Expect({"CONFIG", "RESETSTAT"});
  auto answers = Lookup(Query(parents));
  ASSERT_TRUE(answers.ok()) << answers.status();
  // One pipeline for the parents, one for all 300 variants.
  EXPECT_EQ(CommandCalls("mget"), 2);
  EXPECT_EQ(CommandCalls("get"), 2);
  ASSERT_EQ(answers->size(), 50);
  for (int p = 0; p < 50; ++p) {
    const v1::ProductAvailability& a = (*answers)[p];
    EXPECT_EQ(a.product_type(), v1::PRODUCT_TYPE_CONFIGURABLE);
    ASSERT_EQ(a.components_size(), 6) << p;
    EXPECT_EQ(a.status(),
              p % 7 == 6 ? v1::STATUS_OUT_OF_STOCK : v1::STATUS_IN_STOCK)
        << p;
    EXPECT_EQ(a.display_status(), a.status());
  }

  // Parents and variants are near-cache hits now: no round trip.
  sync_client_->Expect({"CONFIG", "RESETSTAT"});
  ASSERT_TRUE(Lookup(Query(parents)).ok());
  EXPECT_EQ(CommandCalls("mget"), 0);
}

TEST_F(LookupTest, ComponentsNamedInTheBatchAreNotReadAgain) {
  Put("V1", 0);
  Put("V2", 3);
  PutComposite("PARENT", core::ProductType::kGrouped, {"V1", "V2"});
  sync_client_->Expect({"CONFIG", "RESETSTAT"});
  auto answers = Lookup(Query({"V1", "PARENT", "V2"}));
  ASSERT_TRUE(answers.ok()) << answers.status();
  EXPECT_EQ(CommandCalls("mget"), 1);
  EXPECT_EQ((*answers)[1].status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ((*answers)[1].product_type(), v1::PRODUCT_TYPE_GROUPED);
  EXPECT_EQ((*answers)[0].product_type(), v1::PRODUCT_TYPE_SIMPLE);
}

TEST_F(LookupTest, AConfigurableAnswersFromItsVariants) {
  Put("S", 0);
  core::Record m;
  m.sku = "M";
  m.backorders = core::Backorders::kYes;
  const absl::CivilDay today =
      absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone());
  m.inbound.push_back({today + 10, core::QtyFromUnits(50)});
  Put(m);
  Put("L", 2);
  PutComposite("SHIRT", core::ProductType::kConfigurable,
               {"S", "M", "L", "GONE"});

  ValidatedQuery query = Query({"SHIRT", "SHIRT"});
  query.items[1].quantity = core::QtyFromUnits(5);
  auto answers = Lookup(std::move(query));
  ASSERT_TRUE(answers.ok()) << answers.status();
  const v1::ProductAvailability& display = (*answers)[0];
  EXPECT_EQ(display.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(display.feed().merchant_availability(), "in_stock");
  EXPECT_FALSE(display.has_salable_quantity());
  EXPECT_FALSE(display.has_only_x_left());
  ASSERT_EQ(display.components_size(), 4);
  EXPECT_EQ(display.components(0).sku(), "S");
  EXPECT_EQ(display.components(0).status(), v1::STATUS_OUT_OF_STOCK);
  EXPECT_EQ(display.components(1).status(), v1::STATUS_BACKORDERABLE);
  // docs/domain.md §4: handling_days = 1 after the receipt.
  EXPECT_EQ(display.components(1).first_ship_date().day(), (today + 11).day());
  EXPECT_EQ(display.components(2).status(), v1::STATUS_IN_STOCK);
  EXPECT_TRUE(display.components(2).orderable());
  EXPECT_EQ(display.components(3).status(), v1::STATUS_UNKNOWN);
  EXPECT_FALSE(display.components(0).has_bundle_option());

  // Five: no variant has five in stock, M can backorder them; the badge
  // stays in stock.
  const v1::ProductAvailability& five = (*answers)[1];
  EXPECT_EQ(five.status(), v1::STATUS_BACKORDERABLE);
  EXPECT_EQ(five.display_status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(five.feed().merchant_availability(), "in_stock");
  EXPECT_EQ(five.split().backorder_quantity(), 5);
  EXPECT_EQ(five.components(2).status(), v1::STATUS_OUT_OF_STOCK);
  EXPECT_EQ(five.components(2).display_status(), v1::STATUS_IN_STOCK);

  // GetAvailability answers a parent too.
  v1::GetAvailabilityRequest request;
  request.set_sku("SHIRT");
  request.mutable_scope()->set_stock_id(kStock);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::ProductAvailability got;
  ASSERT_TRUE(stub_->GetAvailability(&context, request, &got).ok());
  EXPECT_EQ(got.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(got.components_size(), 4);
}

TEST_F(LookupTest, ABundleListsTheSelectionServingEachOption) {
  Put("CPU-A", 0);
  Put("CPU-B", 4);
  Put("RAM", 3);
  core::Record bundle;
  bundle.sku = "PC";
  bundle.product_type = core::ProductType::kBundle;
  bundle.bundle_options = {
      {true,
       {{"CPU-A", core::QtyFromUnits(1)}, {"CPU-B", core::QtyFromUnits(1)}}},
      {true, {{"RAM", core::QtyFromUnits(2)}}}};
  Put(bundle);
  ValidatedQuery query = Query({"PC", "PC"});
  query.items[1].quantity = core::QtyFromUnits(2);  // needs 4 RAM
  auto answers = Lookup(std::move(query));
  ASSERT_TRUE(answers.ok()) << answers.status();
  const v1::ProductAvailability& one = (*answers)[0];
  EXPECT_EQ(one.product_type(), v1::PRODUCT_TYPE_BUNDLE);
  EXPECT_EQ(one.status(), v1::STATUS_IN_STOCK);
  ASSERT_EQ(one.components_size(), 2);
  EXPECT_EQ(one.components(0).sku(), "CPU-B");
  EXPECT_EQ(one.components(0).bundle_option(), 0);
  EXPECT_TRUE(one.components(0).option_required());
  EXPECT_EQ(one.components(1).sku(), "RAM");
  EXPECT_EQ(one.components(1).bundle_option(), 1);
  EXPECT_EQ(one.components(1).requested_quantity(), 2);
  const v1::ProductAvailability& two = (*answers)[1];
  EXPECT_EQ(two.status(), v1::STATUS_OUT_OF_STOCK);
  EXPECT_EQ(two.display_status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(two.components(1).requested_quantity(), 4);
}

TEST_F(LookupTest, AVariantsChangeWakesTheWatcherOfItsParent) {
  Put("V1", 0);
  Put("V2", 0);
  PutComposite("PARENT", core::ProductType::kConfigurable, {"V1", "V2"});
  v1::WatchAvailabilityRequest request;
  request.add_skus("PARENT");
  request.mutable_scope()->set_stock_id(kStock);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  auto reader = stub_->WatchAvailability(&context, request);
  v1::ProductAvailability answer;
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "PARENT");
  EXPECT_EQ(answer.status(), v1::STATUS_OUT_OF_STOCK);
  // Only a variant's record changes: the parent's answer follows.
  Put("V2", 4);
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "PARENT");
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(answer.components(1).status(), v1::STATUS_IN_STOCK);
  // A variant added to the parent is watched from then on.
  Put("V3", 0);
  PutComposite("PARENT", core::ProductType::kConfigurable, {"V1", "V3"});
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.status(), v1::STATUS_OUT_OF_STOCK);
  Put("V3", 1);
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(answer.components(1).sku(), "V3");
  context.TryCancel();
}

TEST_F(LookupTest, WhileRedisIsDownAParentAnswersStaleWithItsVariants) {
  Put("V1", 2);
  PutComposite("PARENT", core::ProductType::kConfigurable, {"V1", "GONE"});
  WaitForInvalidations(2);
  ASSERT_TRUE(Lookup(Query({"PARENT"})).ok());  // all held in memory now
  redis_->Kill();
  absl::StatusOr<AvailabilityLookup::Answers> answers;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  do {
    answers = Lookup(Query({"PARENT"}));
  } while ((!answers.ok() || !(*answers)[0].freshness().stale()) &&
           absl::Now() < give_up);
  ASSERT_TRUE(answers.ok()) << answers.status();
  const v1::ProductAvailability& a = (*answers)[0];
  EXPECT_TRUE(a.freshness().stale());
  EXPECT_EQ(a.status(), v1::STATUS_IN_STOCK);
  ASSERT_EQ(a.components_size(), 2);
  EXPECT_EQ(a.components(1).status(), v1::STATUS_UNKNOWN);
  // An item not held in memory still fails the call.
  EXPECT_EQ(Lookup(Query({"V1", "NEVER-READ"})).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(LookupTest, RedisDownStillFailsTheWholeBatch) {
  Put("A", 3);
  Break("GARBAGE", "HASH");
  // Without the near-cache the read is sent (no stale answers either).
  AvailabilityLookup lookup(*store_, *channels_, clock_, nullptr);
  redis_->Kill();
  ValidatedQuery query = Query({"A", "GARBAGE"});
  query.scope.stock_id = kStock;
  absl::Notification done;
  absl::StatusOr<AvailabilityLookup::Answers> answers;
  lookup.Run(std::move(query), absl::Now() + absl::Seconds(5),
             [&](absl::StatusOr<AvailabilityLookup::Answers> a) {
               answers = std::move(a);
               done.Notify();
             });
  done.WaitForNotification();
  EXPECT_EQ(answers.status().code(), absl::StatusCode::kUnavailable)
      << answers.status();
}

}  // namespace
}  // namespace availability::server
