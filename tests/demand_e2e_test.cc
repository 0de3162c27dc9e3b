// Demand signals through the real binaries (docs/operations.md, "Demand
// report"): two servers on one Redis answer the same SKUs and their counts
// add up exactly in the report; the day buckets expire; the bound on the
// SKUs held in memory holds and counts what it dropped; `availability
// demand` prints the report with the read-only token.

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.pb.h"
#include "availability/v1/inventory_sync.pb.h"
#include "client/availability_client.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/server_process.h"
#include "testing/server_test.h"
#include "testing/subprocess.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kToken[] = "e2e-demand-token-0123456789";
constexpr char kReadToken[] = "e2e-demand-read-token-98765";

// Redis and a client of it from ServerTest; the servers (two in one test)
// are the test's own.
class DemandE2ETest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartRedis());
    read_token_file_ = ::testing::TempDir() + "/demand_read_token";
    std::ofstream(read_token_file_) << kReadToken << "\n";
  }

  // A server on the shared Redis, with a sync listener, /metrics and
  // `flags`.
  std::unique_ptr<testing::ServerProcess> StartDemandServer(
      std::vector<std::string> flags) {
    testing::ServerProcess::Options options;
    options.redis_port = redis_->port();
    options.sync = true;
    options.sync_token = kToken;
    options.metrics = true;
    options.flags = std::move(flags);
    options.flags.push_back("--sync_read_token_file=" + read_token_file_);
    auto server = testing::ServerProcess::Start(std::move(options));
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  static void Upsert(testing::ServerProcess& server,
                     const std::vector<v1::InventoryRecord>& records) {
    v1::UpsertRecordsRequest request;
    for (const v1::InventoryRecord& r : records) *request.add_records() = r;
    auto written = server.NewSyncClient()->UpsertRecords(request);
    ASSERT_TRUE(written.ok()) << written.status();
    ASSERT_EQ(written->applied(), request.records_size());
  }

  static v1::InventoryRecord Record(const std::string& sku, double quantity,
                                    int64_t version = 1,
                                    bool backorders = false) {
    v1::InventoryRecord r;
    r.set_sku(sku);
    r.set_stock_id(1);
    r.set_version(version);
    r.set_source_quantity(quantity);
    if (backorders) r.set_backorders(v1::BACKORDERS_YES);
    return r;
  }

  static void Get(testing::ServerProcess& server, const std::string& sku,
                  std::optional<double> quantity = std::nullopt) {
    v1::GetAvailabilityRequest request;
    request.set_sku(sku);
    request.mutable_scope()->set_stock_id(1);
    if (quantity) request.set_quantity(*quantity);
    auto answer = server.NewClient()->GetAvailability(request);
    ASSERT_TRUE(answer.ok()) << answer.status();
  }

  static void Batch(testing::ServerProcess& server,
                    const std::vector<std::string>& skus,
                    std::optional<double> quantity = std::nullopt) {
    v1::BatchGetAvailabilityRequest request;
    request.mutable_scope()->set_stock_id(1);
    for (const std::string& sku : skus) {
      v1::BatchGetAvailabilityRequest::Item* item = request.add_items();
      item->set_sku(sku);
      if (quantity) item->set_quantity(*quantity);
    }
    auto answers = server.NewClient()->BatchGetAvailability(request);
    ASSERT_TRUE(answers.ok()) << answers.status();
    ASSERT_EQ(answers->items_size(), request.items_size());
  }

  static absl::StatusOr<v1::DemandReport> Report(testing::ServerProcess& server,
                                                 int days = 7, int limit = 0) {
    v1::GetDemandReportRequest request;
    request.set_stock_id(1);
    request.set_days(days);
    request.set_limit(limit);
    av::client::SyncClient read(server.SyncChannel(), kReadToken);
    return read.GetDemandReport(request);
  }

  // The report's item for `sku` in `items`, or null.
  static const v1::DemandItem* Find(
      const google::protobuf::RepeatedPtrField<v1::DemandItem>& items,
      const std::string& sku) {
    for (const v1::DemandItem& item : items) {
      if (item.sku() == sku) return &item;
    }
    return nullptr;
  }

  // The demand bucket keys of stock 1 in Redis.
  std::vector<std::string> BucketKeys() {
    cache::RedisReply keys = client_->Expect({"KEYS", "av:{1}:demand:*"});
    std::vector<std::string> out;
    for (const cache::RedisReply& k : keys.elements) out.push_back(k.str);
    return out;
  }

  std::string read_token_file_;
};

