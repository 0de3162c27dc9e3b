#include "cache/record_store.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cache/record_codec.h"
#include "cache/script_sha1.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::RedisServer;
using ::availability::testing::StatusIs;
using ::availability::testing::SyncRedisClient;
using ::availability::testing::Waiter;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

core::Record MakeRecord(int32_t stock, std::string sku, int64_t units) {
  core::Record r;
  r.sku = std::move(sku);
  r.stock_id = stock;
  r.version = 7;
  r.source_qty = core::QtyFromUnits(units);
  r.category_ids = {10};
  return r;
}

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    auto client = SyncRedisClient::Connect(server_->port(), kWait);
    ASSERT_THAT(client, IsOk());
    sync_client_ = *std::move(client);
    client_ = &sync_client_->client();
    store_ = std::make_unique<RecordStore>(*client_, KeySchema("t"));
  }

  absl::StatusOr<RedisReply> RunCommand(std::vector<std::string> argv) {
    return sync_client_->Run(std::move(argv));
  }
  void Put(const core::Record& r) {
    ASSERT_THAT(RunCommand({"SET", store_->keys().Record(r.stock_id, r.sku),
                            EncodeRecord(r)}),
                IsOk());
  }
  void Rank(int32_t stock, int64_t category, std::vector<std::string> skus) {
    std::vector<std::string> argv = {
        "RPUSH", store_->keys().CategoryRanking(stock, category)};
    argv.insert(argv.end(), skus.begin(), skus.end());
    ASSERT_THAT(RunCommand(std::move(argv)), IsOk());
  }
  int64_t CommandCalls(absl::string_view command) {
    auto info = RunCommand({"INFO", "commandstats"});
    if (!info.ok()) return -1;
    const std::string needle = absl::StrCat("cmdstat_", command, ":calls=");
    const size_t at = info->str.find(needle);
    if (at == std::string::npos) return 0;
    return std::stoll(info->str.substr(at + needle.size()));
  }
  static absl::Time Deadline() { return absl::Now() + absl::Seconds(2); }

  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<SyncRedisClient> sync_client_;
  RedisClient* client_ = nullptr;
  std::unique_ptr<RecordStore> store_;
};

TEST_F(RecordStoreTest, ReadStockReturnsPresentAndMissingInOneRoundTrip) {
  Put(MakeRecord(1, "A", 5));
  Put(MakeRecord(1, "B:{x}", 6));
  Put(MakeRecord(2, "C", 7));  // other stock
  core::StoreConfig config;
  config.stock_id = 1;
  config.handling_days = 2;
  config.time_zone_name = "Europe/Berlin";
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &config.time_zone));
  ASSERT_THAT(RunCommand({"SET", store_->keys().StoreConfig(1),
                          EncodeStoreConfig(config)}),
              IsOk());
  ASSERT_THAT(RunCommand({"CONFIG", "RESETSTAT"}), IsOk());

  Waiter<absl::StatusOr<StockSnapshot>> w(kWait);
  store_->ReadStock(1, {"A", "missing", "B:{x}", "C"}, Deadline(),
                    w.Callback());
  auto snapshot = w.Get();
  ASSERT_THAT(snapshot, IsOk());
  EXPECT_TRUE(*snapshot->config == config);
  ASSERT_EQ(snapshot->records.size(), 4u);
  for (const auto& read : snapshot->records) ASSERT_THAT(read, IsOk());
  ASSERT_TRUE(snapshot->records[0]->has_value());
  EXPECT_TRUE(**snapshot->records[0] == MakeRecord(1, "A", 5));
  EXPECT_FALSE(snapshot->records[1]->has_value());
  ASSERT_TRUE(snapshot->records[2]->has_value());
  EXPECT_EQ((*snapshot->records[2])->sku, "B:{x}");
  EXPECT_FALSE(snapshot->records[3]->has_value());
  // Several SKUs: one GET, one MGET and one EXISTS, not one command per
  // SKU; no TYPE round trip when every key MGET missed is really absent.
  EXPECT_EQ(CommandCalls("get"), 1);
  EXPECT_EQ(CommandCalls("mget"), 1);
  EXPECT_EQ(CommandCalls("exists"), 1);
  EXPECT_EQ(CommandCalls("type"), 0);
}

