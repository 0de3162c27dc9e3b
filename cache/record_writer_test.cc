#include "cache/record_writer.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "cache/catalog_settings_writer.h"
#include "cache/record_codec.h"
#include "cache/subscription_store.h"
#include "core/decision.h"
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

// March 1st 2026, noon UTC: the stores' "today".
absl::Time Now() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 1, 12, 0, 0),
                         absl::UTCTimeZone());
}
int64_t Days(absl::CivilDay d) { return d - absl::CivilDay(1970, 1, 1); }

core::Record InStock(std::string sku, int64_t version, int64_t units) {
  core::Record r;
  r.sku = std::move(sku);
  r.stock_id = kStock;
  r.version = version;
  r.source_qty = core::QtyFromUnits(units);
  return r;
}

core::Record Backorderable(std::string sku, int64_t version,
                           absl::CivilDay receipt) {
  core::Record r = InStock(std::move(sku), version, 0);
  r.backorders = core::Backorders::kYes;
  r.inbound = {{receipt, core::QtyFromUnits(20)}};
  return r;
}

class RecordWriterTest : public RedisTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RedisTest::SetUp());
    RecordWriter::Options wo;
    wo.events_max_len = 0;  // keep every event for the assertions
    writer_ = std::make_unique<RecordWriter>(*client_, keys_, wo);
  }

  std::vector<WriteOutcome> Upsert(std::vector<core::Record> records,
                                   std::string snapshot = "") {
    Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w(kWait);
    writer_->Upsert(std::move(records), std::move(snapshot), Now(), Deadline(),
                    w.Callback());
    auto r = w.Get();
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : std::vector<WriteOutcome>();
  }

  std::vector<WriteOutcome> Delete(std::vector<DeleteKey> keys) {
    Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w(kWait);
    writer_->Delete(std::move(keys), Deadline(), w.Callback());
    auto r = w.Get();
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : std::vector<WriteOutcome>();
  }

  absl::StatusOr<SnapshotResult> Finish(std::string snapshot,
                                        EmptySnapshot if_empty) {
    Waiter<absl::StatusOr<SnapshotResult>> w(kWait);
    writer_->FinishSnapshot(kStock, std::move(snapshot), if_empty, Deadline(),
                            w.Callback());
    return w.Get();
  }

  std::optional<core::Record> Stored(const std::string& sku) {
    RedisReply r = Command({"GET", keys_.Record(kStock, sku)});
    if (r.is_nil()) return std::nullopt;
    auto rec = DecodeRecord(r.str, kStock, sku);
    EXPECT_THAT(rec, IsOk());
    return rec.ok() ? std::optional<core::Record>(*rec) : std::nullopt;
  }

  std::vector<TransitionEvent> Events(int32_t stock = kStock) {
    RedisReply r = Command({"XRANGE", keys_.Events(stock), "-", "+"});
    std::vector<TransitionEvent> out;
    for (const RedisReply& entry : r.elements) {
      auto e = ParseTransitionEvent(entry);
      EXPECT_THAT(e, IsOk());
      if (e.ok()) out.push_back(*e);
    }
    return out;
  }

  std::unique_ptr<RecordWriter> writer_;
};

// "TYPE old->new" for compact assertions.
std::string Describe(const TransitionEvent& e) {
  return absl::StrCat(e.type, " ", e.old_status, "->", e.new_status, " v",
                      e.version);
}
std::vector<std::string> Describe(const std::vector<TransitionEvent>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(Describe(e));
  return out;
}

TEST_F(RecordWriterTest, NewerVersionAppliesOlderAndEqualAreStale) {
  auto out = Upsert({InStock("A", 5, 10)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].result, WriteResult::kApplied);
  EXPECT_EQ(out[0].stored_version, 5);

  out = Upsert({InStock("A", 4, 0), InStock("A", 5, 0)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].result, WriteResult::kStale);
  EXPECT_EQ(out[0].stored_version, 5);
  EXPECT_EQ(out[1].result, WriteResult::kStale);
  EXPECT_EQ(out[1].stored_version, 5);

  auto stored = Stored("A");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->source_qty, core::QtyFromUnits(10));
  // Only the first write announced anything.
  EXPECT_THAT(Describe(Events()), ElementsAre("BACK_IN_STOCK 1->2 v5"));
}

TEST_F(RecordWriterTest, VersionsBeyondDoublePrecisionCompareExactly) {
  const int64_t big = (int64_t{1} << 62) + 1;
  ASSERT_EQ(Upsert({InStock("A", big, 1)})[0].result, WriteResult::kApplied);
  // Differs only in the lowest bit: a double could not tell them apart.
  auto out = Upsert({InStock("A", big - 1, 0)});
  EXPECT_EQ(out[0].result, WriteResult::kStale);
  EXPECT_EQ(out[0].stored_version, big);
  EXPECT_EQ(Upsert({InStock("A", big + 1, 0)})[0].result,
            WriteResult::kApplied);
  auto events = Events();
  ASSERT_EQ(events.size(), 3u);  // in stock, out of stock, low stock
  EXPECT_EQ(events[0].version, big);
  EXPECT_EQ(events[1].version, big + 1);
}

TEST_F(RecordWriterTest, AnnouncesEachTransitionExactlyOnce) {
  const absl::CivilDay mar10(2026, 3, 10), mar12(2026, 3, 12);
  Upsert({InStock("A", 1, 10)});           // appears in stock
  Upsert({InStock("A", 2, 8)});            // same summary but net
  Upsert({InStock("A", 3, 0)});            // out of stock, low
  Upsert({Backorderable("A", 4, mar10)});  // backorderable
  Upsert({Backorderable("A", 5, mar12)});  // later ETA
  Upsert({Backorderable("A", 6, mar12)});  // nothing changed
  core::Record preorder = InStock("A", 7, 0);
  preorder.lifecycle = core::Lifecycle::kPreorder;
  preorder.release_date = absl::CivilDay(2026, 4, 1);
  Upsert({preorder});            // preorder
  Upsert({InStock("A", 8, 3)});  // back in stock
  core::Record discontinued = InStock("A", 9, 0);
  discontinued.lifecycle = core::Lifecycle::kDiscontinued;
  Upsert({discontinued});       // discontinued, low
  Delete({{kStock, "A", 10}});  // gone

  auto events = Events();
  EXPECT_THAT(Describe(events),
              ElementsAre("BACK_IN_STOCK 1->2 v1", "OUT_OF_STOCK 2->5 v3",
                          "LOW_STOCK 2->5 v3", "BACKORDER_STARTED 5->3 v4",
                          "ETA_CHANGED 3->3 v5", "ETA_CHANGED 3->4 v7",
                          "BACK_IN_STOCK 4->2 v8", "DISCONTINUED 2->6 v9",
                          "LOW_STOCK 2->6 v9", "OUT_OF_STOCK 6->1 v10"));
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events[0].sku, "A");
  EXPECT_EQ(events[0].stock_id, kStock);
  EXPECT_EQ(events[0].net, core::QtyFromUnits(10));
  EXPECT_EQ(events[0].eta_days, -1);
  EXPECT_EQ(events[3].eta_days, Days(mar10));
  EXPECT_EQ(events[4].eta_days, Days(mar12));
  EXPECT_EQ(events[5].eta_days, Days(absl::CivilDay(2026, 4, 1)));
}

// "events E jobs J" of one outcome, for compact assertions.
std::string Counts(const WriteOutcome& o) {
  return absl::StrCat("events ", o.events_appended, " jobs ",
                      o.notifications_queued);
}

