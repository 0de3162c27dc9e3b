#include "cache/redis_flags.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/env_flags.h"

ABSL_FLAG(std::string, redis_host, "127.0.0.1", "Redis host.");
ABSL_FLAG(int, redis_port, 6379, "Redis TCP port.");
ABSL_FLAG(std::string, redis_socket, "",
          "Redis Unix socket path; when set, host and port are ignored.");
ABSL_FLAG(std::string, redis_user, "", "Redis ACL user (empty: default).");
ABSL_FLAG(std::string, redis_password_file, "",
          "File holding the Redis password (else the environment variable "
          "AVAILABILITY_REDIS_PASSWORD; neither: no AUTH).");
ABSL_FLAG(int, redis_db, 0, "Redis database number.");
ABSL_FLAG(std::string, key_prefix, "av", "Prefix of every Redis key.");
ABSL_FLAG(std::string, redis_sentinel_addresses, "",
          "Sentinels as host:port,host:port; when set, Redis is found "
          "through them before every (re)connect (writes always go to the "
          "primary they report), and --redis_host/--redis_port/--redis_socket "
          "are ignored.");
ABSL_FLAG(std::string, redis_sentinel_master, "mymaster",
          "Master name the sentinels monitor.");
ABSL_FLAG(std::string, redis_sentinel_password_file, "",
          "File holding the sentinels' own password (else the environment "
          "variable AVAILABILITY_REDIS_SENTINEL_PASSWORD; neither: no AUTH).");

namespace availability::cache {
using ::availability::base::ReadSecret;

namespace {

// `status` with its message prefixed by the flag it is about.
absl::Status ForFlag(absl::string_view flag, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat("--", flag, ": ", status.message()));
}

}  // namespace

const std::vector<std::string>& RedisFlagNames() {
  static const auto* names =
      new std::vector<std::string>{"redis_host",
                                   "redis_port",
                                   "redis_socket",
                                   "redis_user",
                                   "redis_password_file",
                                   "redis_db",
                                   "key_prefix",
                                   "redis_sentinel_addresses",
                                   "redis_sentinel_master",
                                   "redis_sentinel_password_file"};
  return *names;
}

bool IsRedisFlagsFile(absl::string_view file) {
  return absl::EndsWith(file, "cache/redis_flags.cc");
}

absl::StatusOr<RedisConnectionConfig> RedisConnectionFromFlags() {
  RedisConnectionConfig config;
  config.key_prefix = absl::GetFlag(FLAGS_key_prefix);
  cache::RedisOptions& options = config.options;
  options.host = absl::GetFlag(FLAGS_redis_host);
  options.port = absl::GetFlag(FLAGS_redis_port);
  options.unix_socket = absl::GetFlag(FLAGS_redis_socket);
  options.user = absl::GetFlag(FLAGS_redis_user);
  options.database = absl::GetFlag(FLAGS_redis_db);
  absl::StatusOr<std::string> password = ReadSecret(
      absl::GetFlag(FLAGS_redis_password_file), "AVAILABILITY_REDIS_PASSWORD");
  if (!password.ok()) {
    return ForFlag("redis_password_file", password.status());
  }
  options.password = *std::move(password);

  config.sentinel_addresses = absl::GetFlag(FLAGS_redis_sentinel_addresses);
  if (config.sentinel_addresses.empty()) return config;
  cache::SentinelOptions sentinel;
  absl::StatusOr<std::vector<cache::RedisEndpoint>> parsed =
      cache::ParseRedisEndpoints(config.sentinel_addresses);
  if (!parsed.ok()) {
    return ForFlag("redis_sentinel_addresses", parsed.status());
  }
  sentinel.sentinels = *std::move(parsed);
  sentinel.master_name = absl::GetFlag(FLAGS_redis_sentinel_master);
  absl::StatusOr<std::string> sentinel_password =
      ReadSecret(absl::GetFlag(FLAGS_redis_sentinel_password_file),
                 "AVAILABILITY_REDIS_SENTINEL_PASSWORD");
  if (!sentinel_password.ok()) {
    return ForFlag("redis_sentinel_password_file", sentinel_password.status());
  }
  sentinel.password = *std::move(sentinel_password);
  if (absl::Status valid = cache::SentinelResolver::Validate(sentinel);
      !valid.ok()) {
    return ForFlag("redis_sentinel_addresses, --redis_sentinel_master", valid);
  }
  config.sentinel_master = sentinel.master_name;
  config.sentinel =
      std::make_unique<cache::SentinelResolver>(std::move(sentinel));
  return config;
}

}  // namespace availability::cache
