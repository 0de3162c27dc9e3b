// End-to-end tests of the sync path: the real availability-server with its
// sync listener, the real `availability` command, a real redis-server.

#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "client/availability_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"
#include "testing/subprocess.h"

namespace availability {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::availability::v1;

constexpr char kToken[] = "e2e-sync-token-0123456789";

class SyncE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    wrong_token_file_ = redis_->dir() + "/wrong-token";
    std::ofstream(wrong_token_file_) << "not-the-right-token-at-all\n";

    testing::ServerProcess::Options server_options;
    server_options.redis_port = redis_->port();
    server_options.sync = true;
    server_options.sync_token = kToken;
    server_options.flags.push_back("--allow_anonymous_subscriptions");
    auto server = testing::ServerProcess::Start(server_options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    av::client::AvailabilityClient::Options options;
    options.read_timeout = absl::Seconds(5);
    client_ = server_->NewClient(options);
    sync_ = server_->NewSyncClient();
    v1::PutSalesChannelsRequest channels;
    (*channels.mutable_channels())["base"] = 1;
    (*channels.mutable_channels())["wholesale"] = 2;
    const absl::Status put = sync_->PutSalesChannels(channels);
    ASSERT_TRUE(put.ok()) << put;
  }

  testing::CommandResult Cli(std::vector<std::string> args,
                             absl::Duration timeout = absl::Seconds(60)) {
    args.insert(args.begin(), AVAILABILITY_CLI_BINARY);
    args.push_back("--server=" + server_->address());
    absl::StatusOr<testing::CommandResult> result =
        testing::RunCommand(args, timeout);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : testing::CommandResult{};
  }

  std::vector<std::string> Import(const std::string& file) {
    return {"import", file, "--sync-server=" + server_->sync_address(),
            "--token-file=" + server_->sync_token_file()};
  }