TEST_F(DemandE2ETest, TwoServersCountsAddUpExactlyInTheReport) {
  auto a = StartDemandServer({"--demand_flush_interval=200ms"});
  auto b = StartDemandServer({"--demand_flush_interval=200ms"});
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_NO_FATAL_FAILURE(
      Upsert(*a, {Record("OOS-1", 0), Record("BO-1", 0, 1, true),
                  Record("IN-1", 100), Record("LOW-1", 0)}));

  // Product pages: OOS-1 3 + 4 times, BO-1 once for 3 units, IN-1 (in stock:
  // not counted), LOW-1 twice.
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(Get(*a, "OOS-1"));
  for (int i = 0; i < 4; ++i) ASSERT_NO_FATAL_FAILURE(Get(*b, "OOS-1"));
  ASSERT_NO_FATAL_FAILURE(Get(*b, "BO-1", 3));
  ASSERT_NO_FATAL_FAILURE(Get(*a, "IN-1"));
  ASSERT_NO_FATAL_FAILURE(Get(*a, "LOW-1"));
  ASSERT_NO_FATAL_FAILURE(Get(*b, "LOW-1"));
  // Listings: 2 on A, 1 on B, 2 units each.
  const std::vector<std::string> listing = {"OOS-1", "BO-1", "IN-1", "NONE"};
  ASSERT_NO_FATAL_FAILURE(Batch(*a, listing, 2));
  ASSERT_NO_FATAL_FAILURE(Batch(*a, listing, 2));
  ASSERT_NO_FATAL_FAILURE(Batch(*b, listing, 2));
  // Two shoppers wait for OOS-1.
  for (const char* who : {"c1", "c2"}) {
    v1::BackInStockSubscription sub;
    sub.set_sku("OOS-1");
    sub.mutable_scope()->set_stock_id(1);
    sub.set_subscriber_id(who);
    ASSERT_TRUE(a->NewClient()->SubscribeBackInStock(sub).ok());
  }
  // LOW-1 comes back with 1 unit: at the default notify level (1).
  ASSERT_NO_FATAL_FAILURE(Upsert(*a, {Record("LOW-1", 1, 2)}));

  // Counts only grow: once every flush of both servers is in, it is exact.
  absl::StatusOr<v1::DemandReport> report;
  auto complete = [&] {
    report = Report(*a);
    if (!report.ok()) return false;
    const v1::DemandItem* oos = Find(report->top(), "OOS-1");
    const v1::DemandItem* bo = Find(report->top(), "BO-1");
    return oos != nullptr && bo != nullptr && oos->product_page_views() == 7 &&
           oos->listing_views() == 3 && bo->listing_views() == 3 &&
           bo->backorder_quantity() == 9 &&
           Find(report->top(), "LOW-1") != nullptr;
  };
  ASSERT_TRUE(testing::Eventually(complete, absl::Seconds(10)))
      << report.status() << " " << (report.ok() ? report->DebugString() : "");
  // Two more flush intervals: nothing is counted twice.
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_TRUE(complete()) << report->DebugString();

  EXPECT_EQ(report->skus_with_demand(), 3);  // IN-1 and NONE not counted
  ASSERT_THAT(report->top(), SizeIs(3));
  // Most viewed first: OOS-1 (10), BO-1 (4), LOW-1 (2).
  EXPECT_EQ(report->top(0).sku(), "OOS-1");
  EXPECT_EQ(report->top(1).sku(), "BO-1");
  EXPECT_EQ(report->top(2).sku(), "LOW-1");
  const v1::DemandItem& oos = report->top(0);
  EXPECT_EQ(oos.subscribers(), 2);
  EXPECT_EQ(oos.status(), v1::STATUS_OUT_OF_STOCK);
  EXPECT_EQ(oos.backorder_quantity(), 0);
  const v1::DemandItem& bo = report->top(1);
  EXPECT_EQ(bo.product_page_views(), 1);
  EXPECT_EQ(bo.status(), v1::STATUS_BACKORDERABLE);
  EXPECT_EQ(bo.subscribers(), 0);
  // LOW-1 is in stock now, at its notify level: low stock.
  const v1::DemandItem& low = report->top(2);
  EXPECT_EQ(low.product_page_views(), 2);
  EXPECT_EQ(low.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(low.salable_quantity(), 1);
  EXPECT_EQ(low.notify_stock_quantity(), 1);
  // OOS-1 and BO-1 (salable 0) are at or below it too; most viewed first.
  ASSERT_THAT(report->low_stock(), SizeIs(3));
  EXPECT_EQ(report->low_stock(0).sku(), "OOS-1");
  EXPECT_EQ(report->low_stock(2).sku(), "LOW-1");

  // The limit holds; one day covers today.
  auto limited = Report(*b, 1, 1);
  ASSERT_TRUE(limited.ok()) << limited.status();
  ASSERT_THAT(limited->top(), SizeIs(1));
  EXPECT_EQ(limited->top(0).product_page_views(), 7);
  EXPECT_EQ(limited->first_day().day(), limited->last_day().day());

  // One bucket for today, kept about 35 days.
  const std::vector<std::string> keys = BucketKeys();
  ASSERT_THAT(keys, SizeIs(1));
  const int64_t ttl = client_->Expect({"TTL", keys[0]}).integer;
  EXPECT_GT(ttl, 34 * 24 * 3600);
  EXPECT_LE(ttl, 35 * 24 * 3600);

  // Flush metrics: every (stock, SKU) entry written, no errors.
  EXPECT_GT(a->MetricSample("availability_demand_flushed_total"), 0);
  EXPECT_EQ(a->MetricSample("availability_demand_flush_errors_total"), 0);
  EXPECT_EQ(b->MetricSample("availability_demand_dropped_total"), 0);

  // The CLI, with the read-only token: a table and JSON.
  const std::string token_file = ::testing::TempDir() + "/demand_cli_token";
  std::ofstream(token_file) << kReadToken << "\n";
  auto table = testing::RunCommand(
      {AVAILABILITY_CLI_BINARY, "demand", "--stock", "1", "--days", "7",
       "--sync-server=" + a->sync_address(), "--token-file=" + token_file},
      absl::Seconds(30));
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->exit_code, 0) << table->err;
  EXPECT_THAT(table->out, HasSubstr("PAGE VIEWS"));
  EXPECT_THAT(table->out, HasSubstr("OUT_OF_STOCK"));
  auto json = testing::RunCommand(
      {AVAILABILITY_CLI_BINARY, "demand", "--stock=1", "--days=30", "--json",
       "--sync-server=" + a->sync_address(), "--token-file=" + token_file},
      absl::Seconds(30));
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_EQ(json->exit_code, 0) << json->err;
  v1::DemandReport parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(json->out, &parsed).ok())
      << json->out;
  EXPECT_EQ(parsed.days(), 30);
  ASSERT_THAT(parsed.top(), SizeIs(3));
  EXPECT_EQ(parsed.top(0).product_page_views(), 7);
  auto bad = testing::RunCommand(
      {AVAILABILITY_CLI_BINARY, "demand", "--days=3",
       "--sync-server=" + a->sync_address(), "--token-file=" + token_file},
      absl::Seconds(30));
  ASSERT_TRUE(bad.ok());
  EXPECT_NE(bad->exit_code, 0);
  EXPECT_THAT(bad->err, HasSubstr("--days: must be 1, 7 or 30"));
}

