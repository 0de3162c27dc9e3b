#include "cache/redis_client.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::IsOkAndHolds;
using ::availability::testing::RedisServer;
using ::availability::testing::RunSync;
using ::availability::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The deadline of a command unless a test names one.
constexpr absl::Duration kDeadline = absl::Seconds(2);
constexpr absl::Duration kWait = absl::Seconds(10);

// The outcome of one command, shared with its callback so that a test that
// gives up waiting leaves nothing dangling.
struct Outcome {
  absl::Notification done;
  absl::StatusOr<RedisReply> reply;
  absl::Time at;
  std::atomic<int> calls{0};
};

std::shared_ptr<Outcome> Send(RedisClient& client,
                              std::vector<std::string> argv,
                              absl::Duration deadline = absl::Seconds(2)) {
  auto outcome = std::make_shared<Outcome>();
  client.Execute(std::move(argv), absl::Now() + deadline,
                 [outcome](absl::StatusOr<RedisReply> reply) {
                   if (outcome->calls.fetch_add(1) == 0) {
                     outcome->reply = std::move(reply);
                     outcome->at = absl::Now();
                     outcome->done.Notify();
                   }
                 });
  return outcome;
}

std::unique_ptr<RedisServer> StartServer(std::vector<std::string> args = {}) {
  auto server = RedisServer::Start(std::move(args));
  EXPECT_THAT(server, IsOk());
  return server.ok() ? std::move(*server) : nullptr;
}

RedisOptions OptionsFor(const RedisServer& server) {
  RedisOptions options;
  options.port = server.port();
  options.connect_timeout = absl::Milliseconds(500);
  options.reconnect_min_backoff = absl::Milliseconds(10);
  options.reconnect_max_backoff = absl::Milliseconds(100);
  return options;
}

std::unique_ptr<RedisClient> Connect(const RedisOptions& options) {
  auto client = RedisClient::Start(options);
  EXPECT_THAT(client, IsOk());
  if (!client.ok()) return nullptr;
  EXPECT_THAT((*client)->WaitUntilConnected(kWait), IsOk());
  return std::move(*client);
}

TEST(RedisClientTest, RepliesOfEveryType) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = Connect(OptionsFor(*server));
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->IsConnected());

  const std::string binary("a\0b\r\n\xff", 6);
  auto set = RunSync(*client, {"SET", "k", binary}, kDeadline);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->type, RedisReply::Type::kStatus);
  EXPECT_EQ(set->str, "OK");

  auto get = RunSync(*client, {"GET", "k"}, kDeadline);
  ASSERT_THAT(get, IsOk());
  EXPECT_EQ(get->type, RedisReply::Type::kString);
  EXPECT_EQ(get->str, binary);

  auto missing = RunSync(*client, {"GET", "missing"}, kDeadline);
  ASSERT_THAT(missing, IsOk());
  EXPECT_TRUE(missing->is_nil());

  auto incr = RunSync(*client, {"INCRBY", "n", "-5"}, kDeadline);
  ASSERT_THAT(incr, IsOk());
  EXPECT_EQ(incr->type, RedisReply::Type::kInteger);
  EXPECT_EQ(incr->integer, -5);

  auto mget = RunSync(*client, {"MGET", "k", "missing"}, kDeadline);
  ASSERT_THAT(mget, IsOk());
  ASSERT_EQ(mget->type, RedisReply::Type::kArray);
  ASSERT_EQ(mget->elements.size(), 2u);
  EXPECT_EQ(mget->elements[0].str, binary);
  EXPECT_TRUE(mget->elements[1].is_nil());

  auto error = RunSync(*client, {"INCR", "k"}, kDeadline);
  ASSERT_THAT(error, IsOk());  // a Redis error is a reply, not a status
  EXPECT_TRUE(error->is_error());
  EXPECT_THAT(error->str, HasSubstr("not an integer"));

  EXPECT_THAT(RunSync(*client, {}, kDeadline),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RedisClientTest, PipelineAnswersInOrder) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = Connect(OptionsFor(*server));
  ASSERT_NE(client, nullptr);

  absl::Notification done;
  absl::StatusOr<std::vector<RedisReply>> replies;
  client->ExecutePipeline(
      {{"SET", "a", "1"}, {"INCR", "a"}, {"GET", "a"}, {"LPUSH", "a", "x"}},
      absl::Now() + absl::Seconds(2),
      [&](absl::StatusOr<std::vector<RedisReply>> r) {
        replies = std::move(r);
        done.Notify();
      });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  ASSERT_THAT(replies, IsOk());
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_EQ((*replies)[0].str, "OK");
  EXPECT_EQ((*replies)[1].integer, 2);
  EXPECT_EQ((*replies)[2].str, "2");
  EXPECT_TRUE((*replies)[3].is_error());  // WRONGTYPE
}

