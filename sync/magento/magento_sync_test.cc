// The Magento connector against a real MariaDB (schema.sql + fixtures.sql,
// read by a SELECT-only user) and a real Redis: what a Magento 2.4 MSI store
// would show for every fixture product, and that changes, deletions and a
// database restart reach the cache.
#include "sync/magento/magento_sync.h"

#include <signal.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "availability/v1/availability.pb.h"
#include "cache/key_schema.h"
#include "cache/record_codec.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "client/availability_client.h"
#include "core/clock.h"
#include "core/decision.h"
#include "core/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sync/magento/magento_sync_test_fixture.h"
#include "testing/mariadb_server.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"

namespace availability::sync::magento {
namespace {

using ::availability::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

struct Expected {
  const char* name;
  int32_t stock;
  const char* sku;
  core::Qty source_qty;
  core::Qty reserved_qty;
  bool is_in_stock;
  core::Status status;
  // Magento's salable quantity: Σ qty + Σ reservations - min_qty.
  core::Qty salable;
};

TEST_F(MagentoSyncTest, ReconcileWritesWhatMagentoComputes) {
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));

  const core::StoreConfig config1 = ReadConfig(1);
  EXPECT_TRUE(config1.manage_stock);
  EXPECT_EQ(config1.min_qty, U(2));
  EXPECT_EQ(config1.min_sale_qty, U(1));
  EXPECT_EQ(config1.max_sale_qty, U(100));
  EXPECT_EQ(config1.notify_stock_qty, U(3));
  EXPECT_EQ(config1.only_x_left_threshold, U(5));
  // Website scope: the us website's values for its stock 3 only.
  EXPECT_EQ(ReadConfig(3).min_qty, U(1));
  EXPECT_EQ(ReadConfig(3).only_x_left_threshold, U(2));
  EXPECT_EQ(ReadConfig(2).min_qty, U(2));

  const Expected cases[] = {
      // 100 + (-3 - 2 + 1) - 2 (config min_qty)
      {"mb01_default", 1, "MB-01", U(100), -U(4), true, core::Status::kInStock,
       U(94)},
      // eu 20 counts, closed_store (disabled) 50 does not; 20 - 5 - 2
      {"mb01_eu", 2, "MB-01", U(20), -U(5), true, core::Status::kInStock,
       U(13)},
      // only source item has status 0
      {"mb02_default", 1, "MB-02", 0, 0, false, core::Status::kOutOfStock, 0},
      {"mb02_eu", 2, "MB-02", U(5), 0, true, core::Status::kInStock, U(3)},
      // backorders with min_qty -10: 2 - 5 + 10
      {"bo01_backorders", 1, "BO-01", U(2), -U(5), true,
       core::Status::kBackorderable, U(7)},
      {"ovr01_overrides", 1, "OVR-01", U(30), 0, true, core::Status::kInStock,
       U(30)},
      {"nms01_unmanaged", 1, "NMS-01", 0, 0, false, core::Status::kInStock, 0},
      // 2.5 - 0.75 - 2 is below 0: Magento answers 0, never negative
      {"dec01_decimal", 1, "DEC-01", 25000, -7500, true,
       core::Status::kBackorderable, 0},
      // 7 - 1 (the us website's min_qty)
      {"us01_us", 3, "US-01", U(7), 0, true, core::Status::kInStock, U(6)},
      {"gone01", 1, "GONE-01", U(4), 0, true, core::Status::kInStock, U(2)},
      // only in a disabled source: on the stock, out of stock
      {"closed01_eu", 2, "CLOSED-01", 0, 0, false, core::Status::kOutOfStock,
       0},
  };
  const absl::CivilDay today = core::StoreToday(config1, absl::Now());
  for (const Expected& c : cases) {
    SCOPED_TRACE(c.name);
    std::optional<core::Record> r = ReadRecord(c.stock, c.sku);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->source_qty, c.source_qty);
    EXPECT_EQ(r->reserved_qty, c.reserved_qty);
    EXPECT_EQ(r->is_in_stock, c.is_in_stock);
    EXPECT_GT(r->version, 0);
    const core::StoreConfig config = ReadConfig(c.stock);
    EXPECT_EQ(core::Decide(*r, config, today, std::nullopt).status, c.status);
    const core::DerivedQuantities q =
        core::Derive(*r, core::ResolveSettings(*r, config));
    EXPECT_EQ(q.salable_qty, c.salable);
  }

  // Not on these stocks, or no inventory at all.
  EXPECT_FALSE(ReadRecord(3, "MB-01").has_value());
  EXPECT_FALSE(ReadRecord(1, "US-01").has_value());
  // A configurable parent has no source items: its record names its type
  // and variants (none here) and is answered from them.
  std::optional<core::Record> cfg = ReadRecord(1, "CFG-01");
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->product_type, core::ProductType::kConfigurable);
  EXPECT_TRUE(cfg->components.empty());
  EXPECT_FALSE(ReadRecord(1, "ORPHAN-01").has_value());

  // use_config_* = 1 stays unset; overrides are kept.
  std::optional<core::Record> mb01 = ReadRecord(1, "MB-01");
  ASSERT_TRUE(mb01.has_value());
  EXPECT_FALSE(mb01->min_qty.has_value());
  EXPECT_FALSE(mb01->backorders.has_value());
  EXPECT_FALSE(mb01->manage_stock.has_value());
  EXPECT_FALSE(mb01->min_sale_qty.has_value());
  EXPECT_THAT(
      mb01->alternatives,
      ElementsAre(core::AlternativeLink{"BO-01", core::Relation::kRelated},
                  core::AlternativeLink{"MB-02", core::Relation::kRelated},
                  core::AlternativeLink{"OVR-01", core::Relation::kUpsell},
                  core::AlternativeLink{"DEC-01", core::Relation::kCrosssell}));
  EXPECT_THAT(mb01->category_ids, ElementsAre(10));

  std::optional<core::Record> ovr = ReadRecord(1, "OVR-01");
  ASSERT_TRUE(ovr.has_value());
  EXPECT_EQ(ovr->min_qty, 0);
  EXPECT_EQ(ovr->backorders, core::Backorders::kNo);
  EXPECT_EQ(ovr->manage_stock, true);
  EXPECT_EQ(ovr->min_sale_qty, U(3));
  EXPECT_EQ(ovr->max_sale_qty, U(12));
  EXPECT_EQ(ovr->enable_qty_increments, true);
  EXPECT_EQ(ovr->qty_increments, U(3));
  EXPECT_EQ(ovr->notify_stock_qty, U(5));
  std::optional<core::Record> nms = ReadRecord(1, "NMS-01");
  ASSERT_TRUE(nms.has_value());
  EXPECT_EQ(nms->manage_stock, false);
  std::optional<core::Record> dec = ReadRecord(1, "DEC-01");
  ASSERT_TRUE(dec.has_value());
  EXPECT_TRUE(dec->is_qty_decimal);
  EXPECT_EQ(dec->backorders, core::Backorders::kYesNotify);

  // Rankings by position, per stock; channels.
  EXPECT_THAT(Ranking(1, 10), ElementsAre("MB-02", "BO-01", "MB-01"));
  EXPECT_THAT(Ranking(2, 10), ElementsAre("MB-02", "MB-01"));
  EXPECT_THAT(Ranking(1, 11), ElementsAre("OVR-01"));
  EXPECT_THAT(Ranking(3, 11), ElementsAre("US-01"));
  absl::StatusOr<cache::RedisReply> channels =
      Redis({"HGETALL", keys_.SalesChannels()});
  ASSERT_TRUE(channels.ok());
  std::vector<std::string> flat;
  for (const auto& e : channels->elements) flat.push_back(e.str);
  EXPECT_THAT(
      flat, ::testing::UnorderedElementsAre("base", "1", "eu", "2", "us", "3"));
}

