// End-to-end: a broken record in the cache (garbage bytes, or a key of
// another Redis type) harms only its own item. The real availability-server
// binary, a real redis-server, gRPC and /metrics over loopback.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "cache/key_schema.h"
#include "cache/record_codec.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/server_process.h"
#include "testing/server_test.h"

namespace availability {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::availability::v1;

constexpr int32_t kStock = 1;
constexpr int kDataLoss = 15;
constexpr int kBatch = 500;
constexpr char kGarbageKey[] = "av:{1}:r:GARBAGE";
constexpr char kHashKey[] = "av:{1}:r:HASH";
constexpr char kMetric[] = "availability_undecodable_records_total";

std::string Sku(int i) { return absl::StrCat("SKU-", i); }

class BrokenRecordE2ETest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartRedis());

    core::StoreConfig config;
    config.stock_id = kStock;
    client_->PutStoreConfig(config);
    std::vector<std::string> mset = {"MSET"};
    for (int i = 0; i < kBatch; ++i) {
      core::Record r;
      r.sku = Sku(i);
      r.stock_id = kStock;
      r.version = 1;
      r.source_qty = core::QtyFromUnits(10);
      mset.push_back(keys_.Record(kStock, r.sku));
      mset.push_back(cache::EncodeRecord(r));
    }
    client_->Expect(std::move(mset));
    client_->Expect({"SET", kGarbageKey, "\x01 garbage, not a record"});
    client_->Expect({"HSET", kHashKey, "qty", "5"});

    testing::ServerProcess::Options server_options;
    server_options.metrics = true;
    ASSERT_NO_FATAL_FAILURE(StartServer(std::move(server_options)));
    stub_ = server_->NewStub();
  }

  int64_t KeysLookedUp() {
    return client_->InfoField("stats", "keyspace_hits") +
           client_->InfoField("stats", "keyspace_misses");
  }

  grpc::Status Batch(const std::vector<std::string>& skus,
                     v1::BatchGetAvailabilityResponse* response) {
    v1::BatchGetAvailabilityRequest request;
    request.mutable_scope()->set_stock_id(kStock);
    for (const std::string& sku : skus) request.add_items()->set_sku(sku);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return stub_->BatchGetAvailability(&context, request, response);
  }

  cache::KeySchema keys_{"av"};
  std::unique_ptr<v1::Availability::Stub> stub_;
};

TEST_F(BrokenRecordE2ETest, BatchOf500AnswersAllButTheTwoBrokenRecords) {
  EXPECT_EQ(server_->MetricSample(kMetric), 0);
  // 498 good SKUs, the garbage record at position 123, the hash at 400.
  std::vector<std::string> skus;
  for (int i = 0; static_cast<int>(skus.size()) < kBatch; ++i) {
    if (skus.size() == 123) skus.push_back("GARBAGE");
    if (skus.size() == 400) skus.push_back("HASH");
    skus.push_back(Sku(i));
  }
  ASSERT_EQ(skus.size(), static_cast<size_t>(kBatch));

  for (int round = 1; round <= 2; ++round) {  // Redis, then the near-cache
    SCOPED_TRACE(round);
    v1::BatchGetAvailabilityResponse response;
    const grpc::Status status = Batch(skus, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.items_size(), kBatch);
    int answered = 0;
    for (int i = 0; i < kBatch; ++i) {
      const v1::ProductAvailability& item = response.items(i);
      EXPECT_EQ(item.sku(), skus[i]) << i;  // request order
      if (item.has_error()) continue;
      EXPECT_EQ(item.status(), v1::STATUS_IN_STOCK) << i;
      ++answered;
    }
    EXPECT_EQ(answered, kBatch - 2);
    const v1::ProductAvailability& garbage = response.items(123);
    ASSERT_TRUE(garbage.has_error());
    EXPECT_EQ(garbage.error().code(), kDataLoss);
    EXPECT_THAT(garbage.error().message(),
                HasSubstr(absl::StrCat("record \"", kGarbageKey,
                                       "\": not a valid stored record")));
    EXPECT_THAT(garbage.error().message(), HasSubstr("resync the SKU"));
    EXPECT_EQ(garbage.status(), v1::STATUS_UNSPECIFIED);
    const v1::ProductAvailability& hash = response.items(400);
    ASSERT_TRUE(hash.has_error());
    EXPECT_EQ(hash.error().code(), kDataLoss);
    EXPECT_THAT(hash.error().message(),
                HasSubstr(absl::StrCat("record \"", kHashKey,
                                       "\": holds a Redis hash")));
    // Counted at every read (broken records are not kept in the
    // near-cache: they are re-read until repaired).
    EXPECT_EQ(server_->MetricSample(kMetric), 2 * round);
  }

  // Logged once per key however often it is read, naming the key.
  const std::string log = server_->Stderr();
  for (const char* key : {kGarbageKey, kHashKey}) {
    const std::string field = absl::StrCat("\"key\":\"", key, "\"");
    size_t count = 0;
    for (size_t at = log.find(field); at != std::string::npos;
         at = log.find(field, at + 1)) {
      ++count;
    }
    EXPECT_EQ(count, 1u) << key << "\n" << log;
  }
}

