#include "cache/sentinel.h"

#include <sys/time.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "hiredis/hiredis.h"

namespace availability::cache {
namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

std::string Name(const RedisEndpoint& e) {
  return absl::StrContains(e.host, ':')
             ? absl::StrCat("[", e.host, "]:", e.port)
             : absl::StrCat(e.host, ":", e.port);
}

ReplyPtr Command(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(redisCommandArgv(
      c, static_cast<int>(args.size()), args.data(), lens.data())));
}

// The reply of `argv` from one sentinel (after AUTH when a password is set);
// Unavailable with the reason otherwise. The password never appears.
absl::StatusOr<ReplyPtr> AskOne(const SentinelOptions& options,
                                const RedisEndpoint& sentinel,
                                const std::vector<std::string>& argv) {
  const timeval tv = absl::ToTimeval(options.timeout);
  ContextPtr c(
      redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, tv));
  if (c == nullptr) return absl::UnavailableError("cannot allocate");
  if (c->err != 0) return absl::UnavailableError(c->errstr);
  if (redisSetTimeout(c.get(), tv) != REDIS_OK) {
    return absl::UnavailableError("cannot set the timeout");
  }
  if (!options.password.empty()) {
    ReplyPtr auth = Command(c.get(), {"AUTH", options.password});
    if (auth == nullptr) return absl::UnavailableError(c->errstr);
    if (auth->type == REDIS_REPLY_ERROR) {
      // The reply names no password; keep it short anyway.
      return absl::UnavailableError("AUTH rejected");
    }
  }
  ReplyPtr reply = Command(c.get(), argv);
  if (reply == nullptr) return absl::UnavailableError(c->errstr);
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::UnavailableError(std::string(reply->str, reply->len));
  }
  return reply;
}

// Tries the sentinels in order until `parse` accepts a reply. `parse`
// returns NotFound for "this sentinel does not know the master" (the next
// one is tried).
template <typename T, typename Parse>
absl::StatusOr<T> AskSentinels(const SentinelOptions& options,
                               const std::vector<std::string>& argv,
                               Parse parse) {
  std::vector<std::string> errors;
  bool not_found = false;
  for (const RedisEndpoint& sentinel : options.sentinels) {
    absl::StatusOr<ReplyPtr> reply = AskOne(options, sentinel, argv);
    absl::StatusOr<T> parsed =
        reply.ok() ? parse(**reply) : absl::StatusOr<T>(reply.status());
    if (parsed.ok()) return parsed;
    not_found = not_found || absl::IsNotFound(parsed.status());
    errors.push_back(
        absl::StrCat(Name(sentinel), ": ", parsed.status().message()));
  }
  std::string message =
      absl::StrCat("sentinel: no answer for master '", options.master_name,
                   "' (", absl::StrJoin(errors, "; "), ")");
  return not_found ? absl::NotFoundError(message)
                   : absl::UnavailableError(message);
}

absl::StatusOr<RedisEndpoint> ParseAddress(const redisReply& r) {
  if (r.type == REDIS_REPLY_NIL) {
    return absl::NotFoundError("unknown master name");
  }
  if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 ||
      r.element[0]->type != REDIS_REPLY_STRING ||
      r.element[1]->type != REDIS_REPLY_STRING) {
    return absl::UnavailableError("unexpected reply");
  }
  RedisEndpoint e;
  e.host.assign(r.element[0]->str, r.element[0]->len);
  if (!absl::SimpleAtoi(absl::string_view(r.element[1]->str, r.element[1]->len),
                        &e.port)) {
    return absl::UnavailableError("bad port in reply");
  }
  return e;
}

