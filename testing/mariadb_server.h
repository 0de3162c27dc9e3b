// A real MariaDB server for tests: a fresh data directory made by
// mariadb-install-db in a temporary directory, mariadbd on a free loopback
// port and a Unix socket there, stopped (and the directory removed) on
// destruction. The child dies with the thread that started it
// (PR_SET_PDEATHSIG), so a crashed test leaves no server behind. Runs as
// root when the test does (--user=root).
//
//   auto db = testing::MariadbServer::Start();
//   ASSERT_TRUE(db.ok()) << db.status();
//   ASSERT_THAT((*db)->Execute("CREATE DATABASE magento"), IsOk());
//   options.port = (*db)->port();
//
// The root account (no password) is reachable through the socket only;
// tests create their own users with Execute.
//
// Not thread-safe; owned by one test (or one test suite).
#ifndef AVAILABILITY_TESTING_MARIADB_SERVER_H_
#define AVAILABILITY_TESTING_MARIADB_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace availability::testing {

class MariadbServer {
 public:
  struct Options {
    // Writes a binary log (--log-bin, binlog_format=ROW,
    // binlog_row_image=FULL, server_id=1) that a replica or a connector
    // following it can read. Off by default (--skip-log-bin).
    bool log_bin = false;
    // InnoDB's buffer pool (--innodb-buffer-pool-size). The tests' data fits
    // in the default; a benchmark's catalog should fit too, as a production
    // database's working set does.
    int buffer_pool_mb = 64;
  };

  // Installs a data directory and starts mariadbd (or $MARIADBD), waiting up
  // to 60 s until root can connect. Errors: Unavailable when it does not
  // start (the error log's tail is in the message), Internal when no
  // temporary directory can be made.
  static absl::StatusOr<std::unique_ptr<MariadbServer>> Start();
  static absl::StatusOr<std::unique_ptr<MariadbServer>> Start(Options options);
  ~MariadbServer();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string socket() const { return dir_ + "/mysqld.sock"; }

  // Runs `sql` (several statements allowed) as root through the socket, in
  // `database` when not empty. Errors: Unavailable when the server cannot be
  // reached, Internal with the server's message for a failed statement.
  absl::Status Execute(absl::string_view sql,
                       absl::string_view database = "") const;
  // The first column of the first row of a query, "" when none.
  absl::StatusOr<std::string> QueryValue(absl::string_view sql,
                                         absl::string_view database = "") const;
  // Execute with the content of a file (schema.sql, fixtures.sql).
  absl::Status ExecuteFile(const std::string& path,
                           absl::string_view database) const;

  // Kills the server (SIGKILL) and reaps it; the port and data stay.
  void Kill();
  // Kills it if running and starts it again on the same port and data.
  absl::Status Restart();

 private:
  MariadbServer() = default;
  absl::Status Install();
  absl::Status Launch();
  absl::Status WaitUntilReady(absl::Duration timeout);

  Options options_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
};

}  // namespace availability::testing

#endif  // AVAILABILITY_TESTING_MARIADB_SERVER_H_