TEST_F(BrokenRecordE2ETest, GetOfTheBrokenSkuIsDataLossNamingTheKey) {
  struct Case {
    const char* sku;
    const char* key;
    const char* what;
  };
  for (const Case& c : {Case{"GARBAGE", kGarbageKey, "resync the SKU"},
                        Case{"HASH", kHashKey, "delete the key"}}) {
    SCOPED_TRACE(c.sku);
    v1::GetAvailabilityRequest request;
    request.set_sku(c.sku);
    request.mutable_scope()->set_stock_id(kStock);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::ProductAvailability answer;
    const grpc::Status status =
        stub_->GetAvailability(&context, request, &answer);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_THAT(status.error_message(),
                HasSubstr(absl::StrCat("record \"", c.key, "\"")));
    EXPECT_THAT(status.error_message(), HasSubstr(c.what));
  }
  EXPECT_EQ(server_->MetricSample(kMetric), 2);
  // Its neighbours are fine.
  v1::GetAvailabilityRequest request;
  request.set_sku(Sku(7));
  request.mutable_scope()->set_stock_id(kStock);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::ProductAvailability answer;
  ASSERT_TRUE(stub_->GetAvailability(&context, request, &answer).ok());
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
}

TEST_F(BrokenRecordE2ETest, ABrokenAlternativeIsSkipped) {
  core::Record out;
  out.sku = "OUT";
  out.stock_id = kStock;
  out.version = 1;
  out.alternatives = {{"GARBAGE", core::Relation::kSubstitute},
                      {"HASH", core::Relation::kSubstitute},
                      {Sku(1), core::Relation::kRelated}};
  client_->PutRecord(out);
  v1::GetAvailabilityRequest request;
  request.set_sku("OUT");
  request.mutable_scope()->set_stock_id(kStock);
  request.set_max_alternatives(3);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::ProductAvailability answer;
  const grpc::Status status =
      stub_->GetAvailability(&context, request, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer.status(), v1::STATUS_OUT_OF_STOCK);
  ASSERT_EQ(answer.alternatives_size(), 1);
  EXPECT_EQ(answer.alternatives(0).sku(), Sku(1));
  EXPECT_EQ(server_->MetricSample(kMetric),
            1);  // GARBAGE; HASH reads as absent there
}

TEST_F(BrokenRecordE2ETest, ASkuNamedTwentyTimesIsReadOnce) {
  // Warm the config into the near-cache so both batches below read the
  // same way (the config GET rides along either way).
  v1::BatchGetAvailabilityResponse response;
  ASSERT_TRUE(Batch({Sku(0)}, &response).ok());

  client_->Expect({"CONFIG", "RESETSTAT"});
  ASSERT_TRUE(Batch({Sku(1)}, &response).ok());
  const int64_t keys_for_one = KeysLookedUp();
  ASSERT_GT(keys_for_one, 0);

  client_->Expect({"CONFIG", "RESETSTAT"});
  std::vector<std::string> twenty(20, Sku(2));
  response.Clear();
  ASSERT_TRUE(Batch(twenty, &response).ok());
  // The key read once: as many keys looked up as for one SKU (20 would
  // add 19 more to an MGET alone); one distinct SKU is read with a GET
  // beside the config's, not an MGET.
  EXPECT_EQ(KeysLookedUp(), keys_for_one);
  EXPECT_EQ(client_->InfoField("commandstats", "cmdstat_get"), 2);
  EXPECT_EQ(client_->InfoField("commandstats", "cmdstat_mget"), -1);
  ASSERT_EQ(response.items_size(), 20);
  for (const v1::ProductAvailability& item : response.items()) {
    EXPECT_EQ(item.sku(), Sku(2));
    EXPECT_FALSE(item.has_error());
    EXPECT_EQ(item.status(), v1::STATUS_IN_STOCK);
  }
}

}  // namespace
}  // namespace availability
