#include "cache/key_scan.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cache/redis_reply.h"

namespace availability::cache {
namespace {

struct ScanState {
  RedisClient* client = nullptr;
  std::string match;
  std::string count;
  std::string cursor = "0";
  absl::Time deadline;
  ScanChunk chunk;
  ScanStatusCallback done;
};

void ScanStep(std::shared_ptr<ScanState> state) {
  state->client->Execute(
      {"SCAN", state->cursor, "MATCH", state->match, "COUNT", state->count},
      state->deadline, [state](absl::StatusOr<RedisReply> reply) {
        if (absl::Status s = ReplyStatus(reply, "scan"); !s.ok()) {
          state->done(s);
          return;
        }
        if (reply->type != RedisReply::Type::kArray ||
            reply->elements.size() != 2) {
          state->done(UnexpectedReply("scan"));
          return;
        }
        state->cursor = reply->elements[0].str;
        std::vector<std::string> keys;
        for (RedisReply& key : reply->elements[1].elements) {
          keys.push_back(std::move(key.str));
        }
        const bool last = state->cursor == "0";
        ScanStatusCallback next = [state, last](absl::Status s) {
          if (!s.ok() || last) {
            state->done(s);
            return;
          }
          ScanStep(state);
        };
        if (keys.empty()) {
          next(absl::OkStatus());
          return;
        }
        state->chunk(std::move(keys), std::move(next));
      });
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
  ScanStep(std::move(state));
}

}  // namespace availability::cache
