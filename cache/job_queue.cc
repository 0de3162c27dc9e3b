#include "cache/job_queue.h"

#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cache/redis_reply.h"

namespace availability::cache {
namespace {

constexpr absl::string_view kWhat = "notification jobs";

// XREADGROUP / XAUTOCLAIM entries ([[id, [fields]], ...]) as jobs, appended
// to `out`; entries that do not parse are skipped.
void AppendJobs(const RedisReply& entries, bool redelivered,
                std::vector<NotificationJob>& out) {
  for (const RedisReply& entry : entries.elements) {
    absl::StatusOr<NotificationJob> job = ParseNotificationJob(entry);
    if (!job.ok()) continue;
    job->redelivered = redelivered;
    out.push_back(*std::move(job));
  }
}

}  // namespace

absl::StatusOr<NotificationJob> ParseNotificationJob(const RedisReply& entry) {
  if (entry.type != RedisReply::Type::kArray || entry.elements.size() != 2 ||
      entry.elements[0].type != RedisReply::Type::kString ||
      entry.elements[1].type != RedisReply::Type::kArray ||
      entry.elements[1].elements.size() % 2 != 0) {
    return UndecodableData("notification job", "not a stream entry");
  }
  NotificationJob job;
  job.id = entry.elements[0].str;
  const std::string what = absl::StrCat("notification job ", job.id);
  int64_t queued_ms = 0;
  if (!absl::SimpleAtoi(job.id.substr(0, job.id.find('-')), &queued_ms)) {
    return UndecodableData(what, "id is not a stream id");
  }
  job.queued_at = absl::FromUnixMillis(queued_ms);
  const auto& f = entry.elements[1].elements;
  for (size_t i = 0; i + 1 < f.size(); i += 2) {
    const std::string& name = f[i].str;
    const std::string& value = f[i + 1].str;
    bool ok = true;
    if (name == "sku") {
      job.sku = value;
    } else if (name == "stock") {
      ok = absl::SimpleAtoi(value, &job.stock_id);
    } else if (name == "subscriber") {
      job.subscriber = value;
    } else if (name == "version") {
      ok = absl::SimpleAtoi(value, &job.version);
    } else if (name == "subscribed_at") {
      int64_t ms = 0;
      ok = absl::SimpleAtoi(value, &ms);
      job.subscribed_at = absl::FromUnixMillis(ms);
    }
    if (!ok) {
      return UndecodableData(what,
                             absl::StrCat("field ", name, " is not a number"));
    }
  }
  if (job.sku.empty() || job.subscriber.empty()) {
    return UndecodableData(what, "missing sku or subscriber");
  }
  return job;
}

// One Claim in progress, shared by its chained callbacks.
struct NotificationJobQueue::ClaimCall {
  std::string key;
  std::string consumer;
  int max_jobs = 0;
  std::string min_idle_ms;
  absl::Time deadline;
  Callback<std::vector<NotificationJob>> done;
  std::vector<NotificationJob> jobs;
};

NotificationJobQueue::NotificationJobQueue(RedisClient& client, KeySchema keys)
    : client_(client), keys_(std::move(keys)) {}

void NotificationJobQueue::Claim(int32_t stock_id, std::string consumer,
                                 int max_jobs, absl::Duration lease,
                                 absl::Time deadline,
                                 Callback<std::vector<NotificationJob>> done) {
  if (stock_id < 1) {
    done(absl::InvalidArgumentError("stock_id: must be >= 1"));
    return;
  }
  if (consumer.empty()) {
    done(absl::InvalidArgumentError("consumer: empty"));
    return;
  }
  if (max_jobs < 1 || max_jobs > kMaxJobsPerCall) {
    done(absl::InvalidArgumentError(
        absl::StrCat("max_jobs: must be 1..", kMaxJobsPerCall)));
    return;
  }
  const int64_t lease_ms = absl::ToInt64Milliseconds(lease);
  if (lease_ms < 1) {
    done(absl::InvalidArgumentError("lease: must be >= 1 ms"));
    return;
  }
  auto call = std::make_shared<ClaimCall>();
  call->key = keys_.NotificationJobs(stock_id);
  call->consumer = std::move(consumer);
  call->max_jobs = max_jobs;
  call->min_idle_ms = absl::StrCat(lease_ms);
  call->deadline = deadline;
  call->done = std::move(done);
  // One round trip: the group (idempotent) and the first XAUTOCLAIM.
  std::vector<std::string> create = {"XGROUP", "CREATE", call->key,
                                     kGroup,   "0",      "MKSTREAM"};
  client_.ExecutePipeline(
      {std::move(create), ReclaimCommand(*call, "0-0")}, deadline,
      [this, call](absl::StatusOr<std::vector<RedisReply>> replies) {
        if (!replies.ok()) {
          call->done(ReplyStatus(replies.status(), kWhat));
          return;
        }
        // BUSYGROUP: the group exists already, as it does after the first
        // claim.
        const RedisReply& created = replies->front();
        if (created.is_error() && !absl::StartsWith(created.str, "BUSYGROUP")) {
          call->done(RedisErrorStatus(created.str, kWhat));
          return;
        }
        OnReclaimed(call, std::move(replies->back()));
      });
}

std::vector<std::string> NotificationJobQueue::ReclaimCommand(
    const ClaimCall& call, std::string cursor) {
  const int wanted = call.max_jobs - static_cast<int>(call.jobs.size());
  return {"XAUTOCLAIM",     call.key,          kGroup,  call.consumer,
          call.min_idle_ms, std::move(cursor), "COUNT", absl::StrCat(wanted)};
}

void NotificationJobQueue::OnReclaimed(std::shared_ptr<ClaimCall> call,
                                       absl::StatusOr<RedisReply> reply) {
  if (absl::Status s = ReplyStatus(reply, kWhat); !s.ok()) {
    call->done(s);
    return;
  }
  // [next cursor, [entries], [ids of deleted entries]] (Redis 7).
  if (reply->elements.size() < 2 ||
      reply->elements[0].type != RedisReply::Type::kString) {
    call->done(UnexpectedReply("XAUTOCLAIM of notification jobs"));
    return;
  }
  AppendJobs(reply->elements[1], /*redelivered=*/true, call->jobs);
  const std::string& next = reply->elements[0].str;
  if (static_cast<int>(call->jobs.size()) >= call->max_jobs || next == "0-0") {
    ReadNew(call);
    return;
  }
  // More of the pending list to look at (XAUTOCLAIM scans a bounded part).
  client_.Execute(ReclaimCommand(*call, next), call->deadline,
                  [this, call](absl::StatusOr<RedisReply> reply) {
                    OnReclaimed(call, std::move(reply));
                  });
}

void NotificationJobQueue::ReadNew(std::shared_ptr<ClaimCall> call) {
  const int wanted = call->max_jobs - static_cast<int>(call->jobs.size());
  if (wanted <= 0) {
    call->done(std::move(call->jobs));
    return;
  }
  client_.Execute({"XREADGROUP", "GROUP", kGroup, call->consumer, "COUNT",
                   absl::StrCat(wanted), "STREAMS", call->key, ">"},
                  call->deadline, [call](absl::StatusOr<RedisReply> reply) {
                    if (absl::Status s = ReplyStatus(reply, kWhat); !s.ok()) {
                      call->done(s);
                      return;
                    }
                    // [[key, [entries]]], or nil when nothing is new.
                    if (!reply->is_nil() && !reply->elements.empty() &&
                        reply->elements[0].elements.size() == 2) {
                      AppendJobs(reply->elements[0].elements[1],
                                 /*redelivered=*/false, call->jobs);
                    }
                    call->done(std::move(call->jobs));
                  });
}

void NotificationJobQueue::Ack(int32_t stock_id, std::vector<std::string> ids,
                               absl::Time deadline, Callback<int64_t> done) {
  if (stock_id < 1) {
    done(absl::InvalidArgumentError("stock_id: must be >= 1"));
    return;
  }
  if (ids.empty() || ids.size() > static_cast<size_t>(kMaxJobsPerCall)) {
    done(absl::InvalidArgumentError(absl::StrCat(
        "ids: 1..", kMaxJobsPerCall, " per call, got ", ids.size())));
    return;
  }
  std::string key = keys_.NotificationJobs(stock_id);
  // Which of the ids are pending: XPENDING <key> <group> <id> <id> 1 each.
  std::vector<std::vector<std::string>> probes;
  probes.reserve(ids.size());
  for (const std::string& id : ids) {
    probes.push_back({"XPENDING", key, kGroup, id, id, "1"});
  }
  client_.ExecutePipeline(
      std::move(probes), deadline,
      [this, key = std::move(key), ids = std::move(ids), deadline,
       done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) mutable {
        if (!replies.ok()) {
          done(ReplyStatus(replies.status(), kWhat));
          return;
        }
        std::vector<std::string> pending;
        for (size_t i = 0; i < replies->size(); ++i) {
          const RedisReply& r = (*replies)[i];
          // NOGROUP: nothing was ever claimed, so nothing is pending.
          if (r.is_error() && absl::StartsWith(r.str, "NOGROUP")) continue;
          if (r.is_error()) {
            done(RedisErrorStatus(r.str, absl::StrCat("ids[", i, "]")));
            return;
          }
          if (!r.elements.empty()) pending.push_back(ids[i]);
        }
        if (pending.empty()) {
          done(int64_t{0});
          return;
        }
        std::vector<std::string> xack = {"XACK", key, kGroup};
        std::vector<std::string> xdel = {"XDEL", key};
        for (const std::string& id : pending) {
          xack.push_back(id);
          xdel.push_back(id);
        }
        client_.ExecutePipeline(
            {{"MULTI"}, std::move(xack), std::move(xdel), {"EXEC"}}, deadline,
            [done = std::move(done)](
                absl::StatusOr<std::vector<RedisReply>> replies) {
              if (!replies.ok()) {
                done(ReplyStatus(replies.status(), kWhat));
                return;
              }
              const RedisReply& exec = replies->back();
              if (exec.is_error()) {
                done(RedisErrorStatus(exec.str, kWhat));
                return;
              }
              if (exec.elements.size() == 2 && exec.elements[0].is_error()) {
                done(RedisErrorStatus(exec.elements[0].str, kWhat));
                return;
              }
              if (exec.elements.size() != 2 ||
                  exec.elements[0].type != RedisReply::Type::kInteger) {
                done(UnexpectedReply("XACK of notification jobs"));
                return;
              }
              done(exec.elements[0].integer);
            });
      });
}

}  // namespace availability::cache
