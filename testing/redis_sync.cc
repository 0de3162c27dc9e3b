#include "testing/redis_sync.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "cache/record_codec.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"

namespace availability::testing {

absl::StatusOr<cache::RedisReply> RunSync(cache::RedisClient& client,
                                          std::vector<std::string> argv,
                                          absl::Duration timeout) {
  // The client answers by the deadline; the Waiter's bound is a backstop.
  Waiter<absl::StatusOr<cache::RedisReply>> waiter(timeout + absl::Seconds(5));
  client.Execute(std::move(argv), absl::Now() + timeout, waiter.Callback());
  return waiter.Get();
}

absl::StatusOr<std::vector<cache::RedisReply>> RunPipelineSync(
    cache::RedisClient& client, std::vector<std::vector<std::string>> commands,
    absl::Duration timeout) {
  Waiter<absl::StatusOr<std::vector<cache::RedisReply>>> waiter(
      timeout + absl::Seconds(5));
  client.ExecutePipeline(std::move(commands), absl::Now() + timeout,
                         waiter.Callback());
  return waiter.Get();
}

absl::StatusOr<std::unique_ptr<SyncRedisClient>> SyncRedisClient::Connect(
    int port, absl::Duration timeout) {
  cache::RedisOptions options;
  options.port = port;
  return Connect(std::move(options), timeout);
}

absl::StatusOr<std::unique_ptr<SyncRedisClient>> SyncRedisClient::Connect(
    cache::RedisOptions options, absl::Duration timeout,
    const std::string& key_prefix) {
  absl::StatusOr<std::unique_ptr<cache::RedisClient>> client =
      cache::RedisClient::Start(std::move(options));
  if (!client.ok()) return client.status();
  if (absl::Status connected = (*client)->WaitUntilConnected(timeout);
      !connected.ok()) {
    return connected;
  }
  return std::unique_ptr<SyncRedisClient>(
      new SyncRedisClient(*std::move(client), key_prefix));
}

absl::StatusOr<cache::RedisReply> SyncRedisClient::Run(
    std::vector<std::string> argv) {
  return RunSync(*client_, std::move(argv));
}

absl::StatusOr<std::vector<cache::RedisReply>> SyncRedisClient::RunPipeline(
    std::vector<std::vector<std::string>> commands) {
  return RunPipelineSync(*client_, std::move(commands));
}

cache::RedisReply SyncRedisClient::Expect(std::vector<std::string> argv) {
  const std::string command = argv.empty() ? "" : argv[0];
  absl::StatusOr<cache::RedisReply> reply = Run(std::move(argv));
  EXPECT_TRUE(reply.ok()) << command << ": " << reply.status();
  if (!reply.ok()) return {};
  EXPECT_FALSE(reply->is_error()) << command << ": " << reply->str;
  return *std::move(reply);
}

void SyncRedisClient::PutRecord(const core::Record& record) {
  Expect({"SET", keys_.Record(record.stock_id, record.sku),
          cache::EncodeRecord(record)});
}

void SyncRedisClient::PutStoreConfig(const core::StoreConfig& config) {
  Expect({"SET", keys_.StoreConfig(config.stock_id),
          cache::EncodeStoreConfig(config)});
}

int64_t SyncRedisClient::InfoField(const std::string& section,
                                   const std::string& field) {
  const std::string info = Expect({"INFO", section}).str;
  size_t at = info.find("\n" + field + ":");
  if (at == std::string::npos) return -1;
  at += field.size() + 2;
  if (info.compare(at, 6, "calls=") == 0) at += 6;
  int64_t value = -1;
  absl::SimpleAtoi(info.substr(at, info.find_first_of(",\r", at) - at), &value);
  return value;
}

}  // namespace availability::testing