TEST_F(DemandE2ETest, BadArgumentsAreNamed) {
  auto server = StartDemandServer({});
  ASSERT_NE(server, nullptr);
  struct Case {
    int stock, days, limit;
    const char* message;
  } cases[] = {
      {1, 3, 0, "days: must be 1, 7 or 30, got 3"},
      {1, 0, 0, "days: must be 1, 7 or 30, got 0"},
      {0, 7, 0, "stock_id"},
      {1, 7, 501, "limit: must be 1..500"},
      {1, 7, -1, "limit: must be 1..500"},
  };
  for (const Case& c : cases) {
    v1::GetDemandReportRequest request;
    request.set_stock_id(c.stock);
    request.set_days(c.days);
    request.set_limit(c.limit);
    av::client::SyncClient read(server->SyncChannel(), kReadToken);
    auto report = read.GetDemandReport(request);
    EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message;
    EXPECT_THAT(report.status().message(), HasSubstr(c.message));
  }
}

TEST_F(DemandE2ETest, BucketsExpire) {
  auto server = StartDemandServer({"--demand_bucket_ttl=2s"});
  ASSERT_NE(server, nullptr);
  ASSERT_NO_FATAL_FAILURE(Upsert(*server, {Record("OOS-1", 0)}));
  ASSERT_NO_FATAL_FAILURE(Get(*server, "OOS-1"));
  // Shutting down flushes once.
  ASSERT_EQ(server->Stop(), 0);
  const std::vector<std::string> keys = BucketKeys();
  ASSERT_THAT(keys, SizeIs(1));
  const int64_t ttl = client_->Expect({"TTL", keys[0]}).integer;
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 2);
  EXPECT_TRUE(testing::Eventually([&] { return BucketKeys().empty(); },
                                  absl::Seconds(10)));
}

TEST_F(DemandE2ETest, TheBoundHoldsUnderManyDistinctSkus) {
  // No periodic flush in the test's time: only the one at shutdown.
  auto server = StartDemandServer(
      {"--demand_max_entries=10", "--demand_flush_interval=1h"});
  ASSERT_NE(server, nullptr);
  std::vector<v1::InventoryRecord> records;
  std::vector<std::string> skus;
  for (int i = 0; i < 50; ++i) {
    skus.push_back(absl::StrCat("OOS-", i));
    records.push_back(Record(skus.back(), 0));
  }
  ASSERT_NO_FATAL_FAILURE(Upsert(*server, records));
  ASSERT_NO_FATAL_FAILURE(Batch(*server, skus));
  ASSERT_NO_FATAL_FAILURE(Batch(*server, skus));
  // 10 held (each counted twice), 40 SKUs dropped on each of two calls.
  EXPECT_EQ(server->MetricSample("availability_demand_entries"), 10);
  EXPECT_EQ(server->MetricSample("availability_demand_dropped_total"), 80);
  ASSERT_EQ(server->Stop(), 0);

  const std::vector<std::string> keys = BucketKeys();
  ASSERT_THAT(keys, SizeIs(1));
  cache::RedisReply fields = client_->Expect({"HGETALL", keys[0]});
  ASSERT_THAT(fields.elements, SizeIs(20));  // 10 "l:<sku>" -> "2"
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    EXPECT_THAT(fields.elements[i].str, ::testing::StartsWith("l:OOS-"));
    EXPECT_EQ(fields.elements[i + 1].str, "2");
  }
}

}  // namespace
}  // namespace availability
