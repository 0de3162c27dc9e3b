#include "cache/catalog_settings_writer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "cache/redis_reply.h"
#include "core/quantity.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_test.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::RedisTest;
using ::availability::testing::StatusIs;
using ::availability::testing::Waiter;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr int32_t kStock = 1;

class CatalogSettingsWriterTest : public RedisTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RedisTest::SetUp());
    settings_ = std::make_unique<CatalogSettingsWriter>(*client_, keys_);
  }

  std::unique_ptr<CatalogSettingsWriter> settings_;
};

TEST_F(CatalogSettingsWriterTest, StoreConfigIsReplacedWhole) {
  core::StoreConfig config;
  config.stock_id = kStock;
  config.notify_stock_qty = core::QtyFromUnits(5);
  config.backorders = core::Backorders::kYes;
  Waiter<absl::Status> put(kWait);
  settings_->PutStoreConfig(config, Deadline(), put.Callback());
  ASSERT_THAT(put.Get(), IsOk());
  config.notify_stock_qty = core::QtyFromUnits(2);
  Waiter<absl::Status> again(kWait);
  settings_->PutStoreConfig(config, Deadline(), again.Callback());
  ASSERT_THAT(again.Get(), IsOk());

  Waiter<absl::StatusOr<core::StoreConfig>> read(kWait);
  settings_->ReadStoreConfig(kStock, Deadline(), read.Callback());
  auto got = read.Get();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, config);
}

