#include "cache/key_scan.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/redis_test.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::Eventually;
using ::availability::testing::IsOk;
using ::availability::testing::RedisTest;
using ::availability::testing::Waiter;
using ::testing::HasSubstr;

class KeyScanTest : public RedisTest {
 protected:
  // Writes `n` keys "<prefix><i>".
  void Fill(const std::string& prefix, int n) {
    std::vector<std::string> mset = {"MSET"};
    for (int i = 0; i < n; ++i) {
      mset.push_back(absl::StrCat(prefix, i));
      mset.push_back("v");
    }
    Command(std::move(mset));
  }

  // SCAN commands Redis has run (INFO commandstats).
  int64_t Scans() {
    return sync_client_->InfoField("commandstats", "cmdstat_scan");
  }
};

// Every matching key that stays is handed over, though each chunk deletes
// keys (as a snapshot's finish does), and the next step is asked for
// while a chunk is being handled (its reply held until the chunk is
// through).
TEST_F(KeyScanTest, HandsEveryKeyThatStaysAndAsksForTheNextStepEarly) {
  Fill("k:", 2000);  // only matching keys: every step has some
  Fill("k", 1);      // and one that does not match
  struct Seen {
    absl::Mutex mu;
    std::set<std::string> keys;
    int chunks = 0;
    int asked_early = 0;
  };
  auto seen = std::make_shared<Seen>();
  std::vector<std::thread> workers;
  absl::Mutex workers_mu;
  Waiter<absl::Status> done;
  ScanKeys(
      *client_, "k:*", 100, Deadline(),
      [&, seen](std::vector<std::string> keys, ScanStatusCallback next) {
        int chunk = 0;
        {
          absl::MutexLock lock(&seen->mu);
          seen->keys.insert(keys.begin(), keys.end());
          chunk = ++seen->chunks;
        }
        // Handled elsewhere, as a chunk's own commands are: the SCAN of
        // the step after this one reaches Redis meanwhile, then this
        // chunk deletes the keys "k:<i>" with an odd i and goes on.
        absl::MutexLock lock(&workers_mu);
        workers.emplace_back([this, seen, chunk, next = std::move(next)] {
          if (Eventually([&] { return Scans() > chunk; }, absl::Seconds(2),
                         absl::Milliseconds(5))) {
            absl::MutexLock seen_lock(&seen->mu);
            ++seen->asked_early;
          }
          std::vector<std::string> del = {"DEL"};
          for (int i = 1; i < 2000; i += 2)
            del.push_back(absl::StrCat("k:", i));
          (void)server_->Cli(del);
          next(absl::OkStatus());
        });
      },
      done.Callback());
  EXPECT_THAT(done.Get(), IsOk());
  {
    absl::MutexLock lock(&workers_mu);
    for (std::thread& t : workers) t.join();
  }
  absl::MutexLock lock(&seen->mu);
  for (int i = 0; i < 2000; i += 2) {
    EXPECT_EQ(seen->keys.count(absl::StrCat("k:", i)), 1u) << i;
  }
  for (const std::string& key : seen->keys) {
    EXPECT_TRUE(absl::StartsWith(key, "k:")) << key;
  }
  // All but the last chunk (after the last step nothing is asked for).
  ASSERT_GT(seen->chunks, 2);
  EXPECT_GE(seen->asked_early, seen->chunks - 1);
}

// A chunk's error ends the walk: `done` gets it once, and no chunk comes
// after it, though the next step's reply was already on its way.
TEST_F(KeyScanTest, AChunksErrorEndsTheWalkOnce) {
  Fill("k:", 1000);
  std::atomic<int> chunks{0};
  std::atomic<int> dones{0};
  Waiter<absl::Status> done;
  auto callback = done.Callback();
  ScanKeys(
      *client_, "k:*", 50, Deadline(),
      [&chunks](std::vector<std::string>, ScanStatusCallback next) {
        if (++chunks == 2) {
          next(absl::DataLossError("chunk two failed"));
        } else {
          next(absl::OkStatus());
        }
      },
      [&dones, callback](absl::Status s) {
        ++dones;
        callback(std::move(s));
      });
  const absl::Status status = done.Get();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("chunk two"));
  // The step asked for before the error is answered, and dropped.
  EXPECT_EQ(Command({"PING"}).str, "PONG");
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(chunks.load(), 2);
  EXPECT_EQ(dones.load(), 1);
}

}  // namespace
}  // namespace availability::cache