// A product page asks for one SKU: a GET beside the config's, no MGET,
// no EXISTS; a key of another type is still told apart (WRONGTYPE, then its
// TYPE).
TEST_F(RecordStoreTest, ReadStockOfOneSkuIsTwoGets) {
  Put(MakeRecord(1, "A", 5));
  ASSERT_THAT(RunCommand({"HSET", store_->keys().Record(1, "hash"), "f", "v"}),
              IsOk());
  ASSERT_THAT(RunCommand({"CONFIG", "RESETSTAT"}), IsOk());
  for (const char* sku : {"A", "missing"}) {
    Waiter<absl::StatusOr<StockSnapshot>> w(kWait);
    store_->ReadStock(1, {sku}, Deadline(), w.Callback());
    auto snapshot = w.Get();
    ASSERT_THAT(snapshot, IsOk());
    ASSERT_EQ(snapshot->records.size(), 1u);
    ASSERT_THAT(snapshot->records[0], IsOk());
    EXPECT_EQ(snapshot->records[0]->has_value(), sku[0] == 'A') << sku;
  }
  EXPECT_EQ(CommandCalls("get"), 4);
  EXPECT_EQ(CommandCalls("mget"), 0);
  EXPECT_EQ(CommandCalls("exists"), 0);
  EXPECT_EQ(CommandCalls("type"), 0);

  Waiter<absl::StatusOr<StockSnapshot>> w(kWait);
  store_->ReadStock(1, {"hash"}, Deadline(), w.Callback());
  auto snapshot = w.Get();
  ASSERT_THAT(snapshot, IsOk());  // the read itself does not fail
  ASSERT_EQ(snapshot->records.size(), 1u);
  EXPECT_THAT(snapshot->records[0],
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("record \"t:{1}:r:hash\": holds a Redis "
                                 "hash, not a stored record")));
  EXPECT_EQ(CommandCalls("type"), 1);
}

TEST_F(RecordStoreTest, ReadStockDefaultsTheConfigWhenAbsent) {
  Waiter<absl::StatusOr<StockSnapshot>> w(kWait);
  store_->ReadStock(4, {}, Deadline(), w.Callback());
  auto snapshot = w.Get();
  ASSERT_THAT(snapshot, IsOk());
  core::StoreConfig defaults;
  defaults.stock_id = 4;
  EXPECT_TRUE(*snapshot->config == defaults);
  EXPECT_EQ(snapshot->config->stock_id, 4);
  EXPECT_EQ(snapshot->config->min_sale_qty, core::QtyFromUnits(1));
  EXPECT_TRUE(snapshot->records.empty());
}

// The config is decoded once per stored value: reads of the same bytes
// share it, a changed value is decoded again, an undecodable one is
// DataLoss and the next good one reads fine.
TEST_F(RecordStoreTest, ReadStockDecodesEachStoredConfigOnce) {
  auto read = [&]() {
    Waiter<absl::StatusOr<StockSnapshot>> w(kWait);
    store_->ReadStock(1, {"A"}, Deadline(), w.Callback());
    return w.Get();
  };
  core::StoreConfig config;
  config.stock_id = 1;
  config.handling_days = 2;
  const std::string key = store_->keys().StoreConfig(1);
  ASSERT_THAT(RunCommand({"SET", key, EncodeStoreConfig(config)}), IsOk());
  auto first = read();
  auto second = read();
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->config->handling_days, 2);
  EXPECT_EQ(first->config.get(), second->config.get());

  config.handling_days = 5;
  ASSERT_THAT(RunCommand({"SET", key, EncodeStoreConfig(config)}), IsOk());
  auto changed = read();
  ASSERT_THAT(changed, IsOk());
  EXPECT_EQ(changed->config->handling_days, 5);

  ASSERT_THAT(RunCommand({"SET", key, "\xff not a config"}), IsOk());
  EXPECT_THAT(read(), StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_THAT(RunCommand({"SET", key, EncodeStoreConfig(config)}), IsOk());
  auto repaired = read();
  ASSERT_THAT(repaired, IsOk());
  EXPECT_EQ(repaired->config->handling_days, 5);

  // Deleted: the defaults again.
  ASSERT_THAT(RunCommand({"DEL", key}), IsOk());
  auto defaults = read();
  ASSERT_THAT(defaults, IsOk());
  core::StoreConfig expected;
  expected.stock_id = 1;
  EXPECT_TRUE(*defaults->config == expected);
}