TEST_F(CatalogSettingsWriterTest, UndecodableStoreConfigIsDataLoss) {
  Command({"SET", keys_.StoreConfig(kStock), "not a config"});
  Waiter<absl::StatusOr<core::StoreConfig>> read(kWait);
  settings_->ReadStoreConfig(kStock, Deadline(), read.Callback());
  EXPECT_THAT(read.Get(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(CatalogSettingsWriterTest, ReadStoreConfigDefaultsWhenNeverSet) {
  Waiter<absl::StatusOr<core::StoreConfig>> read(kWait);
  settings_->ReadStoreConfig(9, Deadline(), read.Callback());
  auto got = read.Get();
  ASSERT_THAT(got, IsOk());
  core::StoreConfig defaults;
  defaults.stock_id = 9;
  EXPECT_EQ(*got, defaults);
}

TEST_F(CatalogSettingsWriterTest, SalesChannelsMergeOrReplace) {
  Waiter<absl::Status> a(kWait);
  settings_->PutSalesChannels({{"base", 1}, {"de", 2}}, false, Deadline(),
                              a.Callback());
  ASSERT_THAT(a.Get(), IsOk());
  Waiter<absl::Status> b(kWait);
  settings_->PutSalesChannels({{"fr", 3}}, false, Deadline(), b.Callback());
  ASSERT_THAT(b.Get(), IsOk());
  EXPECT_EQ(Command({"HLEN", keys_.SalesChannels()}).integer, 3);
  Waiter<absl::Status> c(kWait);
  settings_->PutSalesChannels({{"us", 4}}, true, Deadline(), c.Callback());
  ASSERT_THAT(c.Get(), IsOk());
  RedisReply all = Command({"HGETALL", keys_.SalesChannels()});
  ASSERT_EQ(all.elements.size(), 2u);
  EXPECT_EQ(all.elements[0].str, "us");
  EXPECT_EQ(all.elements[1].str, "4");
}

TEST_F(CatalogSettingsWriterTest, CategoryRankingIsReplacedWhole) {
  Waiter<absl::Status> a(kWait);
  settings_->PutCategoryRanking(kStock, 10, {"A", "B", "C"}, Deadline(),
                                a.Callback());
  ASSERT_THAT(a.Get(), IsOk());
  Waiter<absl::Status> b(kWait);
  settings_->PutCategoryRanking(kStock, 10, {"C", "A"}, Deadline(),
                                b.Callback());
  ASSERT_THAT(b.Get(), IsOk());
  RedisReply list =
      Command({"LRANGE", keys_.CategoryRanking(kStock, 10), "0", "-1"});
  ASSERT_EQ(list.elements.size(), 2u);
  EXPECT_EQ(list.elements[0].str, "C");
  EXPECT_EQ(list.elements[1].str, "A");
}

TEST_F(CatalogSettingsWriterTest, ListCategoryRankingsScansTheStock) {
  CatalogSettingsWriter::Options so;
  so.scan_count = 3;  // several SCAN steps
  CatalogSettingsWriter writer(*client_, keys_, so);
  for (int64_t category = 1; category <= 20; ++category) {
    Waiter<absl::Status> put(kWait);
    writer.PutCategoryRanking(kStock, category * 10, {"A"}, Deadline(),
                              put.Callback());
    ASSERT_THAT(put.Get(), IsOk());
  }
  Waiter<absl::Status> other(kWait);
  writer.PutCategoryRanking(2, 5, {"A"}, Deadline(), other.Callback());
  ASSERT_THAT(other.Get(), IsOk());
  Waiter<absl::Status> removed(kWait);
  writer.PutCategoryRanking(kStock, 70, {}, Deadline(), removed.Callback());
  ASSERT_THAT(removed.Get(), IsOk());
  // Not a ranking: a key that only shares the prefix.
  Command({"SET", keys_.CategoryRankingPrefix(kStock) + "x", "1"});

  Waiter<absl::StatusOr<std::vector<int64_t>>> list(kWait);
  writer.ListCategoryRankings(kStock, Deadline(), list.Callback());
  auto ids = list.Get();
  ASSERT_THAT(ids, IsOk());
  std::vector<int64_t> want;
  for (int64_t category = 1; category <= 20; ++category) {
    if (category != 7) want.push_back(category * 10);
  }
  EXPECT_EQ(*ids, want);

  Waiter<absl::StatusOr<std::vector<int64_t>>> none(kWait);
  writer.ListCategoryRankings(3, Deadline(), none.Callback());
  auto empty = none.Get();
  ASSERT_THAT(empty, IsOk());
  EXPECT_TRUE(empty->empty());

  // Several stocks with one walk: each its own, every one asked for listed.
  Waiter<absl::StatusOr<std::map<int32_t, std::vector<int64_t>>>> all(kWait);
  writer.ListCategoryRankings(std::vector<int32_t>{kStock, 2, 3}, Deadline(),
                              all.Callback());
  auto by_stock = all.Get();
  ASSERT_THAT(by_stock, IsOk());
  EXPECT_EQ(*by_stock, (std::map<int32_t, std::vector<int64_t>>{
                           {kStock, want}, {2, {5}}, {3, {}}}));
}

TEST_F(CatalogSettingsWriterTest, ManagedStocksAreAddedReadAndRemoved) {
  auto read = [&](absl::string_view owner) {
    Waiter<absl::StatusOr<std::vector<int32_t>>> w(kWait);
    settings_->ReadManagedStocks(owner, Deadline(), w.Callback());
    auto r = w.Get();
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : std::vector<int32_t>();
  };
  EXPECT_TRUE(read("magento").empty());
  Waiter<absl::Status> add(kWait);
  settings_->AddManagedStocks("magento", {3, 1, 2}, Deadline(), add.Callback());
  ASSERT_THAT(add.Get(), IsOk());
  Waiter<absl::Status> again(kWait);
  settings_->AddManagedStocks("magento", {2}, Deadline(), again.Callback());
  ASSERT_THAT(again.Get(), IsOk());
  EXPECT_THAT(read("magento"), ElementsAre(1, 2, 3));
  EXPECT_TRUE(read("erp").empty());
  Waiter<absl::Status> remove(kWait);
  settings_->RemoveManagedStocks("magento", {2, 9}, Deadline(),
                                 remove.Callback());
  ASSERT_THAT(remove.Get(), IsOk());
  EXPECT_THAT(read("magento"), ElementsAre(1, 3));
  Waiter<absl::Status> nothing(kWait);
  settings_->RemoveManagedStocks("magento", {}, Deadline(), nothing.Callback());
  EXPECT_THAT(nothing.Get(), IsOk());

  Command({"SADD", keys_.ManagedStocks("magento"), "not-a-stock"});
  Waiter<absl::StatusOr<std::vector<int32_t>>> bad(kWait);
  settings_->ReadManagedStocks("magento", Deadline(), bad.Callback());
  EXPECT_THAT(bad.Get(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not-a-stock")));
}

TEST_F(CatalogSettingsWriterTest, CacheDownIsUnavailable) {
  server_->Kill();
  Waiter<absl::Status> put(kWait);
  settings_->PutSalesChannels({{"base", 1}}, false, Deadline(), put.Callback());
  const absl::Status s = put.Get();
  EXPECT_TRUE(absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s)) << s;
}

}  // namespace
}  // namespace availability::cache
