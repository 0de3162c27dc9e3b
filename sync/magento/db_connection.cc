#include "sync/magento/db_connection.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace availability::sync::magento {
namespace {

// mysql_library_init is not thread-safe; run it once.
void InitLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

bool IsConnectionError(unsigned int code) {
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_UNKNOWN_HOST:
    case CR_COMMANDS_OUT_OF_SYNC:
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case ER_QUERY_INTERRUPTED:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_TOO_MANY_USER_CONNECTIONS:
      return true;
    default:
      return false;
  }
}

absl::StatusCode CodeFor(unsigned int code) {
  if (IsConnectionError(code)) return absl::StatusCode::kUnavailable;
  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
      return absl::StatusCode::kPermissionDenied;
    case ER_NO_SUCH_TABLE:
    case ER_BAD_FIELD_ERROR:
    case ER_BAD_DB_ERROR:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

void DbConnection::Interrupt() {
  const my_socket fd = mysql_get_socket(mysql_);
  if (fd >= 0) shutdown(fd, SHUT_RDWR);
}

int64_t DbRow::Int(unsigned int i) const {
  int64_t value = 0;
  if (values_[i] == nullptr ||
      !absl::SimpleAtoi(absl::string_view(values_[i], lengths_[i]), &value)) {
    return 0;
  }
  return value;
}

absl::StatusOr<std::unique_ptr<DbConnection>> DbConnection::Connect(
    const DbOptions& options) {
  InitLibrary();
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return absl::ResourceExhaustedError("mysql_init");
  const unsigned int connect_timeout = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(options.connect_timeout)));
  const unsigned int io_timeout = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(options.io_timeout)));
  mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_optionsv(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // Never read ~/.my.cnf or /etc/mysql: the flags are the configuration.
  const bool no_reconnect = false;
  mysql_optionsv(mysql, MYSQL_OPT_RECONNECT, &no_reconnect);
  const bool use_socket = !options.socket.empty();
  if (mysql_real_connect(
          mysql, use_socket ? "localhost" : options.host.c_str(),
          options.user.c_str(), options.password.c_str(),
          options.database.empty() ? nullptr : options.database.c_str(),
          use_socket ? 0 : static_cast<unsigned int>(options.port),
          use_socket ? options.socket.c_str() : nullptr, 0) == nullptr) {
    const unsigned int code = mysql_errno(mysql);
    // The server's message names the user and "using password: YES", never
    // the password itself.
    absl::Status status(
        CodeFor(code),
        absl::StrCat("connect to ",
                     use_socket ? options.socket
                                : absl::StrCat(options.host, ":", options.port),
                     " as ", options.user, ": ", mysql_error(mysql), " (", code,
                     ")"));
    mysql_close(mysql);
    return status;
  }
  std::unique_ptr<DbConnection> db(new DbConnection(mysql));
  if (absl::Status s = db->Execute(
          "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      !s.ok()) {
    return s;
  }
  return db;
}

DbConnection::~DbConnection() { mysql_close(mysql_); }

absl::Status DbConnection::Error(absl::string_view what) {
  const unsigned int code = mysql_errno(mysql_);
  if (IsConnectionError(code)) healthy_ = false;
  return absl::Status(
      CodeFor(code),
      absl::StrCat(what, ": ", mysql_error(mysql_), " (", code, ")"));
}

absl::Status DbConnection::Query(absl::string_view sql, RowCallback row) {
  if (!healthy_) return absl::UnavailableError("database connection lost");
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return Error("query");
  }
  MYSQL_RES* result = mysql_use_result(mysql_);
  if (result == nullptr) {
    if (mysql_field_count(mysql_) == 0) return absl::OkStatus();
    return Error("result");
  }
  const unsigned int fields = mysql_num_fields(result);
  while (MYSQL_ROW values = mysql_fetch_row(result)) {
    unsigned long* lengths = mysql_fetch_lengths(result);
    row(DbRow(values, lengths, fields));
  }
  // mysql_fetch_row returns NULL at the end and on error.
  absl::Status status =
      mysql_errno(mysql_) != 0 ? Error("fetch") : absl::OkStatus();
  mysql_free_result(result);
  return status;
}

absl::Status DbConnection::Execute(absl::string_view sql) {
  return Query(sql, [](const DbRow&) {});
}

std::string DbConnection::Quote(absl::string_view text) {
  std::string out(text.size() * 2 + 3, '\0');
  out[0] = '\'';
  const unsigned long n = mysql_real_escape_string(mysql_, out.data() + 1,
                                                   text.data(), text.size());
  out.resize(n + 1);
  out.push_back('\'');
  return out;
}

}  // namespace availability::sync::magento
