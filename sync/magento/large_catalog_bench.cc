// magento_large_catalog_bench: the availability-sync binary against a
// generated Magento catalog (default 200,000 SKUs, 3 stocks) in a real
// MariaDB and Redis. Prints the first reconcile's duration, the process's
// peak RSS (VmHWM) after it, and the latency from a committed reservation /
// source item update to the cache.
//
//   build/sync/magento_large_catalog_bench [skus [connector flags...]]
//   AV_SYNC_BINARY=/other/availability-sync build/sync/magento_large_...
//   AV_BENCH_BINLOG=1 ...: the connector follows the binary log
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cache/key_schema.h"
#include "cache/record_codec.h"
#include "cache/redis_client.h"
#include "testing/mariadb_server.h"
#include "testing/redis_server.h"
#include "testing/subprocess.h"

namespace availability {
namespace {

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

constexpr int kReservationSamples = 200;
constexpr int kSourceSamples = 30;

// A /proc/<pid>/status field in kB ("VmHWM"), 0 when absent.
int64_t ProcKb(pid_t pid, absl::string_view field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, field)) continue;
    int64_t kb = 0;
    std::istringstream(line.substr(field.size() + 1)) >> kb;
    return kb;
  }
  return 0;
}

// User + system CPU seconds of a process so far.
double CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string skip;
  // Fields 3..13, then utime (14) and stime (15).
  for (int i = 3; i <= 13; ++i) fields >> skip;
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return absl::StrCat(a, " ", b, " ", c);
}

