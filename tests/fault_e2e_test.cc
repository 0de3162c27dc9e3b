// Redis faults under load, end to end: the real availability-server and a
// real redis-server (AOF on, so a restart reloads the data), driven by the
// project's load generator in open loop (300 calls/s, deadline 200 ms).
// Redis is SIGKILLed for 10 s and restarted, then SIGSTOPped for 10 s and
// continued. Asserts: the server never crashes, no call outlives its
// deadline by more than 50 ms (times testing::kSanitizerSlowdown under ASan;
// only printed under TSan), and within 2 s of Redis answering again all
// calls succeed. Prints the counts and recovery times.

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/load_generator.h"
#include "cache/key_schema.h"
#include "cache/record_codec.h"
#include "core/record.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/sanitizer_slowdown.h"
#include "testing/server_process.h"

namespace availability {
namespace {

constexpr int kSkus = 500;
constexpr absl::Duration kOutage = absl::Seconds(10);
constexpr absl::Duration kObserve = absl::Seconds(4);

// Completion time and gRPC code of every measured call.
class CallLog {
 public:
  void Add(absl::Time t, int code) {
    absl::MutexLock lock(&mu_);
    calls_.emplace_back(t, code);
  }
  // How long after `back` the last failure in [back, until) completed
  // (zero when none did).
  absl::Duration RecoveryAfter(absl::Time back, absl::Time until) {
    absl::MutexLock lock(&mu_);
    absl::Duration recovery = absl::ZeroDuration();
    for (const auto& [t, code] : calls_) {
      if (t >= back && t < until && code != 0) {
        recovery = std::max(recovery, t - back);
      }
    }
    return recovery;
  }
  // OK calls / all calls in [from, until).
  std::pair<int, int> Counts(absl::Time from, absl::Time until) {
    absl::MutexLock lock(&mu_);
    int ok = 0, all = 0;
    for (const auto& [t, code] : calls_) {
      if (t >= from && t < until) {
        ++all;
        ok += code == 0;
      }
    }
    return {ok, all};
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<absl::Time, int>> calls_ ABSL_GUARDED_BY(mu_);
};

TEST(FaultE2ETest, RedisKilledAndStoppedUnderLoad) {
  auto redis = testing::RedisServer::Start(
      {"--appendonly", "yes", "--appendfsync", "always"});
  ASSERT_TRUE(redis.ok()) << redis.status();
  testing::RedisServer& server_redis = **redis;

  {
    // The catalog, written straight into Redis the way the sync path
    // stores it.
    auto client = testing::SyncRedisClient::Connect(server_redis.port());
    ASSERT_TRUE(client.ok()) << client.status();
    const cache::KeySchema& keys = (*client)->keys();
    core::StoreConfig config;
    config.stock_id = 1;
    std::vector<std::vector<std::string>> commands = {
        {"SET", keys.StoreConfig(1), cache::EncodeStoreConfig(config)},
        {"HSET", keys.SalesChannels(), "base", "1"}};
    for (int i = 0; i < kSkus; ++i) {
      core::Record r;
      r.stock_id = 1;
      r.version = 1;
      r.sku = absl::StrFormat("F-%04d", i);
      r.source_qty = core::QtyFromUnits(5 + i % 20);
      commands.push_back(
          {"SET", keys.Record(1, r.sku), cache::EncodeRecord(r)});
    }
    ASSERT_TRUE((*client)->RunPipeline(std::move(commands)).ok());
  }

  testing::ServerProcess::Options options;
  options.redis_port = server_redis.port();
  options.health_interval = absl::Milliseconds(200);
  auto server = testing::ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();

  CallLog log;
  av::bench::LoadOptions load;
  load.target = (*server)->address();
  load.rate = 300;
  load.deadline = absl::Milliseconds(200);
  // The bound: 50 ms past the deadline, scaled only in sanitizer
  // builds (where this test's own load generator is instrumented too).
  load.late_after = absl::Milliseconds(50) * testing::kSanitizerSlowdown;
  load.warmup = absl::Seconds(1);
  // Baseline, kill + outage + observe, stop + outage + observe.
  load.duration =
      absl::Seconds(2) + 2 * (kOutage + kObserve) + absl::Seconds(1);
  load.skus = *av::bench::ExpandSkuPattern("F-%04d", 0, kSkus);
  load.scope.set_stock_id(1);
  load.on_call = [&log](absl::Time t, int code) { log.Add(t, code); };

  absl::StatusOr<av::bench::LoadResult> result;
  // The load generator waits up to 5 s for the server to be reachable.
  std::thread load_thread([&] { result = av::bench::RunLoad(load); });
  const absl::Time start = absl::Now();
  absl::SleepFor(load.warmup + absl::Seconds(2));

  // 1. SIGKILL for 10 s, then restart on the same port (AOF reload).
  const absl::Time killed = absl::Now();
  server_redis.Kill();
  absl::SleepFor(kOutage);
  ASSERT_TRUE(server_redis.Restart().ok());
  const absl::Time restarted = absl::Now();  // answers PING from here on
  absl::SleepFor(kObserve);

  // 2. SIGSTOP for 10 s, then SIGCONT.
  const absl::Time stopped = absl::Now();
  server_redis.Pause();
  absl::SleepFor(kOutage);
  server_redis.Resume();
  const absl::Time continued = absl::Now();
  absl::SleepFor(kObserve);

  load_thread.join();
  ASSERT_TRUE(result.ok()) << result.status() << (*server)->Stderr();
  const av::bench::LoadResult& r = *result;
  auto code_count = [&](const char* name) -> uint64_t {
    auto it = r.errors_by_code.find(name);
    return it == r.errors_by_code.end() ? 0 : it->second;
  };
  const absl::Duration kill_recovery = log.RecoveryAfter(restarted, stopped);
  const absl::Duration stop_recovery =
      log.RecoveryAfter(continued, continued + kObserve);
  const auto kill_window = log.Counts(killed, restarted);
  const auto stop_window = log.Counts(stopped, continued);
  std::printf(
      "fault: calls %llu, ok %llu, unavailable %llu, deadline exceeded %llu, "
      "late > %s past deadline %llu, max latency %.1f ms; during kill %d/%d "
      "ok, during "
      "stop %d/%d ok; recovery after restart %s, after SIGCONT %s; total %s\n",
      static_cast<unsigned long long>(r.calls),
      static_cast<unsigned long long>(r.ok),
      static_cast<unsigned long long>(code_count("UNAVAILABLE")),
      static_cast<unsigned long long>(code_count("DEADLINE_EXCEEDED")),
      absl::FormatDuration(load.late_after).c_str(),
      static_cast<unsigned long long>(r.late), r.max_nanos / 1e6,
      kill_window.first, kill_window.second, stop_window.first,
      stop_window.second, absl::FormatDuration(kill_recovery).c_str(),
      absl::FormatDuration(stop_recovery).c_str(),
      absl::FormatDuration(absl::Now() - start).c_str());

  EXPECT_GT(r.calls, 0u);
  if (testing::kLatencyOutliersAsserted) {
    EXPECT_EQ(r.late, 0u);
  }
  EXPECT_LE(kill_recovery, absl::Seconds(2));
  EXPECT_LE(stop_recovery, absl::Seconds(2));
  ASSERT_TRUE((*server)->Running()) << (*server)->Stderr();
  (*server)->Signal(SIGTERM);
  EXPECT_EQ((*server)->Wait(absl::Seconds(15)), 0) << (*server)->Stderr();
}

}  // namespace
}  // namespace availability