TEST_F(RecordStoreTest, ReadStockAnswersBrokenRecordsPerSku) {
  Put(MakeRecord(1, "A", 5));
  Put(MakeRecord(1, "C", 6));
  ASSERT_THAT(RunCommand({"SET", store_->keys().Record(1, "bad"), "garbage"}),
              IsOk());
  ASSERT_THAT(RunCommand({"HSET", store_->keys().Record(1, "hash"), "f", "v"}),
              IsOk());
  ASSERT_THAT(RunCommand({"RPUSH", store_->keys().Record(1, "list"), "x"}),
              IsOk());
  ASSERT_THAT(RunCommand({"CONFIG", "RESETSTAT"}), IsOk());

  Waiter<absl::StatusOr<StockSnapshot>> w(kWait);
  store_->ReadStock(1, {"A", "bad", "hash", "missing", "list", "C"}, Deadline(),
                    w.Callback());
  auto snapshot = w.Get();
  ASSERT_THAT(snapshot, IsOk());  // the read itself does not fail
  ASSERT_EQ(snapshot->records.size(), 6u);
  ASSERT_THAT(snapshot->records[0], IsOk());
  ASSERT_TRUE(snapshot->records[0]->has_value());
  EXPECT_EQ((*snapshot->records[0])->sku, "A");
  EXPECT_THAT(snapshot->records[1],
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("record \"t:{1}:r:bad\": not a valid "
                                 "stored record (")));
  EXPECT_THAT(snapshot->records[1], StatusIs(absl::StatusCode::kDataLoss,
                                             HasSubstr("); resync the SKU")));
  EXPECT_THAT(snapshot->records[2],
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("record \"t:{1}:r:hash\": holds a Redis "
                                 "hash, not a stored record; delete the key")));
  ASSERT_THAT(snapshot->records[3], IsOk());
  EXPECT_FALSE(snapshot->records[3]->has_value());
  EXPECT_THAT(snapshot->records[4],
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("\"t:{1}:r:list\": holds a Redis list")));
  ASSERT_THAT(snapshot->records[5], IsOk());
  ASSERT_TRUE(snapshot->records[5]->has_value());
  EXPECT_EQ((*snapshot->records[5])->sku, "C");
  // The types are asked once, of the keys MGET missed only.
  EXPECT_EQ(CommandCalls("mget"), 1);
  EXPECT_EQ(CommandCalls("type"), 3);
}

// A key of the wrong type needs an operator: FailedPrecondition, as
// everywhere (cache/redis_reply.h).
TEST_F(RecordStoreTest, ReadStockReportsWrongTypeAsFailedPrecondition) {
  ASSERT_THAT(RunCommand({"HSET", store_->keys().StoreConfig(1), "a", "b"}),
              IsOk());
  Waiter<absl::StatusOr<StockSnapshot>> w(kWait);
  store_->ReadStock(1, {"A"}, Deadline(), w.Callback());
  EXPECT_THAT(w.Get(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("WRONGTYPE")));
}

