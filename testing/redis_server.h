// A real redis-server for tests: started on a free loopback port in a fresh
// temporary directory, stopped (and the directory removed) on destruction.
// It also listens on the Unix socket unix_socket() (mode 700), persists
// nothing, and logs to dir()/redis.log. The child dies with the thread that
// started it (PR_SET_PDEATHSIG), so a crashed test leaves no server behind.
//
//   auto redis = testing::RedisServer::Start();
//   ASSERT_TRUE(redis.ok()) << redis.status();
//   options.port = (*redis)->port();
//
// Not thread-safe; owned by one test.
#ifndef AVAILABILITY_TESTING_REDIS_SERVER_H_
#define AVAILABILITY_TESTING_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "testing/subprocess.h"

namespace availability::testing {

class RedisServer {
 public:
  // Starts /usr/bin/redis-server (or $REDIS_SERVER) with `extra_args` (e.g.
  // {"--requirepass", "x"}) and waits up to 10 s until it answers PING.
  // Errors: Unavailable when it does not start (the log's tail is in the
  // message), Internal when no temporary directory can be made.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(
      std::vector<std::string> extra_args = {});
  ~RedisServer();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string unix_socket() const { return dir_ + "/redis.sock"; }

  // Runs a command through redis-cli (-h 127.0.0.1 -p port; with the
  // --requirepass of extra_args, if any, as the password) and returns its
  // raw stdout, e.g. "OK\n". For test set-up and assertions only. Errors:
  // Internal when redis-cli cannot run or exits non-zero.
  absl::StatusOr<std::string> Cli(const std::vector<std::string>& args) const;

  // SIGSTOP / SIGCONT the server (to test deadlines).
  void Pause();
  void Resume();
  // Kills the server (SIGKILL) and reaps it; the port and directory stay.
  void Kill();
  // Kills it if running and starts it again on the same port and directory.
  absl::Status Restart();

 private:
  RedisServer() = default;
  absl::Status Launch();
  absl::Status WaitUntilReady(absl::Duration timeout);

  int port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
  std::vector<std::string> extra_args_;
};

// Runs one command through redis-cli against 127.0.0.1:`port` (any Redis,
// sentinels included; `password` through the environment, never argv) and
// returns its raw stdout. Errors: Internal when redis-cli cannot run or
// exits non-zero.
absl::StatusOr<std::string> RedisCli(int port,
                                     const std::vector<std::string>& args,
                                     const std::string& password = "");

// Starts a redis-sentinel on 127.0.0.1:`port` monitoring the primary on
// 127.0.0.1:`primary_port` as `master` (quorum 2, down after 1 s, failover
// timeout 5 s); its configuration (which it rewrites) and log go to `dir`.
// Errors: Internal when it cannot be spawned.
absl::StatusOr<std::unique_ptr<Subprocess>> StartRedisSentinel(
    const std::string& dir, int port, const std::string& master,
    int primary_port);

// A TCP port on 127.0.0.1 that was free when asked, chosen at random below
// the kernel's ephemeral range so that no outgoing connection takes it
// before the caller binds it.
int PickFreePort();

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_REDIS_SERVER_H_
