#include "server/finish_handoff.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"

namespace availability::server {
namespace {

using ::availability::testing::Eventually;

// A task that records the thread it ran on and how often it ran.
struct Probe {
  std::atomic<int> runs{0};
  std::atomic<std::thread::id> ran_on{};
  FinishHandoff::Task Task() {
    return [this] {
      ran_on.store(std::this_thread::get_id());
      runs.fetch_add(1);
    };
  }
};

// Runs `f` on a thread of its own (the Redis loop thread, for the handoff)
// and waits for it.
template <typename F>
void OnOtherThread(F f) {
  std::thread thread(f);
  thread.join();
}

TEST(FinishHandoffTest, RunsAtOnceWhenNoCompletionIsPending) {
  FinishHandoff handoff(absl::Seconds(10));
  Probe probe;
  std::thread::id loop;
  OnOtherThread([&] {
    loop = std::this_thread::get_id();
    handoff.Run(probe.Task());
  });
  EXPECT_EQ(probe.runs.load(), 1);
  EXPECT_EQ(probe.ran_on.load(), loop);
  EXPECT_EQ(handoff.queued(), 0u);
}

TEST(FinishHandoffTest, RunsAtOnceOnAGrpcThread) {
  FinishHandoff handoff(absl::Seconds(10));
  handoff.CallFinishing();  // a completion is pending
  Probe probe;
  {
    FinishHandoff::ScopedGrpcThread on_grpc(handoff);
    handoff.Run(probe.Task());
    EXPECT_EQ(probe.runs.load(), 1);
  }
  EXPECT_EQ(handoff.queued(), 0u);
  handoff.CallDone();
}

TEST(FinishHandoffTest, ThePendingCompletionRunsWhatWasQueued) {
  FinishHandoff handoff(absl::Seconds(10));  // no fallback within the test
  handoff.CallFinishing();
  Probe probe;
  OnOtherThread([&] { handoff.Run(probe.Task()); });
  EXPECT_EQ(probe.runs.load(), 0);  // left for the gRPC thread
  EXPECT_EQ(handoff.queued(), 1u);
  handoff.CallDone();  // this thread: the completion has run
  EXPECT_EQ(probe.runs.load(), 1);
  EXPECT_EQ(probe.ran_on.load(), std::this_thread::get_id());
  EXPECT_EQ(handoff.run_by_fallback(), 0u);
}

// Completions of calls that were never counted (gRPC ended them before
// their handler ran) do not make later ones look absent.
TEST(FinishHandoffTest, UnpairedCallDoneDoesNotCountBelowZero) {
  FinishHandoff handoff(absl::Seconds(10));
  for (int i = 0; i < 3; ++i) handoff.CallDone();
  handoff.CallFinishing();
  Probe probe;
  OnOtherThread([&] { handoff.Run(probe.Task()); });
  EXPECT_EQ(probe.runs.load(), 0);  // queued: a completion is pending
  EXPECT_EQ(handoff.queued(), 1u);
  handoff.CallDone();
  EXPECT_EQ(probe.runs.load(), 1);
}

TEST(FinishHandoffTest, AHandlerStartingRunsWhatWasQueued) {
  FinishHandoff handoff(absl::Seconds(10));
  handoff.CallFinishing();
  Probe a;
  Probe b;
  OnOtherThread([&] {
    handoff.Run(a.Task());
    handoff.Run(b.Task());
  });
  EXPECT_EQ(a.runs.load() + b.runs.load(), 0);
  {
    FinishHandoff::ScopedGrpcThread on_grpc(handoff);
    EXPECT_EQ(a.runs.load(), 1);
    EXPECT_EQ(b.runs.load(), 1);
  }
  handoff.CallDone();  // nothing left: runs nothing twice
  EXPECT_EQ(a.runs.load(), 1);
  EXPECT_EQ(b.runs.load(), 1);
}

TEST(FinishHandoffTest, ARunningHandlerRunsWhatWasQueuedWhenItEnds) {
  FinishHandoff handoff(absl::Seconds(10));
  Probe probe;
  {
    FinishHandoff::ScopedGrpcThread on_grpc(handoff);
    OnOtherThread([&] { handoff.Run(probe.Task()); });
    EXPECT_EQ(probe.runs.load(), 0);  // left for this handler
  }
  EXPECT_EQ(probe.runs.load(), 1);
  EXPECT_EQ(probe.ran_on.load(), std::this_thread::get_id());
}

// A finish whose completion never comes back (CallDone missing) still runs:
// the fallback thread takes it after about a linger or two.
TEST(FinishHandoffTest, TheFallbackRunsWhatNobodyTook) {
  FinishHandoff handoff(absl::Milliseconds(5));
  handoff.CallFinishing();  // never done
  Probe probe;
  const absl::Time start = absl::Now();
  OnOtherThread([&] { handoff.Run(probe.Task()); });
  ASSERT_TRUE(Eventually([&] { return probe.runs.load() == 1; }));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(handoff.run_by_fallback(), 1u);
  // And again after the fallback thread went to sleep.
  absl::SleepFor(absl::Milliseconds(30));
  Probe later;
  OnOtherThread([&] { handoff.Run(later.Task()); });
  ASSERT_TRUE(Eventually([&] { return later.runs.load() == 1; }));
  EXPECT_EQ(handoff.run_by_fallback(), 2u);
}

TEST(FinishHandoffTest, TheDestructorRunsWhatIsLeft) {
  Probe probe;
  {
    FinishHandoff handoff(absl::Seconds(10));
    handoff.CallFinishing();
    OnOtherThread([&] { handoff.Run(probe.Task()); });
    EXPECT_EQ(probe.runs.load(), 0);
  }
  EXPECT_EQ(probe.runs.load(), 1);
}

// The last call's finish, queued by the loop thread and run by a gRPC
// thread, lets the server destroy the handoff at once (its Wait returns):
// the loop thread, still leaving Run, must not touch freed memory (the
// sanitizer builds see it; issue 18's shutdown race).
TEST(FinishHandoffTest, TheOwnerMayGoAsSoonAsTheLastQueuedTaskRan) {
  for (int round = 0; round < 300; ++round) {
    auto handoff = std::make_unique<FinishHandoff>(absl::Seconds(10));
    handoff->CallFinishing();  // a completion is pending: Run queues
    absl::Notification task_ran;
    std::thread loop(
        [&, h = handoff.get()] { h->Run([&] { task_ran.Notify(); }); });
    std::thread grpc([h = handoff.get()] {
      while (h->queued() == 0) std::this_thread::yield();
      h->CallDone();  // runs the queued task
    });
    task_ran.WaitForNotification();
    handoff.reset();  // as the server does once its last call finished
    loop.join();
    grpc.join();
  }
}

// Loop threads queue while gRPC threads complete calls and start handlers:
// every task runs exactly once, none waits for the fallback.
TEST(FinishHandoffTest, EveryTaskRunsOnceUnderConcurrency) {
  constexpr int kTasks = 20000;
  FinishHandoff handoff(absl::Seconds(30));
  std::vector<std::atomic<int>> runs(kTasks);
  std::atomic<int> finished{0};
  // Each task is a finish: its completion comes back on a "gRPC" thread.
  absl::Mutex mu;
  std::vector<int> completions;  // guarded by mu
  absl::Notification loop_done;
  std::thread loop([&] {
    for (int i = 0; i < kTasks; ++i) {
      handoff.Run([&, i] {
        runs[i].fetch_add(1);
        handoff.CallFinishing();
        absl::MutexLock lock(&mu);
        completions.push_back(i);
      });
    }
    loop_done.Notify();
  });
  std::vector<std::thread> grpc;
  for (int t = 0; t < 2; ++t) {
    grpc.emplace_back([&] {
      while (finished.load() < kTasks) {
        bool got = false;
        {
          absl::MutexLock lock(&mu);
          if (!completions.empty()) {
            completions.pop_back();
            got = true;
          }
        }
        if (got) {
          finished.fetch_add(1);
          handoff.CallDone();
        } else {
          FinishHandoff::ScopedGrpcThread on_grpc(handoff);
        }
      }
    });
  }
  loop.join();
  for (std::thread& t : grpc) t.join();
  ASSERT_TRUE(loop_done.HasBeenNotified());
  for (int i = 0; i < kTasks; ++i) ASSERT_EQ(runs[i].load(), 1) << i;
  EXPECT_EQ(handoff.run_by_fallback(), 0u);
}

}  // namespace
}  // namespace availability::server