TEST_F(MagentoSyncTest, ReservationWhileRunningReachesCacheWithinOneSecond) {
  MagentoSync::Options options = FastOptions();
  options.poll_interval = absl::Milliseconds(200);  // the production default
  options.chunk_size = 5000;
  StartSync(options);
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_THAT(Sql("INSERT INTO inventory_reservation (stock_id, sku, "
                    "quantity, metadata) VALUES (1, 'MB-01', -10, "
                    "'{\"event_type\":\"order_placed\"}')"),
                IsOk());
    const core::Qty want = -U(4) - U(10) * i;
    std::optional<absl::Duration> took =
        WaitForRecord(1, "MB-01", absl::Seconds(1),
                      [want](const std::optional<core::Record>& r) {
                        return r.has_value() && r->reserved_qty == want;
                      });
    ASSERT_TRUE(took.has_value()) << "reservation " << i << " not within 1s";
    std::fprintf(stderr, "reservation -> cache: %s\n",
                 absl::FormatDuration(*took).c_str());
  }
}

TEST_F(MagentoSyncTest, SourceItemChangesAndNewProductsReachCache) {
  MagentoSync::Options options = FastOptions();
  options.poll_interval = absl::Milliseconds(200);
  options.source_scan_rows = 20000;
  options.bucket_size = 1024;
  StartSync(options);
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));

  ASSERT_THAT(Sql("UPDATE inventory_source_item SET quantity = 55 "
                  "WHERE source_code = 'default' AND sku = 'MB-01'"),
              IsOk());
  std::optional<absl::Duration> took = WaitForRecord(
      1, "MB-01", absl::Seconds(2), [](const std::optional<core::Record>& r) {
        return r.has_value() && r->source_qty == U(55);
      });
  ASSERT_TRUE(took.has_value());
  std::fprintf(stderr, "source item update -> cache: %s\n",
               absl::FormatDuration(*took).c_str());

  // Status 0 on the only in-stock source item: out of stock.
  ASSERT_THAT(Sql("UPDATE inventory_source_item SET status = 0 "
                  "WHERE source_code = 'us_warehouse' AND sku = 'US-01'"),
              IsOk());
  EXPECT_TRUE(WaitForRecord(3, "US-01", absl::Seconds(2),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value() && !r->is_in_stock &&
                                     r->source_qty == 0;
                            })
                  .has_value());

  // A product created while running appears, and stays after a reconcile.
  ASSERT_THAT(Sql("INSERT INTO catalog_product_entity (entity_id, sku) "
                  "VALUES (11, 'NEW-01');"
                  "INSERT INTO inventory_source_item (source_code, sku, "
                  "quantity, status) VALUES ('eu_warehouse', 'NEW-01', 8, 1)"),
              IsOk());
  EXPECT_TRUE(WaitForRecord(2, "NEW-01", absl::Seconds(2),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value() && r->source_qty == U(8);
                            })
                  .has_value());
}

TEST_F(MagentoSyncTest, DeletedProductDisappearsAtNextReconcile) {
  StartSync(ReconcileEverySecond());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  ASSERT_TRUE(ReadRecord(1, "GONE-01").has_value());
  const int64_t done = sync_->stats().reconciles_completed;
  ASSERT_THAT(DeleteProduct("GONE-01"), IsOk());
  ASSERT_TRUE(WaitForReconciles(done + 2, absl::Seconds(20)));
  EXPECT_FALSE(ReadRecord(1, "GONE-01").has_value());
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
}

TEST_F(MagentoSyncTest, StockLeftWithoutProductsIsEmptiedAtNextReconcile) {
  StartSync(ReconcileEverySecond());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  ASSERT_TRUE(ReadRecord(3, "US-01").has_value());
  ASSERT_THAT(Ranking(3, 11), ElementsAre("US-01"));
  const int64_t done = sync_->stats().reconciles_completed;
  // US-01 is the only product on stock 3 (US Stock); the stock stays.
  ASSERT_THAT(DeleteProduct("US-01"), IsOk());
  ASSERT_TRUE(WaitForReconciles(done + 2, absl::Seconds(20)));
  EXPECT_FALSE(ReadRecord(3, "US-01").has_value());
  EXPECT_FALSE(Exists(keys_.CategoryRanking(3, 11)));
  // Announced as every snapshot deletion is: OUT_OF_STOCK to UNKNOWN.
  const std::vector<std::string> events = Events(3);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "OUT_OF_STOCK US-01 2->1");
  // The stock is still Magento's; the others are untouched.
  EXPECT_EQ(ReadConfig(3).min_qty, U(1));
  EXPECT_TRUE(ReadRecord(1, "OVR-01").has_value());
  EXPECT_THAT(Ranking(1, 11), ElementsAre("OVR-01"));
}

TEST_F(MagentoSyncTest, DeletedStockIsEmptiedEvenAfterARestart) {
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  ASSERT_TRUE(ReadRecord(2, "MB-01").has_value());
  ASSERT_THAT(Ranking(2, 10), ElementsAre("MB-02", "MB-01"));
  StopSync();
  // Deleted while the connector is down (cascades to its source links and
  // sales channels, as in Magento).
  ASSERT_THAT(Sql("DELETE FROM inventory_stock WHERE stock_id = 2"), IsOk());
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  for (const char* sku : {"MB-01", "MB-02", "CLOSED-01"}) {
    SCOPED_TRACE(sku);
    EXPECT_FALSE(ReadRecord(2, sku).has_value());
  }
  EXPECT_FALSE(Exists(keys_.CategoryRanking(2, 10)));
  EXPECT_THAT(Events(2),
              ::testing::IsSupersetOf({"OUT_OF_STOCK MB-01 2->1",
                                       "OUT_OF_STOCK MB-02 2->1",
                                       "OUT_OF_STOCK CLOSED-01 5->1"}));
  // Forgotten once emptied; the other stocks stay.
  absl::StatusOr<cache::RedisReply> managed =
      Redis({"SMEMBERS", keys_.ManagedStocks("magento")});
  ASSERT_TRUE(managed.ok()) << managed.status();
  std::vector<std::string> stocks;
  for (const auto& e : managed->elements) stocks.push_back(e.str);
  EXPECT_THAT(stocks, ::testing::UnorderedElementsAre("1", "3"));
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
  EXPECT_THAT(Ranking(1, 10), ElementsAre("MB-02", "BO-01", "MB-01"));
}

TEST_F(MagentoSyncTest, EmptyStockTableIsRefusedAndTheCacheKept) {
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  StopSync();
  // A broken or half-restored database: not even the default stock.
  ASSERT_THAT(Sql("DELETE FROM inventory_stock"), IsOk());
  StartSync(FastOptions());
  EXPECT_TRUE(WaitForWarning("inventory_stock is empty", absl::Seconds(20)));
  EXPECT_EQ(sync_->stats().reconciles_completed, 0);
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
  EXPECT_TRUE(ReadRecord(2, "MB-01").has_value());
  EXPECT_TRUE(ReadRecord(3, "US-01").has_value());
  absl::StatusOr<cache::RedisReply> managed =
      Redis({"SCARD", keys_.ManagedStocks("magento")});
  ASSERT_TRUE(managed.ok()) << managed.status();
  EXPECT_EQ(managed->integer, 3);
}

// A stock the cache fails on (here: a string at its events key) is not
// counted as written: the reconcile is retried, finishes only once the key
// is repaired, and never empties the stock in between.
TEST_F(MagentoSyncTest, StockTheCacheFailsOnIsNotCountedDone) {
  ASSERT_THAT(Redis({"SET", keys_.Events(2), "broken"}), IsOk());
  StartSync(FastOptions());
  EXPECT_TRUE(WaitForWarning(
      absl::StrCat(keys_.Events(2), " holds a string, expected a stream"),
      absl::Seconds(20)));
  EXPECT_EQ(sync_->stats().reconciles_completed, 0);
  EXPECT_FALSE(ReadRecord(2, "MB-01").has_value());
  ASSERT_THAT(Redis({"DEL", keys_.Events(2)}), IsOk());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  EXPECT_TRUE(ReadRecord(2, "MB-01").has_value());
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
}

