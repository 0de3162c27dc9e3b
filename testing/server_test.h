// A fixture in the manner of Envoy's BaseIntegrationTest: a fresh real
// redis-server and the real availability-server on it, for tests under
// tests/ that need nothing else started first.
//
//   class JobsE2ETest : public testing::ServerTest {
//     void SetUp() override {
//       ASSERT_NO_FATAL_FAILURE(StartRedisAndServer(WithSync(kToken)));
//     }
//   };
//
// Not thread-safe; one per test.
#ifndef AVAILABILITY_TESTING_SERVER_TEST_H_
#define AVAILABILITY_TESTING_SERVER_TEST_H_

#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/server_process.h"

namespace availability::testing {

class ServerTest : public ::testing::Test {
 protected:
  // Options with a sync listener whose token is `token`.
  static ServerProcess::Options WithSync(std::string token) {
    ServerProcess::Options options;
    options.sync = true;
    options.sync_token = std::move(token);
    return options;
  }

  // Starts redis_, then server_ with `options` on it (redis_port is filled
  // in). A fatal test failure when either does not start.
  void StartRedisAndServer(ServerProcess::Options options = {}) {
    auto redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    options.redis_port = redis_->port();
    auto server = ServerProcess::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_SERVER_TEST_H_