TEST_F(RecordWriterTest, OutcomesCountTheEventsAndJobsTheyAppended) {
  const absl::CivilDay mar10(2026, 3, 10), mar12(2026, 3, 12);
  // A SKU never seen appears in stock: BACK_IN_STOCK.
  EXPECT_EQ(Counts(Upsert({InStock("A", 1, 10)})[0]), "events 1 jobs 0");
  // Stale: nothing appended.
  EXPECT_EQ(Counts(Upsert({InStock("A", 1, 0)})[0]), "events 0 jobs 0");
  // Same summary but net: nothing to announce.
  EXPECT_EQ(Counts(Upsert({InStock("A", 2, 8)})[0]), "events 0 jobs 0");
  // Out of stock and below notify_stock_qty: OUT_OF_STOCK and LOW_STOCK.
  EXPECT_EQ(Counts(Upsert({InStock("A", 3, 0)})[0]), "events 2 jobs 0");
  // BACKORDER_STARTED, then a later first ship date: ETA_CHANGED.
  EXPECT_EQ(Counts(Upsert({Backorderable("A", 4, mar10)})[0]),
            "events 1 jobs 0");
  EXPECT_EQ(Counts(Upsert({Backorderable("A", 5, mar12)})[0]),
            "events 1 jobs 0");
  // Back in stock with two open subscriptions: one job each.
  SubscriptionStore subs(*client_, keys_);
  for (std::string subscriber : {"alice", "bob"}) {
    Waiter<absl::StatusOr<bool>> w(kWait);
    subs.Subscribe(kStock, "A", subscriber, Now(), Deadline(), w.Callback());
    ASSERT_THAT(w.Get(), IsOk());
  }
  EXPECT_EQ(Counts(Upsert({InStock("A", 6, 3)})[0]), "events 1 jobs 2");
  // A delete announces OUT_OF_STOCK; repeating it is stale.
  EXPECT_EQ(Counts(Delete({{kStock, "A", 7}})[0]), "events 1 jobs 0");
  EXPECT_EQ(Counts(Delete({{kStock, "A", 7}})[0]), "events 0 jobs 0");
  // The counts are what the streams hold.
  EXPECT_EQ(Events().size(), 7u);
  EXPECT_EQ(Command({"XLEN", keys_.NotificationJobs(kStock)}).integer, 2);
}

// The events stream keeps about events_max_len entries: both scripts (the
// bulk one for simple upserts, the general one for deletes) trim it once per
// call, to whole stream nodes (100 entries) above the bound, and the newest
// events stay.
TEST_F(RecordWriterTest, EventsStreamIsTrimmedAfterEachWrite) {
  RecordWriter::Options wo;
  wo.events_max_len = 150;
  writer_ = std::make_unique<RecordWriter>(*client_, keys_, wo);
  auto length = [&] { return Command({"XLEN", keys_.Events(kStock)}).integer; };
  for (int batch = 0; batch < 5; ++batch) {
    std::vector<core::Record> records;
    for (int i = 0; i < 200; ++i) {
      records.push_back(InStock(absl::StrCat("T", batch, "-", i), 1, 5));
    }
    Upsert(std::move(records));
    EXPECT_GE(length(), 150) << batch;
    EXPECT_LE(length(), 250) << batch;
  }
  std::vector<DeleteKey> deletes;
  for (int i = 0; i < 200; ++i) {
    deletes.push_back({kStock, absl::StrCat("T4-", i), 2});
  }
  Delete(std::move(deletes));
  EXPECT_GE(length(), 150);
  EXPECT_LE(length(), 250);
  const std::vector<TransitionEvent> events = Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().sku, "T4-199");
  EXPECT_EQ(events.back().type, "OUT_OF_STOCK");
}

TEST_F(RecordWriterTest, DeleteLeavesTombstoneThatBlocksOlderUpserts) {
  Upsert({InStock("A", 5, 10)});
  auto del = Delete({{kStock, "A", 4}});
  EXPECT_EQ(del[0].result, WriteResult::kStale);
  EXPECT_EQ(del[0].stored_version, 5);
  EXPECT_TRUE(Stored("A").has_value());

  del = Delete({{kStock, "A", 6}});
  EXPECT_EQ(del[0].result, WriteResult::kApplied);
  EXPECT_FALSE(Stored("A").has_value());

  // A late upsert older than (or as old as) the delete does not resurrect it.
  auto out = Upsert({InStock("A", 5, 10), InStock("A", 6, 10)});
  EXPECT_EQ(out[0].result, WriteResult::kStale);
  EXPECT_EQ(out[0].stored_version, 6);
  EXPECT_EQ(out[1].result, WriteResult::kStale);
  EXPECT_FALSE(Stored("A").has_value());
  // Repeating the delete changes nothing.
  EXPECT_EQ(Delete({{kStock, "A", 6}})[0].result, WriteResult::kStale);

  // A delete that overtakes the upsert it supersedes (never stored) also
  // leaves a tombstone.
  EXPECT_EQ(Delete({{kStock, "B", 3}})[0].result, WriteResult::kApplied);
  EXPECT_EQ(Upsert({InStock("B", 2, 1)})[0].result, WriteResult::kStale);
  EXPECT_FALSE(Stored("B").has_value());

  // A newer upsert brings A back, announced from UNKNOWN.
  EXPECT_EQ(Upsert({InStock("A", 7, 1)})[0].result, WriteResult::kApplied);
  EXPECT_THAT(Describe(Events()),
              ElementsAre("BACK_IN_STOCK 1->2 v5", "OUT_OF_STOCK 2->1 v6",
                          "BACK_IN_STOCK 1->2 v7"));
}

TEST_F(RecordWriterTest, BatchSpanningStocksWritesEach) {
  core::Record other = InStock("A", 1, 1);
  other.stock_id = 2;
  auto out = Upsert({InStock("A", 1, 1), other, InStock("B", 1, 0)});
  ASSERT_EQ(out.size(), 3u);
  for (const auto& o : out) EXPECT_EQ(o.result, WriteResult::kApplied);
  EXPECT_EQ(Events(kStock).size(), 2u);
  EXPECT_EQ(Events(2).size(), 1u);
}

TEST_F(RecordWriterTest, FallsBackToEvalWhenScriptCacheIsFlushed) {
  Upsert({InStock("A", 1, 1)});
  EXPECT_EQ(Command({"SCRIPT", "FLUSH"}).str, "OK");
  EXPECT_EQ(Upsert({InStock("A", 2, 0)})[0].result, WriteResult::kApplied);
  EXPECT_EQ(Stored("A")->version, 2);
}

TEST_F(RecordWriterTest, SummaryUsesTheStoredStoreConfig) {
  core::StoreConfig config;
  config.stock_id = kStock;
  config.notify_stock_qty = core::QtyFromUnits(5);
  config.backorders = core::Backorders::kYes;
  CatalogSettingsWriter settings(*client_, keys_);
  Waiter<absl::Status> put(kWait);
  settings.PutStoreConfig(config, Deadline(), put.Callback());
  ASSERT_THAT(put.Get(), IsOk());

  Waiter<absl::StatusOr<core::StoreConfig>> read(kWait);
  settings.ReadStoreConfig(kStock, Deadline(), read.Callback());
  auto got = read.Get();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->notify_stock_qty, core::QtyFromUnits(5));

  Upsert({InStock("A", 1, 10)});
  Upsert({InStock("A", 2, 4)});  // below 5: low stock, still in stock
  Upsert({InStock("A", 3, 0)});  // backorders from config: backorderable
  EXPECT_THAT(Describe(Events()),
              ElementsAre("BACK_IN_STOCK 1->2 v1", "LOW_STOCK 2->2 v2",
                          "BACKORDER_STARTED 2->3 v3"));
}

// A stock whose stored config does not decode fails its records alone
// (DataLoss naming the stock), and none of them is written; records of
// another stock in the same call are applied.
TEST_F(RecordWriterTest, AnUndecodableStoreConfigFailsOnlyItsStock) {
  Command({"SET", keys_.StoreConfig(kStock), "\xff not a config"});
  core::Record other = InStock("B", 1, 3);
  other.stock_id = kStock + 1;
  auto out = Upsert({InStock("A", 1, 10), other});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].result, WriteResult::kFailed);
  EXPECT_THAT(out[0].error, StatusIs(absl::StatusCode::kDataLoss,
                                     HasSubstr("store config of stock 1")));
  EXPECT_FALSE(Stored("A").has_value());
  EXPECT_EQ(out[1].result, WriteResult::kApplied);
}

