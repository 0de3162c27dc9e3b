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
// step in progress, give the writer lease up, exit 0.
//
// One writer at a time: replicas share a writer lease in Redis
// (cache/leader_lease.h, key "<key_prefix>:lease:magento"). The holder
// runs the connector and renews every --lease_renew_interval; the others
// wait (not ready) and try every --lease_renew_interval, so a standby takes
// over at most --lease_ttl + --lease_renew_interval after the leader died
// (at once after a clean stop). A holder that cannot renew stops writing
// --lease_safety_margin before its lease can expire, and the write script
// refuses the fencing token of a writer whose lease was taken over.
//
// --metrics_listen (default off): GET /metrics, /healthz, /readyz
// (sync/connector_metrics.h says what is exported and when it is ready).

#include <signal.h>
#include <unistd.h>

#include <algorithm>
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
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/env_flags.h"
#include "base/http_endpoint.h"
#include "base/log.h"
#include "cache/key_schema.h"
#include "cache/leader_lease.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "cache/redis_flags.h"
#include "cache/sentinel.h"
#include "core/clock.h"
#include "sync/connector_metrics.h"
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
ABSL_FLAG(absl::Duration, poll_interval, absl::Milliseconds(25),
          "Period of the source item scan (a window of --source_scan_rows "
          "ids).");
ABSL_FLAG(absl::Duration, reservation_poll_interval, absl::Milliseconds(10),
          "Period of the reservation tail (one indexed query when nothing is "
          "new): how fresh orders are in the cache.");
ABSL_FLAG(absl::Duration, following_poll_interval, absl::Seconds(1),
          "While the binary log is followed, both scans run at this period "
          "at the most often: they are only the safety net then.");
ABSL_FLAG(bool, follow_binlog, true,
          "Follow the database's binary log for source item and reservation "
          "changes (needs binlog_format=ROW, binlog_row_image=FULL and the "
          "REPLICATION SLAVE and REPLICATION CLIENT grants); polling stays "
          "as the safety net and is all there is when the database refuses.");
ABSL_FLAG(uint32_t, binlog_server_id, 0,
          "server_id announced when following the binary log; unique in the "
          "replication topology. 0: a random one in [2^31, 2^32).");
ABSL_FLAG(int, chunk_size, 5000, "Products per reconcile chunk.");
ABSL_FLAG(int64_t, source_scan_rows, 10000,
          "Source item ids checksummed per poll (change detection).");
ABSL_FLAG(int, category_ranking_limit, 200, "SKUs kept per category ranking.");
ABSL_FLAG(std::string, db_table_prefix, "",
          "Magento's table prefix (app/etc/env.php db/table_prefix).");
ABSL_FLAG(std::vector<std::string>, config_override, {},
          "Inventory configuration locked in app/etc/env.php or config.php, "
          "invisible to the database: path=value[@website_code], "
          "comma-separated (a value with a comma: --config_override_file).");
ABSL_FLAG(std::string, config_override_file, "",
          "File of configuration overrides, one path=value[@website_code] "
          "a line (# comments).");
ABSL_FLAG(absl::Duration, reservation_gap_horizon, absl::Minutes(10),
          "How long a reservation id skipped by a transaction still open is "
          "waited for.");
// The Redis connection flags (--redis_host, ..., --redis_sentinel_*) are
// shared with the server: cache/redis_flags.cc.
ABSL_FLAG(absl::Duration, redis_timeout, absl::Seconds(10),
          "Deadline of each cache write.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, metrics_listen, "",
          "HTTP address (host:port) of /metrics (Prometheus), /healthz and "
          "/readyz; empty (the default) disables it.");
ABSL_FLAG(absl::Duration, ready_max_tail_lag, absl::Seconds(30),
          "/readyz answers 200 only while the reservation tail is at most "
          "this far behind (and the first reconcile finished, and this "
          "replica holds the writer lease).");
ABSL_FLAG(absl::Duration, lease_ttl, absl::Seconds(10),
          "Time-to-live of the writer lease: a standby takes over at most "
          "this plus --lease_renew_interval after the leader died.");
ABSL_FLAG(absl::Duration, lease_renew_interval, absl::Seconds(3),
          "How often the leader renews the writer lease and a standby tries "
          "to take it.");
ABSL_FLAG(absl::Duration, lease_safety_margin, absl::Seconds(2),
          "A leader that could not renew stops writing this long before its "
          "lease can expire.");

