// End-to-end tests of the near-cache through the real availability-server
// binary and a real redis-server: invalidation of a served answer, degraded
// mode (Redis paused or killed), health grace; and, labelled `slow`, the
// write-to-visible time across two servers on one Redis.

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "client/availability_client.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/server_process.h"
#include "testing/server_test.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;
using ::testing::HasSubstr;

constexpr int32_t kStock = 1;
constexpr char kToken[] = "e2e-sync-token-0123456789";

struct Server {
  std::unique_ptr<testing::ServerProcess> process;
  std::unique_ptr<v1::Availability::Stub> stub;
  std::unique_ptr<v1::InventorySync::Stub> sync;
  std::shared_ptr<grpc::Channel> channel;
};

class NearCacheE2ETest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartRedis());
    core::StoreConfig config;
    config.stock_id = kStock;
    client_->PutStoreConfig(config);
    PutUnits(kStock, "WARM", 1, 10);
    PutUnits(kStock, "COLD", 1, 10);
  }

  Server Start(std::vector<std::string> extra = {}, bool with_sync = false) {
    Server s;
    testing::ServerProcess::Options options;
    options.redis_port = redis_->port();
    options.sync = with_sync;
    options.sync_token = kToken;
    options.health_interval = absl::Milliseconds(100);
    options.flags = {"--invalidation_ping_interval=50ms",
                     "--invalidation_ping_timeout=250ms"};
    options.flags.insert(options.flags.end(), extra.begin(), extra.end());
    auto process = testing::ServerProcess::Start(options);
    EXPECT_TRUE(process.ok()) << process.status();
    s.process = *std::move(process);
    s.channel = s.process->Channel();
    s.stub = v1::Availability::NewStub(s.channel);
    if (with_sync) s.sync = s.process->NewSyncStub();
    // Ready once an answer comes back (Redis connected, tracking on).
    EXPECT_TRUE(testing::Eventually(
        [&] {
          v1::ProductAvailability a;
          return Get(s, "WARM", &a).ok();
        },
        absl::Seconds(10)));
    return s;
  }

  static grpc::Status Get(Server& s, const std::string& sku,
                          v1::ProductAvailability* answer,
                          absl::Duration timeout = absl::Seconds(2)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    v1::GetAvailabilityRequest request;
    request.set_sku(sku);
    request.mutable_scope()->set_stock_id(kStock);
    return s.stub->GetAvailability(&context, request, answer);
  }
};

TEST_F(NearCacheE2ETest, AWriteReachesAnAnswerServedFromMemory) {
  Server s = Start();
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(s, "WARM", &answer).ok());
  EXPECT_EQ(answer.freshness().version(), 1);
  PutUnits(kStock, "WARM", 2, 0);
  EXPECT_TRUE(testing::Eventually(
      [&] {
        return Get(s, "WARM", &answer).ok() &&
               answer.freshness().version() == 2;
      },
      absl::Seconds(2)));
  EXPECT_EQ(answer.status(), v1::STATUS_OUT_OF_STOCK);
  EXPECT_FALSE(answer.freshness().stale());
  // Unknown SKUs are cached negatively and announced when they appear.
  EXPECT_EQ(Get(s, "LATER", &answer).error_code(), grpc::StatusCode::NOT_FOUND);
  PutUnits(kStock, "LATER", 1, 4);
  EXPECT_TRUE(testing::Eventually([&] { return Get(s, "LATER", &answer).ok(); },
                                  absl::Seconds(2)));
}

TEST_F(NearCacheE2ETest, PausedRedisServesWarmStaleAndFailsColdFast) {
  Server s = Start();
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(s, "WARM", &answer).ok());
  redis_->Pause();
  EXPECT_TRUE(testing::Eventually([&] {
    return Get(s, "WARM", &answer, absl::Milliseconds(500)).ok() &&
           answer.freshness().stale();
  })) << "a warm SKU answers from memory, marked stale";
  EXPECT_EQ(answer.status(), v1::STATUS_IN_STOCK);
  const absl::Time start = absl::Now();
  grpc::Status cold = Get(s, "COLD", &answer, absl::Seconds(2));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(cold.error_code(), grpc::StatusCode::UNAVAILABLE)
      << cold.error_message();
  EXPECT_THAT(cold.error_message(), HasSubstr("not held in memory"));
  EXPECT_LT(took, absl::Milliseconds(100)) << "fails fast, not at deadline";
  std::printf("cold miss with Redis paused failed in %s\n",
              absl::FormatDuration(took).c_str());
  redis_->Resume();
  EXPECT_TRUE(testing::Eventually(
      [&] {
        return Get(s, "WARM", &answer).ok() && !answer.freshness().stale();
      },
      absl::Seconds(10)));
  EXPECT_TRUE(Get(s, "COLD", &answer).ok());
}