TEST_F(RecordWriterTest, FinishSnapshotDeletesRecordsTheSnapshotLacks) {
  Upsert({InStock("A", 1, 1), InStock("B", 1, 1), InStock("C", 1, 1)});
  // The snapshot holds A (newer) and B (as stored: stale, still held).
  auto out = Upsert({InStock("A", 2, 3), InStock("B", 1, 1)}, "snap-1");
  EXPECT_EQ(out[0].result, WriteResult::kApplied);
  EXPECT_EQ(out[1].result, WriteResult::kStale);

  Waiter<absl::StatusOr<SnapshotResult>> w(kWait);
  writer_->FinishSnapshot(kStock, "snap-1", Deadline(), w.Callback());
  auto result = w.Get();
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->deleted, 1);
  EXPECT_EQ(result->kept, 2);
  EXPECT_EQ(result->events_appended, 1);
  EXPECT_TRUE(Stored("A").has_value());
  EXPECT_TRUE(Stored("B").has_value());
  EXPECT_FALSE(Stored("C").has_value());
  // The deleted record is tombstoned at its version and announced.
  EXPECT_EQ(Upsert({InStock("C", 1, 1)})[0].result, WriteResult::kStale);
  auto events = Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(Describe(events.back()), "OUT_OF_STOCK 2->1 v1");
  EXPECT_EQ(events.back().sku, "C");
  // The set is gone: finishing again (or a typo) deletes nothing.
  EXPECT_EQ(Command({"EXISTS", keys_.Snapshot(kStock, "snap-1")}).integer, 0);
  Waiter<absl::StatusOr<SnapshotResult>> again(kWait);
  writer_->FinishSnapshot(kStock, "snap-1", Deadline(), again.Callback());
  EXPECT_THAT(again.Get(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                    HasSubstr("nothing deleted")));
  EXPECT_TRUE(Stored("A").has_value());
}

TEST_F(RecordWriterTest, FinishSnapshotScansInChunks) {
  RecordWriter::Options wo;
  wo.scan_count = 7;
  RecordWriter writer(*client_, keys_, wo);
  std::vector<core::Record> all, half;
  for (int i = 0; i < 100; ++i) {
    all.push_back(InStock(absl::StrCat("sku-", i), 1, 1));
    if (i % 2 == 0) half.push_back(InStock(absl::StrCat("sku-", i), 2, 1));
  }
  Upsert(all);
  Upsert(half, "s");
  Waiter<absl::StatusOr<SnapshotResult>> w(kWait);
  writer.FinishSnapshot(kStock, "s", Deadline(), w.Callback());
  auto result = w.Get();
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->deleted, 50);
  EXPECT_EQ(result->kept, 50);
  EXPECT_EQ(result->events_appended, 50);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(Stored(absl::StrCat("sku-", i)).has_value(), i % 2 == 0) << i;
  }
}

TEST_F(RecordWriterTest, EmptySnapshotEmptiesTheStockOnlyWhenAsked) {
  Upsert({InStock("A", 1, 1), InStock("B", 2, 1)});
  core::Record other = InStock("A", 1, 1);
  other.stock_id = 2;
  Upsert({other});

  // By default (and as the sync API does) an empty set deletes nothing.
  Waiter<absl::StatusOr<SnapshotResult>> plain(kWait);
  writer_->FinishSnapshot(kStock, "never-used", Deadline(), plain.Callback());
  EXPECT_THAT(plain.Get(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                    HasSubstr("nothing deleted")));
  EXPECT_THAT(Finish("never-used", EmptySnapshot::kRefuse),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(Stored("A").has_value());
  EXPECT_TRUE(Stored("B").has_value());

  auto result = Finish("never-used", EmptySnapshot::kEmptiesStock);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->deleted, 2);
  EXPECT_EQ(result->kept, 0);
  EXPECT_EQ(result->events_appended, 2);
  EXPECT_FALSE(Stored("A").has_value());
  EXPECT_FALSE(Stored("B").has_value());
  // Announced as deletes, and tombstoned at the stored versions.
  auto events = Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_THAT(
      Describe(std::vector<TransitionEvent>(events.begin() + 2, events.end())),
      ::testing::UnorderedElementsAre("OUT_OF_STOCK 2->1 v1",
                                      "OUT_OF_STOCK 2->1 v2"));
  EXPECT_EQ(Upsert({InStock("B", 2, 1)})[0].result, WriteResult::kStale);
  // Another stock is untouched.
  EXPECT_FALSE(Command({"GET", keys_.Record(2, "A")}).is_nil());

  // With records in the set, kEmptiesStock finishes as usual.
  Upsert({InStock("C", 1, 1), InStock("D", 1, 1)});
  Upsert({InStock("C", 2, 1)}, "s");
  auto finished = Finish("s", EmptySnapshot::kEmptiesStock);
  ASSERT_THAT(finished, IsOk());
  EXPECT_EQ(finished->deleted, 1);
  EXPECT_EQ(finished->kept, 1);
  EXPECT_TRUE(Stored("C").has_value());
  EXPECT_FALSE(Stored("D").has_value());
}

TEST_F(RecordWriterTest, MassDeleteGuardRefusesBeforeDeletingAnything) {
  RecordWriter::Options wo;
  wo.scan_count = 7;  // the count spans several SCAN steps
  RecordWriter writer(*client_, keys_, wo);
  std::vector<core::Record> all, kept;
  for (int i = 0; i < 40; ++i) {
    all.push_back(InStock(absl::StrCat("sku-", i), 1, 1));
    if (i < 30) kept.push_back(InStock(absl::StrCat("sku-", i), 2, 1));
  }
  Upsert(all);
  Upsert(kept, "s");
  const size_t events_before = Events().size();
  auto finish = [&](DeleteLimit limit) {
    Waiter<absl::StatusOr<SnapshotResult>> w(kWait);
    writer.FinishSnapshot(kStock, "s", EmptySnapshot::kRefuse, limit,
                          Deadline(), w.Callback());
    return w.Get();
  };

  // 10 of 40 (25 %) is above 10 %: refused, nothing deleted, set kept.
  DeleteLimit ten_percent;
  ten_percent.max_fraction = 0.1;
  EXPECT_THAT(finish(ten_percent),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("would delete 10 of 40 records of stock 1 "
                                 "(25 %), above the limit of 10 %; nothing "
                                 "deleted")));
  DeleteLimit nine;
  nine.max_count = 9;
  EXPECT_THAT(finish(nine),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("above the limit of 9 records")));
  for (int i = 0; i < 40; ++i) {
    EXPECT_TRUE(Stored(absl::StrCat("sku-", i)).has_value()) << i;
  }
  EXPECT_EQ(Events().size(), events_before);
  EXPECT_EQ(Command({"SCARD", keys_.Snapshot(kStock, "s")}).integer, 30);

  // Within both limits it deletes as usual.
  DeleteLimit quarter;
  quarter.max_fraction = 0.25;
  quarter.max_count = 10;
  auto result = finish(quarter);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->deleted, 10);
  EXPECT_EQ(result->kept, 30);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(Stored(absl::StrCat("sku-", i)).has_value(), i < 30) << i;
  }
}

