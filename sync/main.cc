// availability-sync: source connectors that keep the availability cache in
// Redis up to date. Subcommands:
//
//   availability-sync magento --db_host=db --db_name=magento
//       --db_user=av_reader --db_password_file=/run/secrets/db
//       --redis_host=redis
//
// magento: reads a Magento 2.4 MSI database (SELECT only) and writes every
// (stock, SKU) record, store configuration, sales channel and category
// ranking; see sync/magento/README.md. Every flag can also be set by an
// environment variable: --db_host <-> AVAILABILITY_DB_HOST. The database
// password comes from --db_password_file or AVAILABILITY_DB_PASSWORD and is
// never logged. Logs are JSON lines on stderr. SIGTERM/SIGINT: finish the
// step in progress, exit 0.

#include <signal.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cache/key_schema.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "cache/sentinel.h"
#include "core/clock.h"
#include "base/env_flags.h"
#include "base/log.h"
#include "cache/redis_flags.h"
#include "sync/magento/db_connection.h"
#include "sync/magento/magento_sync.h"

ABSL_FLAG(std::string, db_host, "127.0.0.1", "Magento database host.");
ABSL_FLAG(int, db_port, 3306, "Magento database TCP port.");
ABSL_FLAG(std::string, db_socket, "",
          "Magento database Unix socket; when set, host and port are "
          "ignored.");
ABSL_FLAG(std::string, db_user, "av_reader",
          "Database user; needs SELECT on the Magento tables only.");
ABSL_FLAG(std::string, db_password_file, "",
          "File holding the database password (else the environment "
          "variable AVAILABILITY_DB_PASSWORD; neither: no password).");
ABSL_FLAG(std::string, db_name, "magento", "Magento database (schema) name.");
ABSL_FLAG(absl::Duration, db_connect_timeout, absl::Seconds(5),
          "Database connect timeout.");
ABSL_FLAG(absl::Duration, db_io_timeout, absl::Seconds(60),
          "Database read/write timeout of one network exchange.");
ABSL_FLAG(absl::Duration, db_max_backoff, absl::Seconds(10),
          "Longest wait between reconnect attempts (from 100ms, doubling).");
ABSL_FLAG(absl::Duration, reconcile_interval, absl::Minutes(15),
          "Full reconcile period: every record rewritten, vanished products "
          "deleted.");
ABSL_FLAG(absl::Duration, poll_interval, absl::Milliseconds(200),
          "Period of the incremental poll (reservations, source items).");
ABSL_FLAG(int, chunk_size, 5000, "Products per reconcile chunk.");
ABSL_FLAG(int64_t, source_scan_rows, 20000,
          "Source item ids checksummed per poll (change detection).");
ABSL_FLAG(int, category_ranking_limit, 200,
          "SKUs kept per category ranking.");
// The Redis connection flags (--redis_host, ..., --redis_sentinel_*) are
// shared with the server: cache/redis_flags.cc.
ABSL_FLAG(absl::Duration, redis_timeout, absl::Seconds(10),
          "Deadline of each cache write.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");

