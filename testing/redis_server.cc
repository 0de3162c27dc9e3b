#include "testing/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

extern char** environ;

namespace availability::testing {
namespace {

std::string RedisServerBinary() {
  const char* env = getenv("REDIS_SERVER");
  return env != nullptr && *env != '\0' ? env : "/usr/bin/redis-server";
}

std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string log = buffer.str();
  if (log.size() > 600) log = log.substr(log.size() - 600);
  return log;
}

// One PING over a fresh TCP connection. True when the server answers with
// anything but -LOADING (a -NOAUTH also means it is up).
bool Pings(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{0, 200 * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool up = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    static constexpr char kPing[] = "PING\r\n";
    if (send(fd, kPing, sizeof(kPing) - 1, MSG_NOSIGNAL) ==
        static_cast<ssize_t>(sizeof(kPing) - 1)) {
      char buf[64];
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      up =
          n > 0 && (buf[0] == '+' ||
                    (buf[0] == '-' &&
                     !absl::StartsWith(absl::string_view(buf, n), "-LOADING")));
    }
  }
  close(fd);
  return up;
}

std::string PasswordOf(const std::vector<std::string>& args) {
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--requirepass") return args[i + 1];
  }
  return "";
}

}  // namespace

namespace {

// Binds 127.0.0.1:`port` (0: any) and returns the port bound, or 0.
int BindLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int bound = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

// The first port of the kernel's ephemeral range (the source ports of
// outgoing connections), 32768 when it cannot be read.
int EphemeralRangeStart() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 0;
  int hi = 0;
  if (in >> lo >> hi && lo > 0) return lo;
  return 32768;
}

}  // namespace

int PickFreePort() {
  // A port the kernel hands out for port 0 comes from the ephemeral range,
  // where every outgoing connection of every test running in parallel also
  // takes its source port: between this check and the server's bind such a
  // connection may take it (seen as "cannot listen" under TSan). Below that
  // range only another test's random pick can collide.
  constexpr int kLowest = 10000;
  static const int range_start = EphemeralRangeStart();
  if (range_start - kLowest >= 1000) {
    thread_local std::mt19937 random(std::random_device{}() ^
                                     static_cast<unsigned>(getpid()));
    std::uniform_int_distribution<int> pick(kLowest, range_start - 1);
    for (int attempt = 0; attempt < 64; ++attempt) {
      if (const int port = BindLoopback(pick(random)); port != 0) return port;
    }
  }
  return BindLoopback(0);
}

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    std::vector<std::string> extra_args) {
  std::unique_ptr<RedisServer> server(new RedisServer());
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "av-redis-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  server->dir_ = dir_template;
  server->extra_args_ = std::move(extra_args);
  absl::Status last;
  // The free port can be taken between PickFreePort and the bind: retry.
  for (int attempt = 0; attempt < 3; ++attempt) {
    server->port_ = PickFreePort();
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

RedisServer::~RedisServer() {
  Kill();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

absl::Status RedisServer::Launch() {
  const std::string binary = RedisServerBinary();
  std::vector<std::string> args = {binary,
                                   "--port",
                                   absl::StrCat(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--unixsocket",
                                   unix_socket(),
                                   "--unixsocketperm",
                                   "700",
                                   "--logfile",
                                   dir_ + "/redis.log"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  absl::Status ready = WaitUntilReady(absl::Seconds(10));
  if (!ready.ok()) Kill();
  return ready;
}

absl::Status RedisServer::WaitUntilReady(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("redis-server on port ", port_,
                       " exited: ", LogTail(dir_ + "/redis.log")));
    }
    if (Pings(port_)) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(5));  // polling a child process
  }
  return absl::UnavailableError(absl::StrCat(
      "redis-server on port ", port_, " did not answer PING in ",
      absl::FormatDuration(timeout), ": ", LogTail(dir_ + "/redis.log")));
}

absl::StatusOr<std::string> RedisServer::Cli(
    const std::vector<std::string>& args) const {
  return RedisCli(port_, args, PasswordOf(extra_args_));
}

absl::StatusOr<std::string> RedisCli(int port,
                                     const std::vector<std::string>& args,
                                     const std::string& password) {
  std::vector<std::string> all = {"/usr/bin/redis-cli", "-h", "127.0.0.1", "-p",
                                  absl::StrCat(port)};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The password goes through the environment: no warning, not in argv.
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "REDISCLI_AUTH=")) env_storage.push_back(*e);
  }
  if (!password.empty()) env_storage.push_back("REDISCLI_AUTH=" + password);
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  pid_t pid;
  const int rc =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return absl::InternalError(absl::StrCat("redis-cli: ", std::strerror(rc)));
  }
  std::string output;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(out[0], buf, sizeof(buf));
    if (n > 0) {
      output.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("redis-cli failed (status ", status, "): ", output));
  }
  return output;
}

absl::StatusOr<std::unique_ptr<Subprocess>> StartRedisSentinel(
    const std::string& dir, int port, const std::string& master,
    int primary_port) {
  const std::string conf = absl::StrCat(dir, "/sentinel-", port, ".conf");
  std::ofstream(conf) << absl::StrFormat(
      "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"
      "logfile %s/sentinel-%d.log\n"
      "sentinel monitor %s 127.0.0.1 %d 2\n"
      "sentinel down-after-milliseconds %s 1000\n"
      "sentinel failover-timeout %s 5000\n",
      port, dir, dir, port, master, primary_port, master, master);
  if (std::filesystem::exists("/usr/bin/redis-sentinel")) {
    return Subprocess::Start({"/usr/bin/redis-sentinel", conf});
  }
  return Subprocess::Start({RedisServerBinary(), conf, "--sentinel"});
}

void RedisServer::Pause() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void RedisServer::Resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

absl::Status RedisServer::Restart() {
  Kill();
  return Launch();
}

}  // namespace availability::testing