// The guard's count lists the SKUs to delete, so a guarded finish scans the
// keyspace once; past max_listed_absent it scans again, with the same result.
TEST_F(RecordWriterTest, GuardedFinishScansOnceUnlessTooManyAreAbsent) {
  std::vector<int64_t> scans;  // SCAN calls of each finish
  for (const size_t listed : {size_t{100}, size_t{3}}) {
    SCOPED_TRACE(listed);
    Command({"FLUSHALL"});
    RecordWriter::Options wo;
    wo.scan_count = 7;
    wo.max_listed_absent = listed;
    RecordWriter writer(*client_, keys_, wo);
    std::vector<core::Record> all, kept;
    for (int i = 0; i < 40; ++i) {
      all.push_back(InStock(absl::StrCat("sku-", i), 1, 1));
      if (i % 4 != 0) kept.push_back(InStock(absl::StrCat("sku-", i), 2, 1));
    }
    Upsert(all);
    Upsert(kept, "s");
    Command({"CONFIG", "RESETSTAT"});
    DeleteLimit limit;
    limit.max_fraction = 0.5;
    Waiter<absl::StatusOr<SnapshotResult>> w(kWait);
    writer.FinishSnapshot(kStock, "s", EmptySnapshot::kRefuse, limit,
                          Deadline(), w.Callback());
    auto result = w.Get();
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->deleted, 10);
    EXPECT_EQ(result->kept, 30);
    for (int i = 0; i < 40; ++i) {
      EXPECT_EQ(Stored(absl::StrCat("sku-", i)).has_value(), i % 4 != 0) << i;
    }
    const std::string stats = Command({"INFO", "commandstats"}).str;
    const size_t at = stats.find("cmdstat_scan:calls=");
    ASSERT_NE(at, std::string::npos) << stats;
    scans.push_back(std::stoll(stats.substr(at + 19)));
    EXPECT_EQ(Command({"EXISTS", keys_.Snapshot(kStock, "s")}).integer, 0);
  }
  // Listed: one pass over the keyspace; too many absent: a second one.
  ASSERT_EQ(scans.size(), 2u);
  EXPECT_GT(scans[0], 1);
  EXPECT_GT(scans[1], scans[0] * 3 / 2);
}

// Three stocks finished with one walk over the keyspace: the same deletes
// as one FinishSnapshot each, a refused empty set fails its stock alone,
// and the walk costs about as many SCAN steps as one stock's.
TEST_F(RecordWriterTest, FinishSnapshotsWalksTheKeyspaceOnceForAllStocks) {
  RecordWriter::Options wo;
  wo.scan_count = 7;
  RecordWriter writer(*client_, keys_, wo);
  auto load = [&] {
    Command({"FLUSHALL"});
    for (int32_t stock : {1, 2, 3, 4}) {
      std::vector<core::Record> all, kept;
      for (int i = 0; i < 30; ++i) {
        core::Record r = InStock(absl::StrCat("sku-", i), 1, 1);
        r.stock_id = stock;
        all.push_back(r);
        r.version = 2;
        // Stock 3's snapshot holds nothing: refused, nothing deleted.
        if (i % 3 != 0 && stock != 3) kept.push_back(r);
      }
      Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w1(kWait), w2(kWait);
      writer.Upsert(all, "", Now(), Deadline(), w1.Callback());
      ASSERT_THAT(w1.Get(), IsOk());
      writer.Upsert(kept, "s", Now(), Deadline(), w2.Callback());
      ASSERT_THAT(w2.Get(), IsOk());
    }
  };
  auto scans = [&] {
    const std::string stats = Command({"INFO", "commandstats"}).str;
    const size_t at = stats.find("cmdstat_scan:calls=");
    return at == std::string::npos ? 0 : std::stoll(stats.substr(at + 19));
  };

  ASSERT_NO_FATAL_FAILURE(load());
  Command({"CONFIG", "RESETSTAT"});
  Waiter<absl::StatusOr<std::vector<absl::StatusOr<SnapshotResult>>>> w(kWait);
  writer.FinishSnapshots({{1, EmptySnapshot::kRefuse},
                          {3, EmptySnapshot::kRefuse},
                          {2, EmptySnapshot::kRefuse}},
                         "s", Deadline(), w.Callback());
  auto results = w.Get();
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), 3u);
  for (size_t k : {size_t{0}, size_t{2}}) {
    ASSERT_THAT((*results)[k], IsOk()) << k;
    EXPECT_EQ((*results)[k]->deleted, 10) << k;
    EXPECT_EQ((*results)[k]->kept, 20) << k;
    EXPECT_EQ((*results)[k]->events_appended, 10) << k;
  }
  EXPECT_THAT((*results)[1], StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("holds no records")));
  const int64_t walk = scans();
  for (int32_t stock : {1, 2, 3, 4}) {
    for (int i = 0; i < 30; ++i) {
      const bool gone = (stock == 1 || stock == 2) && i % 3 == 0;
      EXPECT_EQ(
          Command({"EXISTS", keys_.Record(stock, absl::StrCat("sku-", i))})
              .integer,
          gone ? 0 : 1)
          << stock << " " << i;
    }
  }
  EXPECT_EQ(Command({"EXISTS", keys_.Snapshot(1, "s")}).integer, 0);
  EXPECT_EQ(Command({"EXISTS", keys_.Snapshot(4, "s")}).integer, 1);

  // One stock alone over the same keyspace walks as far.
  ASSERT_NO_FATAL_FAILURE(load());
  Command({"CONFIG", "RESETSTAT"});
  Waiter<absl::StatusOr<SnapshotResult>> one(kWait);
  writer.FinishSnapshot(1, "s", Deadline(), one.Callback());
  ASSERT_THAT(one.Get(), IsOk());
  EXPECT_LE(walk, scans() + 2);
}

// A deposed writer (its fencing token below the counter) finishing a
// snapshot is refused, FENCED, and deletes nothing, whether or not the walk
// found records to delete; its set stays. The writer holding the counter's
// token finishes it.
TEST_F(RecordWriterTest,
       DeposedWriterFinishIsFencedWhetherOrNotAnythingIsAbsent) {
  const std::string fence = "av:fence";
  auto fenced = [&](int64_t token) {
    RecordWriter::Options wo;
    wo.events_max_len = 0;
    wo.fence_key = fence;
    wo.fencing_token = [token]() -> absl::StatusOr<int64_t> { return token; };
    return std::make_unique<RecordWriter>(*client_, keys_, wo);
  };
  Command({"SET", fence, "1"});
  writer_ = fenced(1);
  Upsert({InStock("A", 1, 5), InStock("B", 1, 5)}, "s1");
  Command({"SET", fence, "2"});  // another writer took over
  auto finish = [&](const std::string& snapshot) {
    return Finish(snapshot, EmptySnapshot::kRefuse);
  };
  // Nothing absent: the walk runs no delete, the end's check refuses.
  EXPECT_THAT(
      finish("s1").status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("FENCED")));
  EXPECT_EQ(Command({"SCARD", keys_.Snapshot(kStock, "s1")}).integer, 2);
  // Something absent: refused at its delete, nothing deleted.
  writer_ = fenced(2);
  Upsert({InStock("OLD", 1, 5)});
  Upsert({InStock("A", 2, 5), InStock("B", 2, 5)}, "s2");
  writer_ = fenced(1);
  EXPECT_THAT(
      finish("s2").status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("FENCED")));
  EXPECT_TRUE(Stored("OLD").has_value());
  EXPECT_EQ(Command({"SCARD", keys_.Snapshot(kStock, "s2")}).integer, 2);
  // The current writer finishes it.
  writer_ = fenced(2);
  EXPECT_THAT(finish("s1"), IsOk());
  EXPECT_FALSE(Stored("OLD").has_value());
  EXPECT_EQ(Command({"EXISTS", keys_.Snapshot(kStock, "s1")}).integer, 0);
}

TEST_F(RecordWriterTest, SnapshotSetExpires) {
  Upsert({InStock("A", 1, 1)}, "s");
  const int64_t ttl = Command({"TTL", keys_.Snapshot(kStock, "s")}).integer;
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 24 * 3600);
}

TEST_F(RecordWriterTest, CacheDownIsUnavailable) {
  server_->Kill();
  Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w(kWait);
  writer_->Upsert({InStock("A", 1, 1)}, "", Now(), Deadline(), w.Callback());
  auto r = w.Get();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsUnavailable(r.status()) ||
              absl::IsDeadlineExceeded(r.status()))
      << r.status();
}

// --- All or nothing per stock: a Redis error leaves the stock as it was ---

