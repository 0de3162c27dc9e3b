#include "bench/load_generator.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "availability/v1/availability.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testing/in_process_server.h"

namespace av::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(LatencyHistogramTest, BucketsAreContiguousAndTight) {
  uint64_t previous_upper = 0;
  for (size_t i = 1; i < 2000; ++i) {
    uint64_t upper = LatencyHistogram::BucketUpperBound(i);
    EXPECT_GT(upper, previous_upper) << i;
    EXPECT_EQ(LatencyHistogram::BucketIndex(upper), i);
    EXPECT_EQ(LatencyHistogram::BucketIndex(previous_upper + 1), i);
    // Relative width at most 1/64.
    EXPECT_LE(upper - previous_upper, previous_upper / 64 + 1) << i;
    previous_upper = upper;
  }
  EXPECT_LT(LatencyHistogram::BucketIndex(UINT64_MAX),
            LatencyHistogram::kBucketCount);
}

TEST(LatencyHistogramTest, Percentiles) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.ValueAtPercentile(50), 0);
  for (int64_t v = 1; v <= 1000; ++v) histogram.Record(v * 1000);  // 1..1000us
  EXPECT_EQ(histogram.count(), 1000u);
  EXPECT_NEAR(histogram.ValueAtPercentile(50), 500'000, 500'000 / 60);
  EXPECT_NEAR(histogram.ValueAtPercentile(99), 990'000, 990'000 / 60);
  EXPECT_EQ(histogram.ValueAtPercentile(100), 1'000'000);
  EXPECT_EQ(histogram.max(), 1'000'000);
  EXPECT_DOUBLE_EQ(histogram.mean(), 500'500.0);
}

struct TargetCase {
  std::string target;
  bool ok;
};

class CheckLocalTargetTest : public ::testing::TestWithParam<TargetCase> {};