TEST_F(MagentoSyncTest, DeletedCategoryRankingIsRemovedEvenAfterARestart) {
  StartSync(ReconcileEverySecond());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  ASSERT_THAT(Ranking(1, 11), ElementsAre("OVR-01"));
  ASSERT_THAT(Ranking(3, 11), ElementsAre("US-01"));
  const int64_t done = sync_->stats().reconciles_completed;
  // As Magento deletes a category: its product assignments go with it.
  ASSERT_THAT(
      Sql("DELETE FROM catalog_category_product WHERE category_id = 11"),
      IsOk());
  ASSERT_TRUE(WaitForReconciles(done + 2, absl::Seconds(20)));
  EXPECT_FALSE(Exists(keys_.CategoryRanking(1, 11)));
  EXPECT_FALSE(Exists(keys_.CategoryRanking(3, 11)));
  EXPECT_THAT(Ranking(1, 10), ElementsAre("MB-02", "BO-01", "MB-01"));

  // Deleted while the connector is down: the cache, not the process's
  // memory, says which rankings exist.
  StopSync();
  ASSERT_THAT(
      Sql("DELETE FROM catalog_category_product WHERE category_id = 10"),
      IsOk());
  StartSync(ReconcileEverySecond());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  EXPECT_FALSE(Exists(keys_.CategoryRanking(1, 10)));
  EXPECT_FALSE(Exists(keys_.CategoryRanking(2, 10)));
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
}

// The rankings are gathered from the reconcile's chunks: the limit keeps
// the first SKUs by position over the whole catalog, whatever chunk each
// product was read in (chunks of 3 products here).
TEST_F(MagentoSyncTest, RankingLimitKeepsTheFirstByPositionAcrossChunks) {
  MagentoSync::Options options = FastOptions();
  options.category_ranking_limit = 2;
  StartSync(options);
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  EXPECT_THAT(Ranking(1, 10), ElementsAre("MB-02", "BO-01"));
  EXPECT_THAT(Ranking(2, 10), ElementsAre("MB-02", "MB-01"));
  EXPECT_THAT(Ranking(3, 11), ElementsAre("US-01"));
}

TEST_F(MagentoSyncTest, SurvivesDatabaseRestart) {
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  db_server_->Kill();
  absl::SleepFor(absl::Milliseconds(500));  // let polls fail against it
  ASSERT_THAT(db_server_->Restart(), IsOk());
  ASSERT_THAT(Sql("INSERT INTO inventory_reservation (stock_id, sku, "
                  "quantity) VALUES (2, 'MB-02', -1)"),
              IsOk());
  EXPECT_TRUE(WaitForRecord(2, "MB-02", absl::Seconds(10),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value() && r->reserved_qty == -U(1);
                            })
                  .has_value());
  EXPECT_GE(sync_->stats().db_reconnects, 1);
}

TEST_F(MagentoSyncTest, BinaryRunsAndStopsOnSigterm) {
  auto binary = testing::Subprocess::Start(
      {AV_SYNC_BINARY, "magento", "--db_host=127.0.0.1",
       absl::StrCat("--db_port=", db_server_->port()),
       absl::StrCat("--db_name=", database_), "--db_user=av_reader",
       absl::StrCat("--redis_port=", redis_->port()), "--log_level=debug"},
      {absl::StrCat("AVAILABILITY_DB_PASSWORD=", kPassword),
       "AVAILABILITY_POLL_INTERVAL=100ms"});
  ASSERT_TRUE(binary.ok()) << binary.status();
  EXPECT_TRUE(WaitForRecord(1, "MB-01", absl::Seconds(20),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value();
                            })
                  .has_value())
      << (*binary)->Stderr();
  // The first chunk lands before the reconcile ends: wait for its log line
  // (bounded) before asking the binary to stop.
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up &&
         !absl::StrContains((*binary)->Stderr(),
                            "\"msg\":\"reconcile finished\"")) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  (*binary)->Signal(SIGTERM);
  EXPECT_EQ((*binary)->Wait(absl::Seconds(10)), 0);
  const std::string log = (*binary)->Stderr();
  EXPECT_THAT(log, HasSubstr("\"msg\":\"reconcile finished\""));
  EXPECT_THAT(log, Not(HasSubstr(kPassword)));
  // Our lines are JSON objects (the Redis client may print its own).
  int json_lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, "{")) continue;
    EXPECT_TRUE(absl::EndsWith(line, "}")) << line;
    ++json_lines;
  }
  EXPECT_GE(json_lines, 3);
}

int64_t Skipped(const std::array<int64_t, kSkipReasonCount>& counts,
                SkipReason reason) {
  return counts[static_cast<int>(reason)];
}

// 64 characters (Magento's varchar(64) takes them), 65 bytes; the n-th.
std::string LongSku(char fill) { return "\xC3\xA9" + std::string(63, fill); }

TEST_F(MagentoSyncTest, InvalidSkusAreSkippedLoggedAndCounted) {
  // Three SKUs of 64 characters but 65 bytes, stored in Magento's own
  // utf8mb3 varchar(64) column (CONVERT: whatever the client charset).
  for (char fill : {'L', 'M', 'N'}) {
    ASSERT_THAT(
        Sql(absl::StrCat(
            "INSERT INTO catalog_product_entity (entity_id, sku) VALUES (",
            20 + (fill - 'L'),
            ", CONCAT(CONVERT(X'C3A9' USING utf8mb4), "
            "REPEAT('",
            std::string(1, fill),
            "', 63)));"
            "INSERT INTO inventory_source_item (source_code, sku, quantity, "
            "status) VALUES ('default', CONCAT(CONVERT(X'C3A9' USING "
            "utf8mb4), REPEAT('",
            std::string(1, fill), "', 63)), 5, 1)")),
        IsOk());
  }
  // Bytes that are not UTF-8 need a binary column: a database converted or
  // restored with the wrong charset.
  ASSERT_THAT(Sql("ALTER TABLE catalog_product_entity MODIFY sku "
                  "varbinary(255) NOT NULL;"
                  "ALTER TABLE inventory_source_item MODIFY sku "
                  "varbinary(255) NOT NULL;"
                  "INSERT INTO catalog_product_entity (entity_id, sku) "
                  "VALUES (23, X'4241442DFF');"
                  "INSERT INTO inventory_source_item (source_code, sku, "
                  "quantity, status) VALUES ('default', X'4241442DFF', 6, 1)"),
              IsOk());
  ASSERT_EQ(
      *db_server_->QueryValue("SELECT LENGTH(sku) FROM catalog_product_entity "
                              "WHERE entity_id = 20",
                              database_),
      "65");

  MagentoSync::Options options = FastOptions();
  options.skip_log_lines_per_reason = 2;
  StartSync(options);
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  const MagentoSync::Stats stats = sync_->stats();
  EXPECT_EQ(Skipped(stats.last_reconcile_skipped, SkipReason::kSkuTooLong), 3);
  EXPECT_EQ(Skipped(stats.last_reconcile_skipped, SkipReason::kSkuNotUtf8), 1);
  EXPECT_EQ(stats.skipped_total(), 4);
  EXPECT_EQ(stats.skip_lines_suppressed, 1);

  // Logged with the reason, the SKU made safe, the stock, field and rule.
  EXPECT_THAT(LogLines({"record skipped", "reason=sku_too_long",
                        absl::StrCat("sku=\xC3\xA9", std::string(62, 'L'),
                                     " ... (65 bytes)"),
                        "stock=1", "field=sku",
                        "rule=longer than 64 bytes (65)", "entity_id=20"}),
              ::testing::SizeIs(1));
  EXPECT_THAT(LogLines({"record skipped", "reason=sku_too_long"}),
              ::testing::SizeIs(2));  // the limit; the third only counted
  EXPECT_THAT(LogLines({"counted, not logged", "reason=sku_too_long"}),
              ::testing::SizeIs(1));
  EXPECT_THAT(LogLines({"record skipped", "reason=sku_not_utf8",
                        "sku=BAD-\\xff ", "stock=1", "field=sku",
                        "rule=not valid UTF-8", "entity_id=23"}),
              ::testing::SizeIs(1));
  EXPECT_THAT(LogLines({"reconcile finished", "skipped=4",
                        "skipped_by_reason=sku_too_long=3 sku_not_utf8=1",
                        "skip_lines_suppressed=1"}),
              ::testing::SizeIs(1));

  // Nothing of them in the cache; the rest of the catalog is there.
  EXPECT_FALSE(Exists(keys_.Record(1, LongSku('L'))));
  EXPECT_FALSE(Exists(keys_.Record(1, "BAD-\xFF")));
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
  StopSync();

  // The binary writes the same as JSON lines that stay valid UTF-8.
  auto binary = testing::Subprocess::Start(
      {AV_SYNC_BINARY, "magento", "--db_host=127.0.0.1",
       absl::StrCat("--db_port=", db_server_->port()),
       absl::StrCat("--db_name=", database_), "--db_user=av_reader",
       absl::StrCat("--redis_port=", redis_->port())},
      {absl::StrCat("AVAILABILITY_DB_PASSWORD=", kPassword)});
  ASSERT_TRUE(binary.ok()) << binary.status();
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up &&
         !absl::StrContains((*binary)->Stderr(),
                            "\"msg\":\"reconcile finished\"")) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  (*binary)->Signal(SIGTERM);
  EXPECT_EQ((*binary)->Wait(absl::Seconds(10)), 0);
  const std::string log = (*binary)->Stderr();
  EXPECT_TRUE(core::IsValidUtf8(log));
  std::string bad_line;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "\"reason\":\"sku_not_utf8\"")) {
      bad_line = std::string(line);
    }
  }
  EXPECT_THAT(bad_line, HasSubstr("\"msg\":\"record skipped\""));
  EXPECT_THAT(bad_line, HasSubstr("\"sku\":\"BAD-\\\\xff\""));
  EXPECT_THAT(bad_line, HasSubstr("\"field\":\"sku\""));
  EXPECT_THAT(bad_line, HasSubstr("\"rule\":\"not valid UTF-8\""));
  EXPECT_THAT(log, HasSubstr("\"skipped\":\"4\""));
}