namespace availability::sync {
namespace {

using base::Log;
using base::LogLevel;

// Flags of this binary also read from AVAILABILITY_<NAME>; the Redis ones
// are cache::RedisFlagNames().
const std::vector<std::string>& SyncFlagNames() {
  static const auto* names =
      new std::vector<std::string>{"db_host",
                                   "db_port",
                                   "db_socket",
                                   "db_user",
                                   "db_password_file",
                                   "db_name",
                                   "db_connect_timeout",
                                   "db_io_timeout",
                                   "db_max_backoff",
                                   "reconcile_interval",
                                   "poll_interval",
                                   "reservation_poll_interval",
                                   "following_poll_interval",
                                   "follow_binlog",
                                   "binlog_server_id",
                                   "chunk_size",
                                   "source_scan_rows",
                                   "category_ranking_limit",
                                   "redis_timeout",
                                   "log_level",
                                   "db_table_prefix",
                                   "config_override",
                                   "config_override_file",
                                   "reservation_gap_horizon",
                                   "metrics_listen",
                                   "ready_max_tail_lag",
                                   "lease_ttl",
                                   "lease_renew_interval",
                                   "lease_safety_margin"};
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
  options.reservation_poll_interval =
      absl::GetFlag(FLAGS_reservation_poll_interval);
  options.following_poll_interval =
      absl::GetFlag(FLAGS_following_poll_interval);
  options.follow_binlog = absl::GetFlag(FLAGS_follow_binlog);
  options.binlog_server_id = absl::GetFlag(FLAGS_binlog_server_id);
  if (options.binlog_server_id == 0) {
    // Two connectors never share one (the server would drop the older).
    options.binlog_server_id =
        0x80000000u |
        static_cast<uint32_t>(absl::ToUnixNanos(absl::Now()) ^
                              (static_cast<int64_t>(getpid()) << 16));
  }
  options.chunk_size = absl::GetFlag(FLAGS_chunk_size);
  options.source_scan_rows = absl::GetFlag(FLAGS_source_scan_rows);
  options.category_ranking_limit = absl::GetFlag(FLAGS_category_ranking_limit);
  options.db_max_backoff = absl::GetFlag(FLAGS_db_max_backoff);
  options.redis_timeout = absl::GetFlag(FLAGS_redis_timeout);
  options.gap_retention = absl::GetFlag(FLAGS_reservation_gap_horizon);
  options.table_prefix = absl::GetFlag(FLAGS_db_table_prefix);
  if (!magento::IsValidTablePrefix(options.table_prefix)) {
    Die("bad flag",
        "--db_table_prefix: only letters, digits and '_' (at most 32)");
  }
  absl::StatusOr<std::vector<magento::ConfigOverride>> overrides =
      magento::ReadConfigOverrides(absl::GetFlag(FLAGS_config_override),
                                   absl::GetFlag(FLAGS_config_override_file));
  if (!overrides.ok()) {
    Die("bad flag", std::string(overrides.status().message()));
  }
  options.config_overrides = *std::move(overrides);
  if (options.chunk_size < 1 || options.source_scan_rows < 1 ||
      options.category_ranking_limit < 0 ||
      options.poll_interval <= absl::ZeroDuration() ||
      options.reservation_poll_interval <= absl::ZeroDuration() ||
      options.following_poll_interval <= absl::ZeroDuration() ||
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

  cache::LeaderLease::Options lease_options;
  const std::string& prefix = redis_config->key_prefix;
  lease_options.lease_key =
      prefix.empty() ? "lease:magento" : absl::StrCat(prefix, ":lease:magento");
  lease_options.token_key = absl::StrCat(lease_options.lease_key, ":token");
  lease_options.owner = cache::LeaderLease::RandomOwnerId();
  lease_options.ttl = absl::GetFlag(FLAGS_lease_ttl);
  lease_options.safety_margin = absl::GetFlag(FLAGS_lease_safety_margin);
  const absl::Duration renew_interval =
      absl::GetFlag(FLAGS_lease_renew_interval);
  lease_options.command_timeout = std::min(absl::Seconds(2), renew_interval);
  if (renew_interval <= absl::ZeroDuration() ||
      lease_options.safety_margin <= absl::ZeroDuration() ||
      renew_interval + lease_options.command_timeout >=
          lease_options.ttl - lease_options.safety_margin) {
    Die("bad flag",
        "--lease_renew_interval and --lease_safety_margin must be > 0 and "
        "a renewal (interval + its 2 s deadline) must fit in --lease_ttl "
        "minus --lease_safety_margin");
  }
  cache::LeaderLease lease(**redis, lease_options);

  cache::RecordWriter::Options writer_options;
  writer_options.fence_key = lease_options.token_key;
  writer_options.fencing_token = [&lease] { return lease.ValidToken(); };
  cache::RecordWriter writer(
      **redis, cache::KeySchema(redis_config->key_prefix), writer_options);

  ConnectorMetrics metrics(core::SystemClock::Get(),
                           absl::GetFlag(FLAGS_ready_max_tail_lag));
  std::unique_ptr<base::HttpEndpoint> http;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_listen);
      !address.empty()) {
    base::HttpEndpoint::RouteLibeventLogs();
    absl::StatusOr<std::unique_ptr<base::HttpEndpoint>> started =
        base::HttpEndpoint::Start(address,
                                  {[&metrics] { return metrics.RenderText(); },
                                   [&metrics] { return metrics.Ready(); }});
    if (!started.ok()) {
      Die("metrics endpoint not started",
          absl::StrCat(started.status().message(),
                       " (check --metrics_listen)"));
    }
    http = *std::move(started);
    Log(LogLevel::kInfo, "listening",
        {{"service", "metrics"},
         {"address", address},
         {"port", absl::StrCat(http->port())}});
  }

