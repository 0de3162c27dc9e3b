// An asynchronous Redis client: hiredis 0.14's async API on a dedicated
// libevent loop thread, with per-command deadlines, reconnect with backoff,
// AUTH (password or ACL user + password), SELECT, TCP or Unix socket.
//
//   auto client = RedisClient::Start(options);
//   client->Execute({"GET", "k"}, absl::Now() + absl::Milliseconds(50),
//                   [](absl::StatusOr<RedisReply> r) { ... });
//
// Thread safety: every method may be called from any thread. Commands from
// concurrent callers are queued to the loop thread and pipelined on one
// connection. Callbacks run on the loop thread and must not block; each is
// called exactly once: with the reply, with DeadlineExceeded at the deadline
// (the reply, if it comes later, is dropped), with Unavailable when the
// connection is down or lost, or with Cancelled when the client stops.
//
// Connection: commands are sent only on an established, authenticated
// connection (AUTH, SELECT and a PING done); before that and between
// reconnect attempts they fail at once with Unavailable, so a dead Redis
// costs callers no waiting. A lost connection fails its in-flight commands
// with Unavailable and is retried with exponential backoff
// (reconnect_min_backoff doubling up to reconnect_max_backoff); connect and
// handshake together are bounded by connect_timeout.
#ifndef AVAILABILITY_CACHE_REDIS_CLIENT_H_
#define AVAILABILITY_CACHE_REDIS_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace availability::cache {

// A TCP address of a Redis node, as found by a resolver (e.g. Sentinel).
struct RedisEndpoint {
  std::string host;
  int port = 0;
};

struct RedisOptions {
  // TCP host and port; ignored when unix_socket is set.
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;
  // ACL user (empty: the default user) and password (empty: no AUTH).
  // Never logged.
  std::string user;
  std::string password;
  int database = 0;
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration reconnect_min_backoff = absl::Milliseconds(50);
  // Small on purpose: Redis coming back (a restart, a SIGCONT, a failover)
  // is noticed within this long, and an attempt costs one connect. The
  // fault test asks for full recovery within 2 s of Redis answering.
  absl::Duration reconnect_max_backoff = absl::Milliseconds(500);
  // Optional (e.g. cache/sentinel.h): called on the loop thread before every
  // connect attempt; its endpoint replaces host/port for that attempt, and an
  // error counts as a failed attempt (retried with backoff). It may block
  // briefly (bounded by its own timeouts), never indefinitely. With it, a
  // READONLY or LOADING error reply also drops the connection, so the next
  // attempt re-resolves (the node was demoted or is reloading).
  std::function<absl::StatusOr<RedisEndpoint>()> resolve_endpoint;
};

// An owned copy of a hiredis reply.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  // kString, kStatus, kError.
  std::string str;
  // kInteger.
  int64_t integer = 0;
  // kArray.
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
};

class RedisClient {
 public:
  using Callback = std::function<void(absl::StatusOr<RedisReply>)>;
  using PipelineCallback =
      std::function<void(absl::StatusOr<std::vector<RedisReply>>)>;

  // Starts the loop thread and begins connecting (does not wait for the
  // connection). Errors: InvalidArgument for unusable options.
  static absl::StatusOr<std::unique_ptr<RedisClient>> Start(
      RedisOptions options);

  // Stops the loop (Stop()) if it still runs.
  virtual ~RedisClient() = default;

  // Stops the loop: pending callbacks get Cancelled on the loop thread
  // before it exits; commands sent later fail at once, on the caller's
  // thread, with Cancelled. Blocks until the loop thread has exited, so no
  // callback runs after it returns: an owner stops the client while the
  // objects its callbacks use are still alive. Idempotent; never call from
  // a callback.
  virtual void Stop() = 0;

  // Sends one command. A Redis error reply is delivered as a RedisReply of
  // type kError (not as a failed status).
  virtual void Execute(std::vector<std::string> argv, absl::Time deadline,
                       Callback done) = 0;

  // Sends several commands back to back (one round trip); `done` gets all
  // replies in order, or one error status for the whole pipeline.
  virtual void ExecutePipeline(std::vector<std::vector<std::string>> commands,
                               absl::Time deadline, PipelineCallback done) = 0;

  // True while a connection is established and authenticated.
  virtual bool IsConnected() const = 0;

  // Called on the loop thread with true each time a connection becomes ready
  // (handshake done) and with false each time a ready connection is lost.
  // Per-connection state (e.g. CLIENT TRACKING for a near-cache) is set up
  // from here: the observer may call Execute, which is queued behind the
  // wake-up like any other command; it must not block. Replaces any earlier
  // observer; null removes it. A connection already ready when the observer
  // is set is not reported: check IsConnected() afterwards.
  using ConnectionObserver = std::function<void(bool connected)>;
  virtual void SetConnectionObserver(ConnectionObserver observer) = 0;

  // Blocks until connected or `timeout` passes: for start-up and tests only,
  // never on a gRPC reaction or a callback. Returns OK when connected, else
  // Unavailable with the last connection error (no password in it).
  virtual absl::Status WaitUntilConnected(absl::Duration timeout) = 0;
};

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_REDIS_CLIENT_H_