  absl::StatusOr<v1::ProductAvailability> Get(const std::string& sku,
                                              int32_t stock = 1,
                                              double quantity = 0) {
    v1::GetAvailabilityRequest request;
    request.set_sku(sku);
    request.mutable_scope()->set_stock_id(stock);
    if (quantity > 0) request.set_quantity(quantity);
    return client_->GetAvailability(request);
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = redis_->dir() + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  // One JSONL line: stock 1, the given version and source quantity.
  static std::string Line(const std::string& sku, int64_t version,
                          int quantity) {
    return absl::StrFormat(
        "{\"sku\":\"%s\",\"stock_id\":1,\"version\":%d,"
        "\"source_quantity\":%d}\n",
        sku, version, quantity);
  }

  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<av::client::AvailabilityClient> client_;
  std::unique_ptr<av::client::SyncClient> sync_;
  std::string wrong_token_file_;
};

TEST_F(SyncE2ETest, ImportsMagentoProductExportCsv) {
  std::vector<std::string> args =
      Import(AVAILABILITY_TESTDATA_DIR "/magento_export.csv");
  args.push_back("--channels=base=1,wholesale=2");
  testing::CommandResult result = Cli(args);
  // One row has qty "abc": reported with its line and column, the rest
  // applies, and the exit code says "partial".
  EXPECT_EQ(result.exit_code, 6) << result.out << result.err;
  EXPECT_THAT(result.err, HasSubstr("qty"));

  absl::StatusOr<v1::ProductAvailability> bag = Get("24-MB01");
  ASSERT_TRUE(bag.ok()) << bag.status();
  EXPECT_EQ(bag->status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(bag->salable_quantity(), 100);

  // use_config_* = 0: the row's own settings (backorders with notice, a
  // backorder limit of 10 through out_of_stock_qty = -10, min cart qty 2),
  // on both websites' stocks.
  for (int32_t stock : {1, 2}) {
    SCOPED_TRACE(stock);
    absl::StatusOr<v1::ProductAvailability> backorder = Get("24-MB02", stock);
    ASSERT_TRUE(backorder.ok()) << backorder.status();
    EXPECT_EQ(backorder->status(), v1::STATUS_BACKORDERABLE);
    EXPECT_TRUE(backorder->backorder_notice());
    EXPECT_EQ(backorder->split().requested_quantity(), 2);
    absl::StatusOr<v1::ProductAvailability> too_many =
        Get("24-MB02", stock, 12);
    ASSERT_TRUE(too_many.ok());
    EXPECT_EQ(too_many->split().backorder_quantity(), 10);
    EXPECT_EQ(too_many->split().unavailable_quantity(), 2);
  }

  // A decimal quantity where the product allows it; the row also has
  // manage_stock = 0 (use_config_manage_stock = 0): orderable, no quantity
  // exposed.
  absl::StatusOr<v1::ProductAvailability> linen = Get("FABRIC-LINEN", 1, 2.5);
  ASSERT_TRUE(linen.ok()) << linen.status();
  EXPECT_EQ(linen->status(), v1::STATUS_IN_STOCK);
  EXPECT_TRUE(linen->orderable());
  EXPECT_FALSE(linen->has_split());
  EXPECT_FALSE(linen->has_salable_quantity());
  // Shipments break the split down: none without a split.
  EXPECT_EQ(linen->shipments_size(), 0);

  // The bad row was not written.
  EXPECT_TRUE(absl::IsNotFound(Get("24-MB03").status()));
}

TEST_F(SyncE2ETest, ReplaceDeletesRecordsAbsentFromTheSnapshot) {
  const std::string full =
      WriteFile("full.jsonl", Line("KEEP-1", 1, 5) + Line("KEEP-2", 1, 5) +
                                  Line("DROP-1", 1, 5));
  ASSERT_EQ(Cli(Import(full)).exit_code, 0);
  ASSERT_TRUE(Get("DROP-1").ok());

  const std::string smaller =
      WriteFile("smaller.jsonl", Line("KEEP-1", 2, 7) + Line("KEEP-2", 1, 5));
  std::vector<std::string> args = Import(smaller);
  args.push_back("--replace");
  args.push_back("--max-delete=100");  // 1 of 3 is above the default 10 %
  testing::CommandResult result = Cli(args);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out + result.err, HasSubstr("deleted 1"));
  EXPECT_TRUE(absl::IsNotFound(Get("DROP-1").status()));
  absl::StatusOr<v1::ProductAvailability> kept = Get("KEEP-1");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->freshness().version(), 2);
  EXPECT_EQ(kept->salable_quantity(), 7);
  EXPECT_TRUE(Get("KEEP-2").ok());
}

TEST_F(SyncE2ETest, WrongTokenChangesNothing) {
  const std::string file = WriteFile("one.jsonl", Line("SECRET-TEST", 1, 5));
  std::vector<std::string> args = {"import", file,
                                   "--sync-server=" + server_->sync_address(),
                                   "--token-file=" + wrong_token_file_};
  testing::CommandResult result = Cli(args);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("not-the-right-token")));
  EXPECT_TRUE(absl::IsNotFound(Get("SECRET-TEST").status()));
}

