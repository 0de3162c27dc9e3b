// The fixture of the Magento connector tests: a real MariaDB (one per test
// binary, a database per test made from schema.sql and fixtures.sql, read
// by a SELECT-only user) and a real Redis per test, with helpers to run the
// connector and read what it wrote. Shared by magento_sync_test.cc and the
// slow tests of magento_sync_slow_test.cc.
//
// Not thread-safe beyond what each helper says; one test at a time.
#ifndef AVAILABILITY_SYNC_MAGENTO_MAGENTO_SYNC_TEST_FIXTURE_H_
#define AVAILABILITY_SYNC_MAGENTO_MAGENTO_SYNC_TEST_FIXTURE_H_

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cache/catalog_settings_writer.h"
#include "cache/key_schema.h"
#include "cache/record_codec.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "core/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sync/magento/magento_sync.h"
#include "testing/mariadb_server.h"
#include "testing/redis_server.h"
#include "testing/status_matchers.h"

namespace availability::sync::magento {

inline constexpr char kPassword[] = "s3cret-reader-pw";
constexpr core::Qty U(int64_t units) { return core::QtyFromUnits(units); }

class MagentoSyncTest : public ::testing::Test {
 protected:
  // The server is shared by the suite but started by the first test that
  // needs it: a fatal failure in SetUpTestSuite would make GoogleTest
  // report every test of the suite as SKIPPED, which ctest counts as
  // skipped rather than failed.
  static void TearDownTestSuite() {
    delete db_server_;
    db_server_ = nullptr;
  }