// A batch's commands are written at the end of the batch, straight away;
// one larger than the socket's buffers cannot go in one write and must
// finish once the socket drains, with the commands after it in order.
TEST(RedisClientTest, ACommandLargerThanTheSocketBuffersIsSentWhole) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = Connect(OptionsFor(*server));
  ASSERT_NE(client, nullptr);

  std::string big(32 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = 'a' + (i / 4096) % 26;
  auto set = Send(*client, {"SET", "big", big}, absl::Seconds(30));
  auto after = Send(*client, {"STRLEN", "big"}, absl::Seconds(30));
  ASSERT_TRUE(after->done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(set->done.WaitForNotificationWithTimeout(kWait));
  ASSERT_THAT(set->reply, IsOk());
  EXPECT_EQ(set->reply->str, "OK");
  ASSERT_THAT(after->reply, IsOk());
  EXPECT_EQ(after->reply->integer, static_cast<int64_t>(big.size()));
  auto get = Send(*client, {"GET", "big"}, absl::Seconds(30));
  ASSERT_TRUE(get->done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_THAT(get->reply, IsOk());
  EXPECT_TRUE(get->reply->str == big);
  // And small ones still go out at once afterwards.
  auto ping = Send(*client, {"PING"});
  ASSERT_TRUE(ping->done.WaitForNotificationWithTimeout(kWait));
  EXPECT_THAT(ping->reply, IsOk());
}

TEST(RedisClientTest, ManyConcurrentCommandsFromSeveralThreadsAllAnswered) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = Connect(OptionsFor(*server));
  ASSERT_NE(client, nullptr);

  constexpr int kThreads = 4;
  constexpr int kPerThread = 2500;
  absl::Mutex mu;
  int answered = 0;
  int wrong = 0;
  int max_in_flight = 0;
  int in_flight = 0;
  absl::Notification all_done;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string payload = absl::StrCat("t", t, "-", i);
        {
          absl::MutexLock lock(&mu);
          max_in_flight = std::max(max_in_flight, ++in_flight);
        }
        client->Execute({"ECHO", payload}, absl::Now() + absl::Seconds(20),
                        [&, payload](absl::StatusOr<RedisReply> reply) {
                          absl::MutexLock lock(&mu);
                          --in_flight;
                          if (!reply.ok() || reply->str != payload) ++wrong;
                          if (++answered == kThreads * kPerThread) {
                            all_done.Notify();
                          }
                        });
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(answered, kThreads * kPerThread);
  EXPECT_EQ(wrong, 0);
  // Submitted faster than answered: many were in flight at once.
  EXPECT_GT(max_in_flight, 10);
}

TEST(RedisClientTest, DeadlineFiresWhileServerIsStoppedThenRecovers) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = Connect(OptionsFor(*server));
  ASSERT_NE(client, nullptr);

  server->Pause();
  const absl::Time start = absl::Now();
  auto slow = Send(*client, {"SET", "late", "1"}, absl::Milliseconds(150));
  auto fast = Send(*client, {"GET", "late"}, absl::Milliseconds(50));
  ASSERT_TRUE(fast->done.WaitForNotificationWithTimeout(kWait));
  ASSERT_TRUE(slow->done.WaitForNotificationWithTimeout(kWait));
  EXPECT_THAT(fast->reply, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(slow->reply, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GE(fast->at - start, absl::Milliseconds(49));
  EXPECT_LT(fast->at - start, absl::Milliseconds(50 + 60));
  EXPECT_GE(slow->at - start, absl::Milliseconds(149));
  EXPECT_LT(slow->at - start, absl::Milliseconds(150 + 60));
  EXPECT_TRUE(client->IsConnected());  // a slow server is not a lost one

  server->Resume();
  // The late replies arrive first on the connection and are dropped.
  auto after = RunSync(*client, {"GET", "late"}, kDeadline);
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->str, "1");  // the SET did run, late
  EXPECT_EQ(slow->calls.load(), 1);
  EXPECT_EQ(fast->calls.load(), 1);
}

TEST(RedisClientTest, PastDeadlineFailsAtOnce) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = Connect(OptionsFor(*server));
  ASSERT_NE(client, nullptr);
  EXPECT_THAT(RunSync(*client, {"PING"}, -absl::Milliseconds(1)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(RedisClientTest, SurvivesServerRestartFailingFastDuringTheOutage) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = Connect(OptionsFor(*server));
  ASSERT_NE(client, nullptr);
  ASSERT_THAT(RunSync(*client, {"SET", "k", "v"}, kDeadline), IsOk());

  server->Kill();
  for (int i = 0; i < 5; ++i) {
    const absl::Time start = absl::Now();
    // Deadline far away: the failure must not wait for it.
    EXPECT_THAT(RunSync(*client, {"GET", "k"}, absl::Seconds(5)),
                StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(200));
  }
  EXPECT_FALSE(client->IsConnected());

  ASSERT_THAT(server->Restart(), IsOk());
  ASSERT_THAT(client->WaitUntilConnected(kWait), IsOk());
  auto set = RunSync(*client, {"SET", "k", "again"}, kDeadline);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->str, "OK");
}

TEST(RedisClientTest, StartsBeforeTheServerAndConnectsWhenItComes) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->Kill();
  auto client = RedisClient::Start(OptionsFor(*server));
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(RunSync(**client, {"PING"}, kDeadline),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("not connected to redis at 127.0.0.1:")));
  ASSERT_THAT(server->Restart(), IsOk());
  EXPECT_THAT((*client)->WaitUntilConnected(kWait), IsOk());
  EXPECT_THAT(RunSync(**client, {"PING"}, kDeadline), IsOk());
}

