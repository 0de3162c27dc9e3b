#include "cache/redis_reply.h"

#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::RedisServer;
using ::availability::testing::StatusIs;
using ::testing::HasSubstr;

RedisReply Error(std::string text) {
  RedisReply r;
  r.type = RedisReply::Type::kError;
  r.str = std::move(text);
  return r;
}

TEST(RedisReplyTest, MapsEachErrorPrefixToItsCode) {
  struct Case {
    const char* error;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {"OOM command not allowed when used memory > 'maxmemory'.",
       absl::StatusCode::kUnavailable},
      {"LOADING Redis is loading the dataset in memory",
       absl::StatusCode::kUnavailable},
      {"BUSY Redis is busy running a script.", absl::StatusCode::kUnavailable},
      {"MASTERDOWN Link with MASTER is down", absl::StatusCode::kUnavailable},
      {"READONLY You can't write against a read only replica.",
       absl::StatusCode::kUnavailable},
      {"TRYAGAIN Multiple keys request during rehashing of slot",
       absl::StatusCode::kUnavailable},
      {"CLUSTERDOWN The cluster is down", absl::StatusCode::kUnavailable},
      {"MISCONF Redis is configured to save RDB snapshots, but ...",
       absl::StatusCode::kUnavailable},
      {"NOREPLICAS Not enough good replicas to write.",
       absl::StatusCode::kUnavailable},
      {"MOVED 3999 127.0.0.1:6381", absl::StatusCode::kUnavailable},
      {"ASK 3999 127.0.0.1:6381", absl::StatusCode::kUnavailable},
      {"NOAUTH Authentication required.", absl::StatusCode::kUnavailable},
      {"WRONGTYPE Operation against a key holding the wrong kind of value",
       absl::StatusCode::kFailedPrecondition},
      {"ERR unknown command 'FOO'", absl::StatusCode::kInternal},
      {"NOPERM this user has no permissions", absl::StatusCode::kInternal},
      {"ERR user_script:1: Script attempted to access nonexistent global",
       absl::StatusCode::kInternal},
      // A prefix is a whole word: these are not the transient states.
      {"OOMPH something", absl::StatusCode::kInternal},
      {"BUSYKEY Target key name already exists.", absl::StatusCode::kInternal},
      {"", absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    EXPECT_EQ(RedisErrorCode(c.error), c.code);
    absl::Status s = ReplyStatus(Error(c.error), "writing stock 3");
    EXPECT_EQ(s.code(), c.code);
    EXPECT_THAT(std::string(s.message()), HasSubstr("writing stock 3: "));
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.error));
  }
}

TEST(RedisReplyTest, TransportFailuresKeepTheirCodeAndSayWhat) {
  for (absl::Status transport :
       {absl::UnavailableError("redis connection lost"),
        absl::DeadlineExceededError("redis command deadline exceeded"),
        absl::CancelledError("redis client stopped")}) {
    absl::Status s = ReplyStatus(transport, "reading records");
    EXPECT_EQ(s.code(), transport.code());
    EXPECT_EQ(s.message(),
              absl::StrCat("reading records: ", transport.message()));
  }
}

TEST(RedisReplyTest, NonErrorRepliesAreOk) {
  RedisReply nil;
  EXPECT_THAT(ReplyStatus(nil, "x"), IsOk());
  RedisReply str;
  str.type = RedisReply::Type::kString;
  str.str = "OOM is data, not an error";
  EXPECT_THAT(ReplyStatus(str, "x"), IsOk());
}

TEST(RedisReplyTest, ShapeAndDecodingErrors) {
  EXPECT_THAT(UnexpectedReply("records"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("records")));
  EXPECT_THAT(UndecodableData("stock 1 sku \"A\"", "truncated"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("stock 1 sku \"A\": truncated")));
}

// The texts above are Redis 7.0's own: a real server's OOM and WRONGTYPE
// replies map as listed.
TEST(RedisReplyTest, RealServerRepliesMapAsListed) {
  auto server = RedisServer::Start();
  ASSERT_THAT(server, IsOk());
  RedisOptions options;
  options.port = (*server)->port();
  auto client = RedisClient::Start(options);
  ASSERT_THAT(client, IsOk());
  ASSERT_THAT((*client)->WaitUntilConnected(absl::Seconds(10)), IsOk());
  auto run = [&](std::vector<std::string> argv) {
    absl::Notification done;
    absl::StatusOr<RedisReply> out;
    (*client)->Execute(std::move(argv), absl::Now() + absl::Seconds(10),
                       [&](absl::StatusOr<RedisReply> r) {
                         out = std::move(r);
                         done.Notify();
                       });
    done.WaitForNotification();
    return out;
  };
  ASSERT_THAT(ReplyStatus(run({"SET", "s", "v"}), "set"), IsOk());
  EXPECT_THAT(ReplyStatus(run({"HGET", "s", "f"}), "reading s"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("reading s: redis error: WRONGTYPE")));
  ASSERT_THAT(ReplyStatus(run({"CONFIG", "SET", "maxmemory", "1"}), "config"),
              IsOk());
  EXPECT_THAT(ReplyStatus(run({"SET", "t", "v"}), "writing t"),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("writing t: redis error: OOM")));
  EXPECT_THAT(ReplyStatus(run({"NOSUCHCOMMAND"}), "x"),
              StatusIs(absl::StatusCode::kInternal));
}

}  // namespace
}  // namespace availability::cache
