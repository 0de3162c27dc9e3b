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
#include <fstream>
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
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "availability/v1/availability.grpc.pb.h"
#include "availability/v1/inventory_sync.grpc.pb.h"
#include "cache/key_schema.h"
#include "cache/record_codec.h"
#include "cache/redis_client.h"
#include "client/availability_client.h"
#include "core/record.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/subprocess.h"

namespace availability {
namespace {

namespace v1 = ::availability::v1;

constexpr char kToken[] = "sentinel-e2e-token-0123456789";
constexpr char kMaster[] = "mymaster";
constexpr int kReadSkus = 40;
constexpr int kWriters = 2;
constexpr int kWriterSkus = 10;

// One command through redis-cli against any port (sentinels included).
std::string Cli(int port, std::vector<std::string> args) {
  args.insert(args.begin(),
              {"/usr/bin/redis-cli", "-h", "127.0.0.1", "-p",
               absl::StrCat(port)});
  absl::StatusOr<testing::CommandResult> r =
      testing::RunCommand(args, absl::Seconds(5));
  return r.ok() && r->exit_code == 0 ? r->out : "";
}

// One command through the C++ client (binary-safe); false on any error.
bool RedisCommand(int port, std::vector<std::string> argv) {
  cache::RedisOptions options;
  options.port = port;
  absl::StatusOr<std::unique_ptr<cache::RedisClient>> redis =
      cache::RedisClient::Start(options);
  if (!redis.ok() || !(*redis)->WaitUntilConnected(absl::Seconds(5)).ok()) {
    return false;
  }
  absl::Notification done;
  bool ok = false;
  (*redis)->Execute(std::move(argv), absl::Now() + absl::Seconds(5),
                    [&](absl::StatusOr<cache::RedisReply> r) {
                      ok = r.ok() && !r->is_error();
                      done.Notify();
                    });
  done.WaitForNotification();
  return ok;
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

// A redis-sentinel process with a writable configuration in `dir`.
std::unique_ptr<testing::Subprocess> StartSentinel(const std::string& dir,
                                                   int port,
                                                   int primary_port) {
  const std::string conf = absl::StrCat(dir, "/sentinel-", port, ".conf");
  std::ofstream(conf) << absl::StrFormat(
      "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"
      "logfile %s/sentinel-%d.log\n"
      "sentinel monitor %s 127.0.0.1 %d 2\n"
      "sentinel down-after-milliseconds %s 1000\n"
      "sentinel failover-timeout %s 5000\n",
      port, dir, dir, port, kMaster, primary_port, kMaster, kMaster);
  const char* binary = std::filesystem::exists("/usr/bin/redis-sentinel")
                           ? "/usr/bin/redis-sentinel"
                           : nullptr;
  absl::StatusOr<std::unique_ptr<testing::Subprocess>> started =
      binary != nullptr
          ? testing::Subprocess::Start({binary, conf})
          : testing::Subprocess::Start({"/usr/bin/redis-server", conf,
                                        "--sentinel"});
  EXPECT_TRUE(started.ok()) << started.status();
  return started.ok() ? *std::move(started) : nullptr;
}

// Polls `done` every 50 ms until it holds or `timeout` passes.
template <typename F>
bool PollUntil(absl::Duration timeout, F done) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
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
    ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] {
      return absl::StrContains(Cli(replica_->port(), {"INFO", "replication"}),
                               "master_link_status:up");
    })) << "replica never linked";

    for (int i = 0; i < 3; ++i) {
      const int port = testing::PickFreePort();
      sentinel_ports_.push_back(port);
      sentinels_.push_back(StartSentinel(dir_, port, primary_->port()));
      ASSERT_NE(sentinels_.back(), nullptr);
    }
    // Every sentinel sees the replica and the two others (needed for the
    // quorum and the leader election).
    ASSERT_TRUE(PollUntil(absl::Seconds(20), [&] {
      for (int port : sentinel_ports_) {
        const std::string master = Cli(port, {"SENTINEL", "master", kMaster});
        if (!absl::StrContains(master, "num-other-sentinels\n2\n") ||
            !absl::StrContains(master, "num-slaves\n1\n")) {
          return false;
        }
      }
      return true;
    })) << "sentinels did not discover each other: "
        << Cli(sentinel_ports_[0], {"SENTINEL", "master", kMaster});

    // Store configuration and channels straight into the primary.
    core::StoreConfig config;
    config.stock_id = 1;
    const cache::KeySchema keys("av");
    ASSERT_TRUE(RedisCommand(primary_->port(), {"SET", keys.StoreConfig(1),
                                       cache::EncodeStoreConfig(config)}));
    ASSERT_TRUE(
        RedisCommand(primary_->port(), {"HSET", keys.SalesChannels(), "base", "1"}));

    const std::string token_file = dir_ + "/token";
    std::ofstream(token_file) << kToken << "\n";
    port_ = testing::PickFreePort();
    sync_port_ = testing::PickFreePort();
    std::vector<std::string> addresses;
    for (int port : sentinel_ports_) {
      addresses.push_back(absl::StrCat("127.0.0.1:", port));
    }
    auto server = testing::Subprocess::Start(
        {AVAILABILITY_SERVER_BINARY,
         absl::StrCat("--listen=127.0.0.1:", port_),
         absl::StrCat("--sync_listen=127.0.0.1:", sync_port_),
         "--sync_token_file=" + token_file, "--metrics_listen=",
         "--health_interval=200ms",
         "--redis_sentinel_addresses=" + absl::StrJoin(addresses, ","),
         absl::StrCat("--redis_sentinel_master=", kMaster),
         "--read_from=replica"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);

    auto channel = av::client::MakeChannel(absl::StrCat("127.0.0.1:", port_));
    ASSERT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() +
                                          std::chrono::seconds(10)))
        << server_->Stderr();
    client_ = std::make_unique<av::client::AvailabilityClient>(channel);
    av::client::SyncClient::Options sync_options;
    sync_options.write_timeout = absl::Seconds(1);
    sync_ = std::make_unique<av::client::SyncClient>(
        av::client::MakeChannel(absl::StrCat("127.0.0.1:", sync_port_)),
        kToken, sync_options);

    v1::UpsertRecordsRequest request;
    for (int i = 0; i < kReadSkus; ++i) {
      *request.add_records() = MakeRecord(absl::StrFormat("R-%03d", i), 1);
    }
    absl::StatusOr<v1::UpsertRecordsResponse> loaded;
    ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] {
      loaded = sync_->UpsertRecords(request);
      return loaded.ok() && loaded->applied() == kReadSkus;
    })) << loaded.status() << server_->Stderr();
    ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] {
      return Get(kReadSkus - 1).ok();
    })) << "records never readable from the replica: " << server_->Stderr();
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
  std::unique_ptr<testing::Subprocess> server_;
  std::unique_ptr<av::client::AvailabilityClient> client_;
  std::unique_ptr<av::client::SyncClient> sync_;
  int port_ = 0;
  int sync_port_ = 0;
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
  EXPECT_TRUE(PollUntil(absl::Seconds(30), [&] {
    if (MasterPort(sentinel_ports_[0]) != new_port) return false;
    switched = absl::Now();
    return true;
  })) << "no failover: " << Cli(sentinel_ports_[0],
                                {"SENTINEL", "master", kMaster});
  // Writes resume (bounded wait), then a little more load on the new primary.
  absl::Time resumed = absl::InfiniteFuture();
  PollUntil(absl::Seconds(15), [&] {
    absl::MutexLock lock(&mu);
    for (absl::Time t : write_successes) {
      if (t > switched) {
        resumed = std::min(resumed, t);
      }
    }
    return resumed != absl::InfiniteFuture();
  });
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
      write_successes.size(),
      static_cast<unsigned long long>(write_failures));
  EXPECT_LE(resumed - switched, absl::Seconds(10));
  EXPECT_GT(window_reads, 0u);
  EXPECT_GE(window_rate, 0.95) << server_->Stderr();

  // No acknowledged write is lost: each is on the new primary with at least
  // its acknowledged version.
  ASSERT_FALSE(acknowledged.empty());
  const cache::KeySchema keys("av");
  cache::RedisOptions options;
  options.port = new_port;
  absl::StatusOr<std::unique_ptr<cache::RedisClient>> redis =
      cache::RedisClient::Start(options);
  ASSERT_TRUE(redis.ok()) << redis.status();
  ASSERT_TRUE((*redis)->WaitUntilConnected(absl::Seconds(5)).ok());
  int lost = 0;
  for (const auto& [sku, version] : acknowledged) {
    absl::Notification done;
    int64_t stored = -1;
    (*redis)->Execute({"GET", keys.Record(1, sku)},
                   absl::Now() + absl::Seconds(5),
                   [&](absl::StatusOr<cache::RedisReply> r) {
                     if (r.ok() && r->type == cache::RedisReply::Type::kString) {
                       absl::StatusOr<int64_t> v =
                           cache::PeekRecordVersion(r->str);
                       if (v.ok()) stored = *v;
                     }
                     done.Notify();
                   });
    done.WaitForNotification();
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