namespace availability::sync {
namespace {

using base::Log;
using base::LogLevel;

// Flags of this binary also read from AVAILABILITY_<NAME>; the Redis ones
// are cache::RedisFlagNames().
const std::vector<std::string>& SyncFlagNames() {
  static const auto* names = new std::vector<std::string>{
      "db_host",          "db_port",          "db_socket",
      "db_user",          "db_password_file", "db_name",
      "db_connect_timeout", "db_io_timeout",  "db_max_backoff",
      "reconcile_interval", "poll_interval",  "chunk_size",
      "source_scan_rows", "category_ranking_limit", "redis_timeout",
      "log_level"};
  return *names;
}

[[noreturn]] void Die(absl::string_view message, const std::string& error) {
  Log(LogLevel::kError, message, {{"error", error}});
  std::exit(1);
}

// Forwards the connector's log lines to the JSON logger, each field a JSON
// field.
void LogSyncLine(magento::SyncLogLevel level, absl::string_view message,
                 const magento::SyncLogFields& fields) {
  const auto log_level = static_cast<LogLevel>(static_cast<int>(level));
  if (!base::LogEnabled(log_level)) return;
  std::vector<base::LogField> out;
  out.reserve(fields.size());
  for (const auto& [name, value] : fields) out.emplace_back(name, value);
  Log(log_level, message, out);
}

int RunMagento() {
  magento::DbOptions db;
  db.host = absl::GetFlag(FLAGS_db_host);
  db.port = absl::GetFlag(FLAGS_db_port);
  db.socket = absl::GetFlag(FLAGS_db_socket);
  db.user = absl::GetFlag(FLAGS_db_user);
  db.database = absl::GetFlag(FLAGS_db_name);
  db.connect_timeout = absl::GetFlag(FLAGS_db_connect_timeout);
  db.io_timeout = absl::GetFlag(FLAGS_db_io_timeout);
  absl::StatusOr<std::string> db_password = base::ReadSecret(
      absl::GetFlag(FLAGS_db_password_file), "AVAILABILITY_DB_PASSWORD");
  if (!db_password.ok()) {
    Die("database password not readable",
        std::string(db_password.status().message()));
  }
  db.password = *db_password;

  magento::MagentoSync::Options options;
  options.reconcile_interval = absl::GetFlag(FLAGS_reconcile_interval);
  options.poll_interval = absl::GetFlag(FLAGS_poll_interval);
  options.chunk_size = absl::GetFlag(FLAGS_chunk_size);
  options.source_scan_rows = absl::GetFlag(FLAGS_source_scan_rows);
  options.category_ranking_limit = absl::GetFlag(FLAGS_category_ranking_limit);
  options.db_max_backoff = absl::GetFlag(FLAGS_db_max_backoff);
  options.redis_timeout = absl::GetFlag(FLAGS_redis_timeout);
  if (options.chunk_size < 1 || options.source_scan_rows < 1 ||
      options.category_ranking_limit < 0 ||
      options.poll_interval <= absl::ZeroDuration() ||
      options.reconcile_interval <= absl::ZeroDuration()) {
    Die("bad flag",
        "--chunk_size, --source_scan_rows must be >= 1, "
        "--category_ranking_limit >= 0, intervals > 0");
  }

  absl::StatusOr<cache::RedisConnectionConfig> redis_config =
      cache::RedisConnectionFromFlags();
  if (!redis_config.ok()) {
    Die("bad flag", std::string(redis_config.status().message()));
  }
  cache::RedisOptions redis_options = redis_config->options;
  if (redis_config->sentinel != nullptr) {
    redis_options.resolve_endpoint = redis_config->sentinel->Resolver(
        cache::SentinelResolver::Role::kPrimary);
  }
  absl::StatusOr<std::unique_ptr<cache::RedisClient>> redis =
      cache::RedisClient::Start(redis_options);
  if (!redis.ok()) {
    Die("redis client not started", std::string(redis.status().message()));
  }

  cache::RecordWriter writer(**redis,
                             cache::KeySchema(redis_config->key_prefix));
  magento::MagentoSync sync(options, db, writer, **redis,
                            core::SystemClock::Get(), &LogSyncLine);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  std::thread signal_thread([&signals, &sync] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    if (signal_number != 0) {
      Log(LogLevel::kInfo, "stopping", {{"signal", absl::StrCat(signal_number)}});
    }
    sync.Stop();
  });

  Log(LogLevel::kInfo, "magento sync starting",
      {{"database", db.socket.empty()
                        ? absl::StrCat(db.host, ":", db.port, "/", db.database)
                        : absl::StrCat(db.socket, "/", db.database)},
       {"db_user", db.user},
       {"redis", redis_options.resolve_endpoint
                     ? absl::StrCat("sentinel primary of ",
                                    redis_config->sentinel_master)
                 : redis_options.unix_socket.empty()
                     ? absl::StrCat(redis_options.host, ":",
                                    redis_options.port)
                     : redis_options.unix_socket}});
  absl::Status status = sync.Run();
  // Run returned because Stop was called: the signal thread is done, or is
  // woken here when Run ended on its own.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  const magento::MagentoSync::Stats stats = sync.stats();
  Log(LogLevel::kInfo, "stopped",
      {{"reconciles", absl::StrCat(stats.reconciles_completed)},
       {"records_written", absl::StrCat(stats.records_written)},
       {"records_skipped", absl::StrCat(stats.skipped_total())}});
  return status.ok() ? 0 : 1;
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "availability-sync <connector> [flags]: keeps the availability cache in "
      "Redis up to date from a source.\nConnectors: magento (a Magento 2.4 "
      "MSI database).\nEvery flag may also be set by the environment variable "
      "AVAILABILITY_<FLAG NAME IN CAPITALS>, e.g. AVAILABILITY_DB_HOST.");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "sync/") || cache::IsRedisFlagsFile(file);
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  for (const std::vector<std::string>* names :
       {&SyncFlagNames(), &cache::RedisFlagNames()}) {
    if (absl::Status env = base::ApplyEnvironmentToFlags(*names);
        !env.ok()) {
      Die("bad environment", std::string(env.message()));
    }
  }
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  LogLevel level;
  if (!base::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    Die("bad flag", "--log_level: not one of debug, info, warning, error");
  }
  base::SetLogLevel(level);
  // protobuf's own messages join the JSON log instead of stderr text.
  base::InstallProtobufLogHandler();
  if (args.size() != 2 || std::string(args[1]) != "magento") {
    Die("bad command line",
        "usage: availability-sync magento [flags] (see --help)");
  }

  // Signals are taken by sigwait; every thread started from here on
  // inherits the block.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return RunMagento();
}

}  // namespace
}  // namespace availability::sync

int main(int argc, char** argv) { return availability::sync::Run(argc, argv); }
