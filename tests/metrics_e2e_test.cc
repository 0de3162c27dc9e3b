// End-to-end tests of the operations endpoint and the call limit: the real
// availability-server binary with a real redis-server, scraped over HTTP.

#include <signal.h>

#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/test_http_get.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"

namespace availability {
namespace {

using ::availability::server::HttpGet;
using ::testing::HasSubstr;
namespace v1 = ::availability::v1;

constexpr char kToken[] = "metrics-e2e-token-0123456789";

class MetricsE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
  }

  void StartServer(int redis_port, std::vector<std::string> extra = {},
                   testing::ServerProcess::Ready ready =
                       testing::ServerProcess::Ready::kServing) {
    testing::ServerProcess::Options options;
    options.redis_port = redis_port;
    options.sync = true;
    options.metrics = true;
    options.health_interval = absl::Milliseconds(100);
    options.flags = std::move(extra);
    options.env = {absl::StrCat("AVAILABILITY_SYNC_TOKEN=", kToken)};
    options.ready = ready;
    auto server = testing::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    http_port_ = server_->metrics_port();
    stub_ = server_->NewStub();
    sync_ = server_->NewSyncStub();
  }

  grpc::Status Get(const std::string& sku, absl::Duration timeout) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    v1::GetAvailabilityRequest request;
    request.set_sku(sku);
    request.mutable_scope()->set_stock_id(1);
    v1::ProductAvailability answer;
    return stub_->GetAvailability(&context, request, &answer);
  }

  double Sample(const std::string& series) {
    return server_->MetricSample(series);
  }

  // Polls until the value of `series` satisfies `done` (bounded by 10 s).
  bool WaitUntil(const std::string& series,
                 const std::function<bool(double)>& done) {
    return testing::Eventually([&] { return done(Sample(series)); },
                               absl::Seconds(10), absl::Milliseconds(20));
  }

  // Polls until `series` has at least `value` (bounded by 10 s).
  bool WaitFor(const std::string& series, double value) {
    return WaitUntil(series, [value](double v) { return v >= value; });
  }

  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<v1::Availability::Stub> stub_;
  std::unique_ptr<v1::InventorySync::Stub> sync_;
  int http_port_ = 0;
};

