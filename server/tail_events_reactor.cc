#include "server/tail_events_reactor.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cache/record_writer.h"
#include "cache/redis_reply.h"
#include "server/sync_call.h"
#include "server/sync_mapping.h"

namespace availability::server {

namespace v1 = ::availability::v1;

TailEventsReactor::TailEventsReactor(Options options,
                                     cache::RedisClient& client,
                                     std::string events_key,
                                     std::string after_id)
    : options_(options), client_(client), key_(std::move(events_key)) {
  ReactorLock lock(&mu_);
  busy_ = true;
  if (after_id.empty()) {
    ResolveLastId();
  } else {
    after_id_ = std::move(after_id);
    Started();
  }
}

void TailEventsReactor::OnSendInitialMetadataDone(bool ok) {
  ReactorLock lock(&mu_);
  if (!ok) stopping_ = true;
  if (stopping_) {
    StepDone();
    return;
  }
  Poll();
}

void TailEventsReactor::OnWriteDone(bool ok) {
  ReactorLock lock(&mu_);
  if (!ok) stopping_ = true;
  if (stopping_) {
    StepDone();
    return;
  }
  if (!queue_.empty()) {
    WriteNext();
  } else {
    Poll();
  }
}

void TailEventsReactor::OnCancel() {
  ReactorLock lock(&mu_);
  stopping_ = true;
  if (alarm_ != nullptr && alarm_pending_) alarm_->Cancel();
  MaybeFinish();
}

absl::Time TailEventsReactor::ReadDeadline() const {
  return absl::Now() + options_.read_timeout;
}

void TailEventsReactor::ResolveLastId() {
  mu_.Defer([this] {
    client_.Execute(
        {"XREVRANGE", key_, "+", "-", "COUNT", "1"}, ReadDeadline(),
        [this](absl::StatusOr<cache::RedisReply> reply) {
          ReactorLock lock(&mu_);
          if (absl::Status s = cache::ReplyStatus(reply, "events stream");
              !s.ok()) {
            Fail(s);
            return;
          }
          after_id_ = "0-0";
          if (!reply->elements.empty() &&
              !reply->elements[0].elements.empty()) {
            after_id_ = reply->elements[0].elements[0].str;
          }
          if (stopping_) {
            StepDone();
            return;
          }
          Started();
        });
  });
}

void TailEventsReactor::Started() {
  mu_.Defer([this] { StartSendInitialMetadata(); });
}

void TailEventsReactor::Poll() {
  const std::string after = after_id_;
  mu_.Defer([this, after] {
    client_.Execute({"XREAD", "COUNT", absl::StrCat(options_.batch), "STREAMS",
                     key_, after},
                    ReadDeadline(),
                    [this](absl::StatusOr<cache::RedisReply> reply) {
                      ReactorLock lock(&mu_);
                      OnPolled(std::move(reply));
                    });
  });
}

void TailEventsReactor::OnPolled(absl::StatusOr<cache::RedisReply> reply) {
  if (absl::Status s = cache::ReplyStatus(reply, "events stream"); !s.ok()) {
    Fail(s);
    return;
  }
  if (stopping_) {
    StepDone();
    return;
  }
  // [[key, [entry, ...]]] or nil when nothing is new.
  if (!reply->is_nil() && !reply->elements.empty() &&
      reply->elements[0].elements.size() == 2) {
    for (const cache::RedisReply& entry :
         reply->elements[0].elements[1].elements) {
      absl::StatusOr<cache::TransitionEvent> e =
          cache::ParseTransitionEvent(entry);
      if (!entry.elements.empty()) after_id_ = entry.elements[0].str;
      if (!e.ok()) continue;  // Not ours to announce; skip it.
      v1::InventoryEvent event;
      EventToApi(*e, &event);
      queue_.push_back(std::move(event));
    }
  }
  if (!queue_.empty()) {
    WriteNext();
    return;
  }
  WaitAndPoll();
}

void TailEventsReactor::WaitAndPoll() {
  alarm_ = std::make_unique<grpc::Alarm>();
  alarm_pending_ = true;
  grpc::Alarm* alarm = alarm_.get();
  const auto when = std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(options_.poll_interval);
  mu_.Defer([this, alarm, when] {
    alarm->Set(when, [this](bool fired) {
      ReactorLock lock(&mu_);
      alarm_pending_ = false;
      if (!fired || stopping_) {
        StepDone();
        return;
      }
      Poll();
    });
  });
}

void TailEventsReactor::WriteNext() {
  current_ = std::move(queue_.front());
  queue_.pop_front();
  mu_.Defer([this] { StartWrite(&current_); });
}

void TailEventsReactor::StepDone() {
  busy_ = false;
  MaybeFinish();
}

void TailEventsReactor::Fail(const absl::Status& status) {
  if (!stopping_) {
    final_status_ = CacheError(
        status, absl::StrCat("reading events (resume with after_id = \"",
                             after_id_, "\")"));
  }
  stopping_ = true;
  StepDone();
}

void TailEventsReactor::MaybeFinish() {
  if (finished_ || busy_ || !stopping_) return;
  finished_ = true;
  grpc::Status status = final_status_;
  // After the lock is released: OnDone may delete `this` at once.
  mu_.Defer([this, status] { Finish(status); });
}

}  // namespace availability::server
