#include "base/http_endpoint.h"

#include <atomic>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/http_get.h"

namespace availability::base {
namespace {

using ::availability::testing::HttpAnswer;
using ::availability::testing::HttpGet;
using ::testing::HasSubstr;

class HttpEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto http = HttpEndpoint::Start("127.0.0.1:0",
                                    {[] { return std::string("up 1\n"); },
                                     [this] { return ready_.load(); }});
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = *std::move(http);
    ASSERT_GT(http_->port(), 0);
  }
  std::atomic<bool> ready_{false};
  std::unique_ptr<HttpEndpoint> http_;
};

TEST_F(HttpEndpointTest, ServesMetricsInTheTextFormat) {
  absl::StatusOr<HttpAnswer> a = HttpGet(http_->port(), "/metrics");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->code, 200);
  EXPECT_THAT(a->headers, HasSubstr("text/plain; version=0.0.4"));
  EXPECT_EQ(a->body, "up 1\n");
}

TEST_F(HttpEndpointTest, HealthzAlwaysReadyzFollowsReady) {
  EXPECT_EQ(HttpGet(http_->port(), "/healthz")->code, 200);
  EXPECT_EQ(HttpGet(http_->port(), "/readyz")->code, 503);
  ready_ = true;
  EXPECT_EQ(HttpGet(http_->port(), "/readyz")->code, 200);
  ready_ = false;
  EXPECT_EQ(HttpGet(http_->port(), "/readyz")->code, 503);
}

TEST_F(HttpEndpointTest, UnknownPathsAndMethods) {
  EXPECT_EQ(HttpGet(http_->port(), "/nope")->code, 404);
  EXPECT_EQ(HttpGet(http_->port(), "/metrics?x=1")->code, 200);
  EXPECT_EQ(HttpGet(http_->port(), "/metrics", "POST")->code, 501);
}

TEST(HttpEndpointStartTest, BadAddressesAreNamed) {
  auto no_port = HttpEndpoint::Start("127.0.0.1", {});
  EXPECT_EQ(no_port.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_port.status().message(), HasSubstr("host:port"));
  auto first = HttpEndpoint::Start("127.0.0.1:0", {});
  ASSERT_TRUE(first.ok());
  auto taken =
      HttpEndpoint::Start(absl::StrCat("127.0.0.1:", (*first)->port()), {});
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace availability::base