TEST_F(SyncE2ETest, ImporterKilledMidFileLeavesNoTornRecord) {
  constexpr int kRecords = 60000;
  std::string v1_lines, v2_lines;
  for (int i = 0; i < kRecords; ++i) {
    const std::string sku = absl::StrFormat("KILL-%06d", i);
    v1_lines += Line(sku, 1, i % 50);
    v2_lines += Line(sku, 2, 100 + i % 50);
  }
  ASSERT_EQ(
      Cli(Import(WriteFile("v1.jsonl", v1_lines)), absl::Minutes(3)).exit_code,
      0);

  // The second import, in reconcile mode, is killed part-way.
  std::vector<std::string> args = Import(WriteFile("v2.jsonl", v2_lines));
  args.push_back("--replace");
  args.push_back("--batch=200");
  args.insert(args.begin(), AVAILABILITY_CLI_BINARY);
  auto importer = testing::Subprocess::Start(args);
  ASSERT_TRUE(importer.ok());
  // Wait until some of the new versions are visible, then SIGKILL.
  testing::Eventually(
      [&] {
        absl::StatusOr<v1::ProductAvailability> first = Get("KILL-000000");
        return first.ok() && first->freshness().version() == 2;
      },
      absl::Seconds(60), absl::Milliseconds(5));
  (*importer)->Signal(SIGKILL);
  ASSERT_TRUE((*importer)->Wait(absl::Seconds(10)).has_value());

  // Every record is whole: version 1 with its v1 quantity or version 2 with
  // its v2 quantity; none deleted (the snapshot was never finished).
  int old_records = 0, new_records = 0;
  for (int start = 0; start < kRecords; start += 500) {
    v1::BatchGetAvailabilityRequest request;
    request.mutable_scope()->set_stock_id(1);
    for (int i = start; i < start + 500; ++i) {
      request.add_items()->set_sku(absl::StrFormat("KILL-%06d", i));
    }
    absl::StatusOr<v1::BatchGetAvailabilityResponse> batch =
        client_->BatchGetAvailability(request);
    ASSERT_TRUE(batch.ok()) << batch.status();
    for (int k = 0; k < batch->items_size(); ++k) {
      const v1::ProductAvailability& item = batch->items(k);
      const int i = start + k;
      ASSERT_NE(item.status(), v1::STATUS_UNKNOWN) << item.sku();
      if (item.freshness().version() == 1) {
        ++old_records;
        EXPECT_EQ(item.salable_quantity(), i % 50) << item.sku();
      } else {
        ++new_records;
        EXPECT_EQ(item.freshness().version(), 2);
        EXPECT_EQ(item.salable_quantity(), 100 + i % 50) << item.sku();
      }
    }
  }
  EXPECT_GT(new_records, 0);
  EXPECT_EQ(old_records + new_records, kRecords);
  std::cout << "killed importer: " << new_records << " new, " << old_records
            << " old records\n";
}

TEST_F(SyncE2ETest, BackInStockSubscriptionsBecomeOneJobEach) {
  ASSERT_EQ(Cli(Import(WriteFile("out.jsonl", Line("WANTED", 1, 0)))).exit_code,
            0);
  v1::BackInStockSubscription subscription;
  subscription.set_sku("WANTED");
  subscription.mutable_scope()->set_sales_channel("base");
  subscription.set_subscriber_id("customer-1");
  absl::StatusOr<bool> created = client_->SubscribeBackInStock(subscription);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(*created);
  created = client_->SubscribeBackInStock(subscription);  // twice: one
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(*created);
  subscription.set_subscriber_id("customer-2");
  ASSERT_TRUE(client_->SubscribeBackInStock(subscription).ok());
  subscription.set_subscriber_id("customer-3");
  ASSERT_TRUE(client_->SubscribeBackInStock(subscription).ok());
  absl::StatusOr<bool> removed = client_->UnsubscribeBackInStock(subscription);
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(*removed);
  removed = client_->UnsubscribeBackInStock(subscription);
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(*removed);

  auto jobs = [&] {
    absl::StatusOr<std::string> n = redis_->Cli({"XLEN", "av:{1}:jobs"});
    return n.ok() ? std::stoi(*n) : -1;
  };
  EXPECT_EQ(jobs(), 0);
  ASSERT_EQ(
      Cli(Import(WriteFile("back.jsonl", Line("WANTED", 2, 9)))).exit_code, 0);
  EXPECT_EQ(jobs(), 2);  // customer-1 once, customer-2 once, not customer-3
  // Out and back in again: the subscriptions were used up.
  ASSERT_EQ(Cli(Import(WriteFile("again.jsonl",
                                 Line("WANTED", 3, 0) + Line("WANTED", 4, 9))))
                .exit_code,
            0);
  EXPECT_EQ(jobs(), 2);
}

// One record of an UpsertRecordsRequest.
void AddRecord(v1::UpsertRecordsRequest& request, const std::string& sku,
               int32_t stock, int64_t version, double quantity) {
  v1::InventoryRecord* r = request.add_records();
  r->set_sku(sku);
  r->set_stock_id(stock);
  r->set_version(version);
  r->set_source_quantity(quantity);
}