TEST_F(MetricsE2ETest, CountsCallsLatencySyncWritesRedisAndFreshness) {
  StartServer(redis_->port());
  // One record through the sync API, with a source time 30 s ago.
  v1::UpsertRecordsRequest upsert;
  v1::InventoryRecord* record = upsert.add_records();
  record->set_sku("SKU-1");
  record->set_stock_id(1);
  record->set_version(1);
  record->set_source_quantity(5);
  record->mutable_source_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) -
                                             30);
  v1::InventoryRecord* bad = upsert.add_records();
  bad->set_sku("");
  bad->set_stock_id(1);
  bad->set_version(1);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    v1::UpsertRecordsResponse response;
    ASSERT_TRUE(sync_->UpsertRecords(&context, upsert, &response).ok());
    ASSERT_EQ(response.applied(), 1);
    EXPECT_EQ(response.events_appended(), 1);  // BACK_IN_STOCK
    EXPECT_EQ(response.notifications_queued(), 0);
  }
  ASSERT_TRUE(Get("SKU-1", absl::Seconds(2)).ok());
  EXPECT_EQ(Get("NOPE", absl::Seconds(2)).error_code(),
            grpc::StatusCode::NOT_FOUND);

  const std::string get =
      "grpc_service=\"availability.v1.Availability\","
      "grpc_method=\"GetAvailability\"";
  EXPECT_EQ(Sample("grpc_server_handled_total{" + get + ",grpc_code=\"OK\"}"),
            1);
  EXPECT_EQ(
      Sample("grpc_server_handled_total{" + get + ",grpc_code=\"NOT_FOUND\"}"),
      1);
  EXPECT_EQ(Sample("grpc_server_handling_seconds_count{" + get + "}"), 2);
  EXPECT_EQ(Sample("grpc_server_handled_total{grpc_service=\"availability.v1."
                   "InventorySync\",grpc_method=\"UpsertRecords\",grpc_code="
                   "\"OK\"}"),
            1);
  EXPECT_EQ(Sample("availability_sync_records_total{operation=\"upsert\","
                   "result=\"applied\"}"),
            1);
  EXPECT_EQ(Sample("availability_sync_records_total{operation=\"upsert\","
                   "result=\"rejected\"}"),
            1);
  EXPECT_EQ(Sample("availability_events_appended_total{operation=\"upsert\"}"),
            1);
  EXPECT_EQ(Sample("availability_notifications_queued_total"), 0);
  EXPECT_EQ(Sample("availability_freshness_lag_seconds_count"), 1);
  EXPECT_EQ(Sample("availability_freshness_lag_seconds_bucket{le=\"10\"}"), 0);
  EXPECT_EQ(Sample("availability_freshness_lag_seconds_bucket{le=\"60\"}"), 1);
  EXPECT_GT(Sample("availability_redis_command_seconds_count"), 0);
  const std::string text = server_->Metrics();
  EXPECT_THAT(text, HasSubstr("# TYPE grpc_server_handling_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("# TYPE availability_calls_in_flight gauge"));
}

TEST_F(MetricsE2ETest, CountsEventsOfDeletesAndSnapshotsAndQueuedJobs) {
  StartServer(redis_->port(), {"--allow_anonymous_subscriptions"});
  auto authorize = [](grpc::ClientContext& context) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
  };
  // A and B out of stock, with a subscriber waiting for A.
  v1::UpsertRecordsRequest upsert;
  for (const char* sku : {"A", "B"}) {
    v1::InventoryRecord* record = upsert.add_records();
    record->set_sku(sku);
    record->set_stock_id(1);
    record->set_version(1);
  }
  v1::UpsertRecordsResponse response;
  {
    grpc::ClientContext context;
    authorize(context);
    ASSERT_TRUE(sync_->UpsertRecords(&context, upsert, &response).ok());
  }
  {
    grpc::ClientContext context;
    v1::BackInStockSubscription subscription;
    subscription.set_sku("A");
    subscription.mutable_scope()->set_stock_id(1);
    subscription.set_subscriber_id("alice");
    v1::SubscribeBackInStockResponse subscribed;
    ASSERT_TRUE(
        stub_->SubscribeBackInStock(&context, subscription, &subscribed).ok());
  }
  // A comes back in stock within snapshot "s"; B is left out of it.
  upsert.set_snapshot_id("s");
  upsert.mutable_records()->RemoveLast();
  upsert.mutable_records(0)->set_version(2);
  upsert.mutable_records(0)->set_source_quantity(3);
  {
    grpc::ClientContext context;
    authorize(context);
    ASSERT_TRUE(sync_->UpsertRecords(&context, upsert, &response).ok());
    EXPECT_EQ(response.events_appended(), 1);
    EXPECT_EQ(response.notifications_queued(), 1);
  }
  {
    grpc::ClientContext context;
    authorize(context);
    v1::FinishSnapshotRequest finish;
    finish.set_stock_id(1);
    finish.set_snapshot_id("s");
    v1::FinishSnapshotResponse finished;
    ASSERT_TRUE(sync_->FinishSnapshot(&context, finish, &finished).ok());
    EXPECT_EQ(finished.events_appended(), 1);  // B: OUT_OF_STOCK
  }
  {
    grpc::ClientContext context;
    authorize(context);
    v1::DeleteRecordsRequest del;
    v1::RecordKey* key = del.add_keys();
    key->set_sku("A");
    key->set_stock_id(1);
    key->set_version(3);
    v1::DeleteRecordsResponse deleted;
    ASSERT_TRUE(sync_->DeleteRecords(&context, del, &deleted).ok());
    EXPECT_EQ(deleted.events_appended(), 1);
  }
  EXPECT_EQ(Sample("availability_events_appended_total{operation=\"upsert\"}"),
            3);
  EXPECT_EQ(
      Sample("availability_events_appended_total{operation=\"snapshot\"}"), 1);
  EXPECT_EQ(Sample("availability_events_appended_total{operation=\"delete\"}"),
            1);
  EXPECT_EQ(Sample("availability_notifications_queued_total"), 1);
}

