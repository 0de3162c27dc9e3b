// A fixture for tests of the cache layer: a fresh real redis-server on a
// free loopback port and the project's RedisClient connected to it, with a
// synchronous Command() for set-up and assertions.
//
//   class JobQueueTest : public testing::RedisTest {
//     void SetUp() override {
//       ASSERT_NO_FATAL_FAILURE(RedisTest::SetUp());
//       queue_ = std::make_unique<NotificationJobQueue>(*client_, keys_);
//     }
//   };
//
// Not thread-safe; one per test. (Tests that need the server binary too
// use ServerTest, server_test.h.)
#ifndef AVAILABILITY_TESTING_REDIS_TEST_H_
#define AVAILABILITY_TESTING_REDIS_TEST_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "cache/redis_client.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"

namespace availability::testing {

class RedisTest : public ::testing::Test {
 protected:
  // Bounds each command of the fixture and Deadline().
  static constexpr absl::Duration kCommandWait = absl::Seconds(20);

  // Starts server_ and connects client_; a fatal test failure when either
  // does not work.
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<std::unique_ptr<SyncRedisClient>> client =
        SyncRedisClient::Connect(server_->port(), kCommandWait);
    ASSERT_TRUE(client.ok()) << client.status();
    sync_client_ = *std::move(client);
    client_ = &sync_client_->client();
  }

  absl::Time Deadline() const { return absl::Now() + kCommandWait; }

  // One command, waited for. A test failure (and an empty reply) when the
  // client fails it; a Redis error reply comes back as such.
  cache::RedisReply Command(std::vector<std::string> argv) {
    absl::StatusOr<cache::RedisReply> reply =
        RunSync(*client_, std::move(argv), kCommandWait);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *std::move(reply) : cache::RedisReply();
  }

  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<SyncRedisClient> sync_client_;
  cache::RedisClient* client_ = nullptr;
  cache::KeySchema keys_{"av"};
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_REDIS_TEST_H_