TEST_P(CheckLocalTargetTest, OnlyLoopback) {
  absl::Status status = CheckLocalTarget(GetParam().target);
  EXPECT_EQ(status.ok(), GetParam().ok) << GetParam().target;
  if (!status.ok()) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("--target: refusing"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Targets, CheckLocalTargetTest,
    ::testing::Values(TargetCase{"127.0.0.1:50051", true},
                      TargetCase{"localhost:1", true},
                      TargetCase{"[::1]:50051", true},
                      TargetCase{"ipv4:127.0.0.1:8080", true},
                      TargetCase{"dns:///localhost:8080", true},
                      TargetCase{"10.0.0.1:50051", false},
                      TargetCase{"example.com:443", false},
                      TargetCase{"127.0.0.1", false},
                      TargetCase{"127.0.0.1:0", false},
                      TargetCase{"localhost.evil.com:80", false},
                      TargetCase{"127.0.0.1:50051,10.0.0.1:1", false}));

TEST(ExpandSkuPatternTest, ZeroPaddedAndLiteralPercent) {
  EXPECT_THAT(*ExpandSkuPattern("SKU-%04d", 9, 3),
              ElementsAre("SKU-0009", "SKU-0010", "SKU-0011"));
  EXPECT_THAT(*ExpandSkuPattern("%%x%d", 1, 1), ElementsAre("%x1"));
}

TEST(ExpandSkuPatternTest, RejectsOtherConversions) {
  EXPECT_EQ(ExpandSkuPattern("SKU-%s", 1, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExpandSkuPattern("%d-%d", 1, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExpandSkuPattern("SKU", 1, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(GrpcRequestBodyTest, FramesTheSerializedRequest) {
  LoadOptions options;
  options.mode = LoadMode::kBatch;
  options.batch_size = 3;
  options.skus = {"A-1", "B-2"};
  options.scope.set_stock_id(7);
  const std::string body = GrpcRequestBody(options);
  ASSERT_GE(body.size(), 5u);
  EXPECT_EQ(body[0], '\0');  // not compressed
  const size_t length = (static_cast<uint8_t>(body[1]) << 24) |
                        (static_cast<uint8_t>(body[2]) << 16) |
                        (static_cast<uint8_t>(body[3]) << 8) |
                        static_cast<uint8_t>(body[4]);
  ASSERT_EQ(length, body.size() - 5);
  availability::v1::BatchGetAvailabilityRequest request;
  ASSERT_TRUE(request.ParseFromString(body.substr(5)));
  ASSERT_EQ(request.items_size(), 3);
  EXPECT_EQ(request.items(0).sku(), "A-1");
  EXPECT_EQ(request.items(1).sku(), "B-2");
  EXPECT_EQ(request.items(2).sku(), "A-1");
  EXPECT_EQ(request.scope().stock_id(), 7);

  options.mode = LoadMode::kGet;
  availability::v1::GetAvailabilityRequest get;
  const std::string get_body = GrpcRequestBody(options);
  ASSERT_TRUE(get.ParseFromString(get_body.substr(5)));
  EXPECT_EQ(get.sku(), "A-1");
  EXPECT_EQ(static_cast<uint8_t>(get_body[4]), get_body.size() - 5);
}

// A storefront fake for the transports: "BAD" is refused, "SLOW" answers
// after 300 ms (from a thread of its own: the callback thread returns),
// anything else at once.
class FakeAvailability final
    : public availability::v1::Availability::CallbackService {
 public:
  ~FakeAvailability() override {
    std::vector<std::thread> slow;
    {
      absl::MutexLock lock(&mu_);
      slow.swap(slow_);
    }
    for (std::thread& t : slow) t.join();
  }

  grpc::ServerUnaryReactor* GetAvailability(
      grpc::CallbackServerContext* context,
      const availability::v1::GetAvailabilityRequest* request,
      availability::v1::ProductAvailability* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    response->set_sku(request->sku());
    if (request->sku() == "BAD") {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "sku: refused"));
    } else if (request->sku() == "SLOW") {
      absl::MutexLock lock(&mu_);
      slow_.emplace_back([reactor] {
        absl::SleepFor(absl::Milliseconds(300));
        reactor->Finish(grpc::Status::OK);
      });
    } else {
      reactor->Finish(grpc::Status::OK);
    }
    return reactor;
  }

  grpc::ServerUnaryReactor* BatchGetAvailability(
      grpc::CallbackServerContext* context,
      const availability::v1::BatchGetAvailabilityRequest* request,
      availability::v1::BatchGetAvailabilityResponse* response) override {
    for (const auto& item : request->items()) {
      response->add_items()->set_sku(item.sku());
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::thread> slow_ ABSL_GUARDED_BY(mu_);
};

class TransportTest : public ::testing::TestWithParam<LoadTransport> {
 protected:
  void SetUp() override {
    auto server = availability::testing::InProcessServer::Start({&service_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
  }

  LoadOptions Options(std::vector<std::string> skus) const {
    LoadOptions options;
    options.target = absl::StrCat("127.0.0.1:", server_->port());
    options.transport = GetParam();
    options.skus = std::move(skus);
    options.channels = 2;
    options.in_flight_per_channel = 4;
    options.warmup = absl::ZeroDuration();
    options.duration = absl::Milliseconds(300);
    options.deadline = absl::Seconds(2);
    return options;
  }

  FakeAvailability service_;  // outlives the server
  std::unique_ptr<availability::testing::InProcessServer> server_;
};

TEST_P(TransportTest, CountsEachCallByItsStatus) {
  auto result = RunLoad(Options({"A", "B", "BAD"}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->ok, 0u);
  ASSERT_EQ(result->errors_by_code.count("INVALID_ARGUMENT"), 1u);
  const uint64_t refused = result->errors_by_code.at("INVALID_ARGUMENT");
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(result->calls, result->ok + refused);
  EXPECT_EQ(result->errors_by_code.size(), 1u);
  EXPECT_GT(result->p99_nanos, 0);
}

TEST_P(TransportTest, BatchCallsSucceed) {
  LoadOptions options = Options({"A", "B"});
  options.mode = LoadMode::kBatch;
  options.batch_size = 20;
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->ok, 0u);
  EXPECT_EQ(result->calls, result->ok);
  EXPECT_DOUBLE_EQ(result->items_per_second, result->calls_per_second * 20);
}

TEST_P(TransportTest, CallsPastTheirDeadlineAreDeadlineExceeded) {
  LoadOptions options = Options({"SLOW"});
  options.deadline = absl::Milliseconds(50);
  const absl::Time start = absl::Now();
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->ok, 0u);
  ASSERT_EQ(result->errors_by_code.count("DEADLINE_EXCEEDED"), 1u);
  EXPECT_GT(result->errors_by_code.at("DEADLINE_EXCEEDED"), 0u);
  // Reset at the deadline, not waited for until the answer.
  EXPECT_LT(result->p99_nanos,
            absl::ToInt64Nanoseconds(absl::Milliseconds(250)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_P(TransportTest, OpenLoopSendsOnItsSchedule) {
  LoadOptions options = Options({"A"});
  options.rate = 200;  // 60 calls in 300 ms
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->calls, result->ok);
  EXPECT_GE(result->calls, 30u);
  EXPECT_LE(result->calls, 61u);
}

TEST_P(TransportTest, NothingListeningIsUnavailable) {
  LoadOptions options = Options({"A"});
  const int port = server_->port();
  server_->Stop(absl::ZeroDuration());
  server_.reset();
  options.target = absl::StrCat("127.0.0.1:", port);
  auto result = RunLoad(options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable)
      << result.status();
}

TEST_P(TransportTest, AServerGoingAwayMidRunEndsItInTime) {
  LoadOptions options = Options({"A"});
  options.duration = absl::Seconds(1);
  absl::StatusOr<LoadResult> result;
  const absl::Time start = absl::Now();
  std::thread run([&] { result = RunLoad(options); });
  absl::SleepFor(absl::Milliseconds(200));
  server_->Stop(absl::ZeroDuration());  // GOAWAY, then the connections close
  run.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  if (result.ok()) {
    EXPECT_GT(result->ok, 0u);
    EXPECT_GT(result->calls, result->ok);  // the calls after it failed
  } else {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable)
        << result.status();
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, TransportTest,
                         ::testing::Values(LoadTransport::kGrpc,
                                           LoadTransport::kHttp2),
                         [](const ::testing::TestParamInfo<LoadTransport>& p) {
                           return p.param == LoadTransport::kGrpc
                                      ? std::string("Grpc")
                                      : std::string("Http2");
                         });

}  // namespace
}  // namespace av::bench