  void SetUp() override {
    if (db_server_ == nullptr) {
      auto db = testing::MariadbServer::Start();
      ASSERT_TRUE(db.ok()) << db.status();
      db_server_ = db->release();
    }
    static int counter = 0;
    database_ = absl::StrCat("magento_", ++counter);
    CreateDatabase(database_, "", {});
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    cache::RedisOptions redis_options;
    redis_options.port = redis_->port();
    auto client = cache::RedisClient::Start(redis_options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    ASSERT_THAT(client_->WaitUntilConnected(absl::Seconds(5)),
                ::availability::testing::IsOk());
    writer_ = std::make_unique<cache::RecordWriter>(*client_, keys_);
    settings_ = std::make_unique<cache::CatalogSettingsWriter>(*client_, keys_);
  }

  void TearDown() override {
    StopSync();
    settings_.reset();
    writer_.reset();
    client_.reset();
    redis_.reset();
  }

  // Creates `database` from schema.sql, fixtures.sql and `extra` (files of
  // this directory), every table named with `prefix`, and grants the
  // reader SELECT on every table.
  void CreateDatabase(const std::string& database, const std::string& prefix,
                      const std::vector<std::string>& extra) {
    ASSERT_THAT(db_server_->Execute(absl::StrCat("CREATE DATABASE ", database)),
                ::availability::testing::IsOk());
    std::vector<std::string> files = {"schema.sql", "fixtures.sql"};
    files.insert(files.end(), extra.begin(), extra.end());
    const std::vector<std::string> tables = SchemaTables();
    for (const std::string& file : files) {
      std::string sql = ReadSqlFile(file);
      if (!prefix.empty()) {
        for (const std::string& table : tables) {
          sql = absl::StrReplaceAll(sql,
                                    {{absl::StrCat("`", table, "`"),
                                      absl::StrCat("`", prefix, table, "`")}});
        }
      }
      ASSERT_THAT(db_server_->Execute(sql, database),
                  ::availability::testing::IsOk())
          << file;
    }
    std::string grants = absl::StrCat(
        "CREATE USER IF NOT EXISTS 'av_reader'@'127.0.0.1' IDENTIFIED BY '",
        kPassword, "';");
    for (const std::string& table : tables) {
      absl::StrAppend(&grants, "GRANT SELECT ON ", database, ".", prefix, table,
                      " TO 'av_reader'@'127.0.0.1';");
    }
    ASSERT_THAT(db_server_->Execute(grants), ::availability::testing::IsOk());
  }

  static std::string ReadSqlFile(const std::string& name) {
    std::ifstream in(std::string(AV_MAGENTO_SQL_DIR) + "/" + name);
    EXPECT_TRUE(in.good()) << name;
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

  // The tables schema.sql creates (the README grants SELECT on them).
  static std::vector<std::string> SchemaTables() {
    std::vector<std::string> tables;
    const std::string schema = ReadSqlFile("schema.sql");
    const std::string kCreate = "CREATE TABLE `";
    for (size_t at = schema.find(kCreate); at != std::string::npos;
         at = schema.find(kCreate, at + 1)) {
      const size_t begin = at + kCreate.size();
      tables.push_back(schema.substr(begin, schema.find('`', begin) - begin));
    }
    return tables;
  }

  DbOptions Db() const {
    DbOptions db;
    db.host = "127.0.0.1";
    db.port = db_server_->port();
    db.user = "av_reader";
    db.password = kPassword;
    db.database = database_;
    db.connect_timeout = absl::Seconds(1);
    db.io_timeout = absl::Seconds(5);
    return db;
  }

  MagentoSync::Options FastOptions() const {
    MagentoSync::Options options;
    options.poll_interval = absl::Milliseconds(50);
    options.chunk_size = 3;  // several chunks even for the fixtures
    options.source_scan_rows = 4;
    options.bucket_size = 4;
    options.db_min_backoff = absl::Milliseconds(50);
    options.db_max_backoff = absl::Milliseconds(500);
    options.redis_timeout = absl::Seconds(2);
    return options;
  }

  // FastOptions with a reconcile every second, for deletions.
  MagentoSync::Options ReconcileEverySecond() const {
    MagentoSync::Options options = FastOptions();
    options.reconcile_interval = absl::Seconds(1);
    return options;
  }

  void StartSync(MagentoSync::Options options) {
    sync_ = std::make_unique<MagentoSync>(
        options, Db(), *writer_, *client_, core::SystemClock::Get(),
        [this](SyncLogLevel level, absl::string_view message,
               const SyncLogFields& fields) {
          std::string line(message);
          for (const auto& [k, v] : fields)
            absl::StrAppend(&line, " ", k, "=", v);
          absl::MutexLock lock(&warnings_mu_);
          if (level >= SyncLogLevel::kWarning) {
            std::fprintf(stderr, "sync: %s\n", line.c_str());
            warnings_.push_back(line);
          }
          lines_.push_back(line);
          EXPECT_THAT(line, ::testing::Not(::testing::HasSubstr(kPassword)));
        });
    thread_ = std::thread(
        [this] { EXPECT_THAT(sync_->Run(), ::availability::testing::IsOk()); });
  }

  void StopSync() {
    if (sync_ == nullptr) return;
    sync_->Stop();
    thread_.join();
    sync_.reset();
  }

  // Bounded poll until a warning line contains `text`.
  bool WaitForWarning(absl::string_view text, absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      {
        absl::MutexLock lock(&warnings_mu_);
        for (const std::string& line : warnings_) {
          if (absl::StrContains(line, text)) return true;
        }
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  // The log lines (any level, "message k=v ...") containing every one of
  // `parts`.
  std::vector<std::string> LogLines(std::vector<std::string> parts) {
    std::vector<std::string> out;
    absl::MutexLock lock(&warnings_mu_);
    for (const std::string& line : lines_) {
      bool all = true;
      for (const std::string& part : parts) {
        all = all && absl::StrContains(line, part);
      }
      if (all) out.push_back(line);
    }
    return out;
  }

  // Bounded poll until `n` reconciles are done.
  bool WaitForReconciles(int64_t n, absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      if (sync_->stats().reconciles_completed >= n) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  absl::StatusOr<cache::RedisReply> Redis(std::vector<std::string> argv) {
    absl::Notification done;
    absl::StatusOr<cache::RedisReply> reply;
    client_->Execute(std::move(argv), absl::Now() + absl::Seconds(2),
                     [&](absl::StatusOr<cache::RedisReply> r) {
                       reply = std::move(r);
                       done.Notify();
                     });
    done.WaitForNotification();
    return reply;
  }

  // The stored record, nullopt when there is none.
  std::optional<core::Record> ReadRecord(int32_t stock,
                                         const std::string& sku) {
    absl::StatusOr<cache::RedisReply> reply =
        Redis({"GET", keys_.Record(stock, sku)});
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok() || reply->is_nil()) return std::nullopt;
    absl::StatusOr<core::Record> record =
        cache::DecodeRecord(reply->str, stock, sku);
    EXPECT_TRUE(record.ok()) << record.status();
    if (!record.ok()) return std::nullopt;
    return *record;
  }

  core::StoreConfig ReadConfig(int32_t stock) {
    absl::Notification done;
    core::StoreConfig config;
    settings_->ReadStoreConfig(stock, absl::Now() + absl::Seconds(2),
                               [&](absl::StatusOr<core::StoreConfig> r) {
                                 EXPECT_TRUE(r.ok()) << r.status();
                                 if (r.ok()) config = *r;
                                 done.Notify();
                               });
    done.WaitForNotification();
    return config;
  }

  std::vector<std::string> Ranking(int32_t stock, int64_t category) {
    std::vector<std::string> skus;
    absl::StatusOr<cache::RedisReply> reply =
        Redis({"LRANGE", keys_.CategoryRanking(stock, category), "0", "-1"});
    if (reply.ok()) {
      for (const auto& e : reply->elements) skus.push_back(e.str);
    }
    return skus;
  }

  bool Exists(const std::string& key) {
    absl::StatusOr<cache::RedisReply> reply = Redis({"EXISTS", key});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() && reply->integer != 0;
  }

  // "TYPE sku old->new" of the stock's events, oldest first.
  std::vector<std::string> Events(int32_t stock) {
    std::vector<std::string> out;
    absl::StatusOr<cache::RedisReply> reply =
        Redis({"XRANGE", keys_.Events(stock), "-", "+"});
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return out;
    for (const cache::RedisReply& entry : reply->elements) {
      absl::StatusOr<cache::TransitionEvent> e =
          cache::ParseTransitionEvent(entry);
      EXPECT_TRUE(e.ok()) << e.status();
      if (!e.ok()) continue;
      out.push_back(absl::StrCat(e->type, " ", e->sku, " ", e->old_status, "->",
                                 e->new_status));
    }
    return out;
  }

  // Bounded poll of a record until `pred` holds; returns how long it took.
  template <typename Pred>
  std::optional<absl::Duration> WaitForRecord(int32_t stock,
                                              const std::string& sku,
                                              absl::Duration timeout,
                                              Pred pred) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < timeout) {
      if (pred(ReadRecord(stock, sku))) return absl::Now() - start;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return std::nullopt;
  }

  absl::Status Sql(absl::string_view sql) {
    return db_server_->Execute(sql, database_);
  }

  // As Magento deletes a product: the entity (cascading to its stock item,
  // links and categories) and its source items.
  absl::Status DeleteProduct(absl::string_view sku) {
    return Sql(absl::StrCat(
        "DELETE FROM catalog_product_entity WHERE sku = '", sku, "';",
        "DELETE FROM inventory_source_item WHERE sku = '", sku, "'"));
  }

  inline static testing::MariadbServer* db_server_ = nullptr;
  std::string database_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<cache::RedisClient> client_;
  cache::KeySchema keys_{"av"};
  std::unique_ptr<cache::RecordWriter> writer_;
  std::unique_ptr<cache::CatalogSettingsWriter> settings_;
  std::unique_ptr<MagentoSync> sync_;
  std::thread thread_;
  absl::Mutex warnings_mu_;
  std::vector<std::string> warnings_ ABSL_GUARDED_BY(warnings_mu_);
  std::vector<std::string> lines_ ABSL_GUARDED_BY(warnings_mu_);
};

}  // namespace availability::sync::magento

#endif  // AVAILABILITY_SYNC_MAGENTO_MAGENTO_SYNC_TEST_FIXTURE_H_