TEST_F(NearCacheE2ETest, KilledRedisServesWarmStaleThenHealthTurnsAfterGrace) {
  Server s = Start({"--unhealthy_after=1s"});
  auto serving = [&] {
    absl::StatusOr<av::client::HealthStatus> status =
        av::client::CheckHealth(s.channel, "", absl::Seconds(1));
    return status.ok() && *status == av::client::HealthStatus::kServing;
  };
  EXPECT_TRUE(testing::Eventually(serving));
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(s, "WARM", &answer).ok());
  redis_->Kill();
  const absl::Time killed = absl::Now();
  EXPECT_TRUE(testing::Eventually([&] {
    return Get(s, "WARM", &answer).ok() && answer.freshness().stale();
  }));
  EXPECT_EQ(Get(s, "COLD", &answer).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(
      testing::Eventually([&] { return !serving(); }, absl::Seconds(10)));
  EXPECT_GE(absl::Now() - killed, absl::Milliseconds(900))
      << "NOT_SERVING only after --unhealthy_after";
  ASSERT_TRUE(redis_->Restart().ok());
  EXPECT_TRUE(testing::Eventually(serving, absl::Seconds(10)));
}

// Write-to-visible time across two servers (each with its near-cache) on
// one Redis, writes through the sync API of the first.
TEST_F(NearCacheE2ETest, FreshnessAcrossTwoServers) {
  Server a = Start({}, /*with_sync=*/true);
  Server b = Start();
  v1::ProductAvailability answer;
  ASSERT_TRUE(Get(a, "WARM", &answer).ok());
  ASSERT_TRUE(Get(b, "WARM", &answer).ok());
  std::vector<double> millis;
  constexpr int kWrites = 1000;
  for (int i = 0; i < kWrites; ++i) {
    const int64_t version = 100 + i;
    v1::UpsertRecordsRequest request;
    v1::InventoryRecord* record = request.add_records();
    record->set_sku("WARM");
    record->set_stock_id(kStock);
    record->set_version(version);
    record->set_source_quantity(static_cast<double>(i % 50));
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::UpsertRecordsResponse response;
    const absl::Time start = absl::Now();
    grpc::Status status = a.sync->UpsertRecords(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.applied(), 1);
    bool seen_a = false;
    bool seen_b = false;
    absl::Time seen;
    const absl::Time give_up = start + absl::Seconds(5);
    while (!(seen_a && seen_b) && absl::Now() < give_up) {
      if (!seen_a) {
        seen_a = Get(a, "WARM", &answer).ok() &&
                 answer.freshness().version() == version;
      }
      if (!seen_b) {
        seen_b = Get(b, "WARM", &answer).ok() &&
                 answer.freshness().version() == version;
      }
      seen = absl::Now();
    }
    ASSERT_TRUE(seen_a && seen_b) << "write " << i << " never visible";
    millis.push_back(absl::ToDoubleMilliseconds(seen - start));
  }
  std::sort(millis.begin(), millis.end());
  const double p50 = millis[millis.size() / 2];
  const double p99 = millis[millis.size() * 99 / 100];
  std::printf(
      "freshness over %d writes (both servers answer the new "
      "version): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      kWrites, p50, p99, millis.back());
  RecordProperty("freshness_p50_ms", std::to_string(p50));
  RecordProperty("freshness_p99_ms", std::to_string(p99));
  // The goal. Five runs on the shared 2-core machine at load average 15-18
  // gave p99 3.6-6.4 ms (max 17 ms), so 50 ms holds with a wide margin.
  EXPECT_LE(p99, 50.0);
}

}  // namespace
}  // namespace availability
