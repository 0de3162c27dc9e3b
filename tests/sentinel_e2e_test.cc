// Redis failover under load, end to end: a real primary, a replica, three
// real redis-sentinel processes and the real availability-server reading
// from the replica (--read_from=replica) and writing to the primary, all
// found through the sentinels. The primary is SIGKILLed while reader and
// writer threads run; the test measures the sentinels' promotion, when
// writes resume, how reads fare meanwhile, and checks that no acknowledged
// write is lost and the server neither crashes nor refuses to stop.

#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "cache/record_codec.h"
#include "client/availability_client.h"
#include "core/record.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/server_process.h"
#include "testing/subprocess.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;

constexpr char kToken[] = "sentinel-e2e-token-0123456789";
constexpr char kMaster[] = "mymaster";
constexpr int kReadSkus = 40;
constexpr int kWriters = 2;
constexpr int kWriterSkus = 10;
// How often the test polls Redis, the sentinels and the server.
constexpr absl::Duration kPoll = absl::Milliseconds(50);

// One command through redis-cli against any port (sentinels included);
// "" when it fails.
std::string Cli(int port, const std::vector<std::string>& args) {
  return testing::RedisCli(port, args).value_or("");
}

// The primary's port as sentinel `port` reports it; 0 when unknown.
int MasterPort(int sentinel_port) {
  const std::string out =
      Cli(sentinel_port, {"SENTINEL", "get-master-addr-by-name", kMaster});
  std::vector<std::string> lines =
      absl::StrSplit(out, '\n', absl::SkipWhitespace());
  int port = 0;
  if (lines.size() == 2 && absl::SimpleAtoi(lines[1], &port)) return port;
  return 0;
}

v1::InventoryRecord MakeRecord(const std::string& sku, int64_t version) {
  v1::InventoryRecord r;
  r.set_sku(sku);
  r.set_stock_id(1);
  r.set_version(version);
  r.set_source_quantity(static_cast<double>(10 + version % 50));
  return r;
}

