// availability-server: the storefront availability gRPC server.
//
// Serves availability.v1.Availability (plus gRPC health and reflection) on
// --listen and, when a sync token is configured, availability.v1.InventorySync
// on --sync_listen. Reads from Redis. Every flag can also be set by an
// environment variable: --redis_host <-> AVAILABILITY_REDIS_HOST.
// SIGTERM/SIGINT: stop accepting, finish in-flight calls within
// --shutdown_grace, exit 0. A gRPC listener that stops accepting (gRPC
// 1.51 after EMFILE): the same drain, exit 1, so the pod is replaced.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cache/invalidation_listener.h"
#include "cache/key_schema.h"
#include "cache/near_cache.h"
#include "cache/record_store.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "cache/sentinel.h"
#include "cache/subscription_store.h"
#include "core/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/availability_lookup.h"
#include "server/availability_service.h"
#include "server/channel_resolver.h"
#include "base/env_flags.h"
#include "server/inventory_sync_service.h"
#include "base/log.h"
#include "server/call_limiter.h"
#include "server/call_metrics.h"
#include "base/http_endpoint.h"
#include "server/listener_hardening.h"
#include "server/metered_redis_client.h"
#include "base/metrics.h"
#include "cache/redis_flags.h"
#include "server/tls.h"
#include "server/watch_registry.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051",
          "Storefront gRPC address (Availability, health, reflection).");
ABSL_FLAG(std::string, sync_listen, "0.0.0.0:50052",
          "Sync/admin gRPC address (InventorySync); empty disables it. "
          "Needs a token: --sync_token_file or AVAILABILITY_SYNC_TOKEN.");
ABSL_FLAG(std::string, sync_token_file, "",
          "File holding the sync API bearer token (else the environment "
          "variable AVAILABILITY_SYNC_TOKEN).");
ABSL_FLAG(absl::Duration, max_call_time, absl::Seconds(1),
          "Longest a storefront call may run when the client's deadline is "
          "later or absent.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM, how long in-flight calls may take to finish.");
ABSL_FLAG(absl::Duration, health_interval, absl::Seconds(1),
          "How often Redis is pinged for the health status.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(absl::Duration, unhealthy_after, absl::Seconds(5),
          "How long Redis may fail health pings before the server reports "
          "NOT_SERVING (meanwhile it answers from the near-cache, stale); "
          "back to SERVING at the first answered ping.");
ABSL_FLAG(bool, near_cache, true,
          "Keep decoded records and store configs in process memory, kept "
          "coherent by Redis client-side caching (invalidations).");
ABSL_FLAG(int64_t, near_cache_entries, 200000,
          "Most entries (records, unknown SKUs, configs) in the near-cache.");
ABSL_FLAG(int64_t, near_cache_bytes, int64_t{128} << 20,
          "Most bytes (estimated) held by the near-cache.");
ABSL_FLAG(absl::Duration, near_cache_max_age, absl::Seconds(30),
          "Longest a near-cache entry answers without a re-read from Redis, "
          "even when no invalidation came.");
ABSL_FLAG(absl::Duration, near_cache_max_stale, absl::Minutes(5),
          "While Redis is unreachable, near-cache entries up to this old "
          "answer with freshness.stale = true; others fail UNAVAILABLE.");
ABSL_FLAG(absl::Duration, invalidation_ping_interval, absl::Milliseconds(200),
          "How often the invalidation connection pings Redis.");
ABSL_FLAG(absl::Duration, invalidation_ping_timeout, absl::Milliseconds(600),
          "An unanswered invalidation ping this old flushes the near-cache "
          "and marks Redis unreachable until it answers again.");

// --- Security and operations (TLS, limits, metrics) ---
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain of the storefront listener; with "
          "--tls_key_file it serves TLS (empty: plaintext).");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key for --tls_cert_file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle: storefront clients must present a certificate it "
          "signed (mTLS). Also the sync listener's client CA unless "
          "--sync_tls_client_ca_file is set.");
ABSL_FLAG(std::string, sync_tls_cert_file, "",
          "PEM certificate chain of the sync listener (empty: the "
          "storefront's --tls_cert_file).");
ABSL_FLAG(std::string, sync_tls_key_file, "",
          "PEM private key for --sync_tls_cert_file (empty: "
          "--tls_key_file).");
