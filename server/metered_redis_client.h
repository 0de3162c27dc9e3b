// A RedisClient that forwards every command to another one and reports
// each command's latency and outcome to ServerMetrics
// (availability_redis_command_seconds, availability_redis_errors_total), so
// the cache layer needs no metrics code.
//
//   MeteredRedisClient metered(**redis, server_metrics);
//   cache::RecordStore store(metered, keys);
//
// Thread-safe like the wrapped client; observation adds two clock reads
// and atomic increments to each callback (on the client's loop thread).
// The wrapped client must outlive it; the metrics must outlive the wrapped
// client (callbacks still pending when it stops report Cancelled).
#ifndef AVAILABILITY_SERVER_METERED_REDIS_CLIENT_H_
#define AVAILABILITY_SERVER_METERED_REDIS_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "cache/redis_client.h"
#include "server/call_metrics.h"

namespace availability::server {

class MeteredRedisClient final : public cache::RedisClient {
 public:
  MeteredRedisClient(cache::RedisClient& inner, ServerMetrics& metrics)
      : inner_(inner), metrics_(metrics) {}

  void Execute(std::vector<std::string> argv, absl::Time deadline,
               Callback done) override {
    inner_.Execute(
        std::move(argv), deadline,
        [metrics = &metrics_, start = absl::Now(),
         done = std::move(done)](absl::StatusOr<cache::RedisReply> reply) {
          metrics->ObserveRedisCommand(absl::Now() - start,
                                       reply.status().code(),
                                       reply.ok() && reply->is_error());
          done(std::move(reply));
        });
  }

  void ExecutePipeline(std::vector<std::vector<std::string>> commands,
                       absl::Time deadline, PipelineCallback done) override {
    inner_.ExecutePipeline(
        std::move(commands), deadline,
        [metrics = &metrics_, start = absl::Now(), done = std::move(done)](
            absl::StatusOr<std::vector<cache::RedisReply>> replies) {
          bool error_reply = false;
          if (replies.ok()) {
            for (const cache::RedisReply& r : *replies) {
              error_reply |= r.is_error();
            }
          }
          metrics->ObserveRedisCommand(absl::Now() - start,
                                       replies.status().code(), error_reply);
          done(std::move(replies));
        });
  }

  void Stop() override { inner_.Stop(); }
  bool IsConnected() const override { return inner_.IsConnected(); }
  void SetConnectionObserver(ConnectionObserver observer) override {
    inner_.SetConnectionObserver(std::move(observer));
  }
  absl::Status WaitUntilConnected(absl::Duration timeout) override {
    return inner_.WaitUntilConnected(timeout);
  }

 private:
  cache::RedisClient& inner_;
  ServerMetrics& metrics_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_METERED_REDIS_CLIENT_H_
