#include "sync/magento/binlog_follower.h"

#include <mysql.h>
// After mysql.h, which it needs.
#include <mariadb_rpl.h>

#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace availability::sync::magento {
namespace {

enum class Table { kOther, kSourceItem, kReservation };

absl::string_view View(const MARIADB_STRING& s) {
  return absl::string_view(s.str, s.length);
}

}  // namespace

BinlogFollower::BinlogFollower(DbOptions db_options, std::string table_prefix,
                               uint32_t server_id, std::function<void()> wake,
                               absl::Duration retry_interval)
    : db_options_(std::move(db_options)),
      table_prefix_(std::move(table_prefix)),
      server_id_(server_id),
      wake_(std::move(wake)),
      retry_interval_(retry_interval) {}

BinlogFollower::~BinlogFollower() { Stop(); }

void BinlogFollower::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void BinlogFollower::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  {
    absl::MutexLock lock(&mu_);
    if (conn_ != nullptr) conn_->Interrupt();
  }
  if (thread_.joinable()) thread_.join();
}

BinlogFollower::Hints BinlogFollower::Take() {
  absl::MutexLock lock(&mu_);
  return std::exchange(hints_, Hints());
}

absl::Status BinlogFollower::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

int64_t BinlogFollower::starts() const {
  absl::MutexLock lock(&mu_);
  return starts_;
}

void BinlogFollower::SetStatus(absl::Status s) {
  absl::MutexLock lock(&mu_);
  status_ = std::move(s);
}

void BinlogFollower::Loop() {
  while (!stop_.HasBeenNotified()) {
    absl::Status s = FollowOnce();
    if (stop_.HasBeenNotified()) break;
    SetStatus(s.ok() ? absl::UnavailableError("binary log stream ended") : s);
    // Something may have been missed meanwhile: the scan finds it; a wake
    // lets the connector see the status change.
    {
      absl::MutexLock lock(&mu_);
      hints_.source_items_unknown = true;
    }
    wake_();
    stop_.WaitForNotificationWithTimeout(
        absl::IsFailedPrecondition(s) ? retry_interval_ : absl::Seconds(1));
  }
}

