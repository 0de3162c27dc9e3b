#include "cache/redis_script.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::RedisServer;
using ::availability::testing::SyncRedisClient;
using ::availability::testing::Waiter;
using ::testing::HasSubstr;

class RedisScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    auto client = SyncRedisClient::Connect(server_->port(), absl::Seconds(10));
    ASSERT_THAT(client, IsOk());
    sync_client_ = *std::move(client);
    client_ = &sync_client_->client();
  }

  absl::StatusOr<std::vector<RedisReply>> Run(
      const RedisScript& script, std::vector<std::vector<std::string>> calls,
      bool read_only) {
    Waiter<absl::StatusOr<std::vector<RedisReply>>> w;
    script.Run(*client_, std::move(calls), read_only,
               absl::Now() + absl::Seconds(10), w.Callback());
    return w.Get();
  }

  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<SyncRedisClient> sync_client_;
  RedisClient* client_ = nullptr;
};

TEST_F(RedisScriptTest, SendsTheBodyOnlyWhenRedisLacksIt) {
  const RedisScript script("return redis.call('INCR', KEYS[1])");
  auto exists = [&] {
    return *server_->Cli({"SCRIPT", "EXISTS", script.sha1()});
  };
  EXPECT_EQ(exists(), "0\n");
  // Not cached: every call answers NOSCRIPT, then runs once with the body.
  auto r = Run(script, {{"1", "a"}, {"1", "b"}, {"1", "a"}}, false);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].integer, 1);
  EXPECT_EQ((*r)[1].integer, 1);
  EXPECT_EQ((*r)[2].integer, 2);
  EXPECT_EQ(exists(), "1\n");
  // Cached now; after SCRIPT FLUSH the body is sent again.
  ASSERT_THAT(server_->Cli({"SCRIPT", "FLUSH"}), IsOk());
  r = Run(script, {{"1", "a"}}, false);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ((*r)[0].integer, 3);
  EXPECT_EQ(*server_->Cli({"GET", "a"}), "3\n");
}

TEST_F(RedisScriptTest, ReadOnlyRunsRefuseWrites) {
  const RedisScript writes("return redis.call('SET', KEYS[1], 'x')");
  auto r = Run(writes, {{"1", "k"}}, true);
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE((*r)[0].is_error());
  EXPECT_THAT((*r)[0].str, HasSubstr("not allowed from read-only scripts"));
  const RedisScript reads("return redis.call('EXISTS', KEYS[1])");
  r = Run(reads, {{"1", "k"}}, true);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ((*r)[0].integer, 0);
}

TEST_F(RedisScriptTest, ConstantsFollowTheShebangAndReachTheScript) {
  EXPECT_EQ(LuaWithConstants("return A + B", {{"A", 1}, {"B", -2}}),
            "local A = 1\nlocal B = -2\nreturn A + B");
  const std::string text =
      LuaWithConstants("#!lua flags=no-writes\nreturn {CODE, OTHER}",
                       {{"CODE", 7}, {"OTHER", 9}});
  EXPECT_EQ(text.rfind("#!lua flags=no-writes\nlocal CODE = 7\n", 0), 0u)
      << text;
  auto r = Run(RedisScript(text), {{"0"}}, true);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ((*r)[0].elements.size(), 2u) << (*r)[0].str;
  EXPECT_EQ((*r)[0].elements[0].integer, 7);
  EXPECT_EQ((*r)[0].elements[1].integer, 9);
}

TEST_F(RedisScriptTest, APreludeGoesAfterTheConstantsAndBeforeTheScript) {
  const std::string text = LuaWithConstants("#!lua\nreturn TWICE", {{"N", 21}},
                                            "local TWICE = N * 2\n");
  EXPECT_EQ(text, "#!lua\nlocal N = 21\nlocal TWICE = N * 2\nreturn TWICE");
  auto r = Run(RedisScript(text), {{"0"}}, false);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ((*r)[0].integer, 42) << (*r)[0].str;
}

TEST_F(RedisScriptTest, TransportFailureIsTheStatus) {
  const RedisScript script("return 1");
  server_->Kill();
  auto r = Run(script, {{"0"}}, false);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace availability::cache