TEST_F(MagentoSyncTest, ManySkippedRowsWriteABoundedNumberOfLines) {
  // 2,000 products whose SKUs are 65 bytes, each on the default source.
  ASSERT_THAT(
      Sql("SET SESSION max_recursive_iterations = 5000;"
          "INSERT INTO catalog_product_entity (entity_id, sku) "
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
          "WHERE i < 2000) SELECT 1000 + i, CONCAT(CONVERT(X'C3A9' USING "
          "utf8mb4), LPAD(i, 63, '0')) FROM n;"
          "INSERT INTO inventory_source_item (source_code, sku, quantity, "
          "status) SELECT 'default', sku, 1, 1 FROM catalog_product_entity "
          "WHERE entity_id > 1000"),
      IsOk());
  MagentoSync::Options options = FastOptions();
  options.chunk_size = 500;
  StartSync(options);
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(30)));
  const MagentoSync::Stats stats = sync_->stats();
  EXPECT_EQ(Skipped(stats.last_reconcile_skipped, SkipReason::kSkuTooLong),
            2000);
  // The default limit: 10 lines, one line saying the rest is counted.
  EXPECT_THAT(LogLines({"record skipped"}), ::testing::SizeIs(10));
  EXPECT_THAT(LogLines({"counted, not logged"}), ::testing::SizeIs(1));
  EXPECT_EQ(stats.skip_lines_suppressed, 1990);
  EXPECT_THAT(LogLines({"reconcile finished", "skipped=2000",
                        "skipped_by_reason=sku_too_long=2000",
                        "skip_lines_suppressed=1990"}),
              ::testing::SizeIs(1));
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
}

TEST_F(MagentoSyncTest, ValuesThatDoNotParseRefuseTheirRecordOnly) {
  // Not Magento's column types (a customised or damaged schema): a setting
  // that is no number, a source quantity beyond decimal(12,4). Before, one
  // such row failed its whole chunk and the reconcile never finished.
  ASSERT_THAT(
      Sql("ALTER TABLE cataloginventory_stock_item MODIFY min_qty "
          "varchar(32) NOT NULL DEFAULT '0';"
          "UPDATE cataloginventory_stock_item SET use_config_min_qty = 0, "
          "min_qty = 'abc' WHERE product_id = 2;"
          "ALTER TABLE inventory_source_item MODIFY quantity decimal(20,4) "
          "NOT NULL DEFAULT 0;"
          "UPDATE inventory_source_item SET quantity = 123456789012.5 "
          "WHERE sku = 'US-01';"
          "UPDATE cataloginventory_stock_item SET backorders = 7 "
          "WHERE product_id = 3;"
          "UPDATE core_config_data SET value = 'yes' "
          "WHERE path = 'cataloginventory/item_options/manage_stock'"),
      IsOk());
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  const MagentoSync::Stats stats = sync_->stats();
  // MB-02 is on stocks 1 and 2, BO-01 on 1, US-01 on 3.
  EXPECT_EQ(Skipped(stats.last_reconcile_skipped, SkipReason::kBadNumber), 3);
  EXPECT_EQ(Skipped(stats.last_reconcile_skipped, SkipReason::kOutOfRange), 1);
  EXPECT_THAT(LogLines({"record skipped", "reason=bad_number", "sku=MB-02",
                        "field=cataloginventory_stock_item.min_qty",
                        "rule=not a decimal(12,4): \"abc\""}),
              ::testing::SizeIs(2));
  EXPECT_THAT(LogLines({"record skipped", "reason=out_of_range", "sku=US-01",
                        "stock=3", "field=inventory_source_item.quantity",
                        "rule=\"123456789012.5000\" is above 99999999.9999",
                        "source=us_warehouse"}),
              ::testing::SizeIs(1));
  EXPECT_THAT(LogLines({"record skipped", "reason=bad_number", "sku=BO-01",
                        "field=cataloginventory_stock_item.backorders",
                        "rule=\"7\" is not 0 (no), 1 (yes) or 2"}),
              ::testing::SizeIs(1));
  // A configuration value that does not parse: Magento's default, said once.
  EXPECT_THAT(LogLines({"inventory configuration value not usable",
                        "path=cataloginventory/item_options/manage_stock",
                        "value=yes", "rule=not an integer"}),
              ::testing::SizeIs(1));
  EXPECT_TRUE(ReadConfig(1).manage_stock);
  EXPECT_FALSE(ReadRecord(1, "MB-02").has_value());
  EXPECT_FALSE(ReadRecord(1, "BO-01").has_value());
  EXPECT_FALSE(ReadRecord(3, "US-01").has_value());
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
  EXPECT_TRUE(ReadRecord(1, "OVR-01").has_value());
}

TEST_F(MagentoSyncTest, SumOfThreeFullSourcesIsExact) {
  ASSERT_THAT(
      Sql("INSERT INTO inventory_source (source_code, name, enabled, "
          "country_id, postcode) VALUES ('big_a', 'A', 1, 'US', '1'), "
          "('big_b', 'B', 1, 'US', '1'), ('big_c', 'C', 1, 'US', '1');"
          "INSERT INTO inventory_source_stock_link (stock_id, source_code, "
          "priority) VALUES (1, 'big_a', 2), (1, 'big_b', 3), "
          "(1, 'big_c', 4);"
          "INSERT INTO catalog_product_entity (entity_id, sku) "
          "VALUES (30, 'BIG-01');"
          "INSERT INTO inventory_source_item (source_code, sku, quantity, "
          "status) VALUES ('big_a', 'BIG-01', 99999999.9999, 1), "
          "('big_b', 'BIG-01', 99999999.9999, 1), "
          "('big_c', 'BIG-01', 99999999.9999, 1)"),
      IsOk());
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  std::optional<core::Record> r = ReadRecord(1, "BIG-01");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->source_qty, int64_t{2999999999997});
  EXPECT_EQ(core::QtyToDouble(r->source_qty), 299999999.9997);
  // The answer's salable quantity: 299,999,999.9997 - min_qty 2.
  const core::StoreConfig config = ReadConfig(1);
  const core::DerivedQuantities q =
      core::Derive(*r, core::ResolveSettings(*r, config));
  EXPECT_EQ(q.salable_qty, int64_t{2999999979997});
  EXPECT_EQ(core::QtyToDouble(q.salable_qty), 299999997.9997);
  EXPECT_EQ(sync_->stats().skipped_total(), 0);
}

