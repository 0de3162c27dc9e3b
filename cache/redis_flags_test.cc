#include "cache/redis_flags.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPassword[] = "redis-secret-0123";
constexpr char kSentinelPassword[] = "sentinel-secret-4567";

// Sets flag `name` as the command line would; fails the test when it does
// not parse.
void SetFlag(const std::string& name, const std::string& value) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  ASSERT_NE(flag, nullptr) << name;
  std::string error;
  ASSERT_TRUE(flag->ParseFrom(value, &error)) << name << ": " << error;
}

std::string WriteFile(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

class RedisFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("AVAILABILITY_REDIS_PASSWORD");
    unsetenv("AVAILABILITY_REDIS_SENTINEL_PASSWORD");
  }
  absl::FlagSaver saver_;
};

TEST_F(RedisFlagsTest, DefaultsConnectToLocalRedisWithoutSentinel) {
  absl::StatusOr<RedisConnectionConfig> config = RedisConnectionFromFlags();
  ASSERT_THAT(config.status(), IsOk());
  EXPECT_EQ(config->options.host, "127.0.0.1");
  EXPECT_EQ(config->options.port, 6379);
  EXPECT_EQ(config->options.unix_socket, "");
  EXPECT_EQ(config->options.user, "");
  EXPECT_EQ(config->options.password, "");
  EXPECT_EQ(config->options.database, 0);
  EXPECT_FALSE(config->options.resolve_endpoint);
  EXPECT_EQ(config->sentinel, nullptr);
  EXPECT_EQ(config->key_prefix, "av");
}

TEST_F(RedisFlagsTest, MapsEveryFlag) {
  SetFlag("redis_host", "redis.internal");
  SetFlag("redis_port", "6380");
  SetFlag("redis_socket", "/run/redis.sock");
  SetFlag("redis_user", "av");
  SetFlag("redis_password_file",
          WriteFile("redis_password", std::string(kPassword) + "\n"));
  SetFlag("redis_db", "3");
  SetFlag("key_prefix", "shop1");
  SetFlag("redis_sentinel_addresses", "s0:26379, s1:26380");
  SetFlag("redis_sentinel_master", "primary1");
  absl::StatusOr<RedisConnectionConfig> config = RedisConnectionFromFlags();
  ASSERT_THAT(config.status(), IsOk());
  EXPECT_EQ(config->options.host, "redis.internal");
  EXPECT_EQ(config->options.port, 6380);
  EXPECT_EQ(config->options.unix_socket, "/run/redis.sock");
  EXPECT_EQ(config->options.user, "av");
  EXPECT_EQ(config->options.password, kPassword);  // trailing newline gone
  EXPECT_EQ(config->options.database, 3);
  EXPECT_EQ(config->key_prefix, "shop1");
  EXPECT_NE(config->sentinel, nullptr);
  EXPECT_EQ(config->sentinel_addresses, "s0:26379, s1:26380");
  EXPECT_EQ(config->sentinel_master, "primary1");
}

TEST_F(RedisFlagsTest, PasswordsComeFromTheEnvironmentWithoutFiles) {
  setenv("AVAILABILITY_REDIS_PASSWORD", kPassword, 1);
  absl::StatusOr<RedisConnectionConfig> config = RedisConnectionFromFlags();
  ASSERT_THAT(config.status(), IsOk());
  EXPECT_EQ(config->options.password, kPassword);
}

TEST_F(RedisFlagsTest, BadFlagsAreNamedAndNoPasswordShows) {
  const std::string password_file = WriteFile("password", kPassword);
  const std::string sentinel_password_file =
      WriteFile("sentinel_password", kSentinelPassword);
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::string>> flags;
    absl::StatusCode code;
    std::string message_start;
  };
  const std::vector<Case> cases = {
      {"unreadable password file",
       {{"redis_password_file", "/nonexistent/password"}},
       absl::StatusCode::kNotFound,
       "--redis_password_file: /nonexistent/password"},
      {"bad sentinel address",
       {{"redis_password_file", password_file},
        {"redis_sentinel_addresses", "s0:26379,nope"}},
       absl::StatusCode::kInvalidArgument,
       "--redis_sentinel_addresses: "},
      {"unreadable sentinel password file",
       {{"redis_password_file", password_file},
        {"redis_sentinel_addresses", "s0:26379"},
        {"redis_sentinel_password_file", "/nonexistent/sentinel"}},
       absl::StatusCode::kNotFound,
       "--redis_sentinel_password_file: /nonexistent/sentinel"},
      {"no master name",
       {{"redis_password_file", password_file},
        {"redis_sentinel_addresses", "s0:26379"},
        {"redis_sentinel_password_file", sentinel_password_file},
        {"redis_sentinel_master", ""}},
       absl::StatusCode::kInvalidArgument,
       "--redis_sentinel_addresses, --redis_sentinel_master: "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::FlagSaver case_saver;
    for (const auto& [flag, value] : c.flags) SetFlag(flag, value);
    absl::StatusOr<RedisConnectionConfig> config = RedisConnectionFromFlags();
    EXPECT_THAT(config.status(), StatusIs(c.code));
    const std::string message(config.status().message());
    EXPECT_THAT(message, StartsWith(c.message_start));
    EXPECT_THAT(message, Not(HasSubstr(kPassword)));
    EXPECT_THAT(message, Not(HasSubstr(kSentinelPassword)));
  }
}

TEST(IsRedisFlagsFileTest, MatchesOnlyTheFlagsFile) {
  EXPECT_TRUE(IsRedisFlagsFile("/work/main/cache/redis_flags.cc"));
  EXPECT_TRUE(IsRedisFlagsFile("work/main/cache/redis_flags.cc"));
  EXPECT_FALSE(IsRedisFlagsFile("work/main/server/main.cc"));
  EXPECT_FALSE(IsRedisFlagsFile("work/main/sync/main.cc"));
}

}  // namespace
}  // namespace availability::cache
