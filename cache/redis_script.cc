#include "cache/redis_script.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cache/script_sha1.h"

namespace availability::cache {
namespace {

// `command` `script` then the call's arguments.
std::vector<std::string> Command(const char* command, const std::string& script,
                                 const std::vector<std::string>& call) {
  std::vector<std::string> cmd;
  cmd.reserve(call.size() + 2);
  cmd.push_back(command);
  cmd.push_back(script);
  cmd.insert(cmd.end(), call.begin(), call.end());
  return cmd;
}

}  // namespace

std::string LuaWithConstants(
    absl::string_view source,
    std::initializer_list<std::pair<absl::string_view, int>> constants,
    absl::string_view prelude) {
  absl::string_view shebang;
  if (absl::StartsWith(source, "#!")) {
    const size_t end = source.find('\n');
    shebang = source.substr(
        0, end == absl::string_view::npos ? source.size() : end + 1);
    source.remove_prefix(shebang.size());
  }
  std::string out(shebang);
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  for (const auto& [name, value] : constants) {
    absl::StrAppend(&out, "local ", name, " = ", value, "\n");
  }
  absl::StrAppend(&out, prelude, source);
  return out;
}

RedisScript::RedisScript(std::string body)
    : body_(std::move(body)), sha1_(ScriptSha1(body_)) {}

void RedisScript::Run(RedisClient& client,
                      std::vector<std::vector<std::string>> calls,
                      bool read_only, absl::Time deadline,
                      RedisClient::PipelineCallback done) const {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const auto& call : calls) {
    commands.push_back(
        Command(read_only ? "EVALSHA_RO" : "EVALSHA", sha1_, call));
  }
  client.ExecutePipeline(
      std::move(commands), deadline,
      [this, &client, calls = std::move(calls), read_only, deadline,
       done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) mutable {
        if (!replies.ok()) {
          done(std::move(replies));
          return;
        }
        std::vector<size_t> missing;
        std::vector<std::vector<std::string>> retry;
        for (size_t i = 0; i < replies->size(); ++i) {
          const RedisReply& r = (*replies)[i];
          if (r.is_error() && absl::StartsWith(r.str, "NOSCRIPT")) {
            missing.push_back(i);
            retry.push_back(
                Command(read_only ? "EVAL_RO" : "EVAL", body_, calls[i]));
          }
        }
        if (missing.empty()) {
          done(std::move(replies));
          return;
        }
        client.ExecutePipeline(
            std::move(retry), deadline,
            [replies = std::move(*replies), missing = std::move(missing),
             done = std::move(done)](
                absl::StatusOr<std::vector<RedisReply>> again) mutable {
              if (!again.ok()) {
                done(again.status());
                return;
              }
              for (size_t k = 0; k < missing.size(); ++k) {
                replies[missing[k]] = std::move((*again)[k]);
              }
              done(std::move(replies));
            });
      });
}

}  // namespace availability::cache