class AllOrNothingTest : public RecordWriterTest {
 protected:
  // A stock with history: records A..D (A out of stock with an open
  // back-in-stock subscription, so the batch below would queue a job), a
  // tombstone E, events, jobs and a snapshot set.
  void Populate(int32_t stock) {
    std::vector<core::Record> records;
    for (std::string sku : {"A", "B", "C", "D", "E"}) {
      core::Record r = InStock(sku, 1, sku == "A" ? 0 : 3);
      r.stock_id = stock;
      records.push_back(std::move(r));
    }
    Upsert(std::move(records), "s0");
    Delete({{stock, "E", 2}});
    SubscriptionStore subs(*client_, keys_);
    Waiter<absl::StatusOr<bool>> w(kWait);
    subs.Subscribe(stock, "A", "alice", Now(), Deadline(), w.Callback());
    ASSERT_THAT(w.Get(), IsOk());
    Command({"XADD", keys_.NotificationJobs(stock), "*", "sku", "Z"});
  }

  // The batch that would change every key of the stock: A back in stock
  // (event + job), B..D changed, E re-created, under a new snapshot.
  std::vector<core::Record> Batch(int32_t stock) {
    std::vector<core::Record> records;
    for (std::string sku : {"A", "B", "C", "D", "E"}) {
      core::Record r = InStock(sku, 5, sku == "A" ? 4 : 0);
      r.stock_id = stock;
      records.push_back(std::move(r));
    }
    return records;
  }

  // Every key of a stock ("av:{<stock>}:*") with its DUMP: equal maps mean
  // byte-for-byte equal records, summaries, snapshot sets, subscriptions,
  // events and jobs, and no key added or removed.
  std::map<std::string, std::string> Dump(int32_t stock) {
    std::map<std::string, std::string> out;
    RedisReply keys = Command({"KEYS", absl::StrCat("av:{", stock, "}:*")});
    for (const RedisReply& key : keys.elements) {
      out[key.str] = Command({"DUMP", key.str}).str;
    }
    return out;
  }

  absl::StatusOr<std::vector<WriteOutcome>> TryUpsert(
      std::vector<core::Record> records, std::string snapshot = "s1") {
    Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w(kWait);
    writer_->Upsert(std::move(records), std::move(snapshot), Now(), Deadline(),
                    w.Callback());
    return w.Get();
  }
};

TEST_F(AllOrNothingTest, WrongTypeRecordKeyMidBatchWritesNothing) {
  Populate(kStock);
  // The 3rd record key of the batch holds a hash.
  const std::string bad = keys_.Record(kStock, "C");
  Command({"DEL", bad});
  Command({"HSET", bad, "field", "value"});
  const auto before = Dump(kStock);
  ASSERT_GE(before.size(), 8u);  // records, summaries, events, jobs, subs, set

  auto r = TryUpsert(Batch(kStock));
  // The only stock failed: the call fails as a whole, naming the key.
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr(bad + " holds a hash, expected a string")));
  EXPECT_EQ(Dump(kStock), before);

  // Deletes of that stock: the same.
  Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w(kWait);
  writer_->Delete({{kStock, "A", 9}, {kStock, "C", 9}}, Deadline(),
                  w.Callback());
  EXPECT_THAT(w.Get(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(bad)));
  EXPECT_EQ(Dump(kStock), before);
}

TEST_F(AllOrNothingTest, StringAtTheEventsKeyWritesNothing) {
  Populate(kStock);
  const std::string events = keys_.Events(kStock);
  Command({"DEL", events});
  Command({"SET", events, "not a stream"});
  const auto before = Dump(kStock);

  auto r = TryUpsert(Batch(kStock));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr(events + " holds a string, expected a "
                                             "stream")));
  // No record changed without its event; A's subscription is still open
  // (no job was queued and lost), so a retry after the repair announces it.
  EXPECT_EQ(Dump(kStock), before);
  Command({"DEL", events});
  auto retried = TryUpsert(Batch(kStock));
  ASSERT_THAT(retried, IsOk());
  EXPECT_EQ((*retried)[0].result, WriteResult::kApplied);
  EXPECT_EQ((*retried)[0].notifications_queued, 1);
}

TEST_F(AllOrNothingTest, WrongTypeSummariesJobsSnapshotOrSubscriptions) {
  Populate(kStock);
  for (const std::string& bad :
       {keys_.Summaries(kStock), keys_.NotificationJobs(kStock),
        keys_.Snapshot(kStock, "s1"), keys_.Subscriptions(kStock, "D")}) {
    SCOPED_TRACE(bad);
    const RedisReply saved = Command({"DUMP", bad});
    Command({"DEL", bad});
    Command({"RPUSH", bad, "x"});  // a list: no key of ours is one
    const auto before = Dump(kStock);
    EXPECT_THAT(TryUpsert(Batch(kStock)),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr(bad + " holds a list")));
    EXPECT_EQ(Dump(kStock), before);
    Command({"DEL", bad});
    if (!saved.is_nil()) Command({"RESTORE", bad, "0", saved.str});
  }
}

TEST_F(AllOrNothingTest, FinishSnapshotChunkWithAWrongTypeKeyDeletesNothing) {
  Upsert({InStock("KEEP", 1, 1)}, "s1");
  Upsert({InStock("GONE", 1, 1)});
  const std::string bad = keys_.Record(kStock, "ODD");
  Command({"HSET", bad, "field", "value"});
  const auto before = Dump(kStock);
  EXPECT_THAT(Finish("s1", EmptySnapshot::kRefuse),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(bad + " holds a hash")));
  EXPECT_EQ(Dump(kStock), before);  // GONE is still there, set kept
}

TEST_F(AllOrNothingTest, OverMaxmemoryTheScriptIsRefusedWhole) {
  Populate(kStock);
  const auto before = Dump(kStock);
  Command({"CONFIG", "SET", "maxmemory-policy", "noeviction"});
  Command({"CONFIG", "SET", "maxmemory", "1"});
  auto r = TryUpsert(Batch(kStock));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("OOM")));
  Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w(kWait);
  writer_->Delete({{kStock, "B", 9}}, Deadline(), w.Callback());
  EXPECT_THAT(w.Get(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("OOM")));
  EXPECT_EQ(Dump(kStock), before);
}

// maxmemory just above used memory: the first stock's (small) script runs
// under the limit; reading the second stock's large call (about 1 MB of
// arguments, which Redis counts as used memory) crosses it, so that script
// is refused before it runs. One outcome per record says which.
TEST_F(AllOrNothingTest, OomBetweenTwoStocksFailsOnlyTheSecond) {
  Populate(2);
  const auto before = Dump(2);
  std::vector<core::Record> batch;
  for (int i = 0; i < 3; ++i) {
    batch.push_back(InStock(absl::StrCat("small-", i), 1, 2));
  }
  const size_t first_stock = batch.size();
  for (core::Record& r : Batch(2)) batch.push_back(std::move(r));
  for (int i = 0; i < 5000; ++i) {
    core::Record r = InStock(absl::StrCat("big-", i), 1, 1 + i % 7);
    r.stock_id = 2;
    batch.push_back(std::move(r));
  }

  Command({"CONFIG", "SET", "maxmemory-policy", "noeviction"});
  const RedisReply info = Command({"INFO", "memory"});
  const size_t at = info.str.find("used_memory:");
  ASSERT_NE(at, std::string::npos);
  const int64_t used = std::stoll(info.str.substr(at + 12));
  Command({"CONFIG", "SET", "maxmemory", absl::StrCat(used + 256 * 1024)});

  auto r = TryUpsert(std::move(batch), "");
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), first_stock + 5 + 5000);
  for (size_t i = 0; i < first_stock; ++i) {
    EXPECT_EQ((*r)[i].result, WriteResult::kApplied) << (*r)[i].error;
  }
  for (size_t i = first_stock; i < r->size(); ++i) {
    ASSERT_EQ((*r)[i].result, WriteResult::kFailed) << i;
    ASSERT_THAT((*r)[i].error,
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr("writing stock 2: redis error: OOM")));
  }
  EXPECT_THAT(FirstFailure(*r), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Dump(2), before);
  EXPECT_TRUE(Stored("small-2").has_value());
}