ABSL_FLAG(std::string, sync_tls_client_ca_file, "",
          "PEM CA bundle verifying sync client certificates when presented "
          "(empty: --tls_client_ca_file). Certificates are optional there: "
          "a caller authenticates by token or by an allowed identity.");
ABSL_FLAG(std::string, sync_allowed_client_subjects, "",
          "Comma-separated client certificate identities admitted to the "
          "sync API without a token: CN=<common name> or SAN=<alt name>, "
          "e.g. CN=sync-worker. Needs a sync client CA.");
ABSL_FLAG(int, max_message_bytes, 1 << 20,
          "Largest storefront request accepted, in bytes; larger ones fail "
          "RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, sync_max_message_bytes, 16 << 20,
          "Largest sync API request accepted, in bytes.");
ABSL_FLAG(int, max_concurrent_calls, 2000,
          "Storefront calls in flight (streams included) beyond which new "
          "calls fail RESOURCE_EXHAUSTED at once; 0: no limit.");
ABSL_FLAG(absl::Duration, keepalive_min_ping_interval, absl::Seconds(10),
          "Client pings closer together than this are strikes; after "
          "--keepalive_max_ping_strikes the connection is closed (GOAWAY).");
ABSL_FLAG(int, keepalive_max_ping_strikes, 2,
          "Ping strikes tolerated per connection.");
ABSL_FLAG(int, max_concurrent_streams, 100,
          "Calls one client connection may have open at once (HTTP/2 "
          "SETTINGS_MAX_CONCURRENT_STREAMS, both listeners); further calls "
          "wait on the client for one to finish.");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10),
          "A connection that has not completed its TLS and HTTP/2 "
          "handshakes within this is closed (both listeners).");
ABSL_FLAG(absl::Duration, max_connection_idle, absl::Minutes(5),
          "A connection without a call for this long is closed (GOAWAY), "
          "on both listeners; inf: never.");
ABSL_FLAG(absl::Duration, max_connection_age, absl::Minutes(30),
          "A storefront connection this old is sent GOAWAY so clients "
          "reconnect and rebalance across replicas; its open calls get "
          "--max_connection_age_grace to finish; inf: never. Not applied "
          "to the sync listener (long imports stream on one connection).");
ABSL_FLAG(absl::Duration, max_connection_age_grace, absl::Seconds(30),
          "How long calls of a connection past --max_connection_age may "
          "still run before it is closed.");
ABSL_FLAG(std::string, metrics_listen, "0.0.0.0:9464",
          "HTTP address of /metrics (Prometheus), /healthz and /readyz; "
          "empty disables it. If it cannot be bound, the server logs an "
          "error and serves without it.");

// --- High availability: replica reads (the Redis and Sentinel flags are in
// cache/redis_flags.cc) ---
ABSL_FLAG(std::string, read_from, "primary",
          "primary or replica: where storefront reads go. Writes (sync API, "
          "subscriptions) always go to the primary. replica needs "
          "--redis_sentinel_addresses (a healthy replica is chosen; the "
          "primary while there is none).");

namespace availability::server {
using ::availability::base::Log;
using ::availability::base::LogLevel;
using ::availability::base::LogField;
using ::availability::base::ReadSecret;
using ::availability::base::ApplyEnvironmentToFlags;
using ::availability::base::ParseLogLevel;
using ::availability::base::SetLogLevel;
using ::availability::base::InstallProtobufLogHandler;
using ::availability::cache::RedisConnectionConfig;
using ::availability::cache::RedisConnectionFromFlags;
using ::availability::cache::RedisFlagNames;

namespace {

// Flags of the security and operations block, also read from
// AVAILABILITY_<NAME>.
const std::vector<std::string>& OpsFlagNames() {
  static const auto* names = new std::vector<std::string>{
      "tls_cert_file", "tls_key_file", "tls_client_ca_file",
      "sync_tls_cert_file", "sync_tls_key_file", "sync_tls_client_ca_file",
      "sync_allowed_client_subjects", "max_message_bytes",
      "sync_max_message_bytes", "max_concurrent_calls",
      "keepalive_min_ping_interval", "keepalive_max_ping_strikes",
      "max_concurrent_streams", "handshake_timeout", "max_connection_idle",
      "max_connection_age",
      "max_connection_age_grace", "metrics_listen"};
  return *names;
}

// Flags that take their value from AVAILABILITY_<NAME> when set (besides
// OpsFlagNames and RedisFlagNames).
const std::vector<std::string>& ServerFlagNames() {
  static const auto* names = new std::vector<std::string>{
      "listen",          "sync_listen",     "sync_token_file",
      "max_call_time",   "shutdown_grace",  "health_interval",
      "log_level",       "unhealthy_after", "near_cache",
      "near_cache_entries", "near_cache_bytes", "near_cache_max_age",
      "near_cache_max_stale", "invalidation_ping_interval",
      "invalidation_ping_timeout", "read_from"};
  return *names;
}

[[noreturn]] void Die(absl::string_view message,
                      std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, message, fields);
  std::exit(1);
}

// Pings Redis every `interval` and publishes SERVING while it answers.
// Once serving, failures turn it NOT_SERVING only after they lasted
// `unhealthy_after` (the near-cache answers meanwhile, stale); the first
// answered ping turns it back to SERVING. Before the first answer: NOT_SERVING.
class HealthReporter {
 public:
  HealthReporter(cache::RedisClient& redis, grpc::Server& server,
                 absl::Duration interval, absl::Duration unhealthy_after)
      : redis_(redis),
        server_(server),
        interval_(interval),
        unhealthy_after_(unhealthy_after) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~HealthReporter() {
    stop_.Notify();
    thread_.join();
  }