TEST(RedisClientTest, AuthWithRequirepass) {
  auto server = StartServer({"--requirepass", "s3cret"});
  ASSERT_NE(server, nullptr);
  RedisOptions options = OptionsFor(*server);
  options.password = "s3cret";
  auto client = Connect(options);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->IsConnected());
  auto who = RunSync(*client, {"ACL", "WHOAMI"}, kDeadline);
  ASSERT_THAT(who, IsOk());
  EXPECT_EQ(who->str, "default");
}

TEST(RedisClientTest, AuthWithAclUser) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_THAT(
      server->Cli({"ACL", "SETUSER", "app", "on", ">app-pass", "~*", "+@all"}),
      IsOk());
  RedisOptions options = OptionsFor(*server);
  options.user = "app";
  options.password = "app-pass";
  auto client = Connect(options);
  ASSERT_NE(client, nullptr);
  auto who = RunSync(*client, {"ACL", "WHOAMI"}, kDeadline);
  ASSERT_THAT(who, IsOk());
  EXPECT_EQ(who->str, "app");
}

TEST(RedisClientTest, WrongPasswordNeverConnectsAndIsNeverShown) {
  auto server = StartServer({"--requirepass", "right-pass"});
  ASSERT_NE(server, nullptr);
  RedisOptions options = OptionsFor(*server);
  options.password = "wrong-horse-battery";
  auto client = RedisClient::Start(options);
  ASSERT_THAT(client, IsOk());
  const absl::Status waited =
      (*client)->WaitUntilConnected(absl::Milliseconds(500));
  EXPECT_THAT(waited, StatusIs(absl::StatusCode::kUnavailable,
                               AllOf(HasSubstr("WRONGPASS"),
                                     Not(HasSubstr("wrong-horse-battery")))));
  EXPECT_FALSE((*client)->IsConnected());
  EXPECT_THAT(RunSync(**client, {"PING"}, kDeadline),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("WRONGPASS"),
                             Not(HasSubstr("wrong-horse-battery")))));

  // The same for an ACL user with a wrong password.
  options.user = "nobody";
  auto acl_client = RedisClient::Start(options);
  ASSERT_THAT(acl_client, IsOk());
  EXPECT_THAT((*acl_client)->WaitUntilConnected(absl::Milliseconds(500)),
              StatusIs(absl::StatusCode::kUnavailable,
                       Not(HasSubstr("wrong-horse-battery"))));
}