TEST_F(MagentoSyncTest, UnrepresentableSumIsRefusedLoggedAndTheRecordKept) {
  ASSERT_THAT(Sql("INSERT INTO catalog_product_entity (entity_id, sku) "
                  "VALUES (31, 'BIG-02');"
                  "INSERT INTO inventory_source_item (source_code, sku, "
                  "quantity, status) VALUES ('default', 'BIG-02', 5, 1)"),
              IsOk());
  StartSync(ReconcileEverySecond());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  ASSERT_TRUE(ReadRecord(1, "BIG-02").has_value());
  const int64_t done = sync_->stats().reconciles_completed;

  // 1,001 more sources on stock 1, each at decimal(12,4)'s maximum: the sum
  // leaves what the connector stores exactly. A product deleted meanwhile
  // is still deleted.
  ASSERT_THAT(
      Sql("SET SESSION max_recursive_iterations = 5000;"
          "INSERT INTO inventory_source (source_code, name, enabled, "
          "country_id, postcode) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
          "SELECT i + 1 FROM n WHERE i < 1001) "
          "SELECT CONCAT('big_', i), 'Big', 1, 'US', '1' FROM n;"
          "INSERT INTO inventory_source_stock_link (stock_id, source_code, "
          "priority) SELECT 1, source_code, 9 FROM inventory_source "
          "WHERE source_code LIKE 'big\\_%';"
          "INSERT INTO inventory_source_item (source_code, sku, quantity, "
          "status) SELECT source_code, 'BIG-02', 99999999.9999, 1 "
          "FROM inventory_source WHERE source_code LIKE 'big\\_%'"),
      IsOk());
  ASSERT_EQ(
      *db_server_->QueryValue("SELECT SUM(quantity) FROM inventory_source_item "
                              "WHERE sku = 'BIG-02'",
                              database_),
      "100100000004.8999");
  ASSERT_THAT(DeleteProduct("GONE-01"), IsOk());
  ASSERT_TRUE(WaitForReconciles(done + 2, absl::Seconds(30)));

  EXPECT_THAT(LogLines({"record skipped", "reason=out_of_range", "sku=BIG-02",
                        "stock=1", "field=source_qty",
                        "100100000004.8999 is above 99999999999.9999"}),
              Not(::testing::IsEmpty()));
  const MagentoSync::Stats stats = sync_->stats();
  EXPECT_EQ(Skipped(stats.last_reconcile_skipped, SkipReason::kOutOfRange), 1);
  EXPECT_GE(stats.records_kept, 1);
  EXPECT_THAT(LogLines({"reconcile finished", "skipped=1",
                        "skipped_by_reason=out_of_range=1", "records_kept=1"}),
              Not(::testing::IsEmpty()));
  // Never clamped, never deleted: the stored record stays as it was.
  std::optional<core::Record> kept = ReadRecord(1, "BIG-02");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->source_qty, U(5));
  EXPECT_FALSE(ReadRecord(1, "GONE-01").has_value());
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
}

TEST_F(MagentoSyncTest, WrongPasswordIsRetriedNeverLogged) {
  auto binary = testing::Subprocess::Start(
      {AV_SYNC_BINARY, "magento", "--db_host=127.0.0.1",
       absl::StrCat("--db_port=", db_server_->port()),
       absl::StrCat("--db_name=", database_), "--db_user=av_reader",
       absl::StrCat("--redis_port=", redis_->port())},
      {"AVAILABILITY_DB_PASSWORD=wrong-pw-xyz"});
  ASSERT_TRUE(binary.ok()) << binary.status();
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up &&
         !absl::StrContains((*binary)->Stderr(), "Access denied")) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE((*binary)->Running());
  (*binary)->Signal(SIGTERM);
  EXPECT_EQ((*binary)->Wait(absl::Seconds(10)), 0);
  const std::string log = (*binary)->Stderr();
  EXPECT_THAT(log, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(log, Not(HasSubstr("wrong-pw-xyz")));
}

// Magento's GetProductSalableQty never answers below 0: reservations
// beyond the quantity (an oversell, or orders of a source item set to 0)
// give salable 0 and OUT_OF_STOCK, not a negative number.
TEST_F(MagentoSyncTest,
       SalableQuantityIsNeverNegativeWhenReservationsExceedIt) {
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  ASSERT_THAT(Sql("INSERT INTO inventory_reservation (stock_id, sku, "
                  "quantity) VALUES (1, 'MB-01', -500), (2, 'MB-02', -9)"),
              IsOk());
  std::optional<core::Record> mb01;
  ASSERT_TRUE(WaitForRecord(1, "MB-01", absl::Seconds(5),
                            [&](const std::optional<core::Record>& r) {
                              mb01 = r;
                              return r.has_value() &&
                                     r->reserved_qty == -U(504);
                            })
                  .has_value());
  std::optional<core::Record> mb02;
  ASSERT_TRUE(WaitForRecord(2, "MB-02", absl::Seconds(5),
                            [&](const std::optional<core::Record>& r) {
                              mb02 = r;
                              return r.has_value() && r->reserved_qty == -U(9);
                            })
                  .has_value());
  for (const core::Record& r : {*mb01, *mb02}) {
    SCOPED_TRACE(r.sku);
    const core::StoreConfig config = ReadConfig(r.stock_id);
    const core::DerivedQuantities q =
        core::Derive(r, core::ResolveSettings(r, config));
    EXPECT_EQ(q.salable_qty, 0);
    EXPECT_EQ(q.ships_now, 0);
    EXPECT_EQ(core::Decide(r, config, core::StoreToday(config, absl::Now()),
                           std::nullopt)
                  .status,
              core::Status::kOutOfStock);
  }
}

// core_config_data at website scope overrides the default for the stock of
// that website's sales channel; values locked in env.php come in as
// overrides (default scope below the database's website values, website
// scope above them); a website-scope change reconciles at once.
TEST_F(MagentoSyncTest, WebsiteScopeConfigurationAndOverridesApplyPerStock) {
  MagentoSync::Options options = FastOptions();
  options.fingerprint_interval = absl::Milliseconds(100);
  for (const char* text : {"cataloginventory/options/stock_threshold_qty=9",
                           "cataloginventory/item_options/min_qty=4@eu",
                           "cataloginventory/item_options/backorders=1@eu"}) {
    absl::StatusOr<ConfigOverride> o = ParseConfigOverride(text);
    ASSERT_TRUE(o.ok()) << o.status();
    options.config_overrides.push_back(*o);
  }
  StartSync(options);
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  // Stock 1 (base): default scope, with the default-scope override.
  EXPECT_EQ(ReadConfig(1).min_qty, U(2));
  EXPECT_EQ(ReadConfig(1).only_x_left_threshold, U(9));
  EXPECT_EQ(ReadConfig(1).backorders, core::Backorders::kNo);
  // Stock 2 (eu): the website-scope overrides.
  EXPECT_EQ(ReadConfig(2).min_qty, U(4));
  EXPECT_EQ(ReadConfig(2).backorders, core::Backorders::kYes);
  EXPECT_EQ(ReadConfig(2).only_x_left_threshold, U(9));
  // Stock 3 (us): its website values in the database beat the default
  // override.
  EXPECT_EQ(ReadConfig(3).min_qty, U(1));
  EXPECT_EQ(ReadConfig(3).only_x_left_threshold, U(2));

  // MB-02 on eu: 5 on hand, min_qty 4 from the override: 1 salable, and
  // "only 1 left" under the threshold 9.
  std::optional<core::Record> mb02 = ReadRecord(2, "MB-02");
  ASSERT_TRUE(mb02.has_value());
  const core::StoreConfig eu = ReadConfig(2);
  EXPECT_EQ(core::Derive(*mb02, core::ResolveSettings(*mb02, eu)).salable_qty,
            U(1));

  const int64_t done = sync_->stats().reconciles_completed;
  ASSERT_THAT(Sql("INSERT INTO core_config_data (scope, scope_id, path, "
                  "value) VALUES ('websites', 1, "
                  "'cataloginventory/item_options/min_qty', '6')"),
              IsOk());
  ASSERT_TRUE(WaitForReconciles(done + 1, absl::Seconds(10)));
  EXPECT_EQ(ReadConfig(1).min_qty, U(6));
  EXPECT_EQ(ReadConfig(2).min_qty, U(4));
}