 private:
  void Loop() {
    bool last = false;
    bool first = true;
    do {
      auto answered = std::make_shared<absl::Notification>();
      auto ok = std::make_shared<std::atomic<bool>>(false);
      redis_.Execute({"PING"}, absl::Now() + interval_,
                     [answered, ok](absl::StatusOr<cache::RedisReply> r) {
                       ok->store(r.ok() && !r->is_error());
                       answered->Notify();
                     });
      answered->WaitForNotificationWithTimeout(interval_ + absl::Seconds(1));
      // Once serving, failures count only after --unhealthy_after (the
      // near-cache answers meanwhile, marked stale).
      const bool answered_now = ok->load();
      const absl::Time now = absl::Now();
      if (answered_now) {
        failing_since_ = absl::InfiniteFuture();
      } else if (failing_since_ == absl::InfiniteFuture()) {
        failing_since_ = now;
      }
      const bool serving =
          answered_now ||
          (!first && last && now - failing_since_ < unhealthy_after_);
      if (first || serving != last) {
        // "" and the service name follow Redis (readiness); "liveness"
        // stays SERVING while the process runs, so a Redis outage takes
        // pods out of the Service without restarting them.
        grpc::HealthCheckServiceInterface* health =
            server_.GetHealthCheckService();
        health->SetServingStatus("", serving);
        health->SetServingStatus("availability.v1.Availability", serving);
        health->SetServingStatus("liveness", true);
        Log(serving ? LogLevel::kInfo : LogLevel::kWarning,
            serving ? "serving" : "not serving: redis does not answer");
        last = serving;
        first = false;
      }
    } while (!stop_.WaitForNotificationWithTimeout(interval_));
  }

