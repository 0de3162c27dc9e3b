// The whole server in-process (AvailabilityServer) against a real
// redis-server: every listener on port 0, a record written through the sync
// API and read back through the storefront over real loopback channels,
// metrics over HTTP, and a shutdown that ends a stream in flight.

#include "server/availability_server.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/test_http_get.h"
#include "testing/redis_server.h"

namespace availability::server {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "in-process-sync-token-0123456789";

class AvailabilityServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
  }

  // Every listener on 127.0.0.1:0, plaintext, against the test's Redis.
  AvailabilityServerConfig Config() const {
    AvailabilityServerConfig config;
    config.listen = "127.0.0.1:0";
    config.sync_listen = "127.0.0.1:0";
    config.sync.token = kToken;
    config.metrics_listen = "127.0.0.1:0";
    config.redis.port = redis_->port();
    config.health_interval = absl::Milliseconds(100);
    return config;
  }

  static std::shared_ptr<grpc::Channel> Channel(int port) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                               grpc::InsecureChannelCredentials());
  }

  static std::unique_ptr<grpc::ClientContext> Context(bool sync) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    if (sync) {
      context->AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    }
    return context;
  }

  // Stock 1 (UTC, no handling days) with SKU "A": 7 on hand, version 3.
  static void WriteStock(v1::InventorySync::Stub& sync) {
    v1::PutStoreConfigRequest config;
    config.mutable_config()->set_stock_id(1);
    config.mutable_config()->set_time_zone("UTC");
    v1::PutStoreConfigResponse config_response;
    grpc::Status status = sync.PutStoreConfig(Context(/*sync=*/true).get(),
                                              config, &config_response);
    ASSERT_TRUE(status.ok()) << status.error_message();

    v1::UpsertRecordsRequest upsert;
    v1::InventoryRecord* record = upsert.add_records();
    record->set_sku("A");
    record->set_stock_id(1);
    record->set_version(3);
    record->set_source_quantity(7);
    v1::UpsertRecordsResponse upsert_response;
    status = sync.UpsertRecords(Context(/*sync=*/true).get(), upsert,
                                &upsert_response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(upsert_response.applied(), 1) << upsert_response.DebugString();
  }

  static v1::GetAvailabilityRequest GetA() {
    v1::GetAvailabilityRequest get;
    get.set_sku("A");
    get.mutable_scope()->set_stock_id(1);
    get.set_quantity(2);
    return get;
  }

  std::unique_ptr<testing::RedisServer> redis_;
};

TEST_F(AvailabilityServerTest, AnswersOnItsPickedPortsAndShutsDownInGrace) {
  absl::StatusOr<std::unique_ptr<AvailabilityServer>> started =
      AvailabilityServer::Start(Config());
  ASSERT_TRUE(started.ok()) << started.status();
  AvailabilityServer& server = **started;
  ASSERT_GT(server.storefront_port(), 0);
  ASSERT_GT(server.sync_port(), 0);
  ASSERT_GT(server.metrics_port(), 0);
  EXPECT_NE(server.storefront_port(), server.sync_port());

  auto sync = v1::InventorySync::NewStub(Channel(server.sync_port()));
  ASSERT_NO_FATAL_FAILURE(WriteStock(*sync));

  auto storefront =
      v1::Availability::NewStub(Channel(server.storefront_port()));
  v1::ProductAvailability answer;
  grpc::Status status =
      storefront->GetAvailability(Context(false).get(), GetA(), &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer.sku(), "A");
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  EXPECT_EQ(answer.freshness().version(), 3);

  // The metrics listener scrapes this server's own counters.
  absl::StatusOr<HttpAnswer> metrics =
      HttpGet(server.metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->code, 200);
  EXPECT_THAT(metrics->body,
              HasSubstr("availability_undecodable_records_total"));

  // A watch stays open until the server ends it: the shutdown cancels it
  // when the grace is over instead of waiting for the client's deadline.
  v1::WatchAvailabilityRequest watch;
  watch.add_skus("A");
  watch.mutable_scope()->set_stock_id(1);
  grpc::ClientContext watch_context;
  watch_context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Minutes(5)));
  auto reader = storefront->WatchAvailability(&watch_context, watch);
  ASSERT_TRUE(reader->Read(&answer));
  EXPECT_EQ(answer.sku(), "A");

  const absl::Duration grace = absl::Milliseconds(300);
  const absl::Time shutdown_start = absl::Now();
  server.Shutdown(grace);
  const absl::Duration took = absl::Now() - shutdown_start;
  server.Wait();  // returns at once: the shutdown is over
  // Generous bound: only a shutdown that waits for the stream's own
  // deadline (minutes) fails it.
  EXPECT_LT(took, grace + absl::Seconds(30));
  while (reader->Read(&answer)) {
  }
  EXPECT_FALSE(reader->Finish().ok());

  status = storefront->GetAvailability(Context(false).get(), GetA(), &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(AvailabilityServerTest, NoSyncListenerWithoutAToken) {
  AvailabilityServerConfig config = Config();
  config.sync.token.clear();
  config.metrics_listen.clear();
  absl::StatusOr<std::unique_ptr<AvailabilityServer>> server =
      AvailabilityServer::Start(std::move(config));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->storefront_port(), 0);
  EXPECT_EQ((*server)->sync_port(), 0);
  EXPECT_EQ((*server)->metrics_port(), 0);
}

TEST_F(AvailabilityServerTest, AShortSyncTokenFailsStartNamingIt) {
  AvailabilityServerConfig config = Config();
  config.sync.token = "short";
  absl::StatusOr<std::unique_ptr<AvailabilityServer>> server =
      AvailabilityServer::Start(std::move(config));
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr("sync token rejected"));
}

}  // namespace
}  // namespace availability::server