TEST(RedisClientTest, MissingPasswordIsDetectedAtConnect) {
  auto server = StartServer({"--requirepass", "right-pass"});
  ASSERT_NE(server, nullptr);
  auto client = RedisClient::Start(OptionsFor(*server));
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT((*client)->WaitUntilConnected(absl::Milliseconds(500)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("NOAUTH")));
  EXPECT_FALSE((*client)->IsConnected());
}

TEST(RedisClientTest, SelectsTheDatabase) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  RedisOptions options = OptionsFor(*server);
  options.database = 3;
  auto client = Connect(options);
  ASSERT_NE(client, nullptr);
  ASSERT_THAT(RunSync(*client, {"SET", "where", "db3"}, kDeadline), IsOk());
  EXPECT_THAT(server->Cli({"-n", "3", "GET", "where"}),
              IsOkAndHolds(std::string("db3\n")));
  EXPECT_THAT(server->Cli({"-n", "0", "GET", "where"}),
              IsOkAndHolds(std::string("\n")));
}

TEST(RedisClientTest, ConnectsOverUnixSocket) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  RedisOptions options;
  options.unix_socket = server->unix_socket();
  options.host = "";  // ignored
  auto client = Connect(options);
  ASSERT_NE(client, nullptr);
  auto pong = RunSync(*client, {"PING"}, kDeadline);
  ASSERT_THAT(pong, IsOk());
  EXPECT_EQ(pong->str, "PONG");
  auto info = RunSync(*client, {"CLIENT", "INFO"}, kDeadline);
  ASSERT_THAT(info, IsOk());
  EXPECT_THAT(info->str, HasSubstr("redis.sock"));
}

TEST(RedisClientTest, ConnectTimeoutAgainstAStoppedServer) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->Pause();  // the kernel accepts the TCP connection; nobody answers
  RedisOptions options = OptionsFor(*server);
  options.connect_timeout = absl::Milliseconds(100);
  auto client = RedisClient::Start(options);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(
      (*client)->WaitUntilConnected(absl::Milliseconds(400)),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("connect timeout")));
  server->Resume();
  EXPECT_THAT((*client)->WaitUntilConnected(kWait), IsOk());
}

// Stop() (which the destructor calls too): an owner stops the client while
// what its callbacks use is still alive (AvailabilityServer::Shutdown).
TEST(RedisClientTest, StoppingCancelsInFlightThenFailsLaterCommandsAtOnce) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = Connect(OptionsFor(*server));
  ASSERT_NE(client, nullptr);
  server->Pause();
  auto pending = Send(*client, {"PING"}, absl::Seconds(30));
  client->Stop();  // joins the loop thread
  ASSERT_TRUE(pending->done.HasBeenNotified());
  EXPECT_THAT(pending->reply, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_FALSE(client->IsConnected());

  // Later commands fail on the caller's thread, before Execute returns.
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  auto later = Send(*client, {"PING"});
  client->Execute(
      {"PING"}, absl::Now() + kDeadline,
      [&](absl::StatusOr<RedisReply>) { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, caller);
  ASSERT_TRUE(later->done.HasBeenNotified());
  EXPECT_THAT(later->reply, StatusIs(absl::StatusCode::kCancelled));

  client->Stop();  // idempotent
  client.reset();
  EXPECT_EQ(pending->calls.load(), 1);
  EXPECT_EQ(later->calls.load(), 1);
  server->Resume();
}

TEST(RedisClientTest, RejectsUnusableOptions) {
  struct Case {
    const char* name;
    RedisOptions options;
  };
  std::vector<Case> cases;
  cases.push_back({"port_zero", {}});
  cases.back().options.port = 0;
  cases.push_back({"empty_host", {}});
  cases.back().options.host = "";
  cases.push_back({"user_without_password", {}});
  cases.back().options.user = "app";
  cases.push_back({"negative_db", {}});
  cases.back().options.database = -1;
  cases.push_back({"backoff_min_above_max", {}});
  cases.back().options.reconnect_min_backoff = absl::Seconds(5);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(RedisClient::Start(c.options),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace availability::cache