  cache::RedisClient& redis_;
  grpc::Server& server_;
  const absl::Duration interval_;
  const absl::Duration unhealthy_after_;
  absl::Time failing_since_ = absl::InfiniteFuture();
  absl::Notification stop_;
  std::thread thread_;
};

// What the security and operations flags ask for, checked.
struct OpsSettings {
  std::shared_ptr<grpc::ServerCredentials> storefront_credentials;
  std::shared_ptr<grpc::ServerCredentials> sync_credentials;
  ListenerHardening storefront_limits;
  ListenerHardening sync_limits;
  std::vector<std::string> sync_allowed_subjects;
};

// Exits with a log line naming the flag and what to fix when one is bad.
OpsSettings OpsSettingsFromFlags() {
  OpsSettings ops;
  TlsFiles storefront{absl::GetFlag(FLAGS_tls_cert_file),
                      absl::GetFlag(FLAGS_tls_key_file),
                      absl::GetFlag(FLAGS_tls_client_ca_file),
                      ClientCerts::kRequire};
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      ServerCredentialsFromFiles(storefront);
  if (!creds.ok()) {
    Die("bad TLS configuration",
        {{"listener", "storefront"},
         {"error", std::string(creds.status().message())},
         {"check", "--tls_cert_file, --tls_key_file, --tls_client_ca_file"}});
  }
  ops.storefront_credentials = *creds;
  TlsFiles sync = storefront;
  if (!absl::GetFlag(FLAGS_sync_tls_cert_file).empty() ||
      !absl::GetFlag(FLAGS_sync_tls_key_file).empty()) {
    sync.cert_file = absl::GetFlag(FLAGS_sync_tls_cert_file);
    sync.key_file = absl::GetFlag(FLAGS_sync_tls_key_file);
  }
  if (!absl::GetFlag(FLAGS_sync_tls_client_ca_file).empty()) {
    sync.client_ca_file = absl::GetFlag(FLAGS_sync_tls_client_ca_file);
  }
  sync.client_certs = ClientCerts::kVerifyIfPresent;
  creds = ServerCredentialsFromFiles(sync);
  if (!creds.ok()) {
    Die("bad TLS configuration",
        {{"listener", "sync"},
         {"error", std::string(creds.status().message())},
         {"check", "--sync_tls_cert_file, --sync_tls_key_file, "
                   "--sync_tls_client_ca_file"}});
  }
  ops.sync_credentials = *creds;
  for (absl::string_view subject :
       absl::StrSplit(absl::GetFlag(FLAGS_sync_allowed_client_subjects), ',',
                      absl::SkipWhitespace())) {
    ops.sync_allowed_subjects.emplace_back(absl::StripAsciiWhitespace(subject));
  }
  if (!ops.sync_allowed_subjects.empty() && sync.client_ca_file.empty()) {
    Die("bad flag",
        {{"error", "--sync_allowed_client_subjects needs verified client "
                   "certificates on the sync listener"},
         {"check", "set --sync_tls_client_ca_file (or --tls_client_ca_file) "
                   "and TLS certificate and key files"}});
  }
  ops.storefront_limits.max_receive_message_bytes =
      absl::GetFlag(FLAGS_max_message_bytes);
  ops.sync_limits.max_receive_message_bytes =
      absl::GetFlag(FLAGS_sync_max_message_bytes);
  for (ListenerHardening* limits : {&ops.storefront_limits, &ops.sync_limits}) {
    limits->min_ping_interval =
        absl::GetFlag(FLAGS_keepalive_min_ping_interval);
    limits->max_ping_strikes = absl::GetFlag(FLAGS_keepalive_max_ping_strikes);
    limits->max_concurrent_streams =
        absl::GetFlag(FLAGS_max_concurrent_streams);
    limits->handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
    limits->max_connection_idle = absl::GetFlag(FLAGS_max_connection_idle);
    if (limits == &ops.storefront_limits) {
      limits->max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
      limits->max_connection_age_grace =
          absl::GetFlag(FLAGS_max_connection_age_grace);
    }
    if (absl::Status valid = ValidateHardening(*limits); !valid.ok()) {
      Die("bad flag",
          {{"error", std::string(valid.message())},
           {"check", "--max_message_bytes, --sync_max_message_bytes, "
                     "--keepalive_min_ping_interval, "
                     "--keepalive_max_ping_strikes, "
                     "--max_concurrent_streams, --handshake_timeout, "
                     "--max_connection_idle, "
                     "--max_connection_age, --max_connection_age_grace"}});
    }
  }
  if (absl::GetFlag(FLAGS_max_concurrent_calls) < 0) {
    Die("bad flag", {{"error", "--max_concurrent_calls: must be >= 0"}});
  }
  return ops;
}

// Whether storefront reads go to a replica (--read_from=replica), checked
// against the Redis flags. Exits with a log line naming the flag when it is
// bad.
bool ReadFromReplicaFromFlags(const RedisConnectionConfig& redis) {
  const std::string read_from = absl::GetFlag(FLAGS_read_from);
  if (read_from != "primary" && read_from != "replica") {
    Die("bad flag", {{"error", "--read_from: not one of primary, replica"}});
  }
  if (redis.sentinel == nullptr) {
    if (read_from == "replica") {
      Die("bad flag", {{"error", "--read_from=replica needs "
                                 "--redis_sentinel_addresses"}});
    }
    return false;
  }
  Log(LogLevel::kInfo, "redis through sentinel",
      {{"sentinels", redis.sentinel_addresses},
       {"master", redis.sentinel_master},
       {"read_from", read_from}});
  return read_from == "replica";
}

// Set (from a gRPC thread) when a gRPC listener failed to accept and will
// not accept again; the server then drains and exits 1.
std::atomic<bool> listener_failed{false};

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "availability-server: answers storefront availability queries from "
      "Redis.\nEvery flag may also be set by the environment variable "
      "AVAILABILITY_<FLAG NAME IN CAPITALS>, e.g. AVAILABILITY_REDIS_HOST.");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "server/") || cache::IsRedisFlagsFile(file);
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  if (absl::Status env = ApplyEnvironmentToFlags(ServerFlagNames());
      !env.ok()) {
    Die("bad environment", {{"error", std::string(env.message())}});
  }
  if (absl::Status env = ApplyEnvironmentToFlags(OpsFlagNames()); !env.ok()) {
    Die("bad environment", {{"error", std::string(env.message())}});
  }
  if (absl::Status env = ApplyEnvironmentToFlags(RedisFlagNames());
      !env.ok()) {
    Die("bad environment", {{"error", std::string(env.message())}});
  }
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil checks lock order on every Mutex acquisition (graph
  // cycle bookkeeping, ~4% of a warm Get's server CPU in perf); the tests
  // keep the check, the server does without it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  LogLevel level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    Die("bad flag", {{"error", "--log_level: not one of debug, info, "
                               "warning, error"}});
  }
  SetLogLevel(level);
  // protobuf's own messages join the JSON log instead of stderr text.
  InstallProtobufLogHandler();
  // So do libevent's (HTTP endpoint, Redis client loops) and gRPC's. A
  // gRPC listener that fails to accept never accepts again (gRPC 1.51):
  // drain and exit non-zero so the pod is replaced.
  base::HttpEndpoint::RouteLibeventLogs();
  InstallGrpcLogHandler([] {
    listener_failed.store(true);
    kill(getpid(), SIGTERM);
  });
  // Every connection the hard limit allows can be accepted.
  if (absl::StatusOr<OpenFilesLimit> files = RaiseOpenFilesLimit();
      files.ok()) {
    Log(LogLevel::kInfo, "open files limit",
        {{"soft_was", absl::StrCat(files->soft_before)},
         {"soft", absl::StrCat(files->soft)},
         {"hard", absl::StrCat(files->hard)}});
  } else {
    Log(LogLevel::kWarning, "open files limit not raised",
        {{"error", std::string(files.status().message())}});
  }

  // Security and operations. The metrics outlive everything that reports
  // to them (declared first, destroyed last).
  base::MetricsRegistry metrics_registry;
  ServerMetrics server_metrics(metrics_registry, core::SystemClock::Get());
  CallLimiter call_limiter(absl::GetFlag(FLAGS_max_concurrent_calls));
  RegisterCallLimiterMetrics(metrics_registry, call_limiter);
  const OpsSettings ops = OpsSettingsFromFlags();

  // Signals are handled by sigwait below; every thread started from here on
  // inherits the block.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<RedisConnectionConfig> redis_config =
      RedisConnectionFromFlags();
  if (!redis_config.ok()) {
    Die("bad flag", {{"error", std::string(redis_config.status().message())}});
  }
  // High availability: with sentinels, `redis` (reads, health, near-cache
  // invalidations) follows --read_from and `write_redis` the primary.
  const bool read_replica = ReadFromReplicaFromFlags(*redis_config);
  cache::RedisOptions redis_options = redis_config->options;
  cache::RedisOptions write_options = redis_options;
  if (redis_config->sentinel != nullptr) {
    redis_options.resolve_endpoint = redis_config->sentinel->Resolver(
        read_replica ? cache::SentinelResolver::Role::kReplica
                     : cache::SentinelResolver::Role::kPrimary,
        static_cast<size_t>(getpid()));
    write_options.resolve_endpoint = redis_config->sentinel->Resolver(
        cache::SentinelResolver::Role::kPrimary);
  }
  absl::StatusOr<std::unique_ptr<cache::RedisClient>> redis =
      cache::RedisClient::Start(redis_options);
  if (!redis.ok()) {
    Die("redis client not started",
        {{"error", std::string(redis.status().message())}});
  }
  std::unique_ptr<cache::RedisClient> primary_redis;  // --read_from=replica
  if (read_replica) {
    absl::StatusOr<std::unique_ptr<cache::RedisClient>> started =
        cache::RedisClient::Start(write_options);
    if (!started.ok()) {
      Die("redis client not started",
          {{"error", std::string(started.status().message())}});
    }
    primary_redis = *std::move(started);
  }
  cache::RedisClient& write_redis =
      primary_redis != nullptr ? *primary_redis : **redis;

  const core::Clock& clock = core::SystemClock::Get();
  const cache::KeySchema keys(redis_config->key_prefix);
  MeteredRedisClient metered_redis(**redis, server_metrics);
  MeteredRedisClient metered_write_redis(write_redis, server_metrics);
  cache::RecordStore store(metered_redis, keys);
  cache::SubscriptionStore subscriptions(metered_write_redis, keys);
  ChannelResolver channels(ChannelResolver::Options{}, store, clock);

  // Near-cache and the invalidation feed (which also drives
  // WatchAvailability, so it runs with the near-cache off too). Declared
  // after the Redis client and before the services: the listener stops
  // first.
  std::unique_ptr<cache::NearCache> near_cache;
  if (absl::GetFlag(FLAGS_near_cache)) {
    cache::NearCacheOptions cache_options;
    const int64_t entries = absl::GetFlag(FLAGS_near_cache_entries);
    const int64_t bytes = absl::GetFlag(FLAGS_near_cache_bytes);
    if (entries <= 0 || bytes <= 0) {
      Die("bad flag", {{"error", "--near_cache_entries and "
                                 "--near_cache_bytes must be positive"}});
    }
    cache_options.max_entries = static_cast<size_t>(entries);
    cache_options.max_bytes = static_cast<size_t>(bytes);
    cache_options.max_age = absl::GetFlag(FLAGS_near_cache_max_age);
    cache_options.max_stale = absl::GetFlag(FLAGS_near_cache_max_stale);
    near_cache =
        std::make_unique<cache::NearCache>(cache_options, keys, clock);
    const cache::NearCache* cache_for_metrics = near_cache.get();
    RegisterNearCacheMetrics(
        metrics_registry,
        [cache_for_metrics] { return cache_for_metrics->stats().hits; },
        [cache_for_metrics] { return cache_for_metrics->stats().misses; });
  }
  WatchRegistry watches(keys);
  // Scraped over HTTP, which is stopped before `watches` goes.
  RegisterWatchMetrics(metrics_registry, [&watches] {
    return static_cast<double>(watches.size());
  });
  cache::InvalidationListener::Options listener_options;
  listener_options.redis = redis_options;
  listener_options.key_prefix = keys.prefix();
  listener_options.ping_interval =
      absl::GetFlag(FLAGS_invalidation_ping_interval);
  listener_options.ping_timeout =
      absl::GetFlag(FLAGS_invalidation_ping_timeout);
  cache::InvalidationListener::Observer observer;
  observer.on_keys = [&watches](const std::vector<std::string>& changed) {
    watches.OnKeys(changed);
  };
  observer.on_all = [&watches] { watches.OnAll(); };
  absl::StatusOr<std::unique_ptr<cache::InvalidationListener>> listener =
      cache::InvalidationListener::Start(listener_options, **redis,
                                         near_cache.get(), observer);
  if (!listener.ok()) {
    Die("invalidation listener not started",
        {{"error", std::string(listener.status().message())}});
  }

  AvailabilityLookup lookup(store, channels, clock, near_cache.get());
  // Scraped over HTTP, which is stopped before `lookup` goes.
  metrics_registry.AddCounterFunction(
      "availability_undecodable_records_total",
      "Reads of broken records (bytes that do not decode, or another Redis "
      "type at a record key): answered as item errors, or skipped as "
      "alternatives. The log names the keys.",
      [&lookup] { return lookup.undecodable_records(); });
  AvailabilityService::Options service_options;
  service_options.max_call_time = absl::GetFlag(FLAGS_max_call_time);
  AvailabilityService storefront(service_options, lookup, &subscriptions,
                                 clock, &watches);

  // The sync/admin API on its own listener, only with a token.
  cache::RecordWriter writer(metered_write_redis, keys);
  std::unique_ptr<InventorySyncService> sync;
  std::unique_ptr<grpc::Server> sync_server;
  const std::string sync_address = absl::GetFlag(FLAGS_sync_listen);
  if (!sync_address.empty()) {
    absl::StatusOr<std::string> token = ReadSecret(
        absl::GetFlag(FLAGS_sync_token_file), "AVAILABILITY_SYNC_TOKEN");
    if (!token.ok()) {
      Die("sync token not readable",
          {{"error", std::string(token.status().message())}});
    }
    InventorySyncService::Options sync_options;
    sync_options.token = *token;
    sync_options.allowed_client_subjects = ops.sync_allowed_subjects;
    if (token->empty() && ops.sync_allowed_subjects.empty()) {
      Log(LogLevel::kWarning,
          "sync listener disabled: no token (set --sync_token_file or "
          "AVAILABILITY_SYNC_TOKEN)");
    } else if (absl::Status valid =
                   InventorySyncService::ValidateOptions(sync_options);
               !valid.ok()) {
      Die("sync token rejected", {{"error", std::string(valid.message())}});
    } else {
      sync = std::make_unique<InventorySyncService>(sync_options, writer,
                                                    write_redis, clock);
      grpc::ServerBuilder sync_builder;
      int sync_port = 0;
      sync_builder.AddListeningPort(sync_address, ops.sync_credentials,
                                    &sync_port);
      ApplyHardening(ops.sync_limits, sync_builder);
      std::vector<std::unique_ptr<
          grpc::experimental::ServerInterceptorFactoryInterface>>
          sync_interceptors;
      sync_interceptors.push_back(server_metrics.MakeInterceptorFactory());
      sync_builder.experimental().SetInterceptorCreators(
          std::move(sync_interceptors));
      sync_builder.RegisterService(sync.get());
      sync_server = sync_builder.BuildAndStart();
      if (sync_server == nullptr || sync_port == 0) {
        Die("cannot listen", {{"address", sync_address}});
      }
      Log(LogLevel::kInfo, "listening",
          {{"service", "sync"},
           {"address", sync_address},
           {"port", absl::StrCat(sync_port)}});
    }
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int storefront_port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                           ops.storefront_credentials, &storefront_port);
  ApplyHardening(ops.storefront_limits, builder);
  {
    // The limiter first: the metrics interceptor then sees its refusals.
    std::vector<std::unique_ptr<
        grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(
        MakeStorefrontCallLimitInterceptorFactory(call_limiter));
    interceptors.push_back(server_metrics.MakeInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  builder.RegisterService(&storefront);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || storefront_port == 0) {
    Die("cannot listen", {{"address", absl::GetFlag(FLAGS_listen)}});
  }
  Log(LogLevel::kInfo, "listening",
      {{"service", "storefront"},
       {"address", absl::GetFlag(FLAGS_listen)},
       {"port", absl::StrCat(storefront_port)}});

  // HTTP /metrics, /healthz, /readyz; /readyz asks the gRPC health service
  // in-process, so it says exactly what gRPC probes see.
  std::unique_ptr<base::HttpEndpoint> http;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_listen);
      !address.empty()) {
    base::HttpEndpoint::Handlers handlers;
    handlers.metrics = [&metrics_registry] {
      return metrics_registry.RenderText();
    };
    handlers.ready = GrpcHealthProbe(
        server->InProcessChannel(grpc::ChannelArguments()), "",
        absl::Seconds(1));
    absl::StatusOr<std::unique_ptr<base::HttpEndpoint>> started =
        base::HttpEndpoint::Start(address, std::move(handlers));
    if (!started.ok()) {
      // Availability answers matter more than their metrics: keep serving.
      Log(LogLevel::kError, "metrics endpoint not started; serving without it",
          {{"address", address},
           {"error", std::string(started.status().message())},
           {"check", "--metrics_listen (empty disables it)"}});
    } else {
      http = *std::move(started);
      Log(LogLevel::kInfo, "listening",
          {{"service", "metrics"},
           {"address", address},
           {"port", absl::StrCat(http->port())}});
    }
  }

  {
    HealthReporter health(**redis, *server,
                          absl::GetFlag(FLAGS_health_interval),
                          absl::GetFlag(FLAGS_unhealthy_after));
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    if (listener_failed.load()) {
      Log(LogLevel::kError,
          "shutting down: a gRPC listener stopped accepting connections",
          {{"check", "out of file descriptors? the open files limit "
                     "(hard) and the number of client connections"}});
    } else {
      Log(LogLevel::kInfo, "shutting down",
          {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
    }
    server->GetHealthCheckService()->SetServingStatus(false);
  }
  const auto drain_deadline =
      absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_shutdown_grace));
  if (sync_server != nullptr) sync_server->Shutdown(drain_deadline);
  server->Shutdown(drain_deadline);
  server->Wait();
  if (sync_server != nullptr) sync_server->Wait();
  if (listener_failed.load()) {
    Log(LogLevel::kError, "stopped", {{"exit_code", "1"}});
    return 1;
  }
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace availability::server

int main(int argc, char** argv) {
  return availability::server::Run(argc, argv);
}