class SentinelE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/av-sentinel-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;

    auto primary = testing::RedisServer::Start();
    ASSERT_TRUE(primary.ok()) << primary.status();
    primary_ = *std::move(primary);
    auto replica = testing::RedisServer::Start(
        {"--replicaof", "127.0.0.1", absl::StrCat(primary_->port())});
    ASSERT_TRUE(replica.ok()) << replica.status();
    replica_ = *std::move(replica);
    ASSERT_TRUE(testing::Eventually(
        [&] {
          return absl::StrContains(
              Cli(replica_->port(), {"INFO", "replication"}),
              "master_link_status:up");
        },
        absl::Seconds(10), kPoll))
        << "replica never linked";

    for (int i = 0; i < 3; ++i) {
      const int port = testing::PickFreePort();
      sentinel_ports_.push_back(port);
      auto sentinel =
          testing::StartRedisSentinel(dir_, port, kMaster, primary_->port());
      ASSERT_TRUE(sentinel.ok()) << sentinel.status();
      sentinels_.push_back(*std::move(sentinel));
    }
    // Every sentinel sees the replica and the two others (needed for the
    // quorum and the leader election).
    ASSERT_TRUE(testing::Eventually(
        [&] {
          for (int port : sentinel_ports_) {
            const std::string master =
                Cli(port, {"SENTINEL", "master", kMaster});
            if (!absl::StrContains(master, "num-other-sentinels\n2\n") ||
                !absl::StrContains(master, "num-slaves\n1\n")) {
              return false;
            }
          }
          return true;
        },
        absl::Seconds(20), kPoll))
        << "sentinels did not discover each other: "
        << Cli(sentinel_ports_[0], {"SENTINEL", "master", kMaster});

    // Store configuration and channels straight into the primary.
    auto primary_client = testing::SyncRedisClient::Connect(primary_->port());
    ASSERT_TRUE(primary_client.ok()) << primary_client.status();
    core::StoreConfig config;
    config.stock_id = 1;
    (*primary_client)->PutStoreConfig(config);
    (*primary_client)
        ->Expect(
            {"HSET", (*primary_client)->keys().SalesChannels(), "base", "1"});
    ASSERT_FALSE(HasFailure());

    std::vector<std::string> addresses;
    for (int port : sentinel_ports_) {
      addresses.push_back(absl::StrCat("127.0.0.1:", port));
    }
    testing::ServerProcess::Options options;
    options.sync = true;
    options.sync_token = kToken;
    options.health_interval = absl::Milliseconds(200);
    options.flags = {
        "--redis_sentinel_addresses=" + absl::StrJoin(addresses, ","),
        absl::StrCat("--redis_sentinel_master=", kMaster),
        "--read_from=replica"};
    auto server = testing::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);

    client_ = server_->NewClient();
    av::client::SyncClient::Options sync_options;
    sync_options.write_timeout = absl::Seconds(1);
    sync_ = server_->NewSyncClient(sync_options);

    v1::UpsertRecordsRequest request;
    for (int i = 0; i < kReadSkus; ++i) {
      *request.add_records() = MakeRecord(absl::StrFormat("R-%03d", i), 1);
    }
    absl::StatusOr<v1::UpsertRecordsResponse> loaded;
    ASSERT_TRUE(testing::Eventually(
        [&] {
          loaded = sync_->UpsertRecords(request);
          return loaded.ok() && loaded->applied() == kReadSkus;
        },
        absl::Seconds(10), kPoll))
        << loaded.status() << server_->Stderr();
    ASSERT_TRUE(testing::Eventually([&] { return Get(kReadSkus - 1).ok(); },
                                    absl::Seconds(10), kPoll))
        << "records never readable from the replica: " << server_->Stderr();
  }

  void TearDown() override {
    server_.reset();
    sentinels_.clear();
    replica_.reset();
    primary_.reset();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  absl::StatusOr<v1::ProductAvailability> Get(int i) const {
    v1::GetAvailabilityRequest request;
    request.set_sku(absl::StrFormat("R-%03d", i));
    request.mutable_scope()->set_stock_id(1);
    return client_->GetAvailability(request);
  }

  std::string dir_;
  std::unique_ptr<testing::RedisServer> primary_;
  std::unique_ptr<testing::RedisServer> replica_;
  std::vector<int> sentinel_ports_;
  std::vector<std::unique_ptr<testing::Subprocess>> sentinels_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<av::client::AvailabilityClient> client_;
  std::unique_ptr<av::client::SyncClient> sync_;
};

