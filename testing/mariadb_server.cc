#include "testing/mariadb_server.h"

#include <fcntl.h>
#include <mysql.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "testing/redis_server.h"

namespace availability::testing {
namespace {

std::string MariadbdBinary() {
  const char* env = getenv("MARIADBD");
  return env != nullptr && *env != '\0' ? env : "/usr/sbin/mariadbd";
}

std::string FileTail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > 1200) text = text.substr(text.size() - 1200);
  return text;
}

// fork + exec with stdout/stderr to `log`; the child gets SIGKILL when the
// starting thread ends. Returns the pid or -1.
pid_t Spawn(std::vector<std::string> args, const std::string& log) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (out >= 0) {
    dup2(out, 1);
    dup2(out, 2);
  }
  execv(argv[0], argv.data());
  _exit(127);
}

class RootConnection {
 public:
  ~RootConnection() {
    if (mysql_ != nullptr) mysql_close(mysql_);
  }
  absl::Status Open(const std::string& socket, absl::string_view database) {
    mysql_ = mysql_init(nullptr);
    if (mysql_ == nullptr) return absl::InternalError("mysql_init");
    const unsigned int timeout = 5;
    mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const std::string db(database);
    if (mysql_real_connect(mysql_, "localhost", "root", "",
                           db.empty() ? nullptr : db.c_str(), 0, socket.c_str(),
                           CLIENT_MULTI_STATEMENTS) == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("connect to ", socket, ": ", mysql_error(mysql_)));
    }
    return absl::OkStatus();
  }
  // Runs every statement; the first row's first column of the first result
  // set goes to `value` when not null.
  absl::Status Run(absl::string_view sql, std::string* value) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      return absl::InternalError(absl::StrCat("query: ", mysql_error(mysql_)));
    }
    bool first = true;
    while (true) {
      MYSQL_RES* result = mysql_store_result(mysql_);
      if (result != nullptr) {
        MYSQL_ROW row = mysql_fetch_row(result);
        if (first && value != nullptr && row != nullptr && row[0] != nullptr) {
          *value = row[0];
        }
        first = false;
        mysql_free_result(result);
      } else if (mysql_field_count(mysql_) != 0) {
        return absl::InternalError(
            absl::StrCat("result: ", mysql_error(mysql_)));
      }
      const int next = mysql_next_result(mysql_);
      if (next == -1) break;
      if (next > 0) {
        return absl::InternalError(
            absl::StrCat("statement: ", mysql_error(mysql_)));
      }
    }
    return absl::OkStatus();
  }

 private:
  MYSQL* mysql_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MariadbServer>> MariadbServer::Start() {
  return Start(Options());
}

absl::StatusOr<std::unique_ptr<MariadbServer>> MariadbServer::Start(
    Options options) {
  std::unique_ptr<MariadbServer> server(new MariadbServer());
  server->options_ = options;
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "av-mariadb-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  server->dir_ = dir_template;
  // mariadb-install-db now and then fails on a loaded machine (two suites
  // installing at once under ctest -j2); a fresh data directory is enough.
  absl::Status installed;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::error_code ignored;
    std::filesystem::remove_all(server->dir_ + "/data", ignored);
    installed = server->Install();
    if (installed.ok()) break;
  }
  if (!installed.ok()) return installed;
  absl::Status last;
  // The free port can be taken between PickFreePort and the bind: retry.
  for (int attempt = 0; attempt < 3; ++attempt) {
    server->port_ = PickFreePort();
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

MariadbServer::~MariadbServer() {
  Kill();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

absl::Status MariadbServer::Install() {
  const std::string log = dir_ + "/install.log";
  const pid_t pid =
      Spawn({"/usr/bin/mariadb-install-db", "--no-defaults",
             absl::StrCat("--datadir=", dir_, "/data"), "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db",
             "--skip-name-resolve"},
            log);
  if (pid < 0) {
    return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::UnavailableError(
        absl::StrCat("mariadb-install-db failed: ", FileTail(log)));
  }
  return absl::OkStatus();
}

absl::Status MariadbServer::Launch() {
  std::vector<std::string> args = {
      MariadbdBinary(),
      "--no-defaults",
      absl::StrCat("--datadir=", dir_, "/data"),
      absl::StrCat("--socket=", socket()),
      absl::StrCat("--port=", port_),
      "--bind-address=127.0.0.1",
      absl::StrCat("--pid-file=", dir_, "/mysqld.pid"),
      absl::StrCat("--tmpdir=", dir_),
      "--user=root",
      "--skip-name-resolve",
      "--performance-schema=OFF",
      absl::StrCat("--innodb-buffer-pool-size=", options_.buffer_pool_mb, "M"),
      "--innodb-log-file-size=32M",
      "--innodb-flush-log-at-trx-commit=2",
      "--max-connections=100",
      "--character-set-server=utf8mb4"};
  if (options_.log_bin) {
    args.insert(args.end(), {absl::StrCat("--log-bin=", dir_, "/data/binlog"),
                             "--binlog-format=ROW", "--binlog-row-image=FULL",
                             "--server-id=1"});
  } else {
    args.push_back("--skip-log-bin");
  }
  pid_ = Spawn(std::move(args), dir_ + "/error.log");
  if (pid_ < 0) {
    return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  absl::Status ready = WaitUntilReady(absl::Seconds(60));
  if (!ready.ok()) Kill();
  return ready;
}

absl::Status MariadbServer::WaitUntilReady(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("mariadbd on port ", port_,
                       " exited: ", FileTail(dir_ + "/error.log")));
    }
    RootConnection conn;
    if (conn.Open(socket(), "").ok() && conn.Run("SELECT 1", nullptr).ok()) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(20));  // polling a child process
  }
  return absl::UnavailableError(absl::StrCat(
      "mariadbd on port ", port_, " not ready in ",
      absl::FormatDuration(timeout), ": ", FileTail(dir_ + "/error.log")));
}

absl::Status MariadbServer::Execute(absl::string_view sql,
                                    absl::string_view database) const {
  RootConnection conn;
  if (absl::Status s = conn.Open(socket(), database); !s.ok()) return s;
  return conn.Run(sql, nullptr);
}

absl::StatusOr<std::string> MariadbServer::QueryValue(
    absl::string_view sql, absl::string_view database) const {
  RootConnection conn;
  if (absl::Status s = conn.Open(socket(), database); !s.ok()) return s;
  std::string value;
  if (absl::Status s = conn.Run(sql, &value); !s.ok()) return s;
  return value;
}

absl::Status MariadbServer::ExecuteFile(const std::string& path,
                                        absl::string_view database) const {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Execute(buffer.str(), database);
}

void MariadbServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

absl::Status MariadbServer::Restart() {
  Kill();
  return Launch();
}

}  // namespace availability::testing
