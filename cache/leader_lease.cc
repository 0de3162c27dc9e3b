#include "cache/leader_lease.h"

#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "cache/redis_reply.h"
#include "cache/scripts.h"

namespace availability::cache {

std::string LeaderLease::RandomOwnerId() {
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) absl::StrAppendFormat(&id, "%08x", random());
  return id;
}

LeaderLease::LeaderLease(RedisClient& client, Options options)
    : client_(client),
      options_(std::move(options)),
      acquire_(kLeaseAcquireLua),
      renew_(kLeaseRenewLua),
      release_(kLeaseReleaseLua) {}

absl::StatusOr<int64_t> LeaderLease::RunScript(const RedisScript& script,
                                               std::vector<std::string> keys,
                                               std::vector<std::string> args) {
  std::vector<std::string> call = {absl::StrCat(keys.size())};
  for (std::string& k : keys) call.push_back(std::move(k));
  for (std::string& a : args) call.push_back(std::move(a));
  struct Outcome {
    absl::Notification done;
    absl::StatusOr<std::vector<RedisReply>> replies;
  };
  auto outcome = std::make_shared<Outcome>();
  script.Run(client_, {std::move(call)}, /*read_only=*/false,
             absl::Now() + options_.command_timeout,
             [outcome](absl::StatusOr<std::vector<RedisReply>> replies) {
               outcome->replies = std::move(replies);
               outcome->done.Notify();
             });
  // The client answers by the deadline; the margin guards a lost callback.
  if (!outcome->done.WaitForNotificationWithTimeout(options_.command_timeout +
                                                    absl::Seconds(1))) {
    return absl::DeadlineExceededError("writer lease: redis did not answer");
  }
  if (!outcome->replies.ok()) {
    return ReplyStatus(outcome->replies.status(), "writer lease");
  }
  const RedisReply& reply = outcome->replies->at(0);
  if (reply.is_error()) return RedisErrorStatus(reply.str, "writer lease");
  if (reply.type != RedisReply::Type::kInteger) {
    return UnexpectedReply("writer lease");
  }
  return reply.integer;
}

void LeaderLease::MarkValidFrom(SteadyTime sent) {
  const auto trusted = std::chrono::microseconds(
      absl::ToInt64Microseconds(options_.ttl - options_.safety_margin));
  valid_until_.store((sent + trusted).time_since_epoch().count());
}

absl::StatusOr<bool> LeaderLease::TryAcquire() {
  const SteadyTime sent = std::chrono::steady_clock::now();
  absl::StatusOr<int64_t> token = RunScript(
      acquire_, {options_.lease_key, options_.token_key},
      {options_.owner, absl::StrCat(absl::ToInt64Milliseconds(options_.ttl))});
  if (!token.ok()) return token.status();
  if (*token <= 0) return false;
  value_ = absl::StrCat(options_.owner, " ", *token);
  token_.store(*token);
  MarkValidFrom(sent);
  held_.store(true);
  return true;
}

absl::StatusOr<bool> LeaderLease::Renew() {
  if (!held_.load()) return false;
  const SteadyTime sent = std::chrono::steady_clock::now();
  absl::StatusOr<int64_t> renewed = RunScript(
      renew_, {options_.lease_key},
      {value_, absl::StrCat(absl::ToInt64Milliseconds(options_.ttl))});
  if (!renewed.ok()) return renewed.status();
  if (*renewed != 1) {
    held_.store(false);
    return false;
  }
  MarkValidFrom(sent);
  return true;
}

absl::Status LeaderLease::Release() {
  if (!held_.exchange(false)) return absl::OkStatus();
  return RunScript(release_, {options_.lease_key}, {value_}).status();
}

absl::StatusOr<int64_t> LeaderLease::ValidToken() const {
  if (!held_.load()) {
    return absl::FailedPreconditionError("writer lease not held");
  }
  if (std::chrono::steady_clock::now().time_since_epoch().count() >=
      valid_until_.load()) {
    return absl::FailedPreconditionError(
        "writer lease expired (not renewed in time)");
  }
  return token_.load();
}

}  // namespace availability::cache