// Prints p50 / p99 / max of `ms` beside the p99 target.
void PrintLatency(const char* what, std::vector<double> ms, double target_ms) {
  if (ms.empty()) {
    std::printf("%s: no samples\n", what);
    return;
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&ms](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  std::printf(
      "%s: n=%zu p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 <= %.0f "
      "ms: %s)\n",
      what, ms.size(), at(0.5), at(0.99), ms.back(), target_ms,
      at(0.99) <= target_ms ? "met" : "MISSED");
}

std::optional<core::Record> Get(cache::RedisClient& client,
                                const cache::KeySchema& keys, int32_t stock,
                                const std::string& sku) {
  absl::Notification done;
  std::optional<core::Record> out;
  client.Execute({"GET", keys.Record(stock, sku)},
                 absl::Now() + absl::Seconds(2),
                 [&](absl::StatusOr<cache::RedisReply> r) {
                   if (r.ok() && !r->is_nil()) {
                     auto rec = cache::DecodeRecord(r->str, stock, sku);
                     if (rec.ok()) out = *rec;
                   }
                   done.Notify();
                 });
  done.WaitForNotification();
  return out;
}

int Main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress as it comes
  int64_t skus = 200000;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &skus)) return 2;
  // AV_BENCH_BINLOG=1: the database writes a binary log and the reader may
  // follow it (else the connector polls).
  const bool binlog = std::getenv("AV_BENCH_BINLOG") != nullptr;
  testing::MariadbServer::Options db_options;
  db_options.log_bin = binlog;
  // The catalog's tables and indexes in memory, as in a production
  // database (200,000 SKUs take about 180 MB; with the tests' default pool
  // of 64 MB the bench would measure InnoDB reading pages again).
  db_options.buffer_pool_mb = 512;
  auto db = testing::MariadbServer::Start(db_options);
  Check(db.status(), "mariadb");
  auto redis = testing::RedisServer::Start();
  Check(redis.status(), "redis");
  const std::string name = "magento";
  Check((*db)->Execute("CREATE DATABASE magento"), "create database");
  Check(
      (*db)->ExecuteFile(std::string(AV_MAGENTO_SQL_DIR) + "/schema.sql", name),
      "schema");
  const absl::Time gen_start = absl::Now();
  const std::string n = absl::StrCat(skus);
  Check((*db)->Execute(
            absl::StrCat(
                "INSERT INTO inventory_source (source_code, name, enabled, "
                "country_id, postcode) VALUES ('default','Default',1,'US','1'),"
                "('eu','EU',1,'DE','2'),('us','US',1,'US','3');"
                "INSERT INTO inventory_stock VALUES (1,'Default'),(2,'EU'),"
                "(3,'US');"
                "INSERT INTO inventory_source_stock_link (stock_id, "
                "source_code, priority) VALUES (1,'default',1),(2,'eu',1),"
                "(3,'us',1),(3,'default',2);"
                "INSERT INTO inventory_stock_sales_channel VALUES "
                "('website','base',1),('website','eu',2),('website','us',3);"
                "INSERT INTO core_config_data (path, value) VALUES "
                "('cataloginventory/item_options/min_qty','1');"
                "INSERT INTO catalog_product_entity (entity_id, sku) "
                "SELECT seq, CONCAT('SKU-', LPAD(seq, 7, '0')) FROM seq_1_to_",
                n,
                ";"
                "INSERT INTO cataloginventory_stock_item (product_id, "
                "stock_id, website_id, qty, is_in_stock, use_config_backorders,"
                " backorders) SELECT seq, 1, 0, seq % 100, 1, seq % 10 <> 0, "
                "seq % 10 = 0 FROM seq_1_to_",
                n,
                ";"
                "INSERT INTO inventory_source_item (source_code, sku, "
                "quantity, status) SELECT 'default', CONCAT('SKU-', LPAD(seq, "
                "7, '0')), seq % 100, seq % 50 <> 0 FROM seq_1_to_",
                n,
                ";"
                "INSERT INTO inventory_source_item (source_code, sku, "
                "quantity, status) SELECT IF(seq % 4 = 0, 'us', 'eu'), "
                "CONCAT('SKU-', LPAD(seq, 7, '0')), seq % 37, 1 "
                "FROM seq_1_to_",
                n,
                " WHERE seq % 2 = 0;"
                "INSERT INTO inventory_reservation (stock_id, sku, quantity) "
                "SELECT 1 + seq % 3, CONCAT('SKU-', LPAD(1 + (seq * 7919) % ",
                n, ", 7, '0')), -1 - CAST(seq % 3 AS SIGNED) FROM seq_1_to_",
                skus / 2,
                ";"
                "INSERT INTO catalog_product_link (product_id, "
                "linked_product_id, link_type_id) SELECT seq, 1 + seq % ",
                n, ", 1 FROM seq_1_to_", n,
                ";"
                "INSERT INTO catalog_product_link (product_id, "
                "linked_product_id, link_type_id) SELECT seq, 1 + (seq + 7) % ",
                n, ", 4 FROM seq_1_to_", n,
                ";"
                "INSERT INTO catalog_category_product (category_id, "
                "product_id, position) SELECT 100 + seq % 500, seq, seq % 97 "
                "FROM seq_1_to_",
                n,
                ";"
                // Websites for the channels, every product on all of them.
                "INSERT INTO store_website (website_id, code, name) VALUES "
                "(1,'base','Base'),(2,'eu','EU'),(3,'us','US');"
                "INSERT INTO catalog_product_website (product_id, website_id) "
                "SELECT p.seq, w.website_id FROM seq_1_to_",
                n,
                " p JOIN store_website w ON w.website_id > 0;"
                "CREATE USER 'av_reader'@'127.0.0.1' IDENTIFIED BY 'pw';"
                "GRANT SELECT ON magento.* TO 'av_reader'@'127.0.0.1';",
                binlog ? "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* "
                         "TO 'av_reader'@'127.0.0.1';"
                       : ""),
            name),
        "generate");
  std::printf("generated %lld products in %s\n", static_cast<long long>(skus),
              absl::FormatDuration(absl::Now() - gen_start).c_str());
  auto db_bytes = (*db)->QueryValue(
      "SELECT SUM(data_length + index_length) FROM information_schema.tables "
      "WHERE table_schema = 'magento'");
  Check(db_bytes.status(), "database size");
  std::printf("database: %s bytes of tables and indexes, buffer pool %d MB\n",
              db_bytes->c_str(), db_options.buffer_pool_mb);

  const double db_cpu_before = CpuSeconds((*db)->pid());
  const double redis_cpu_before = CpuSeconds((*redis)->pid());
  // $AV_SYNC_BINARY: another build of the connector (before/after runs).
  const char* binary = std::getenv("AV_SYNC_BINARY");
  std::vector<std::string> command = {
      binary != nullptr ? binary : AV_SYNC_BINARY,
      "magento",
      "--db_host=127.0.0.1",
      absl::StrCat("--db_port=", (*db)->port()),
      "--db_name=magento",
      absl::StrCat("--redis_port=", (*redis)->port()),
      "--reconcile_interval=1h"};
  // Further arguments go to the connector (--poll_interval=...).
  for (int i = 2; i < argc; ++i) command.emplace_back(argv[i]);
  auto sync =
      testing::Subprocess::Start(command, {"AVAILABILITY_DB_PASSWORD=pw"});
  Check(sync.status(), "availability-sync");
  const absl::Time start = absl::Now();
  while (!absl::StrContains((*sync)->Stderr(), "reconcile finished")) {
    if (!(*sync)->Running() || absl::Now() - start > absl::Minutes(30)) {
      std::fprintf(stderr, "no reconcile: %s\n", (*sync)->Stderr().c_str());
      return 1;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration reconcile = absl::Now() - start;
  // Where the time went: each process's CPU during the reconcile, and the
  // connector's own account of its steps.
  std::printf(
      "CPU during the first reconcile: connector %.2f s, mariadbd %.2f s, "
      "redis-server %.2f s\n",
      CpuSeconds((*sync)->pid()), CpuSeconds((*db)->pid()) - db_cpu_before,
      CpuSeconds((*redis)->pid()) - redis_cpu_before);
  int incremental = 0, failed = 0;
  for (absl::string_view line : absl::StrSplit((*sync)->Stderr(), '\n')) {
    if (absl::StrContains(line, "incremental update")) ++incremental;
    if (absl::StrContains(line, "sync step failed")) ++failed;
    if (absl::StrContains(line, "\"msg\":\"reconcile") ||
        absl::StrContains(line, "sync step failed") ||
        absl::StrContains(line, "change tracking started")) {
      std::printf("  %.*s\n",
                  static_cast<int>(std::min<size_t>(line.size(), 400)),
                  line.data());
    }
  }
  std::printf(
      "during it: %d incremental updates (logged at --log_level=debug), %d "
      "failed steps\n",
      incremental, failed);
  const double reconcile_s = absl::ToDoubleSeconds(reconcile);
  std::printf("load average: %s\n", LoadAverage().c_str());
  std::printf("changes: %s\n",
              binlog ? "binary log followed (polling as the safety net)"
                     : "polled (no binary log)");
  std::printf("first reconcile: %.2f s (target <= 8 s for 200,000 SKUs: %s)\n",
              reconcile_s,
              reconcile_s <= 8 * skus / 200000.0 ? "met" : "MISSED");
  const int64_t hwm_kb = ProcKb((*sync)->pid(), "VmHWM");
  std::printf("connector peak RSS after reconcile: %.1f MB (target < 100 MB)\n",
              hwm_kb / 1024.0);

  cache::RedisOptions options;
  options.port = (*redis)->port();
  auto client = cache::RedisClient::Start(options);
  Check(client.status(), "redis client");
  Check((*client)->WaitUntilConnected(absl::Seconds(5)), "redis connect");
  const cache::KeySchema keys("av");
  {
    // The cache's side of the reconcile: calls and µs per command.
    absl::Notification done;
    client->get()->Execute(
        {"INFO", "commandstats"}, absl::Now() + absl::Seconds(2),
        [&](absl::StatusOr<cache::RedisReply> r) {
          if (r.ok()) {
            for (absl::string_view line : absl::StrSplit(r->str, '\n')) {
              if (absl::StartsWith(line, "cmdstat_")) {
                std::printf("  redis %.*s\n", static_cast<int>(line.size()),
                            line.data());
              }
            }
          }
          done.Notify();
        });
    done.WaitForNotification();
  }
  // Reservations on varying SKUs and stocks, spaced irregularly so that
  // commits fall anywhere in the poll cycle.
  std::vector<double> reservation_ms;
  for (int i = 0; i < kReservationSamples; ++i) {
    const int32_t stock = 1 + i % 3;
    const std::string sku =
        absl::StrFormat("SKU-%07d", 1 + (i * 104729) % skus);
    std::optional<core::Record> before = Get(**client, keys, stock, sku);
    if (!before) continue;  // not sold on that stock
    const core::Qty want = before->reserved_qty - 10000;
    Check((*db)->Execute(absl::StrCat("INSERT INTO inventory_reservation "
                                      "(stock_id, sku, quantity) VALUES (",
                                      stock, ", '", sku, "', -1)"),
                         name),
          "reservation");
    const absl::Time t0 = absl::Now();
    while (true) {
      auto r = Get(**client, keys, stock, sku);
      if (r && r->reserved_qty == want) break;
      if (absl::Now() - t0 > absl::Seconds(10)) break;
      absl::SleepFor(absl::Microseconds(500));
    }
    reservation_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    absl::SleepFor(absl::Milliseconds(7 * (i % 5)));
  }
  PrintLatency("reservation -> cache", reservation_ms, 50);
  std::vector<double> source_ms;
  for (int i = 0; i < kSourceSamples; ++i) {
    const std::string s =
        absl::StrFormat("SKU-%07d", 1 + (i * 7919 + 101) % skus);
    const core::Qty want = core::QtyFromUnits(5000 + i);
    Check((*db)->Execute(absl::StrCat("UPDATE inventory_source_item SET "
                                      "quantity = ",
                                      5000 + i, ", status = 1",
                                      " WHERE source_code = 'default' AND "
                                      "sku = '",
                                      s, "'"),
                         name),
          "source item");
    const absl::Time t0 = absl::Now();
    while (true) {
      auto r = Get(**client, keys, 1, s);
      if (r && r->source_qty == want) break;
      if (absl::Now() - t0 > absl::Seconds(30)) break;
      absl::SleepFor(absl::Milliseconds(1));
    }
    source_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    absl::SleepFor(absl::Milliseconds(37 * (i % 7)));
  }
  PrintLatency("source item update -> cache", source_ms, 1000);
  const int64_t hwm_after_kb = ProcKb((*sync)->pid(), "VmHWM");
  std::printf("connector peak RSS at the end: %.1f MB (target < 100 MB: %s)\n",
              hwm_after_kb / 1024.0,
              hwm_after_kb < 100 * 1024 ? "met" : "MISSED");
  std::printf("load average: %s\n", LoadAverage().c_str());
  (*sync)->Signal(SIGTERM);
  const std::optional<int> code = (*sync)->Wait(absl::Seconds(30));
  std::printf("exit code: %d\n", code.value_or(-1));
  return 0;
}

}  // namespace
}  // namespace availability

int main(int argc, char** argv) { return availability::Main(argc, argv); }
