// WatchAvailability streams against the real availability-server binary and
// a real redis-server, over loopback: many open streams do not take the
// unary calls' places, the per-connection and server-wide limits refuse
// with a message naming the limit, and watchers that never read cost the
// server a bounded amount of memory however many updates come.

#include <sys/types.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "core/record.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/server_process.h"
#include "tests/hostile_client.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;
using ::availability::testing::RssBytes;
using ::testing::HasSubstr;

constexpr int32_t kStock = 1;

std::string Sku(int i) { return absl::StrCat("SKU-", i); }

// A channel with a TCP connection of its own (channels with equal
// arguments would share one).
std::shared_ptr<grpc::Channel> OwnConnection(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

// One WatchAvailability stream, opened on construction.
class Watch {
 public:
  Watch(v1::Availability::Stub& stub, int first_sku, int skus) {
    v1::WatchAvailabilityRequest request;
    request.mutable_scope()->set_stock_id(kStock);
    for (int i = 0; i < skus; ++i) request.add_skus(Sku(first_sku + i));
    context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(90)));
    reader_ = stub.WatchAvailability(&context_, request);
  }
  ~Watch() {
    if (finished_) return;
    context_.TryCancel();
    v1::ProductAvailability ignored;
    while (reader_->Read(&ignored)) {
    }
    reader_->Finish();
  }

  // Waits for the first answer (bounded by the stream's deadline); when
  // the stream ends instead, its status.
  grpc::Status FirstAnswer() {
    v1::ProductAvailability answer;
    if (reader_->Read(&answer)) return grpc::Status::OK;
    finished_ = true;
    return reader_->Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::ProductAvailability>> reader_;
  bool finished_ = false;
};

// A GetAvailability call of SKU-0 on `stub`.
grpc::Status GetOnce(v1::Availability::Stub& stub) {
  v1::GetAvailabilityRequest request;
  request.mutable_scope()->set_stock_id(kStock);
  request.set_sku(Sku(0));
  v1::ProductAvailability answer;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  return stub.GetAvailability(&context, request, &answer);
}

class WatchLimitsE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto writer = testing::SyncRedisClient::Connect(redis_->port());
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = *std::move(writer);
    core::StoreConfig config;
    config.stock_id = kStock;
    writer_->PutStoreConfig(config);
  }

  // Records SKU-0 .. SKU-(n-1) with `units` on hand.
  void PutRecords(int n, int64_t units, int64_t version) {
    for (int i = 0; i < n; ++i) {
      core::Record record;
      record.stock_id = kStock;
      record.version = version;
      record.sku = Sku(i);
      record.source_qty = core::QtyFromUnits(units);
      writer_->PutRecord(record);
    }
  }

  void StartServer(std::vector<std::string> flags) {
    testing::ServerProcess::Options options;
    options.redis_port = redis_->port();
    options.metrics = true;
    options.health_interval = absl::Milliseconds(200);
    options.flags = std::move(flags);
    auto server = testing::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<testing::SyncRedisClient> writer_;
  std::unique_ptr<testing::ServerProcess> server_;
};

// 2,000 open streams (40 connections of 50) used to take every one of
// --max_concurrent_calls' 2,000 places: unary calls then failed
// RESOURCE_EXHAUSTED. Streams now have limits of their own.
TEST_F(WatchLimitsE2ETest, TwoThousandStreamsDoNotStarveUnaryCalls) {
  PutRecords(1, 10, 1);
  ASSERT_NO_FATAL_FAILURE(StartServer({"--max_concurrent_calls=2000"}));
  const int64_t rss_idle = RssBytes(server_->pid());
  constexpr int kConnections = 40;
  constexpr int kStreamsPerConnection = 50;
  std::vector<std::unique_ptr<v1::Availability::Stub>> stubs;
  std::vector<std::unique_ptr<Watch>> watches;
  for (int c = 0; c < kConnections; ++c) {
    stubs.push_back(v1::Availability::NewStub(OwnConnection(server_->port())));
    for (int s = 0; s < kStreamsPerConnection; ++s) {
      watches.push_back(std::make_unique<Watch>(*stubs.back(), 0, 1));
      const grpc::Status first = watches.back()->FirstAnswer();
      ASSERT_TRUE(first.ok())
          << "stream " << watches.size() << ": " << first.error_message();
    }
  }
  EXPECT_EQ(server_->MetricSample("availability_watch_streams"), 2000);
  std::cerr << "2,000 streams of 1 SKU: RSS " << rss_idle / 1024 << " -> "
            << RssBytes(server_->pid()) / 1024 << " KiB, "
            << (RssBytes(server_->pid()) - rss_idle) / 2000
            << " bytes per stream\n";

  auto stub = v1::Availability::NewStub(OwnConnection(server_->port()));
  int failed = 0;
  std::string last_error;
  for (int i = 0; i < 200; ++i) {
    const grpc::Status status = GetOnce(*stub);
    if (!status.ok()) {
      ++failed;
      last_error = status.error_message();
    }
  }
  EXPECT_EQ(failed, 0) << last_error;
  EXPECT_EQ(server_->MetricSample("availability_calls_rejected_total"), 0);
}