// A product disabled (status 2 at the default scope, or in the store view
// of the channel's website) or not assigned to the channel's website is not
// sold there: it has no record on that stock (answered as an unknown SKU).
TEST_F(MagentoSyncTest, DisabledOrUnassignedProductsAreNotSoldOnTheirStock) {
  StartSync(ReconcileEverySecond());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  ASSERT_TRUE(ReadRecord(1, "MB-02").has_value());
  ASSERT_TRUE(ReadRecord(2, "MB-02").has_value());
  ASSERT_TRUE(ReadRecord(1, "OVR-01").has_value());
  ASSERT_TRUE(ReadRecord(1, "BO-01").has_value());
  ASSERT_TRUE(ReadRecord(3, "US-01").has_value());
  const int64_t done = sync_->stats().reconciles_completed;
  ASSERT_THAT(
      Sql(  // MB-02 disabled everywhere (default scope).
          "INSERT INTO catalog_product_entity_int (attribute_id, store_id, "
          "entity_id, value) VALUES (97, 0, 2, 2);"
          // OVR-01 disabled in the base website's store view only.
          "INSERT INTO catalog_product_entity_int (attribute_id, store_id, "
          "entity_id, value) VALUES (97, 1, 4, 2);"
          // US-01 disabled by default but enabled in the us store view.
          "INSERT INTO catalog_product_entity_int (attribute_id, store_id, "
          "entity_id, value) VALUES (97, 0, 7, 2), (97, 3, 7, 1);"
          // BO-01 removed from the base website.
          "DELETE FROM catalog_product_website WHERE product_id = 3 AND "
          "website_id = 1"),
      IsOk());
  ASSERT_TRUE(WaitForReconciles(done + 2, absl::Seconds(20)));
  EXPECT_FALSE(ReadRecord(1, "MB-02").has_value());
  EXPECT_FALSE(ReadRecord(2, "MB-02").has_value());
  EXPECT_FALSE(ReadRecord(1, "OVR-01").has_value());
  EXPECT_FALSE(ReadRecord(1, "BO-01").has_value());
  EXPECT_TRUE(ReadRecord(3, "US-01").has_value());
  // Others stay.
  EXPECT_TRUE(ReadRecord(1, "MB-01").has_value());
  EXPECT_TRUE(ReadRecord(2, "MB-01").has_value());
  // Announced like any deletion.
  EXPECT_THAT(Events(1), ::testing::Contains("OUT_OF_STOCK OVR-01 2->1"));

  // Enabled and assigned again: back at the next reconcile.
  ASSERT_THAT(Sql("DELETE FROM catalog_product_entity_int WHERE entity_id = 4;"
                  "INSERT INTO catalog_product_website VALUES (3, 1)"),
              IsOk());
  EXPECT_TRUE(WaitForRecord(1, "OVR-01", absl::Seconds(10),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value();
                            })
                  .has_value());
  EXPECT_TRUE(WaitForRecord(1, "BO-01", absl::Seconds(10),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value();
                            })
                  .has_value());
}

// Unassigning a SKU's last source item of a stock (the row deleted) reaches
// the cache within the source-item bound: one scan pass of the ids
// (poll_interval × source items / source_scan_rows), not the next reconcile.
TEST_F(MagentoSyncTest, DeletedLastSourceItemReachesCacheWithinTheScanBound) {
  MagentoSync::Options options = FastOptions();
  options.poll_interval = absl::Milliseconds(200);  // the production default
  options.source_scan_rows = 20000;
  options.bucket_size = 1024;
  StartSync(options);  // reconcile every 15 minutes: not within this test
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  ASSERT_TRUE(ReadRecord(3, "US-01").has_value());
  ASSERT_TRUE(ReadRecord(2, "MB-02").has_value());
  ASSERT_THAT(Sql("DELETE FROM inventory_source_item WHERE sku = 'US-01'"),
              IsOk());
  std::optional<absl::Duration> took = WaitForRecord(
      3, "US-01", absl::Seconds(2),
      [](const std::optional<core::Record>& r) { return !r.has_value(); });
  ASSERT_TRUE(took.has_value());
  std::fprintf(stderr, "source item deletion -> cache: %s\n",
               absl::FormatDuration(*took).c_str());
  EXPECT_EQ(Events(3).back(), "OUT_OF_STOCK US-01 2->1");

  // One of two stocks: MB-02 leaves stock 2 only (its eu source item), and
  // stays on stock 1 (its default source item, out of stock).
  ASSERT_THAT(Sql("DELETE FROM inventory_source_item WHERE sku = 'MB-02' AND "
                  "source_code = 'eu_warehouse'"),
              IsOk());
  EXPECT_TRUE(WaitForRecord(2, "MB-02", absl::Seconds(2),
                            [](const std::optional<core::Record>& r) {
                              return !r.has_value();
                            })
                  .has_value());
  EXPECT_TRUE(ReadRecord(1, "MB-02").has_value());
  EXPECT_EQ(sync_->stats().reconciles_completed, 1);
}

// MSI's low-stock report compares each source item with its own level
// (inventory_low_stock_notification_configuration, NULL: the configured
// notify_stock_qty); the record's level is their sum over the sources that
// count on the stock (docs/domain.md §8).
TEST_F(MagentoSyncTest, PerSourceLowStockLevelsAreSummedPerStock) {
  ASSERT_THAT(Sql("INSERT INTO inventory_low_stock_notification_configuration "
                  "(source_code, sku, notify_stock_qty) VALUES "
                  "('default', 'MB-01', NULL), ('eu_warehouse', 'MB-01', 4), "
                  // A disabled source does not count.
                  "('closed_store', 'MB-01', 100), "
                  "('us_warehouse', 'US-01', 2.5)"),
              IsOk());
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  // Stock 1: the default source's NULL level is the configuration's 3.
  EXPECT_EQ(ReadRecord(1, "MB-01")->notify_stock_qty, U(3));
  // Stock 2: eu 4 (closed_store is disabled).
  EXPECT_EQ(ReadRecord(2, "MB-01")->notify_stock_qty, U(4));
  EXPECT_EQ(ReadRecord(3, "US-01")->notify_stock_qty, 25000);
  // No per-source row: the legacy stock item's level (OVR-01: 5), or the
  // configuration's at read time.
  EXPECT_EQ(ReadRecord(1, "OVR-01")->notify_stock_qty, U(5));
  EXPECT_FALSE(ReadRecord(2, "MB-02")->notify_stock_qty.has_value());
}

