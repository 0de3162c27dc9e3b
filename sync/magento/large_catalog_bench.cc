// magento_large_catalog_bench: the availability-sync binary against a
// generated Magento catalog (default 200,000 SKUs, 3 stocks) in a real
// MariaDB and Redis. Prints the first reconcile's duration, the process's
// peak RSS (VmHWM) after it, and the latency from a committed reservation /
// source item update to the cache.
//
//   build/sync/magento_large_catalog_bench [skus]
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

std::string ProcStatus(pid_t pid, absl::string_view field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field)) return line;
  }
  return "";
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
  int64_t skus = 200000;
  if (argc > 1 && !absl::SimpleAtoi(argv[1], &skus)) return 2;
  auto db = testing::MariadbServer::Start();
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
                "GRANT SELECT ON magento.* TO 'av_reader'@'127.0.0.1';"),
            name),
        "generate");
  std::printf("generated %lld products in %s\n", static_cast<long long>(skus),
              absl::FormatDuration(absl::Now() - gen_start).c_str());

  auto sync = testing::Subprocess::Start(
      {AV_SYNC_BINARY, "magento", "--db_host=127.0.0.1",
       absl::StrCat("--db_port=", (*db)->port()), "--db_name=magento",
       absl::StrCat("--redis_port=", (*redis)->port()),
       "--reconcile_interval=1h"},
      {"AVAILABILITY_DB_PASSWORD=pw"});
  Check(sync.status(), "availability-sync");
  const absl::Time start = absl::Now();
  while (!absl::StrContains((*sync)->Stderr(), "reconcile finished")) {
    if (!(*sync)->Running() || absl::Now() - start > absl::Minutes(10)) {
      std::fprintf(stderr, "no reconcile: %s\n", (*sync)->Stderr().c_str());
      return 1;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration reconcile = absl::Now() - start;
  std::printf("first reconcile: %s\n", absl::FormatDuration(reconcile).c_str());
  std::printf("%s\n%s\n", ProcStatus((*sync)->pid(), "VmHWM").c_str(),
              ProcStatus((*sync)->pid(), "VmRSS").c_str());

  cache::RedisOptions options;
  options.port = (*redis)->port();
  auto client = cache::RedisClient::Start(options);
  Check(client.status(), "redis client");
  Check((*client)->WaitUntilConnected(absl::Seconds(5)), "redis connect");
  const cache::KeySchema keys("av");
  const std::string sku = "SKU-0123457";
  for (int i = 0; i < 5; ++i) {
    std::optional<core::Record> before = Get(**client, keys, 1, sku);
    const core::Qty want = (before ? before->reserved_qty : 0) - 10000;
    Check((*db)->Execute(absl::StrCat("INSERT INTO inventory_reservation "
                                      "(stock_id, sku, quantity) VALUES (1, '",
                                      sku, "', -1)"),
                         name),
          "reservation");
    const absl::Time t0 = absl::Now();
    while (true) {
      auto r = Get(**client, keys, 1, sku);
      if (r && r->reserved_qty == want) break;
      if (absl::Now() - t0 > absl::Seconds(10)) break;
      absl::SleepFor(absl::Milliseconds(2));
    }
    std::printf("reservation -> cache: %s\n",
                absl::FormatDuration(absl::Now() - t0).c_str());
  }
  for (int i = 0; i < 3; ++i) {
    const std::string s = absl::StrCat("SKU-0", 100000 + i * 37000 + 1);
    const core::Qty want = core::QtyFromUnits(5000 + i);
    Check((*db)->Execute(absl::StrCat("UPDATE inventory_source_item SET "
                                      "quantity = ",
                                      5000 + i,
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
      absl::SleepFor(absl::Milliseconds(5));
    }
    std::printf("source item update -> cache: %s\n",
                absl::FormatDuration(absl::Now() - t0).c_str());
  }
  std::printf("after polling: %s\n",
              ProcStatus((*sync)->pid(), "VmHWM").c_str());
  (*sync)->Signal(SIGTERM);
  const std::optional<int> code = (*sync)->Wait(absl::Seconds(30));
  std::printf("exit code: %d\n", code.value_or(-1));
  return 0;
}

}  // namespace
}  // namespace availability

int main(int argc, char** argv) { return availability::Main(argc, argv); }