  absl::Notification stopping;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  std::thread signal_thread([&signals, &stopping] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    if (signal_number != 0) {
      Log(LogLevel::kInfo, "stopping",
          {{"signal", absl::StrCat(signal_number)}});
    }
    stopping.Notify();
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
                     ? absl::StrCat(redis_options.host, ":", redis_options.port)
                     : redis_options.unix_socket},
       {"lease", lease_options.lease_key},
       {"owner", lease_options.owner}});

  // The first attempt waits (bounded) for the connection instead of
  // logging it as unreachable.
  (*redis)->WaitUntilConnected(lease_options.command_timeout).IgnoreError();
  bool standby_logged = false;
  absl::StatusCode last_lease_error = absl::StatusCode::kOk;
  while (!stopping.HasBeenNotified()) {
    // Standby: try to take the lease every renew interval.
    absl::StatusOr<bool> acquired = lease.TryAcquire();
    if (!acquired.ok()) {
      if (acquired.status().code() != last_lease_error) {
        Log(LogLevel::kWarning, "writer lease not reachable; retrying",
            {{"error", acquired.status().ToString()}});
      }
      last_lease_error = acquired.status().code();
    } else {
      last_lease_error = absl::StatusCode::kOk;
    }
    if (!acquired.ok() || !*acquired) {
      if (acquired.ok() && !standby_logged) {
        Log(LogLevel::kInfo, "standby: another replica holds the writer lease",
            {{"lease", lease_options.lease_key}});
        standby_logged = true;
      }
      stopping.WaitForNotificationWithTimeout(renew_interval);
      continue;
    }
    standby_logged = false;
    Log(LogLevel::kInfo, "writer lease acquired; leading",
        {{"token", absl::StrCat(lease.token())}});
    metrics.SetLease(true, lease.token());
    {
      magento::MagentoSync sync(options, db, writer, **redis,
                                core::SystemClock::Get(), &LogSyncLine);
      metrics.SetConnector(&sync);
      std::thread worker([&sync] { sync.Run().IgnoreError(); });
      // Leader: renew; stop writing once the lease is lost, or is about to
      // expire without a successful renewal.
      while (!stopping.WaitForNotificationWithTimeout(renew_interval)) {
        absl::StatusOr<bool> renewed = lease.Renew();
        if (renewed.ok() && *renewed) continue;
        if (!renewed.ok() && lease.ValidToken().ok()) {
          Log(LogLevel::kWarning, "writer lease renewal failed; retrying",
              {{"error", renewed.status().ToString()}});
          continue;
        }
        Log(LogLevel::kWarning, "writer lease lost; writes stopped",
            {{"token", absl::StrCat(lease.token())},
             {"reason", renewed.ok() ? "taken over or expired"
                                     : renewed.status().ToString()}});
        break;
      }
      // Not the leader any more from here on (/readyz, /metrics), even
      // while the step in progress finishes.
      metrics.SetLease(false, lease.token());
      sync.Stop();
      worker.join();
      metrics.SetConnector(nullptr);
      const magento::MagentoSync::Stats stats = sync.stats();
      Log(LogLevel::kInfo, "leader term ended",
          {{"reconciles", absl::StrCat(stats.reconciles_completed)},
           {"records_written", absl::StrCat(stats.records_written)},
           {"records_skipped", absl::StrCat(stats.skipped_total())}});
    }
    if (stopping.HasBeenNotified()) {
      if (absl::Status released = lease.Release(); !released.ok()) {
        Log(LogLevel::kWarning, "writer lease not released; it expires",
            {{"error", released.ToString()}});
      }
    } else {
      lease.Release().IgnoreError();  // lost already: nothing of ours to drop
    }
  }
  // The signal thread has returned (stopping is notified only by it).
  signal_thread.join();
  // No Redis callback runs after this: the writer and the lease, which
  // callbacks use, are destroyed before the client.
  (*redis)->Stop();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

// The flag's file relative to the project ("sync/main.cc"), without the
// build machine's directories, for --help.
std::string ProjectRelativeFile(absl::string_view file) {
  for (absl::string_view dir : {"/sync/", "/cache/", "/base/"}) {
    const size_t at = file.rfind(dir);
    if (at != absl::string_view::npos) return std::string(file.substr(at + 1));
  }
  return std::string(file);
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "availability-sync <connector> [flags]: keeps the availability cache in "
      "Redis up to date from a source.\nConnectors: magento (a Magento 2.4 "
      "MSI database).\nEvery flag may also be set by the environment variable "
      "AVAILABILITY_<FLAG NAME IN CAPITALS>, e.g. AVAILABILITY_DB_HOST.");
  absl::FlagsUsageConfig usage;
  usage.normalize_filename = &ProjectRelativeFile;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StartsWith(ProjectRelativeFile(file), "sync/") ||
           cache::IsRedisFlagsFile(file);
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  for (const std::vector<std::string>* names :
       {&SyncFlagNames(), &cache::RedisFlagNames()}) {
    if (absl::Status env = base::ApplyEnvironmentToFlags(*names); !env.ok()) {
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