absl::Status BinlogFollower::FollowOnce() {
  AV_ASSIGN_OR_RETURN(std::unique_ptr<DbConnection> db,
                      DbConnection::Connect(db_options_));
  std::string log_bin, format, image;
  AV_RETURN_IF_ERROR(
      db->Query("SELECT @@log_bin, @@binlog_format, @@binlog_row_image",
                [&](const DbRow& row) {
                  log_bin = std::string(row.Text(0));
                  format = std::string(row.Text(1));
                  image = std::string(row.Text(2));
                }));
  if (log_bin != "1") {
    return absl::FailedPreconditionError(
        "log_bin is OFF: the server writes no binary log");
  }
  if (format != "ROW") {
    return absl::FailedPreconditionError(
        absl::StrCat("binlog_format is ", format, "; ROW is needed"));
  }
  if (image != "FULL") {
    return absl::FailedPreconditionError(
        absl::StrCat("binlog_row_image is ", image, "; FULL is needed"));
  }
  std::string file;
  uint64_t position = 0;
  absl::Status master = db->Query("SHOW MASTER STATUS", [&](const DbRow& row) {
    file = std::string(row.Text(0));
    position = static_cast<uint64_t>(row.Int(1));
  });
  if (absl::IsPermissionDenied(master) || (master.ok() && file.empty())) {
    return absl::FailedPreconditionError(
        "SHOW MASTER STATUS: the reader needs REPLICATION CLIENT (BINLOG "
        "MONITOR)");
  }
  AV_RETURN_IF_ERROR(master);
  // The server then sends checksummed events in MariaDB's format, and a
  // heartbeat every 0.5 s (so Stop is seen while nothing changes).
  AV_RETURN_IF_ERROR(
      db->Execute("SET @master_binlog_checksum = @@global.binlog_checksum, "
                  "@mariadb_slave_capability = 4, "
                  "@master_heartbeat_period = 500000000"));
  MARIADB_RPL* rpl = mariadb_rpl_init(db->handle());
  if (rpl == nullptr) return absl::ResourceExhaustedError("mariadb_rpl_init");
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_FILENAME, file.c_str(),
                       static_cast<size_t>(file.size()));
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_START,
                       static_cast<unsigned long>(position));
  mariadb_rpl_optionsv(rpl, MARIADB_RPL_SERVER_ID, server_id_);
  if (mariadb_rpl_open(rpl) != 0) {
    const std::string error = mariadb_rpl_error(rpl);
    const unsigned int code = mysql_errno(db->handle());
    mariadb_rpl_close(rpl);
    if (absl::StrContains(error, "REPLICATION SLAVE") ||
        absl::StrContains(error, "denied") || code == 1227) {
      return absl::FailedPreconditionError(absl::StrCat(
          "binary log dump refused (the reader needs REPLICATION SLAVE): ",
          error));
    }
    return absl::UnavailableError(absl::StrCat("binary log dump: ", error));
  }
  {
    absl::MutexLock lock(&mu_);
    conn_ = db.get();
    status_ = absl::OkStatus();
    ++starts_;
  }
  wake_();
  const std::string source_item_table =
      absl::StrCat(table_prefix_, "inventory_source_item");
  const std::string reservation_table =
      absl::StrCat(table_prefix_, "inventory_reservation");
  // table_id -> its TABLE_MAP event (kept: extracting rows needs it).
  std::map<uint64_t, std::pair<Table, MARIADB_RPL_EVENT*>> maps;
  absl::Status result;
  while (!stop_.HasBeenNotified()) {
    MARIADB_RPL_EVENT* event = mariadb_rpl_fetch(rpl, nullptr);
    if (event == nullptr) {
      result = absl::UnavailableError(
          absl::StrCat("binary log: ", mariadb_rpl_error(rpl)));
      break;
    }
    if (event->event_type == TABLE_MAP_EVENT) {
      const auto& tm = event->event.table_map;
      Table table = Table::kOther;
      if (View(tm.database) == db_options_.database) {
        if (View(tm.table) == source_item_table) table = Table::kSourceItem;
        if (View(tm.table) == reservation_table) table = Table::kReservation;
      }
      if (table == Table::kOther) {
        mariadb_free_rpl_event(event);
        continue;
      }
      auto& slot = maps[tm.table_id];
      if (slot.second != nullptr) mariadb_free_rpl_event(slot.second);
      slot = {table, event};
      continue;
    }
    if (IS_ROW_EVENT(event)) {
      auto it = maps.find(event->event.rows.table_id);
      if (it != maps.end()) {
        Hints seen;
        if (it->second.first == Table::kReservation) {
          seen.reservations = true;
        } else {
          MARIADB_RPL_ROW* row =
              mariadb_rpl_extract_rows(rpl, it->second.second, event);
          if (row == nullptr) seen.source_items_unknown = true;
          for (; row != nullptr; row = row->next) {
            if (row->column_count == 0 || row->columns[0].is_null) continue;
            seen.source_item_ids.push_back(row->columns[0].val.ll);
          }
        }
        {
          absl::MutexLock lock(&mu_);
          hints_.reservations |= seen.reservations;
          hints_.source_items_unknown |= seen.source_items_unknown;
          hints_.source_item_ids.insert(hints_.source_item_ids.end(),
                                        seen.source_item_ids.begin(),
                                        seen.source_item_ids.end());
        }
        wake_();
      }
    }
    mariadb_free_rpl_event(event);
  }
  for (auto& [id, entry] : maps) mariadb_free_rpl_event(entry.second);
  {
    absl::MutexLock lock(&mu_);
    conn_ = nullptr;
  }
  mariadb_rpl_close(rpl);
  return result;
}

}  // namespace availability::sync::magento
