// One connection to a MySQL-protocol database (MariaDB or MySQL, as Magento
// runs on), through libmariadb's C API. Results are streamed row by row
// (mysql_use_result), so a query over a large table holds one row at a time.
//
//   DbOptions options;  // host, port or socket, user, password, database
//   AV_ASSIGN_OR_RETURN(std::unique_ptr<DbConnection> db,
//                       DbConnection::Connect(options));
//   AV_RETURN_IF_ERROR(db->Query("SELECT sku, quantity FROM ...",
//       [&](const DbRow& row) { skus.emplace_back(row.Text(0)); }));
//
// Errors never contain the password. Codes: Unavailable for a connection
// that could not be made or was lost (retry with backoff, reconnecting),
// PermissionDenied for refused credentials or a missing SELECT grant,
// FailedPrecondition for a missing table or column (not a Magento 2.4 MSI
// schema), Internal for anything else.
//
// Not thread-safe: one connection belongs to one thread at a time.
#ifndef AVAILABILITY_SYNC_MAGENTO_DB_CONNECTION_H_
#define AVAILABILITY_SYNC_MAGENTO_DB_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct st_mysql;
struct st_mysql_res;

namespace availability::sync::magento {

struct DbOptions {
  // TCP host and port; ignored when `socket` is set.
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string socket;
  std::string user = "av_reader";
  // Never logged, never in an error message.
  std::string password;
  std::string database = "magento";
  absl::Duration connect_timeout = absl::Seconds(5);
  // Bounds each network read / write of a query (libmariadb's
  // MYSQL_OPT_READ_TIMEOUT / WRITE_TIMEOUT, whole seconds, at least 1).
  absl::Duration io_timeout = absl::Seconds(30);
};

// One row of a streamed result; valid only inside the row callback.
class DbRow {
 public:
  DbRow(char** values, unsigned long* lengths, unsigned int count)
      : values_(values), lengths_(lengths), count_(count) {}

  unsigned int size() const { return count_; }
  bool IsNull(unsigned int i) const { return values_[i] == nullptr; }
  // The column's text ("" for NULL).
  absl::string_view Text(unsigned int i) const {
    return values_[i] == nullptr ? absl::string_view()
                                 : absl::string_view(values_[i], lengths_[i]);
  }
  // The column as an integer; 0 for NULL or text that is not one.
  int64_t Int(unsigned int i) const;

 private:
  char** values_;
  unsigned long* lengths_;
  unsigned int count_;
};

class DbConnection {
 public:
  using RowCallback = absl::FunctionRef<void(const DbRow&)>;

  // Connects (utf8mb4, autocommit, REPEATABLE READ for this session).
  // Errors: see the file comment.
  static absl::StatusOr<std::unique_ptr<DbConnection>> Connect(
      const DbOptions& options);
  ~DbConnection();

  DbConnection(const DbConnection&) = delete;
  DbConnection& operator=(const DbConnection&) = delete;

  // Runs `sql` and calls `row` for each result row, in order. A statement
  // without a result set (SET, START TRANSACTION) calls it never.
  absl::Status Query(absl::string_view sql, RowCallback row);
  absl::Status Execute(absl::string_view sql);

  // `text` as a quoted SQL string literal for this connection's charset.
  std::string Quote(absl::string_view text);

  // False once a query failed with a lost connection: make a new one.
  bool healthy() const { return healthy_; }

  // The libmariadb handle, for the replication API (binlog_follower.h).
  st_mysql* handle() { return mysql_; }
  // Shuts the socket down from another thread: a blocked read returns.
  void Interrupt();

 private:
  explicit DbConnection(st_mysql* mysql) : mysql_(mysql) {}
  absl::Status Error(absl::string_view what);

  st_mysql* mysql_;
  bool healthy_ = true;
};

}  // namespace availability::sync::magento

#endif  // AVAILABILITY_SYNC_MAGENTO_DB_CONNECTION_H_