TEST_F(MetricsE2ETest, WatchStreamsGaugeFollowsOpenStreams) {
  StartServer(redis_->port());
  EXPECT_EQ(Sample("availability_watch_streams"), 0);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  v1::WatchAvailabilityRequest request;
  request.add_skus("SKU-1");
  request.mutable_scope()->set_stock_id(1);
  auto reader = stub_->WatchAvailability(&context, request);
  v1::ProductAvailability answer;
  // The stream registers before its first answer.
  ASSERT_TRUE(reader->Read(&answer)) << server_->Stderr();
  EXPECT_EQ(Sample("availability_watch_streams"), 1);
  context.TryCancel();
  EXPECT_FALSE(reader->Read(&answer));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(
      WaitUntil("availability_watch_streams", [](double v) { return v == 0; }));
}

TEST_F(MetricsE2ETest, HealthzAndReadyzFollowTheGrpcHealthStatus) {
  StartServer(redis_->port());
  EXPECT_EQ(HttpGet(http_port_, "/healthz")->code, 200);
  // SERVING once the first health ping is answered.
  int ready = 0;
  testing::Eventually(
      [&] { return (ready = HttpGet(http_port_, "/readyz")->code) == 200; },
      absl::Seconds(10), absl::Milliseconds(20));
  EXPECT_EQ(ready, 200) << server_->Stderr();
}

TEST_F(MetricsE2ETest, NotReadyWithoutRedisButAlive) {
  StartServer(testing::PickFreePort(), {},  // nothing listens there
              testing::ServerProcess::Ready::kListening);
  absl::SleepFor(absl::Milliseconds(300));  // a few health intervals
  EXPECT_EQ(HttpGet(http_port_, "/healthz")->code, 200);
  EXPECT_EQ(HttpGet(http_port_, "/readyz")->code, 503);
  EXPECT_THAT(HttpGet(http_port_, "/nope")->body, HasSubstr("/metrics"));
}

TEST_F(MetricsE2ETest, CallsBeyondTheLimitFailResourceExhaustedAtOnce) {
  StartServer(redis_->port(), {"--max_concurrent_calls=2"});
  redis_->Pause();  // calls wait for Redis until their deadline
  std::vector<std::thread> held;
  for (int i = 0; i < 2; ++i) {
    held.emplace_back(
        [this, i] { Get(absl::StrCat("HELD-", i), absl::Seconds(3)); });
  }
  ASSERT_TRUE(WaitFor("availability_calls_in_flight", 2));
  const absl::Time start = absl::Now();
  grpc::Status refused = Get("ONE-TOO-MANY", absl::Seconds(3));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("server busy"));
  redis_->Resume();
  for (auto& t : held) t.join();
  EXPECT_EQ(Sample("availability_calls_rejected_total"), 1);
  EXPECT_EQ(Sample("grpc_server_handled_total{grpc_service=\"availability.v1."
                   "Availability\",grpc_method=\"GetAvailability\",grpc_code="
                   "\"RESOURCE_EXHAUSTED\"}"),
            1);
  // The slots are free again.
  EXPECT_TRUE(WaitUntil("availability_calls_in_flight",
                        [](double v) { return v == 0; }));
  EXPECT_NE(Get("AFTER", absl::Seconds(2)).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(MetricsE2ETest, OversizedRequestsAreRefused) {
  StartServer(redis_->port(), {"--max_message_bytes=4096"});
  v1::BatchGetAvailabilityRequest request;
  request.mutable_scope()->set_stock_id(1);
  for (int i = 0; i < 200; ++i) {
    request.add_items()->set_sku(absl::StrCat("SKU-PADDED-", i, "-xxxxxxxx"));
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  v1::BatchGetAvailabilityResponse response;
  EXPECT_EQ(
      stub_->BatchGetAvailability(&context, request, &response).error_code(),
      grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace availability
