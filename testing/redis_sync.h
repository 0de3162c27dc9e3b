// Synchronous Redis commands for test set-up and assertions, through the
// project's own cache::RedisClient (binary-safe, unlike redis-cli): write
// records the way the sync path stores them, read INFO, flush scripts.
//
//   auto redis = testing::SyncRedisClient::Connect(server->port());
//   ASSERT_TRUE(redis.ok()) << redis.status();
//   (*redis)->PutRecord(record);             // a test failure if it fails
//   absl::StatusOr<cache::RedisReply> r = (*redis)->Run({"GET", "k"});
//
// For tests only: every call blocks the calling thread until Redis answers
// or the call's deadline passes. Thread-safe like cache::RedisClient.
#ifndef AVAILABILITY_TESTING_REDIS_SYNC_H_
#define AVAILABILITY_TESTING_REDIS_SYNC_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "cache/redis_client.h"
#include "core/record.h"

namespace availability::testing {

// One command on any client, waited for (bounded by `timeout`, which is
// also the command's deadline). A Redis error reply comes back as a reply
// of type kError, as the client delivers it. Errors: the client's status,
// DeadlineExceeded when no callback came in time.
absl::StatusOr<cache::RedisReply> RunSync(
    cache::RedisClient& client, std::vector<std::string> argv,
    absl::Duration timeout = absl::Seconds(10));

// Several commands in one round trip; the replies in order.
absl::StatusOr<std::vector<cache::RedisReply>> RunPipelineSync(
    cache::RedisClient& client, std::vector<std::vector<std::string>> commands,
    absl::Duration timeout = absl::Seconds(10));

class SyncRedisClient {
 public:
  // Connects to redis on 127.0.0.1:`port` (or with `options`) and waits
  // until connected. Keys are written under `key_prefix` ("av", as the
  // binaries use). Errors: the client's InvalidArgument, Unavailable when
  // not connected within `timeout`.
  static absl::StatusOr<std::unique_ptr<SyncRedisClient>> Connect(
      int port, absl::Duration timeout = absl::Seconds(10));
  static absl::StatusOr<std::unique_ptr<SyncRedisClient>> Connect(
      cache::RedisOptions options, absl::Duration timeout = absl::Seconds(10),
      const std::string& key_prefix = "av");

  // The asynchronous client underneath, for code under test that takes one.
  cache::RedisClient& client() { return *client_; }
  const cache::KeySchema& keys() const { return keys_; }

  // RunSync / RunPipelineSync on this client.
  absl::StatusOr<cache::RedisReply> Run(std::vector<std::string> argv);
  absl::StatusOr<std::vector<cache::RedisReply>> RunPipeline(
      std::vector<std::vector<std::string>> commands);

  // Runs `argv` and adds a test failure (not fatal) naming the command when
  // it fails or Redis answers an error. Returns the reply (nil on failure).
  cache::RedisReply Expect(std::vector<std::string> argv);

  // Stores `record` (at keys().Record) or `config` (at keys().StoreConfig)
  // encoded as the sync path stores them; a test failure when it fails.
  void PutRecord(const core::Record& record);
  void PutStoreConfig(const core::StoreConfig& config);

  // A field of INFO `section` as a number: "keyspace_hits", or for
  // "cmdstat_<name>" its calls= count. -1 when absent.
  int64_t InfoField(const std::string& section, const std::string& field);

 private:
  SyncRedisClient(std::unique_ptr<cache::RedisClient> client,
                  const std::string& key_prefix)
      : client_(std::move(client)), keys_(key_prefix) {}

  std::unique_ptr<cache::RedisClient> client_;
  cache::KeySchema keys_;
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_REDIS_SYNC_H_