TEST_F(SentinelE2ETest, PrimaryKilledUnderLoadFailsOverWithoutLosingWrites) {
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  // Read outcomes and write successes, by completion time.
  std::vector<std::pair<absl::Time, bool>> reads ABSL_GUARDED_BY(mu);
  std::vector<absl::Time> write_successes ABSL_GUARDED_BY(mu);
  std::map<std::string, int64_t> acknowledged ABSL_GUARDED_BY(mu);
  uint64_t write_failures ABSL_GUARDED_BY(mu) = 0;

  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int n = t; !stop.load(); ++n) {
        const bool ok = Get(n % kReadSkus).ok();
        absl::MutexLock lock(&mu);
        reads.emplace_back(absl::Now(), ok);
      }
    });
  }
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t version = 1; !stop.load(); ++version) {
        v1::UpsertRecordsRequest request;
        for (int i = 0; i < kWriterSkus; ++i) {
          *request.add_records() =
              MakeRecord(absl::StrFormat("W-%d-%02d", t, i), version);
        }
        absl::StatusOr<v1::UpsertRecordsResponse> r =
            sync_->UpsertRecords(request);
        absl::MutexLock lock(&mu);
        if (!r.ok() || r->applied() == 0) {
          ++write_failures;
          continue;
        }
        write_successes.push_back(absl::Now());
        for (const v1::RecordOutcome& o : r->outcomes()) {
          if (o.result() == v1::RecordOutcome::RESULT_APPLIED) {
            acknowledged[o.sku()] = version;
          }
        }
        // A modest write rate: the point is coverage of the failover.
        mu.Unlock();
        absl::SleepFor(absl::Milliseconds(10));
        mu.Lock();
      }
    });
  }

  absl::SleepFor(absl::Seconds(2));
  const int old_port = primary_->port();
  const int new_port = replica_->port();
  const absl::Time killed = absl::Now();
  primary_->Kill();
  // +switch-master, as clients see it.
  absl::Time switched = absl::InfiniteFuture();
  EXPECT_TRUE(testing::Eventually(
      [&] {
        if (MasterPort(sentinel_ports_[0]) != new_port) return false;
        switched = absl::Now();
        return true;
      },
      absl::Seconds(30), kPoll))
      << "no failover: "
      << Cli(sentinel_ports_[0], {"SENTINEL", "master", kMaster});
  // Writes resume (bounded wait), then a little more load on the new primary.
  absl::Time resumed = absl::InfiniteFuture();
  testing::Eventually(
      [&] {
        absl::MutexLock lock(&mu);
        for (absl::Time t : write_successes) {
          if (t > switched) {
            resumed = std::min(resumed, t);
          }
        }
        return resumed != absl::InfiniteFuture();
      },
      absl::Seconds(15), kPoll);
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  for (std::thread& t : threads) t.join();

  absl::MutexLock lock(&mu);
  uint64_t window_reads = 0, window_ok = 0, total_ok = 0;
  for (const auto& [t, ok] : reads) {
    total_ok += ok;
    if (t >= killed && t <= resumed) {
      ++window_reads;
      window_ok += ok;
    }
  }
  const double window_rate =
      window_reads == 0 ? 0 : static_cast<double>(window_ok) / window_reads;
  std::printf(
      "failover: primary %d -> %d; kill -> +switch-master %s; "
      "+switch-master -> writes resumed %s; reads during kill..resume: "
      "%llu/%llu ok (%.2f%%); reads total %llu/%zu ok; writes ok %zu, "
      "failed %llu\n",
      old_port, new_port, absl::FormatDuration(switched - killed).c_str(),
      absl::FormatDuration(resumed - switched).c_str(),
      static_cast<unsigned long long>(window_ok),
      static_cast<unsigned long long>(window_reads), 100 * window_rate,
      static_cast<unsigned long long>(total_ok), reads.size(),
      write_successes.size(), static_cast<unsigned long long>(write_failures));
  EXPECT_LE(resumed - switched, absl::Seconds(10));
  EXPECT_GT(window_reads, 0u);
  EXPECT_GE(window_rate, 0.95) << server_->Stderr();

  // No acknowledged write is lost: each is on the new primary with at least
  // its acknowledged version.
  ASSERT_FALSE(acknowledged.empty());
  auto redis = testing::SyncRedisClient::Connect(new_port);
  ASSERT_TRUE(redis.ok()) << redis.status();
  int lost = 0;
  for (const auto& [sku, version] : acknowledged) {
    int64_t stored = -1;
    absl::StatusOr<cache::RedisReply> r =
        (*redis)->Run({"GET", (*redis)->keys().Record(1, sku)});
    if (r.ok() && r->type == cache::RedisReply::Type::kString) {
      absl::StatusOr<int64_t> v = cache::PeekRecordVersion(r->str);
      if (v.ok()) stored = *v;
    }
    if (stored < version) {
      ++lost;
      ADD_FAILURE() << sku << ": acknowledged version " << version
                    << ", stored " << stored;
    }
  }
  std::printf("acknowledged SKUs checked: %zu, lost writes: %d\n",
              acknowledged.size(), lost);
  EXPECT_EQ(lost, 0);

  ASSERT_TRUE(server_->Running()) << server_->Stderr();
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(absl::Seconds(15)), 0) << server_->Stderr();
}

}  // namespace
}  // namespace availability
