// The test harness itself: the server process waits until SERVING and
// stops, pauses and reports exits; the synchronous Redis client writes what
// the server then reads; Eventually, Waiter and FakeClock keep their word.

#include <signal.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/fake_clock.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/server_process.h"

namespace availability::testing {
namespace {

using ::testing::HasSubstr;

grpc::Status Get(ServerProcess& server, const std::string& sku,
                 absl::Duration timeout = absl::Seconds(2)) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::GetAvailabilityRequest request;
  request.set_sku(sku);
  request.mutable_scope()->set_stock_id(1);
  v1::ProductAvailability answer;
  return server.NewStub()->GetAvailability(&context, request, &answer);
}

TEST(ServerProcessTest, ServesWhatRedisHoldsAndStopsCleanly) {
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto writer = SyncRedisClient::Connect((*redis)->port());
  ASSERT_TRUE(writer.ok()) << writer.status();
  core::StoreConfig config;
  config.stock_id = 1;
  (*writer)->PutStoreConfig(config);
  core::Record record;
  record.sku = "A";
  record.stock_id = 1;
  record.version = 1;
  record.source_qty = core::QtyFromUnits(3);
  (*writer)->PutRecord(record);

  ServerProcess::Options options;
  options.redis_port = (*redis)->port();
  options.metrics = true;
  options.sync = true;
  options.sync_token = "harness-token-0123456789";
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_NE((*server)->port(), 0);
  EXPECT_NE((*server)->metrics_port(), 0);
  EXPECT_NE((*server)->sync_port(), 0);
  EXPECT_THAT((*server)->sync_token_file(), HasSubstr((*server)->dir()));
  // The token reaches both the server and the sync client.
  v1::PutSalesChannelsRequest channels;
  (*channels.mutable_channels())["base"] = 1;
  EXPECT_TRUE((*server)->NewSyncClient()->PutSalesChannels(channels).ok());
  EXPECT_GE((*server)->MetricSample("availability_calls_in_flight"), 0);
  // SERVING means answers now, no retry needed.
  EXPECT_TRUE(Get(**server, "A").ok());
  EXPECT_EQ(Get(**server, "NOPE").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_GT((*writer)->InfoField("commandstats", "cmdstat_get"), 0);

  EXPECT_EQ((*server)->Stop(), 0);
  EXPECT_THAT((*server)->Stderr(), HasSubstr("\"msg\":\"stopped\""));
}

TEST(ServerProcessTest, APausedServerAnswersOnceResumed) {
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  ServerProcess::Options options;
  options.redis_port = (*redis)->port();
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Pause();
  EXPECT_EQ(Get(**server, "A", absl::Milliseconds(300)).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  (*server)->Resume();
  EXPECT_EQ(Get(**server, "A").error_code(), grpc::StatusCode::NOT_FOUND);
  // (Not stopped with SIGTERM: the call that timed out while paused holds
  // the drain for --shutdown_grace; the destructor kills it.)
}

TEST(ServerProcessTest, AServerThatExitsIsReportedWithItsStderr) {
  ServerProcess::Options options;
  options.flags = {"--max_concurrent_streams=0"};  // refused at start
  auto server = ServerProcess::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr("--max_concurrent_streams"));

  options.ready = ServerProcess::Ready::kStarted;
  server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->Wait(absl::Seconds(10)), 1);
}

TEST(ServerProcessTest, WithoutRedisItListensButIsNotServing) {
  ServerProcess::Options options;
  options.redis_port = PickFreePort();  // nothing listens there
  options.ready = ServerProcess::Ready::kListening;
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const absl::Status serving =
      (*server)->WaitUntilServing(absl::Milliseconds(500));
  EXPECT_TRUE(absl::IsUnavailable(serving)) << serving;
  EXPECT_THAT(std::string(serving.message()), HasSubstr("NOT_SERVING"));
  (*server)->Kill();
  EXPECT_FALSE((*server)->Running());
}

TEST(SyncRedisClientTest, ErrorRepliesArriveAsRepliesAndPipelinesInOrder) {
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto client = SyncRedisClient::Connect((*redis)->port());
  ASSERT_TRUE(client.ok()) << client.status();
  auto replies = (*client)->RunPipeline({{"SET", "k", "v"}, {"INCR", "k"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 2u);
  EXPECT_EQ((*replies)[0].str, "OK");
  EXPECT_TRUE((*replies)[1].is_error());
  auto get = (*client)->Run({"GET", "k"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->str, "v");
  EXPECT_EQ((*client)->InfoField("stats", "no_such_field"), -1);
  EXPECT_EQ(*RedisCli((*redis)->port(), {"GET", "k"}), "v\n");
}

TEST(EventuallyTest, PollsUntilTheConditionHoldsOrTheTimePasses) {
  int calls = 0;
  EXPECT_TRUE(Eventually([&] { return ++calls == 3; }));
  EXPECT_EQ(calls, 3);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(Eventually([] { return false; }, absl::Milliseconds(50)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
}

TEST(WaiterTest, TakesTheResultOfAnotherThread) {
  Waiter<absl::StatusOr<int>> waiter;
  std::thread([callback = waiter.Callback()] { callback(7); }).detach();
  absl::StatusOr<int> value = waiter.Get();
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, 7);
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(absl::Seconds(59));
  EXPECT_EQ(clock.Now(), start + absl::Seconds(59));
  clock.Set(absl::UnixEpoch());
  EXPECT_EQ(clock.Now(), absl::UnixEpoch());
}

}  // namespace
}  // namespace availability::testing
