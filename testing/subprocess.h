// A child process for end-to-end tests: started with argv and extra
// environment, its stderr captured to a file in a temporary directory,
// signalled, waited for, and killed on destruction.
//
//   auto server = Subprocess::Start({binary, "--listen=127.0.0.1:0"});
//   ...
//   (*server)->Signal(SIGTERM);
//   EXPECT_EQ((*server)->Wait(absl::Seconds(10)), 0);
//
// Not thread-safe; owned by one test.
#ifndef AVAILABILITY_TESTING_SUBPROCESS_H_
#define AVAILABILITY_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace availability::testing {

class Subprocess {
 public:
  // `env` entries are "NAME=value", added to the parent's environment.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      std::vector<std::string> argv, std::vector<std::string> env = {});
  ~Subprocess();  // SIGKILL and reap if still running

  pid_t pid() const { return pid_; }
  void Signal(int signal_number);

  // Exit code (128 + signal when killed by one), or nullopt when it did not
  // exit within `timeout`.
  std::optional<int> Wait(absl::Duration timeout);

  // True while the process has not exited.
  bool Running();

  // Everything written to stderr so far.
  std::string Stderr() const;
  // Everything written to stdout so far.
  std::string Stdout() const;

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string dir_;
};

// Runs a command to completion (bounded by `timeout`), returning its exit
// code with stdout and stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
absl::StatusOr<CommandResult> RunCommand(std::vector<std::string> argv,
                                         absl::Duration timeout,
                                         std::vector<std::string> env = {});

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_SUBPROCESS_H_
