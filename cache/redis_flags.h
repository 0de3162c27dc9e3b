// The Redis connection flags of both binaries, availability-server and
// availability-sync: --redis_host, --redis_port, --redis_socket,
// --redis_user, --redis_password_file, --redis_db, --key_prefix and Redis
// Sentinel discovery (--redis_sentinel_addresses, --redis_sentinel_master,
// --redis_sentinel_password_file). Defined once here so both take the same
// names, defaults and checks.
//
//   ApplyEnvironmentToFlags(RedisFlagNames());  // before ParseCommandLine
//   absl::ParseCommandLine(argc, argv);
//   absl::StatusOr<RedisConnectionConfig> redis = RedisConnectionFromFlags();
//   if (!redis.ok()) { /* log redis.status().message(), exit */ }
//   if (redis->sentinel != nullptr) {
//     redis->options.resolve_endpoint =
//         redis->sentinel->Resolver(cache::SentinelResolver::Role::kPrimary);
//   }
//
// Call from the thread that parsed the flags, after parsing.
#ifndef AVAILABILITY_CACHE_REDIS_FLAGS_H_
#define AVAILABILITY_CACHE_REDIS_FLAGS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cache/redis_client.h"
#include "cache/sentinel.h"

namespace availability::cache {

// What the Redis flags ask for, checked.
struct RedisConnectionConfig {
  // Endpoint, ACL user and password, database; resolve_endpoint is unset
  // (with Sentinel the caller picks the role from `sentinel`).
  cache::RedisOptions options;
  // Set when --redis_sentinel_addresses is; null otherwise.
  std::unique_ptr<cache::SentinelResolver> sentinel;
  // --redis_sentinel_addresses and --redis_sentinel_master as given, for log
  // lines (no secret); empty without Sentinel.
  std::string sentinel_addresses;
  std::string sentinel_master;
  std::string key_prefix;
};

// The flags above, each also read from AVAILABILITY_<NAME>
// (ApplyEnvironmentToFlags).
const std::vector<std::string>& RedisFlagNames();

// For absl::FlagsUsageConfig::contains_help_flags: true for the file that
// defines the flags above, so a binary's --help filter can list them.
bool IsRedisFlagsFile(absl::string_view file);

// Reads the passwords (--redis_password_file else AVAILABILITY_REDIS_PASSWORD;
// --redis_sentinel_password_file else AVAILABILITY_REDIS_SENTINEL_PASSWORD)
// and parses the sentinel addresses. Errors: the status of the failing step
// (NotFound for an unreadable password file, InvalidArgument for bad
// sentinel settings), its message starting with the flag's name; never a
// password.
absl::StatusOr<RedisConnectionConfig> RedisConnectionFromFlags();

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_REDIS_FLAGS_H_