TEST_F(RecordStoreTest, ReadStockFailsFastWhenRedisIsDown) {
  server_->Kill();
  Waiter<absl::StatusOr<StockSnapshot>> w(kWait);
  store_->ReadStock(1, {"A"}, absl::Now() + absl::Seconds(5), w.Callback());
  EXPECT_THAT(w.Get(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RecordStoreTest, ResolveSalesChannel) {
  ASSERT_THAT(RunCommand({"HSET", store_->keys().SalesChannels(), "base", "1",
                          "de", "2", "broken", "two"}),
              IsOk());
  struct Case {
    const char* code;
    std::optional<int32_t> stock;
  };
  for (const Case& c :
       {Case{"base", 1}, Case{"de", 2}, Case{"unknown", std::nullopt}}) {
    SCOPED_TRACE(c.code);
    Waiter<absl::StatusOr<std::optional<int32_t>>> w(kWait);
    store_->ResolveSalesChannel(c.code, Deadline(), w.Callback());
    auto stock = w.Get();
    ASSERT_THAT(stock, IsOk());
    EXPECT_EQ(*stock, c.stock);
  }
  Waiter<absl::StatusOr<std::optional<int32_t>>> w(kWait);
  store_->ResolveSalesChannel("broken", Deadline(), w.Callback());
  EXPECT_THAT(w.Get(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"broken\"")));
}

TEST_F(RecordStoreTest, ReadCandidatesWithSkusAndCategoryRankings) {
  Put(MakeRecord(1, "succ", 1));
  Put(MakeRecord(1, "alt", 2));
  for (const char* sku : {"p1", "p2", "p4", "q1", "q3"}) {
    Put(MakeRecord(1, sku, 3));
  }
  Put(MakeRecord(2, "p3", 9));  // other stock: not a candidate on stock 1
  Rank(1, 10, {"p1", "p2", "p3", "p4", "p5"});
  Rank(1, 20, {"q1", "q2", "q3"});
  ASSERT_THAT(RunCommand({"SCRIPT", "FLUSH"}), IsOk());
  ASSERT_THAT(RunCommand({"CONFIG", "RESETSTAT"}), IsOk());

  for (int round = 0; round < 2; ++round) {  // NOSCRIPT, then cached
    SCOPED_TRACE(round);
    Waiter<absl::StatusOr<RecordStore::Candidates>> w(kWait);
    store_->ReadCandidates(1, {"succ", "gone", "alt"}, {10, 20, 30}, 3,
                           Deadline(), w.Callback());
    auto candidates = w.Get();
    ASSERT_THAT(candidates, IsOk());
    ASSERT_EQ(candidates->records.size(), 3u);
    ASSERT_TRUE(candidates->records[0].has_value());
    EXPECT_TRUE(*candidates->records[0] == MakeRecord(1, "succ", 1));
    EXPECT_FALSE(candidates->records[1].has_value());
    ASSERT_TRUE(candidates->records[2].has_value());
    EXPECT_EQ(candidates->records[2]->sku, "alt");
    // Category 10: top 3 are p1, p2, p3; p3 has no record on stock 1.
    // Category 20: q1, q2 (absent), q3. Category 30: no ranking.
    std::vector<std::string> skus;
    std::vector<int64_t> categories;
    for (const auto& c : candidates->by_category) {
      skus.push_back(c.sku);
      categories.push_back(c.category_id);
      EXPECT_EQ(c.record.sku, c.sku);
      EXPECT_EQ(c.record.stock_id, 1);
    }
    EXPECT_THAT(skus, ElementsAre("p1", "p2", "q1", "q3"));
    EXPECT_THAT(categories, ElementsAre(10, 10, 20, 20));
  }
  // One script call per read (the first one retried once with the body).
  EXPECT_EQ(CommandCalls("evalsha_ro"), 2);
  EXPECT_EQ(CommandCalls("eval_ro"), 1);
}

TEST_F(RecordStoreTest, ReadCandidatesEdgeCases) {
  Put(MakeRecord(1, "a", 1));
  Rank(1, 10, {"a"});
  {
    Waiter<absl::StatusOr<RecordStore::Candidates>> w(kWait);
    store_->ReadCandidates(1, {}, {}, 5, Deadline(), w.Callback());
    auto c = w.Get();
    ASSERT_THAT(c, IsOk());
    EXPECT_TRUE(c->records.empty());
    EXPECT_TRUE(c->by_category.empty());
  }
  {
    Waiter<absl::StatusOr<RecordStore::Candidates>> w(kWait);
    store_->ReadCandidates(1, {}, {10}, 5, Deadline(), w.Callback());
    auto c = w.Get();
    ASSERT_THAT(c, IsOk());
    ASSERT_EQ(c->by_category.size(), 1u);
    EXPECT_EQ(c->by_category[0].sku, "a");
  }
  {
    Waiter<absl::StatusOr<RecordStore::Candidates>> w(kWait);
    store_->ReadCandidates(1, {"a"}, {10}, 0, Deadline(), w.Callback());
    auto c = w.Get();
    ASSERT_THAT(c, IsOk());
    EXPECT_EQ(c->records.size(), 1u);
    EXPECT_TRUE(c->by_category.empty());
  }
}

TEST_F(RecordStoreTest, ReadCandidatesSkipsBrokenCandidates) {
  Put(MakeRecord(1, "succ", 1));
  Put(MakeRecord(1, "p1", 2));
  ASSERT_THAT(RunCommand({"SET", store_->keys().Record(1, "junk"), "\x01xx"}),
              IsOk());
  ASSERT_THAT(RunCommand({"HSET", store_->keys().Record(1, "hash"), "f", "v"}),
              IsOk());
  Rank(1, 10, {"junk", "hash", "p1"});

  Waiter<absl::StatusOr<RecordStore::Candidates>> w(kWait);
  store_->ReadCandidates(1, {"succ", "junk", "hash"}, {10}, 3, Deadline(),
                         w.Callback());
  auto candidates = w.Get();
  ASSERT_THAT(candidates, IsOk());
  ASSERT_EQ(candidates->records.size(), 3u);
  ASSERT_TRUE(candidates->records[0].has_value());
  EXPECT_EQ(candidates->records[0]->sku, "succ");
  EXPECT_FALSE(candidates->records[1].has_value());
  EXPECT_FALSE(candidates->records[2].has_value());
  ASSERT_EQ(candidates->by_category.size(), 1u);
  EXPECT_EQ(candidates->by_category[0].sku, "p1");
  // The undecodable one, as a named candidate and as a ranked one.
  ASSERT_EQ(candidates->broken.size(), 2u);
  for (const BrokenRecord& broken : candidates->broken) {
    EXPECT_EQ(broken.key, "t:{1}:r:junk");
    EXPECT_THAT(broken.error, StatusIs(absl::StatusCode::kDataLoss,
                                       HasSubstr("\"t:{1}:r:junk\"")));
  }
}

TEST_F(RecordStoreTest, ScriptShaMatchesRedis) {
  auto sha = RunCommand(
      {"SCRIPT", "LOAD", std::string(RecordStore::CandidatesScriptForTest())});
  ASSERT_THAT(sha, IsOk());
  EXPECT_EQ(sha->str, ScriptSha1(RecordStore::CandidatesScriptForTest()));
}

}  // namespace
}  // namespace availability::cache
