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

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "core/quantity.h"
#include "core/record.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
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

  // Starts redis_ and connects client_ to it. A fatal test failure when
  // either does not work.
  void StartRedis() {
    auto redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto client = SyncRedisClient::Connect(redis_->port());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  // Starts server_ with `options` on redis_ (redis_port is filled in). A
  // fatal test failure when it does not start.
  void StartServer(ServerProcess::Options options = {}) {
    options.redis_port = redis_->port();
    auto server = ServerProcess::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  void StartRedisAndServer(ServerProcess::Options options = {}) {
    ASSERT_NO_FATAL_FAILURE(StartRedis());
    ASSERT_NO_FATAL_FAILURE(StartServer(std::move(options)));
  }

  // A record of `units` on hand for `sku` on `stock_id`, written straight
  // to Redis (what a sync would have written).
  void PutUnits(int32_t stock_id, const std::string& sku, int64_t version,
                int64_t units) {
    core::Record r;
    r.sku = sku;
    r.stock_id = stock_id;
    r.version = version;
    r.source_qty = core::QtyFromUnits(units);
    client_->PutRecord(r);
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<SyncRedisClient> client_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_SERVER_TEST_H_