// The cache fails on one stock of a call (a key of the wrong type): that
// stock's records are RESULT_FAILED with the reason and nothing of it is
// written; the other stock's records are applied.
TEST_F(SyncE2ETest, StockTheCacheFailsOnFailsAloneWithItsReason) {
  ASSERT_TRUE(redis_->Cli({"HSET", "av:{2}:r:BROKEN", "f", "v"}).ok());
  v1::UpsertRecordsRequest request;
  AddRecord(request, "OK-1", 1, 1, 5);
  AddRecord(request, "FINE", 2, 1, 5);
  AddRecord(request, "BROKEN", 2, 1, 5);
  AddRecord(request, "OK-2", 1, 1, 5);
  absl::StatusOr<v1::UpsertRecordsResponse> response =
      sync_->UpsertRecords(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->applied(), 2);
  EXPECT_EQ(response->failed(), 2);
  ASSERT_EQ(response->outcomes_size(), 4);
  for (int i : {0, 3}) {
    EXPECT_EQ(response->outcomes(i).result(),
              v1::RecordOutcome::RESULT_APPLIED);
  }
  for (int i : {1, 2}) {
    EXPECT_EQ(response->outcomes(i).result(), v1::RecordOutcome::RESULT_FAILED);
    EXPECT_THAT(response->outcomes(i).error(),
                HasSubstr("FAILED_PRECONDITION: writing stock 2: "));
    EXPECT_THAT(response->outcomes(i).error(),
                HasSubstr("av:{2}:r:BROKEN holds a hash, expected a string"));
  }
  EXPECT_EQ(*redis_->Cli({"EXISTS", "av:{2}:r:FINE"}), "0\n");
  EXPECT_EQ(*redis_->Cli({"EXISTS", "av:{2}:events"}), "0\n");
  absl::StatusOr<v1::ProductAvailability> ok = Get("OK-2");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status(), v1::STATUS_IN_STOCK);

  // A call whose every stock failed fails as a whole.
  v1::UpsertRecordsRequest only_broken;
  AddRecord(only_broken, "BROKEN", 2, 2, 5);
  response = sync_->UpsertRecords(only_broken);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(response.status().message()),
              HasSubstr("av:{2}:r:BROKEN"));

  // A stream stops at a message with a failed stock (an import must not go
  // on to finish its snapshot), saying which message.
  int sent = 0;
  response = sync_->StreamUpsertRecords([&](v1::UpsertRecordsRequest* batch) {
    if (sent++ > 0) return false;
    AddRecord(*batch, "OK-3", 1, 1, 5);
    AddRecord(*batch, "BROKEN", 2, 3, 5);
    return true;
  });
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(response.status().message()),
              HasSubstr("writing message 1"));
}

// Redis over maxmemory (noeviction): the write is refused whole, nothing of
// the stock changes, and the caller gets UNAVAILABLE (retry later).
TEST_F(SyncE2ETest, OutOfMemoryIsUnavailableAndWritesNothing) {
  v1::UpsertRecordsRequest request;
  AddRecord(request, "A", 1, 1, 5);
  ASSERT_TRUE(sync_->UpsertRecords(request).ok());
  const std::string before = *redis_->Cli({"DUMP", "av:{1}:r:A"});
  ASSERT_TRUE(
      redis_->Cli({"CONFIG", "SET", "maxmemory-policy", "noeviction"}).ok());
  ASSERT_TRUE(redis_->Cli({"CONFIG", "SET", "maxmemory", "1"}).ok());
  v1::UpsertRecordsRequest change;
  AddRecord(change, "A", 1, 2, 0);
  AddRecord(change, "B", 1, 1, 5);
  absl::StatusOr<v1::UpsertRecordsResponse> response =
      sync_->UpsertRecords(change);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable)
      << response.status();
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("OOM"));
  EXPECT_EQ(*redis_->Cli({"DUMP", "av:{1}:r:A"}), before);
  EXPECT_EQ(*redis_->Cli({"EXISTS", "av:{1}:r:B"}), "0\n");
}

}  // namespace
}  // namespace availability
