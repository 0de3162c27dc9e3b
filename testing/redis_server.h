// A real redis-server for tests: started on a free loopback port in a fresh
// temporary directory, stopped (and the directory removed) on destruction.
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

#include "absl/status/statusor.h"

namespace availability::testing {

class RedisServer {
 public:
  // Starts redis-server with `extra_args` (e.g. {"--requirepass", "x"}) and
  // waits until it answers PING. Errors: Unavailable when it does not start.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(
      std::vector<std::string> extra_args = {});
  ~RedisServer();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }

  // Runs a command through redis-cli and returns its raw output (for test
  // set-up and assertions only).
  absl::StatusOr<std::string> Cli(const std::vector<std::string>& args) const;

  // SIGSTOP / SIGCONT the server (to test deadlines).
  void Pause();
  void Resume();
  // Stops it and starts it again on the same port and directory.
  absl::Status Restart();

 private:
  RedisServer() = default;
  absl::Status Launch();

  int port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
  std::vector<std::string> extra_args_;
};

// A TCP port on 127.0.0.1 that was free when asked.
int PickFreePort();

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_REDIS_SERVER_H_