// Magento installed with a table prefix: every query names the prefixed
// tables (the reader is granted nothing else).
TEST_F(MagentoSyncTest, TablePrefixIsUsedByEveryQuery) {
  database_ = absl::StrCat(database_, "_prefixed");
  CreateDatabase(database_, "mg_", {});
  MagentoSync::Options options = FastOptions();
  options.table_prefix = "mg_";
  options.fingerprint_interval = absl::Milliseconds(100);
  StartSync(options);
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  EXPECT_EQ(ReadRecord(1, "MB-01")->source_qty, U(100));
  EXPECT_EQ(ReadRecord(1, "MB-01")->reserved_qty, -U(4));
  EXPECT_EQ(ReadRecord(2, "MB-01")->source_qty, U(20));
  EXPECT_EQ(ReadConfig(3).min_qty, U(1));
  EXPECT_THAT(Ranking(1, 10), ElementsAre("MB-02", "BO-01", "MB-01"));
  // The incremental paths too: a reservation, a source item change and a
  // deletion.
  ASSERT_THAT(Sql("INSERT INTO mg_inventory_reservation (stock_id, sku, "
                  "quantity) VALUES (1, 'MB-01', -6);"
                  "UPDATE mg_inventory_source_item SET quantity = 11 "
                  "WHERE sku = 'MB-02' AND source_code = 'eu_warehouse';"
                  "DELETE FROM mg_inventory_source_item WHERE sku = 'US-01'"),
              IsOk());
  EXPECT_TRUE(WaitForRecord(1, "MB-01", absl::Seconds(5),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value() && r->reserved_qty == -U(10);
                            })
                  .has_value());
  EXPECT_TRUE(WaitForRecord(2, "MB-02", absl::Seconds(5),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value() && r->source_qty == U(11);
                            })
                  .has_value());
  EXPECT_TRUE(WaitForRecord(3, "US-01", absl::Seconds(5),
                            [](const std::optional<core::Record>& r) {
                              return !r.has_value();
                            })
                  .has_value());
  // A configuration change (fingerprint) is seen through the prefix.
  const int64_t done = sync_->stats().reconciles_completed;
  ASSERT_THAT(Sql("UPDATE mg_core_config_data SET value = '3' WHERE scope = "
                  "'websites' AND path = "
                  "'cataloginventory/item_options/min_qty'"),
              IsOk());
  ASSERT_TRUE(WaitForReconciles(done + 1, absl::Seconds(10)));
  EXPECT_EQ(ReadConfig(3).min_qty, U(3));
  absl::MutexLock lock(&warnings_mu_);
  EXPECT_THAT(warnings_, ::testing::IsEmpty());
}

// availability-server reading the Redis the connector wrote: the answers
// a storefront gets.
class ServerAnswers {
 public:
  // Starts the server (no sync or metrics listener) on `redis_port`.
  static std::unique_ptr<ServerAnswers> Start(int redis_port) {
    auto answers = std::unique_ptr<ServerAnswers>(new ServerAnswers);
    testing::ServerProcess::Options options;
    options.redis_port = redis_port;
    auto server = testing::ServerProcess::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return nullptr;
    answers->server_ = *std::move(server);
    av::client::AvailabilityClient::Options client_options;
    client_options.read_timeout = absl::Seconds(5);
    answers->client_ = answers->server_->NewClient(client_options);
    return answers;
  }

  // "SKU STATUS_NAME" for each SKU on the sales channel, in order.
  std::vector<std::string> Statuses(const std::string& channel,
                                    const std::vector<std::string>& skus) {
    v1::BatchGetAvailabilityRequest request;
    request.mutable_scope()->set_sales_channel(channel);
    for (const std::string& sku : skus) request.add_items()->set_sku(sku);
    absl::StatusOr<v1::BatchGetAvailabilityResponse> response =
        client_->BatchGetAvailability(request);
    EXPECT_TRUE(response.ok()) << response.status() << server_->Stderr();
    std::vector<std::string> out;
    if (!response.ok()) return out;
    for (const v1::ProductAvailability& item : response->items()) {
      out.push_back(
          absl::StrCat(item.sku(), " ", v1::Status_Name(item.status())));
    }
    return out;
  }

 private:
  ServerAnswers() = default;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<av::client::AvailabilityClient> client_;
};

// Asked by sales channel through the server: a disabled or unassigned
// product is not sold there (STATUS_UNKNOWN in a batch, as an unknown SKU).
TEST_F(MagentoSyncTest, ServerAnswersPerChannelAsMagentoSells) {
  ASSERT_THAT(Sql("INSERT INTO catalog_product_entity_int (attribute_id, "
                  "store_id, entity_id, value) VALUES (97, 2, 1, 2);"
                  "DELETE FROM catalog_product_website WHERE product_id = 4 "
                  "AND website_id = 1"),
              IsOk());
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  std::unique_ptr<ServerAnswers> server = ServerAnswers::Start(redis_->port());
  ASSERT_NE(server, nullptr);
  // MB-01 is disabled in the eu store view only; OVR-01 is not on base.
  EXPECT_THAT(server->Statuses("base", {"MB-01", "OVR-01", "MB-02"}),
              ElementsAre("MB-01 STATUS_IN_STOCK", "OVR-01 STATUS_UNKNOWN",
                          "MB-02 STATUS_OUT_OF_STOCK"));
  EXPECT_THAT(server->Statuses("eu", {"MB-01", "MB-02"}),
              ElementsAre("MB-01 STATUS_UNKNOWN", "MB-02 STATUS_IN_STOCK"));
}

// Configurable, bundle and grouped parents (composite_fixtures.sql): their
// records name their type and components as Magento links them, the
// parent's own stock status from its legacy stock item; disabled variants
// have no record; the components answer through the server as Magento
// sells them.
TEST_F(MagentoSyncTest, CompositeProductsAreWrittenWithTheirComponents) {
  database_ = absl::StrCat(database_, "_composites");
  CreateDatabase(database_, "", {"composite_fixtures.sql"});
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));

  for (int32_t stock : {1, 2, 3}) {
    SCOPED_TRACE(stock);
    std::optional<core::Record> cfg = ReadRecord(stock, "CFG-01");
    ASSERT_TRUE(cfg.has_value());
    EXPECT_EQ(cfg->product_type, core::ProductType::kConfigurable);
    EXPECT_THAT(cfg->components,
                ElementsAre("CFG-01-S", "CFG-01-M", "CFG-01-L"));
    EXPECT_TRUE(cfg->is_in_stock);
    EXPECT_EQ(cfg->source_qty, 0);

    std::optional<core::Record> cfg2 = ReadRecord(stock, "CFG-02");
    ASSERT_TRUE(cfg2.has_value());
    EXPECT_FALSE(cfg2->is_in_stock);  // set out of stock on the parent
    EXPECT_THAT(cfg2->components, ElementsAre("CFG-02-A"));

    std::optional<core::Record> bundle = ReadRecord(stock, "BND-01");
    ASSERT_TRUE(bundle.has_value());
    EXPECT_EQ(bundle->product_type, core::ProductType::kBundle);
    EXPECT_TRUE(bundle->components.empty());
    ASSERT_EQ(bundle->bundle_options.size(), 3u);
    EXPECT_TRUE(bundle->bundle_options[0].required);
    EXPECT_THAT(bundle->bundle_options[0].selections,
                ElementsAre(core::BundleSelection{"MB-01", U(2)},
                            core::BundleSelection{"OVR-01", U(1)}));
    EXPECT_FALSE(bundle->bundle_options[1].required);
    EXPECT_THAT(bundle->bundle_options[1].selections,
                ElementsAre(core::BundleSelection{"DEC-01", U(1)}));
    EXPECT_TRUE(bundle->bundle_options[2].required);
    EXPECT_THAT(bundle->bundle_options[2].selections,
                ElementsAre(core::BundleSelection{"NMS-01", U(3)}));

    std::optional<core::Record> grouped = ReadRecord(stock, "GRP-01");
    ASSERT_TRUE(grouped.has_value());
    EXPECT_EQ(grouped->product_type, core::ProductType::kGrouped);
    EXPECT_THAT(grouped->components, ElementsAre("US-01", "MB-02"));

    // Disabled: not sold anywhere.
    EXPECT_FALSE(ReadRecord(stock, "CFG-01-L").has_value());
  }
  // Simple products stay simple.
  EXPECT_EQ(ReadRecord(1, "MB-01")->product_type, core::ProductType::kSimple);

  // The components as Magento sells them (salable = Σ qty - min_qty 2):
  // CFG-01-M ships on base (3 - 2), not on eu (2 - 2); NMS-01 (unmanaged)
  // is not on the eu stock; US-01 is on us only.
  std::unique_ptr<ServerAnswers> server = ServerAnswers::Start(redis_->port());
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(
      server->Statuses("base", {"CFG-01-S", "CFG-01-M", "CFG-01-L", "CFG-02-A",
                                "MB-01", "NMS-01", "US-01", "MB-02"}),
      ElementsAre("CFG-01-S STATUS_OUT_OF_STOCK", "CFG-01-M STATUS_IN_STOCK",
                  "CFG-01-L STATUS_UNKNOWN", "CFG-02-A STATUS_IN_STOCK",
                  "MB-01 STATUS_IN_STOCK", "NMS-01 STATUS_IN_STOCK",
                  "US-01 STATUS_UNKNOWN", "MB-02 STATUS_OUT_OF_STOCK"));
  EXPECT_THAT(
      server->Statuses("eu", {"CFG-01-M", "MB-01", "NMS-01", "MB-02"}),
      ElementsAre("CFG-01-M STATUS_OUT_OF_STOCK", "MB-01 STATUS_IN_STOCK",
                  "NMS-01 STATUS_UNKNOWN", "MB-02 STATUS_IN_STOCK"));
}

