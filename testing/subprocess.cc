#include "testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace availability::testing {
namespace {

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    std::vector<std::string> argv, std::vector<std::string> env) {
  if (argv.empty()) return absl::InvalidArgumentError("argv: empty");
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "av-proc-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", strerror(errno)));
  }
  auto process = std::unique_ptr<Subprocess>(new Subprocess());
  process->dir_ = dir_template;
  const std::string out_path = process->dir_ + "/stdout";
  const std::string err_path = process->dir_ + "/stderr";

  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  for (std::string& e : env) environment.push_back(std::move(e));
  std::vector<char*> c_env;
  for (std::string& e : environment) c_env.push_back(e.data());
  c_env.push_back(nullptr);
  std::vector<char*> c_argv;
  for (std::string& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0)
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // Own process group, so a test's Ctrl-C does not hit it twice.
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  process->pid_ = pid;
  return process;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

void Subprocess::Signal(int signal_number) {
  if (pid_ > 0 && !exit_code_) kill(pid_, signal_number);
}

std::optional<int> Subprocess::Wait(absl::Duration timeout) {
  if (exit_code_) return exit_code_;
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (absl::Now() >= deadline) return std::nullopt;
    // Polling a child's exit: there is no waitpid with a timeout.
    absl::SleepFor(absl::Milliseconds(5));
  }
}

bool Subprocess::Running() { return !Wait(absl::ZeroDuration()).has_value(); }

std::string Subprocess::Stderr() const { return ReadWhole(dir_ + "/stderr"); }
std::string Subprocess::Stdout() const { return ReadWhole(dir_ + "/stdout"); }

absl::StatusOr<CommandResult> RunCommand(std::vector<std::string> argv,
                                         absl::Duration timeout,
                                         std::vector<std::string> env) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(std::move(argv), std::move(env));
  if (!process.ok()) return process.status();
  std::optional<int> code = (*process)->Wait(timeout);
  if (!code) {
    return absl::DeadlineExceededError("command did not finish in time");
  }
  CommandResult result;
  result.exit_code = *code;
  result.out = (*process)->Stdout();
  result.err = (*process)->Stderr();
  return result;
}

}  // namespace availability::testing