TEST_F(AllOrNothingTest, TwoStocksOneBrokenReportsEachRecord) {
  Populate(2);
  const std::string bad = keys_.Record(2, "C");
  Command({"DEL", bad});
  Command({"HSET", bad, "field", "value"});
  const auto before = Dump(2);
  // Interleaved: stock 1 and stock 2 records alternate in the request.
  std::vector<core::Record> batch;
  std::vector<core::Record> two = Batch(2);
  for (size_t i = 0; i < two.size(); ++i) {
    batch.push_back(InStock(absl::StrCat("ok-", i), 1, 2));
    batch.push_back(std::move(two[i]));
  }
  auto r = TryUpsert(std::move(batch), "");
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 10u);
  for (size_t i = 0; i < r->size(); ++i) {
    SCOPED_TRACE(i);
    if (i % 2 == 0) {
      EXPECT_EQ((*r)[i].result, WriteResult::kApplied);
      EXPECT_THAT((*r)[i].error, IsOk());
    } else {
      EXPECT_EQ((*r)[i].result, WriteResult::kFailed);
      EXPECT_THAT((*r)[i].error, StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr(bad + " holds a hash")));
      EXPECT_EQ((*r)[i].events_appended, 0);
    }
  }
  EXPECT_EQ(Dump(2), before);
  EXPECT_TRUE(Stored("ok-4").has_value());
}

// The content of update (sku, version): deterministic, so duplicates are
// identical and the expected final state is known.
core::Record Update(int sku, int64_t version) {
  std::mt19937 rng(static_cast<uint32_t>(sku * 1000 + version));
  const std::string name = absl::StrCat("sku-", sku);
  switch (rng() % 4) {
    case 0:
      return InStock(name, version, 1 + rng() % 5);
    case 1:
      return InStock(name, version, 0);
    case 2:
      return Backorderable(name, version,
                           absl::CivilDay(2026, 3, 2 + rng() % 3));
    default: {
      core::Record r = InStock(name, version, rng() % 2);
      r.lifecycle = core::Lifecycle::kDiscontinued;
      return r;
    }
  }
}

// 10,000 updates over 500 SKUs, shuffled and duplicated, from 4 concurrent
// writers: the final state is the highest version of each SKU, and each
// SKU's events form a chain of real changes that ends at its final summary.
TEST_F(RecordWriterTest, ConcurrentShuffledWritersConvergeWithEventChains) {
  constexpr int kSkus = 500;
  constexpr int kVersionsPerSku = 16;  // 8,000 distinct updates
  constexpr int kTotal = 10000;        // plus 2,000 duplicates
  std::vector<std::pair<int, int64_t>> updates;
  for (int s = 0; s < kSkus; ++s) {
    for (int v = 1; v <= kVersionsPerSku; ++v) updates.emplace_back(s, v);
  }
  std::mt19937 rng(42);
  while (static_cast<int>(updates.size()) < kTotal) {
    updates.push_back(updates[rng() % (kSkus * kVersionsPerSku)]);
  }
  std::shuffle(updates.begin(), updates.end(), rng);

  constexpr int kWriters = 4;
  constexpr size_t kBatch = 50;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      std::vector<core::Record> batch;
      auto flush = [&] {
        Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w(kWait);
        writer_->Upsert(std::move(batch), "", Now(), Deadline(), w.Callback());
        if (!w.Get().ok()) ++failures;
        batch.clear();
      };
      for (size_t i = t; i < updates.size(); i += kWriters) {
        batch.push_back(Update(updates[i].first, updates[i].second));
        if (batch.size() == kBatch) flush();
      }
      if (!batch.empty()) flush();
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures.load(), 0);

  core::StoreConfig config;
  config.stock_id = kStock;
  const absl::CivilDay today = core::StoreToday(config, Now());
  std::map<std::string, std::vector<TransitionEvent>> by_sku;
  for (TransitionEvent& e : Events()) {
    if (e.type != "LOW_STOCK") by_sku[e.sku].push_back(std::move(e));
  }
  for (int s = 0; s < kSkus; ++s) {
    const core::Record expected = Update(s, kVersionsPerSku);
    auto stored = Stored(expected.sku);
    ASSERT_TRUE(stored.has_value()) << expected.sku;
    EXPECT_EQ(*stored, expected) << expected.sku;

    const RecordSummary final_summary =
        SummarizeRecord(expected, config, today);
    int status = kSummaryUnknown;
    int64_t eta = -1;
    int64_t last_version = 0;
    for (const TransitionEvent& e : by_sku[expected.sku]) {
      EXPECT_EQ(e.old_status, status) << expected.sku << " " << Describe(e);
      EXPECT_TRUE(e.new_status != status || e.eta_days != eta)
          << expected.sku << ": event without a change " << Describe(e);
      EXPECT_GT(e.version, last_version) << expected.sku;
      status = e.new_status;
      eta = e.eta_days;
      last_version = e.version;
    }
    EXPECT_EQ(status, final_summary.status) << expected.sku;
    EXPECT_EQ(eta, final_summary.eta_days) << expected.sku;
  }
}

