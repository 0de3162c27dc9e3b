// A Lua script run by its SHA-1, so its body crosses the network only when
// Redis does not have it cached: EVALSHA (EVALSHA_RO for a read-only
// script), then EVAL (EVAL_RO) for just the calls Redis answered NOSCRIPT
// (its script cache was flushed by a restart, a failover or SCRIPT FLUSH);
// Redis then caches the body under the same SHA-1.
//
//   RedisScript script(kBody);
//   script.Run(client, {{"1", "key", "arg"}}, /*read_only=*/false, deadline,
//              [](absl::StatusOr<std::vector<RedisReply>> replies) { ... });
//
// Thread safety: immutable after construction; Run may be called from any
// thread. The script must outlive every Run in flight.
#ifndef AVAILABILITY_CACHE_REDIS_SCRIPT_H_
#define AVAILABILITY_CACHE_REDIS_SCRIPT_H_

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cache/redis_client.h"

namespace availability::cache {

class RedisScript {
 public:
  explicit RedisScript(std::string body);

  const std::string& body() const { return body_; }
  const std::string& sha1() const { return sha1_; }

  // Runs the script once per element of `calls` (each: numkeys, KEYS...,
  // ARGV...) in one pipeline, and once more, with the body, for those
  // answered NOSCRIPT. `done` (on the client's loop thread) gets one reply
  // per call, in order, error replies included; or the transport error of
  // either pipeline.
  void Run(RedisClient& client, std::vector<std::vector<std::string>> calls,
           bool read_only, absl::Time deadline,
           RedisClient::PipelineCallback done) const;

 private:
  const std::string body_;
  const std::string sha1_;
};

// `source` (one of cache/scripts/*.lua, from cache/scripts.h) with a
// `local NAME = value` line per constant, inserted after its "#!lua"
// shebang line when it has one (Redis requires the shebang first). The
// scripts name their reply codes and stored statuses this way, so the Lua
// and the C++ that reads the replies use one definition. `prelude`, code
// several scripts share (Redis scripts cannot include one another), goes
// after the constants and before the script's own code.
std::string LuaWithConstants(
    absl::string_view source,
    std::initializer_list<std::pair<absl::string_view, int>> constants,
    absl::string_view prelude = "");

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_REDIS_SCRIPT_H_
