#include "cache/key_scan.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cache/redis_reply.h"

namespace availability::cache {
namespace {

struct ScanState {
  RedisClient* client = nullptr;
  std::string match;
  std::string count;
  absl::Time deadline;
  ScanChunk chunk;
  ScanStatusCallback done;

  absl::Mutex mu;
  // The next step's reply, when it came before the chunk was through.
  std::optional<absl::StatusOr<RedisReply>> ready ABSL_GUARDED_BY(mu);
  // The chunk is through (or the walk starts) and waits for the next
  // step's reply.
  bool waiting ABSL_GUARDED_BY(mu) = true;
};

void Deliver(std::shared_ptr<ScanState> state,
             absl::StatusOr<RedisReply> reply);

// Sends the SCAN step at `cursor`; its reply is delivered once the previous
// step's chunk is through (at once when it already is).
void Step(std::shared_ptr<ScanState> state, const std::string& cursor) {
  state->client->Execute(
      {"SCAN", cursor, "MATCH", state->match, "COUNT", state->count},
      state->deadline, [state](absl::StatusOr<RedisReply> reply) {
        {
          absl::MutexLock lock(&state->mu);
          if (!state->waiting) {
            state->ready = std::move(reply);
            return;
          }
          state->waiting = false;
        }
        Deliver(state, std::move(reply));
      });
}

// The chunk is through: the next step's reply, now or when it comes.
void Advance(std::shared_ptr<ScanState> state) {
  absl::StatusOr<RedisReply> reply;
  {
    absl::MutexLock lock(&state->mu);
    if (!state->ready.has_value()) {
      state->waiting = true;
      return;
    }
    reply = std::move(*state->ready);
    state->ready.reset();
  }
  Deliver(state, std::move(reply));
}

void Deliver(std::shared_ptr<ScanState> state,
             absl::StatusOr<RedisReply> reply) {
  if (absl::Status s = ReplyStatus(reply, "scan"); !s.ok()) {
    state->done(s);
    return;
  }
  if (reply->type != RedisReply::Type::kArray || reply->elements.size() != 2) {
    state->done(UnexpectedReply("scan"));
    return;
  }
  const bool last = reply->elements[0].str == "0";
  // The next step goes out now, so that Redis walks on while the chunk's
  // keys are handled (SCAN's guarantees hold while the keyspace changes).
  if (!last) Step(state, reply->elements[0].str);
  std::vector<std::string> keys;
  for (RedisReply& key : reply->elements[1].elements) {
    keys.push_back(std::move(key.str));
  }
  ScanStatusCallback next = [state, last](absl::Status s) {
    if (!s.ok() || last) {
      state->done(s);
      return;
    }
    Advance(state);
  };
  if (keys.empty()) {
    next(absl::OkStatus());
    return;
  }
  state->chunk(std::move(keys), std::move(next));
}

}  // namespace

std::string GlobEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

void ScanKeys(RedisClient& client, std::string match, int count,
              absl::Time deadline, ScanChunk chunk, ScanStatusCallback done) {
  auto state = std::make_shared<ScanState>();
  state->client = &client;
  state->match = std::move(match);
  state->count = absl::StrCat(std::max(count, 1));
  state->deadline = deadline;
  state->chunk = std::move(chunk);
  state->done = std::move(done);
  Step(std::move(state), "0");
}

}  // namespace availability::cache