// The bulk script (upsert_simple.lua) against the write script: the same
// random history of upserts (stale ones, a SKU twice in a batch, snapshot
// batches), deletes and subscriptions through one writer of each, on two
// key prefixes of one Redis, leaves the same records, summaries, events,
// jobs and snapshot sets.
TEST_F(RecordWriterTest, BulkScriptMatchesTheWriteScript) {
  const KeySchema ref_keys("ref");
  RecordWriter::Options wo;
  wo.events_max_len = 0;
  wo.bulk_upserts = false;
  RecordWriter ref(*client_, ref_keys, wo);
  std::mt19937 rng(17);
  constexpr int kSkus = 30;
  auto sku = [](int s) { return absl::StrCat("S", s); };
  for (int round = 0; round < 60; ++round) {
    const bool snapshot = round % 7 == 3;
    if (round % 5 == 0) {
      for (const KeySchema* k : {&std::as_const(keys_), &ref_keys}) {
        Command({"HSET", k->Subscriptions(kStock, sku(round % kSkus)),
                 absl::StrCat("user", round), absl::StrCat(1000 + round)});
      }
    }
    if (round % 9 == 8) {
      std::vector<DeleteKey> dels;
      for (int d = 0; d < 3; ++d) {
        dels.push_back({kStock, sku(static_cast<int>(rng() % kSkus)),
                        static_cast<int64_t>(1 + rng() % 40)});
      }
      for (RecordWriter* w : {writer_.get(), &ref}) {
        Waiter<absl::StatusOr<std::vector<WriteOutcome>>> done(kWait);
        w->Delete(dels, Deadline(), done.Callback());
        ASSERT_THAT(done.Get(), IsOk());
      }
      continue;
    }
    std::vector<core::Record> batch;
    const int size = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < size; ++i) {
      core::Record r = InStock(sku(static_cast<int>(rng() % kSkus)),
                               static_cast<int64_t>(1 + rng() % 40),
                               static_cast<int64_t>(rng() % 4));
      switch (rng() % 4) {
        case 0:
          r = Backorderable(r.sku, r.version,
                            absl::CivilDay(2026, 3, 2 + rng() % 3));
          break;
        case 1:
          r.notify_stock_qty = core::QtyFromUnits(2);
          break;
        default:
          break;
      }
      batch.push_back(std::move(r));
    }
    std::vector<std::vector<WriteOutcome>> outcomes;
    for (RecordWriter* w : {writer_.get(), &ref}) {
      Waiter<absl::StatusOr<std::vector<WriteOutcome>>> done(kWait);
      w->Upsert(batch, snapshot ? "snap" : "", Now(), Deadline(),
                done.Callback());
      auto r = done.Get();
      ASSERT_THAT(r, IsOk());
      outcomes.push_back(*r);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      EXPECT_EQ(outcomes[0][i].result, outcomes[1][i].result) << round;
      EXPECT_EQ(outcomes[0][i].stored_version, outcomes[1][i].stored_version);
      EXPECT_EQ(outcomes[0][i].events_appended, outcomes[1][i].events_appended);
      EXPECT_EQ(outcomes[0][i].notifications_queued,
                outcomes[1][i].notifications_queued);
    }
  }
  // Stream entries without their ids.
  auto entries = [this](const std::string& key) {
    std::vector<std::vector<std::string>> out;
    for (const RedisReply& e : Command({"XRANGE", key, "-", "+"}).elements) {
      std::vector<std::string> fields;
      for (const RedisReply& f : e.elements[1].elements) {
        fields.push_back(f.str);
      }
      out.push_back(std::move(fields));
    }
    return out;
  };
  const auto events = entries(keys_.Events(kStock));
  EXPECT_GT(events.size(), 30u);
  EXPECT_EQ(events, entries(ref_keys.Events(kStock)));
  const auto jobs = entries(keys_.NotificationJobs(kStock));
  EXPECT_GT(jobs.size(), 0u);
  EXPECT_EQ(jobs, entries(ref_keys.NotificationJobs(kStock)));
  for (int s = 0; s < kSkus; ++s) {
    EXPECT_EQ(Command({"GET", keys_.Record(kStock, sku(s))}).str,
              Command({"GET", ref_keys.Record(kStock, sku(s))}).str);
    EXPECT_EQ(Command({"HGET", keys_.Summaries(kStock), sku(s)}).str,
              Command({"HGET", ref_keys.Summaries(kStock), sku(s)}).str);
    EXPECT_EQ(
        Command({"EXISTS", keys_.Subscriptions(kStock, sku(s))}).integer,
        Command({"EXISTS", ref_keys.Subscriptions(kStock, sku(s))}).integer);
  }
  auto members = [this](const std::string& key) {
    std::vector<std::string> out;
    for (const RedisReply& m : Command({"SMEMBERS", key}).elements) {
      out.push_back(m.str);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_FALSE(members(keys_.Snapshot(kStock, "snap")).empty());
  EXPECT_EQ(members(keys_.Snapshot(kStock, "snap")),
            members(ref_keys.Snapshot(kStock, "snap")));
}

// --- composite products (docs/domain.md §10) ---

core::Record Composite(std::string sku, int64_t version, core::ProductType type,
                       std::vector<std::string> components) {
  core::Record r = InStock(std::move(sku), version, 0);
  r.product_type = type;
  r.components = std::move(components);
  return r;
}

core::Record Configurable(std::string sku, int64_t version,
                          std::vector<std::string> variants) {
  return Composite(std::move(sku), version, core::ProductType::kConfigurable,
                   std::move(variants));
}

class CompositeWriteTest : public RecordWriterTest {
 protected:
  // The events of `sku` appended since the last call (any SKU's count).
  std::vector<std::string> NewEvents(const std::string& sku) {
    std::vector<TransitionEvent> all = Events();
    std::vector<std::string> out;
    for (size_t i = seen_; i < all.size(); ++i) {
      if (all[i].sku == sku) out.push_back(Describe(all[i]));
    }
    seen_ = all.size();
    return out;
  }

  // The stored summary's status of `sku` ("" when none).
  std::string SummaryText(const std::string& sku) {
    RedisReply r = Command({"HGET", keys_.Summaries(kStock), sku});
    return r.is_nil() || r.str.size() < 8 ? "" : r.str.substr(8);
  }

  std::vector<std::string> Members(const std::string& key) {
    std::vector<std::string> out;
    for (const RedisReply& m : Command({"SMEMBERS", key}).elements) {
      out.push_back(m.str);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void Subscribe(const std::string& sku, const std::string& subscriber) {
    SubscriptionStore subs(*client_, keys_);
    Waiter<absl::StatusOr<bool>> w;
    subs.Subscribe(kStock, sku, subscriber, Now(), Deadline(), w.Callback());
    ASSERT_THAT(w.Get(), IsOk());
  }

  size_t seen_ = 0;
};

TEST_F(CompositeWriteTest, ConfigurableComesBackInStockWithItsFirstVariant) {
  Upsert({InStock("MH01-XS", 1, 0), InStock("MH01-S", 1, 0)});
  Upsert({Configurable("MH01", 7, {"MH01-XS", "MH01-S"})});
  // A new parent is announced from UNKNOWN at its own version.
  EXPECT_THAT(NewEvents("MH01"), ElementsAre("OUT_OF_STOCK 1->5 v7"));
  Subscribe("MH01", "alice");
  const std::string parent_value =
      Command({"GET", keys_.Record(kStock, "MH01")}).str;

  // The first variant in stock: the parent comes back, once, its
  // subscriber gets a job, and its record and version stay as written.
  Upsert({InStock("MH01-XS", 2, 3)});
  EXPECT_THAT(NewEvents("MH01"), ElementsAre("BACK_IN_STOCK 5->2 v7"));
  RedisReply jobs =
      Command({"XRANGE", keys_.NotificationJobs(kStock), "-", "+"});
  ASSERT_EQ(jobs.elements.size(), 1u);
  std::map<std::string, std::string> job;
  const auto& fields = jobs.elements[0].elements[1].elements;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    job[fields[i].str] = fields[i + 1].str;
  }
  EXPECT_EQ(job["sku"], "MH01");
  EXPECT_EQ(job["subscriber"], "alice");
  EXPECT_EQ(job["version"], "7");
  EXPECT_EQ(Command({"EXISTS", keys_.Subscriptions(kStock, "MH01")}).integer,
            0);
  EXPECT_EQ(Command({"GET", keys_.Record(kStock, "MH01")}).str, parent_value);

  // A second variant in stock: no parent event; one variant out: none.
  Upsert({InStock("MH01-S", 2, 5)});
  EXPECT_THAT(NewEvents("MH01"), ::testing::IsEmpty());
  Upsert({InStock("MH01-XS", 3, 0)});
  EXPECT_THAT(NewEvents("MH01"), ::testing::IsEmpty());
  // The last one out (here by a delete): the parent goes out of stock.
  Delete({{kStock, "MH01-S", 3}});
  EXPECT_THAT(NewEvents("MH01"), ElementsAre("OUT_OF_STOCK 2->5 v7"));
  EXPECT_EQ(Command({"XLEN", keys_.NotificationJobs(kStock)}).integer, 1);
}

TEST_F(CompositeWriteTest, ParentWrittenWithItsComponentsInOneBatch) {
  // Components and parent in one batch, parent first: derived from the
  // components as written by the same batch.
  Upsert({Composite("G1", 1, core::ProductType::kGrouped, {"A", "B"}),
          InStock("A", 1, 0), InStock("B", 1, 4)});
  EXPECT_THAT(NewEvents("G1"), ElementsAre("BACK_IN_STOCK 1->2 v1"));
  EXPECT_EQ(SummaryText("G1"), absl::StrCat(kSummaryInStock, ",-1,0,0"));
  // A new version of the parent that drops B: derived again, announced.
  Upsert({Composite("G1", 2, core::ProductType::kGrouped, {"A"})});
  EXPECT_THAT(NewEvents("G1"), ElementsAre("OUT_OF_STOCK 2->5 v2"));
  // The parent's own is_in_stock = false wins over its components.
  core::Record off = Composite("G1", 3, core::ProductType::kGrouped, {"B"});
  off.is_in_stock = false;
  Upsert({off});
  EXPECT_THAT(NewEvents("G1"), ::testing::IsEmpty());
  EXPECT_EQ(SummaryText("G1"), absl::StrCat(kSummaryOutOfStock, ",-1,0,0"));
}

TEST_F(CompositeWriteTest, BundleIsLimitedByItsRequiredOptionsOnly) {
  core::Record bundle = Composite("B1", 1, core::ProductType::kBundle, {});
  bundle.bundle_options = {{true,
                            {{"BALL-GRAY", core::QtyFromUnits(1)},
                             {"BALL-BLUE", core::QtyFromUnits(1)}}},
                           {true, {{"STRAP", core::QtyFromUnits(2)}}},
                           {false, {{"BOTTLE", core::QtyFromUnits(1)}}}};
  Upsert({InStock("BALL-GRAY", 1, 0), InStock("BALL-BLUE", 1, 5),
          InStock("STRAP", 1, 1), InStock("BOTTLE", 1, 0), bundle});
  // STRAP has 1, one bundle takes 2: out of stock.
  EXPECT_THAT(NewEvents("B1"), ElementsAre("OUT_OF_STOCK 1->5 v1"));
  // The optional option never limits it; the required one does.
  Upsert({InStock("BOTTLE", 2, 9)});
  EXPECT_THAT(NewEvents("B1"), ::testing::IsEmpty());
  Upsert({InStock("STRAP", 2, 2)});
  EXPECT_THAT(NewEvents("B1"), ElementsAre("BACK_IN_STOCK 5->2 v1"));
  // Either ball serves the first option.
  Upsert({InStock("BALL-BLUE", 2, 0), InStock("BALL-GRAY", 2, 1)});
  EXPECT_THAT(NewEvents("B1"), ::testing::IsEmpty());
  // The components' index lists every selection.
  for (const char* c : {"BALL-GRAY", "BALL-BLUE", "STRAP", "BOTTLE"}) {
    EXPECT_THAT(Members(keys_.Parents(kStock, c)), ElementsAre("B1")) << c;
  }
}

TEST_F(CompositeWriteTest, ReverseIndexFollowsParentWritesAndDeletes) {
  Upsert({Configurable("P", 1, {"V1", "V2"}), Configurable("Q", 1, {"V2"})});
  EXPECT_THAT(Members(keys_.Parents(kStock, "V1")), ElementsAre("P"));
  EXPECT_THAT(Members(keys_.Parents(kStock, "V2")), ElementsAre("P", "Q"));
  // Stale writes change nothing.
  Upsert({Configurable("P", 1, {"V9"})});
  EXPECT_THAT(Members(keys_.Parents(kStock, "V9")), ::testing::IsEmpty());
  // A newer version moves P from V1 to V3.
  Upsert({Configurable("P", 2, {"V2", "V3"})});
  EXPECT_THAT(Members(keys_.Parents(kStock, "V1")), ::testing::IsEmpty());
  EXPECT_THAT(Members(keys_.Parents(kStock, "V3")), ElementsAre("P"));
  // Turned simple: gone from the index.
  Upsert({InStock("Q", 2, 1)});
  EXPECT_THAT(Members(keys_.Parents(kStock, "V2")), ElementsAre("P"));
  EXPECT_EQ(Command({"EXISTS", keys_.ComponentList(kStock, "Q")}).integer, 0);
  // Deleted (by a snapshot that lacks it): gone too.
  Upsert({InStock("Q", 3, 1)}, "snap1");
  ASSERT_THAT(Finish("snap1", EmptySnapshot::kRefuse), IsOk());
  EXPECT_THAT(Members(keys_.Parents(kStock, "V2")), ::testing::IsEmpty());
  EXPECT_THAT(Members(keys_.Parents(kStock, "V3")), ::testing::IsEmpty());
  EXPECT_EQ(Command({"EXISTS", keys_.ComponentList(kStock, "P")}).integer, 0);
}

TEST_F(CompositeWriteTest, WrongTypeIndexKeyWritesNothing) {
  Command({"SET", keys_.Parents(kStock, "V1"), "not a set"});
  Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w;
  writer_->Upsert({InStock("A", 1, 1), Configurable("P", 1, {"V1"})}, "", Now(),
                  Deadline(), w.Callback());
  EXPECT_THAT(w.Get(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr(keys_.Parents(kStock, "V1"))));
  EXPECT_FALSE(Stored("A").has_value());
  EXPECT_FALSE(Stored("P").has_value());

  // The same for the index of a component already written, read when its
  // summary changes.
  Command({"DEL", keys_.Parents(kStock, "V1")});
  Upsert({Configurable("P", 1, {"V1"}), InStock("V1", 1, 0)});
  Command({"DEL", keys_.ComponentList(kStock, "P")});
  Command({"HSET", keys_.ComponentList(kStock, "P"), "f", "v"});
  Waiter<absl::StatusOr<std::vector<WriteOutcome>>> again;
  writer_->Upsert({InStock("B", 1, 1), InStock("V1", 2, 5)}, "", Now(),
                  Deadline(), again.Callback());
  EXPECT_THAT(again.Get(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(keys_.ComponentList(kStock, "P"))));
  EXPECT_FALSE(Stored("B").has_value());
  EXPECT_EQ(Stored("V1")->version, 1);
}

// Concurrent writers of the variants: each write that changes a variant's
// summary derives the parent again, and the script stores a derivation only
// while the versions it came from are current. So the parent's events form
// a chain and its final summary is the derivation of the final variants.
TEST_F(CompositeWriteTest, ConcurrentVariantWritersConvergeOnTheParent) {
  constexpr int kVariants = 6;
  constexpr int kVersions = 40;
  std::vector<std::string> variants;
  for (int v = 0; v < kVariants; ++v) variants.push_back(absl::StrCat("V", v));
  Upsert({Configurable("P", 1, variants)});
  auto update = [](int v, int64_t version) {
    std::mt19937 rng(static_cast<uint32_t>(v * 1000 + version));
    const bool in_stock = rng() % 5 == 0;  // mostly out: many transitions
    return InStock(absl::StrCat("V", v), version, in_stock ? 1 : 0);
  };
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int v = 0; v < kVariants; ++v) {
    writers.emplace_back([&, v] {
      for (int64_t version = 1; version <= kVersions; ++version) {
        Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w;
        writer_->Upsert({update(v, version)}, "", Now(), Deadline(),
                        w.Callback());
        if (!w.Get().ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_EQ(failures.load(), 0);

  bool any_in_stock = false;
  for (int v = 0; v < kVariants; ++v) {
    any_in_stock |= update(v, kVersions).source_qty > 0;
  }
  const int expected = any_in_stock ? kSummaryInStock : kSummaryOutOfStock;
  int status = kSummaryUnknown;
  int transitions = 0;
  for (const TransitionEvent& e : Events()) {
    if (e.sku != "P") continue;
    EXPECT_EQ(e.old_status, status) << Describe(e);
    EXPECT_NE(e.new_status, status) << Describe(e);
    EXPECT_EQ(e.version, 1) << Describe(e);
    status = e.new_status;
    ++transitions;
  }
  EXPECT_EQ(status, expected);
  EXPECT_GT(transitions, 2);
  EXPECT_EQ(SummaryText("P"), absl::StrCat(expected, ",-1,0,0"));
}

// A write that leaves a variant's summary as it was (a new version, still
// out of stock) derives nothing itself, so it must not void the derivation
// of another variant's write in flight: here one variant goes in and out of
// stock while the others are rewritten, unchanged, as fast as they can.
TEST_F(CompositeWriteTest,
       UnchangedVariantRewritesDoNotVoidAParentsDerivation) {
  constexpr int kVariants = 4;
  constexpr int kRounds = 30;
  std::vector<std::string> variants;
  for (int v = 0; v < kVariants; ++v) variants.push_back(absl::StrCat("V", v));
  Upsert({Configurable("P", 1, variants)});
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  auto write = [&](const core::Record& r) {
    Waiter<absl::StatusOr<std::vector<WriteOutcome>>> w;
    writer_->Upsert({r}, "", Now(), Deadline(), w.Callback());
    if (!w.Get().ok()) ++failures;
  };
  std::vector<std::thread> rewriters;
  for (int v = 1; v < kVariants; ++v) {
    rewriters.emplace_back([&, v] {
      for (int64_t version = 1; !stop.load(); ++version) {
        write(InStock(absl::StrCat("V", v), version, 0));
      }
    });
  }
  // V0: in, out, in, ... ending out; the parent follows each.
  for (int64_t version = 1; version <= 2 * kRounds; ++version) {
    write(InStock("V0", version, version % 2 == 1 ? 1 : 0));
  }
  stop = true;
  for (auto& t : rewriters) t.join();
  ASSERT_EQ(failures.load(), 0);

  int status = kSummaryUnknown;
  for (const TransitionEvent& e : Events()) {
    if (e.sku != "P") continue;
    EXPECT_EQ(e.old_status, status) << Describe(e);
    status = e.new_status;
  }
  EXPECT_EQ(status, kSummaryOutOfStock);
  EXPECT_EQ(SummaryText("P"), absl::StrCat(kSummaryOutOfStock, ",-1,0,0"));
}

}  // namespace
}  // namespace availability::cache