// The parents' answers as Magento's storefront shows them (docs/domain.md
// §10), through the server, which derives them from their components.
TEST_F(MagentoSyncTest, CompositeParentsAnswerAsMagentoSellsThem) {
  database_ = absl::StrCat(database_, "_composites");
  CreateDatabase(database_, "", {"composite_fixtures.sql"});
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  std::unique_ptr<ServerAnswers> server = ServerAnswers::Start(redis_->port());
  ASSERT_NE(server, nullptr);
  // base: CFG-01-M ships; CFG-02 set out of stock; every required bundle
  // option has a selection that ships 2 / 3; no grouped product ships.
  EXPECT_THAT(
      server->Statuses("base", {"CFG-01", "CFG-02", "BND-01", "GRP-01"}),
      ElementsAre("CFG-01 STATUS_IN_STOCK", "CFG-02 STATUS_OUT_OF_STOCK",
                  "BND-01 STATUS_IN_STOCK", "GRP-01 STATUS_OUT_OF_STOCK"));
  // eu: no variant ships; NMS-01 (required option 3) is not on the stock;
  // MB-02 ships.
  EXPECT_THAT(
      server->Statuses("eu", {"CFG-01", "BND-01", "GRP-01"}),
      ElementsAre("CFG-01 STATUS_OUT_OF_STOCK", "BND-01 STATUS_OUT_OF_STOCK",
                  "GRP-01 STATUS_IN_STOCK"));
  EXPECT_THAT(server->Statuses("us", {"GRP-01"}),
              ElementsAre("GRP-01 STATUS_IN_STOCK"));
}

// Adobe Commerce with content staging (commerce_staging.sql): found from
// the schema (catalog_product_entity.row_id); only the version current now
// counts (no double counting of a product's versions), and links, EAV
// values, configurable and bundle parents are joined by row_id.
TEST_F(MagentoSyncTest, CommerceStagingReadsTheCurrentVersionByRowId) {
  database_ = absl::StrCat(database_, "_commerce");
  CreateDatabase(database_, "",
                 {"composite_fixtures.sql", "commerce_staging.sql"});
  ASSERT_THAT(
      Sql("SET @now = UNIX_TIMESTAMP();"
          // MB-01: an old version (disabled), the current one (enabled,
          // related to OVR-01 only) and a scheduled one (disabled).
          "UPDATE catalog_product_entity SET updated_in = @now - 3600 "
          "WHERE entity_id = 1;"
          "INSERT INTO catalog_product_entity_int (attribute_id, store_id, "
          "row_id, value) SELECT 97, 0, row_id, 2 FROM catalog_product_entity "
          "WHERE entity_id = 1;"
          "INSERT INTO catalog_product_entity (entity_id, attribute_set_id, "
          "type_id, sku, created_in, updated_in) VALUES "
          "(1, 4, 'simple', 'MB-01', @now - 3600, @now + 86400);"
          "SET @current = LAST_INSERT_ID();"
          "INSERT INTO catalog_product_link (product_id, linked_product_id, "
          "link_type_id) VALUES (@current, 4, 1);"
          "INSERT INTO catalog_product_entity (entity_id, attribute_set_id, "
          "type_id, sku, created_in, updated_in) VALUES "
          "(1, 4, 'simple', 'MB-01', @now + 86400, 2147483647);"
          "INSERT INTO catalog_product_entity_int (attribute_id, store_id, "
          "row_id, value) VALUES (97, 0, LAST_INSERT_ID(), 2);"
          // CFG-01: the current version has one variant left.
          "UPDATE catalog_product_entity SET updated_in = @now - 60 "
          "WHERE entity_id = 9;"
          "INSERT INTO catalog_product_entity (entity_id, attribute_set_id, "
          "type_id, sku, created_in, updated_in) VALUES "
          "(9, 4, 'configurable', 'CFG-01', @now - 60, 2147483647);"
          "INSERT INTO catalog_product_super_link (product_id, parent_id) "
          "VALUES (41, LAST_INSERT_ID())"),
      IsOk());
  ASSERT_NE(
      *db_server_->QueryValue(
          "SELECT row_id FROM catalog_product_entity WHERE entity_id = 45",
          database_),
      "45");
  StartSync(FastOptions());
  ASSERT_TRUE(WaitForReconciles(1, absl::Seconds(20)));
  ASSERT_TRUE(LogLines({"database schema", "edition=commerce"}).size() >= 1);

  std::optional<core::Record> mb01 = ReadRecord(1, "MB-01");
  ASSERT_TRUE(mb01.has_value());
  EXPECT_EQ(mb01->source_qty, U(100));  // once, not per version
  EXPECT_EQ(mb01->reserved_qty, -U(4));
  EXPECT_THAT(mb01->alternatives, ElementsAre(core::AlternativeLink{
                                      "OVR-01", core::Relation::kRelated}));
  EXPECT_EQ(ReadRecord(2, "MB-01")->source_qty, U(20));
  EXPECT_THAT(ReadRecord(1, "CFG-01")->components, ElementsAre("CFG-01-M"));
  // Parents named by row_id (entity 45 is another row id).
  std::optional<core::Record> bundle = ReadRecord(1, "BND-01");
  ASSERT_TRUE(bundle.has_value());
  ASSERT_EQ(bundle->bundle_options.size(), 3u);
  EXPECT_THAT(bundle->bundle_options[2].selections,
              ElementsAre(core::BundleSelection{"NMS-01", U(3)}));
  EXPECT_THAT(ReadRecord(2, "GRP-01")->components,
              ElementsAre("US-01", "MB-02"));
  EXPECT_FALSE(ReadRecord(1, "CFG-01-L").has_value());  // disabled by row_id
  EXPECT_THAT(Ranking(1, 10), ElementsAre("MB-02", "BO-01", "MB-01"));

  // The incremental path reads the current version too.
  ASSERT_THAT(Sql("INSERT INTO inventory_reservation (stock_id, sku, "
                  "quantity) VALUES (1, 'MB-01', -1)"),
              IsOk());
  EXPECT_TRUE(WaitForRecord(1, "MB-01", absl::Seconds(5),
                            [](const std::optional<core::Record>& r) {
                              return r.has_value() &&
                                     r->reserved_qty == -U(5) &&
                                     r->source_qty == U(100);
                            })
                  .has_value());
}

}  // namespace
}  // namespace availability::sync::magento