TEST_F(WatchLimitsE2ETest, LimitsRefuseStreamsNamingTheLimit) {
  PutRecords(10, 10, 1);
  ASSERT_NO_FATAL_FAILURE(
      StartServer({"--max_watch_streams_per_connection=2",
                   "--max_watch_streams=3", "--max_watched_skus=6"}));
  auto a = v1::Availability::NewStub(OwnConnection(server_->port()));
  auto b = v1::Availability::NewStub(OwnConnection(server_->port()));
  auto c = v1::Availability::NewStub(OwnConnection(server_->port()));

  Watch a1(*a, 0, 2);
  ASSERT_TRUE(a1.FirstAnswer().ok());
  Watch a2(*a, 2, 2);
  ASSERT_TRUE(a2.FirstAnswer().ok());
  // A third stream on connection a.
  grpc::Status refused = Watch(*a, 4, 1).FirstAnswer();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("2 streams already open on this connection"));
  EXPECT_THAT(refused.error_message(),
              HasSubstr("--max_watch_streams_per_connection"));

  // Three more SKUs than the server's six.
  refused = Watch(*b, 4, 3).FirstAnswer();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("4 SKUs already watched on this server, 3 more"));
  EXPECT_THAT(refused.error_message(), HasSubstr("--max_watched_skus"));
  Watch b1(*b, 4, 2);
  ASSERT_TRUE(b1.FirstAnswer().ok());

  // A fourth stream on the server.
  refused = Watch(*c, 6, 1).FirstAnswer();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("3 streams already open on this server"));
  EXPECT_THAT(refused.error_message(), HasSubstr("--max_watch_streams"));

  EXPECT_EQ(server_->MetricSample("availability_watch_refused_total"), 3);
  EXPECT_EQ(server_->MetricSample("availability_watched_skus"), 6);
  // Unary calls on the same connections are not limited by the streams.
  EXPECT_TRUE(GetOnce(*a).ok());
  EXPECT_TRUE(GetOnce(*c).ok());
}

// Watchers of 1,000 SKUs each that never read: every SKU changes again and
// again, the server keeps at most the latest answer per SKU per stream.
TEST_F(WatchLimitsE2ETest, NeverReadingWatchersKeepMemoryBounded) {
  constexpr int kSkus = 1000;
  constexpr int kStreams = 100;
  constexpr int kRounds = 12;
  PutRecords(kSkus, 10, 1);
  ASSERT_NO_FATAL_FAILURE(StartServer({}));
  const pid_t pid = server_->pid();
  const int64_t rss_idle = RssBytes(pid);

  auto stub = v1::Availability::NewStub(OwnConnection(server_->port()));
  std::vector<std::unique_ptr<v1::Availability::Stub>> stubs;
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < kStreams; ++i) {
    if (i % 50 == 0) {
      stubs.push_back(
          v1::Availability::NewStub(OwnConnection(server_->port())));
    }
    // Opened, never read (the first answer is not even waited for).
    watches.push_back(std::make_unique<Watch>(*stubs.back(), 0, kSkus));
  }
  ASSERT_TRUE(testing::Eventually(
      [&] {
        return server_->MetricSample("availability_watch_streams") == kStreams;
      },
      absl::Seconds(30), absl::Milliseconds(100)));

  std::vector<int64_t> rss_after_round;
  for (int round = 1; round <= kRounds; ++round) {
    PutRecords(kSkus, 10 + round, 1 + round);
    absl::SleepFor(absl::Milliseconds(300));  // re-reads under way
    rss_after_round.push_back(RssBytes(pid));
  }
  absl::SleepFor(absl::Seconds(1));
  const int64_t rss_end = RssBytes(pid);
  const int64_t watched = int64_t{kStreams} * kSkus;
  std::cerr << "RSS idle " << rss_idle / 1024 << " KiB; after rounds";
  for (int64_t rss : rss_after_round) std::cerr << " " << rss / 1024;
  std::cerr << " KiB; end " << rss_end / 1024 << " KiB; "
            << (rss_end - rss_idle) / watched << " bytes per watched SKU ("
            << watched << " SKUs, " << kStreams << " streams not reading)\n";

  EXPECT_TRUE(server_->Running());
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed memory in quarantine: the RSS figures say nothing.
  GTEST_SKIP() << "memory bounds not asserted under AddressSanitizer";
#elif defined(__SANITIZE_THREAD__)
  // TSan's shadow memory multiplies every allocation (3.2 KB per SKU seen)
  // and its allocator maps in large steps: one run grew by 82 MB in its
  // tenth round, long after settling, doing what the rounds before did.
  GTEST_SKIP() << "memory bounds not asserted under ThreadSanitizer";
#endif
  // Later rounds add nothing: what a stream holds is bounded by its SKUs.
  const int64_t settled = rss_after_round[kRounds / 2 - 1];
  EXPECT_LT(rss_end - settled, int64_t{24} << 20)
      << "grew from " << settled << " to " << rss_end;
  EXPECT_LT((rss_end - rss_idle) / watched, 2048);
}

}  // namespace
}  // namespace availability
