#include "bench/load_generator.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace av::bench