absl::StatusOr<std::vector<RedisEndpoint>> ParseReplicas(const redisReply& r) {
  if (r.type != REDIS_REPLY_ARRAY) {
    return absl::UnavailableError("unexpected reply");
  }
  // Linked replicas first; then those up but cut off from the primary
  // (they still serve reads, stale, e.g. while the primary is down).
  std::vector<RedisEndpoint> healthy;
  std::vector<RedisEndpoint> unlinked;
  for (size_t i = 0; i < r.elements; ++i) {
    const redisReply& fields = *r.element[i];
    if (fields.type != REDIS_REPLY_ARRAY) continue;
    std::string ip, port, flags, link;
    for (size_t f = 0; f + 1 < fields.elements; f += 2) {
      const redisReply& k = *fields.element[f];
      const redisReply& v = *fields.element[f + 1];
      if (k.type != REDIS_REPLY_STRING || v.type != REDIS_REPLY_STRING) {
        continue;
      }
      const absl::string_view key(k.str, k.len);
      std::string value(v.str, v.len);
      if (key == "ip") ip = std::move(value);
      if (key == "port") port = std::move(value);
      if (key == "flags") flags = std::move(value);
      if (key == "master-link-status") link = std::move(value);
    }
    RedisEndpoint e;
    e.host = ip;
    if (ip.empty() || !absl::SimpleAtoi(port, &e.port)) continue;
    if (absl::StrContains(flags, "s_down") ||
        absl::StrContains(flags, "o_down") ||
        absl::StrContains(flags, "disconnected")) {
      continue;
    }
    (link == "ok" ? healthy : unlinked).push_back(std::move(e));
  }
  return healthy.empty() ? unlinked : healthy;
}

}  // namespace

absl::StatusOr<std::vector<RedisEndpoint>> ParseRedisEndpoints(
    absl::string_view list) {
  std::vector<RedisEndpoint> out;
  for (absl::string_view entry :
       absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    RedisEndpoint e;
    absl::string_view port;
    if (absl::ConsumePrefix(&entry, "[")) {
      const size_t close = entry.find("]:");
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad address '[", entry, "': want [host]:port"));
      }
      e.host = std::string(entry.substr(0, close));
      port = entry.substr(close + 2);
    } else {
      const size_t colon = entry.rfind(':');
      if (colon == absl::string_view::npos || colon == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad address '", entry, "': want host:port"));
      }
      e.host = std::string(entry.substr(0, colon));
      port = entry.substr(colon + 1);
    }
    if (!absl::SimpleAtoi(port, &e.port) || e.port <= 0 || e.port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad port in '", entry, "'"));
    }
    out.push_back(std::move(e));
  }
  if (out.empty()) return absl::InvalidArgumentError("no address given");
  return out;
}

SentinelResolver::SentinelResolver(SentinelOptions options)
    : options_(std::move(options)) {}

absl::Status SentinelResolver::Validate(const SentinelOptions& options) {
  if (options.sentinels.empty()) {
    return absl::InvalidArgumentError("sentinel: no sentinel address");
  }
  if (options.master_name.empty()) {
    return absl::InvalidArgumentError("sentinel: no master name");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("sentinel: timeout must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<RedisEndpoint> SentinelResolver::Primary() const {
  return AskSentinels<RedisEndpoint>(
      options_, {"SENTINEL", "get-master-addr-by-name", options_.master_name},
      ParseAddress);
}

absl::StatusOr<std::vector<RedisEndpoint>> SentinelResolver::Replicas() const {
  return AskSentinels<std::vector<RedisEndpoint>>(
      options_, {"SENTINEL", "replicas", options_.master_name}, ParseReplicas);
}

absl::StatusOr<RedisEndpoint> SentinelResolver::Resolve(Role role,
                                                        size_t seed) const {
  if (role == Role::kReplica) {
    absl::StatusOr<std::vector<RedisEndpoint>> replicas = Replicas();
    if (replicas.ok() && !replicas->empty()) {
      return (*replicas)[seed % replicas->size()];
    }
  }
  return Primary();
}

std::function<absl::StatusOr<RedisEndpoint>()> SentinelResolver::Resolver(
    Role role, size_t seed) const {
  return
      [resolver = *this, role, seed] { return resolver.Resolve(role, seed); };
}

}  // namespace availability::cache
