// availability-server: the storefront availability gRPC server.
//
// Serves availability.v1.Availability (plus gRPC health and reflection) on
// --listen and, when a sync token is configured, availability.v1.InventorySync
// on --sync_listen. Reads from Redis. Every flag can also be set by an
// environment variable: --redis_host <-> AVAILABILITY_REDIS_HOST. This file
// turns flags into an AvailabilityServerConfig (server/availability_server.h,
// which runs everything) and handles the process: log set-up, signals.
// SIGTERM/SIGINT: stop accepting, finish in-flight calls within
// --shutdown_grace, exit 0. A gRPC listener that stops accepting (gRPC
// 1.51 after EMFILE): the same drain, exit 1, so the pod is replaced.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/env_flags.h"
#include "base/http_endpoint.h"
#include "base/log.h"
#include "cache/near_cache.h"
#include "cache/redis_flags.h"
#include "cache/sentinel.h"
#include "grpcpp/grpcpp.h"
#include "server/availability_server.h"
#include "server/listener_hardening.h"
#include "server/tls.h"
#include "server/watch_limits.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051",
          "Storefront gRPC address (Availability, health, reflection).");
ABSL_FLAG(std::string, sync_listen, "0.0.0.0:50052",
          "Sync/admin gRPC address (InventorySync); empty disables it. "
          "Needs a token: --sync_token_file or AVAILABILITY_SYNC_TOKEN.");
ABSL_FLAG(std::string, sync_token_file, "",
          "File holding the sync API bearer token (else the environment "
          "variable AVAILABILITY_SYNC_TOKEN).");
ABSL_FLAG(std::string, sync_read_token_file, "",
          "File holding a second, read-only sync API bearer token (else "
          "AVAILABILITY_SYNC_READ_TOKEN; optional): TailEvents, "
          "GetStoreConfig, Claim/AckNotificationJobs only.");
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
          "Storefront calls in flight beyond which new calls fail "
          "RESOURCE_EXHAUSTED at once; 0: no limit. WatchAvailability "
          "streams do not count (see --max_watch_streams).");
ABSL_FLAG(int, max_watch_streams_per_connection, 50,
          "WatchAvailability streams one client connection may have open; "
          "further ones fail RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, max_watch_streams, 5000,
          "WatchAvailability streams open on the server beyond which new "
          "ones fail RESOURCE_EXHAUSTED.");
ABSL_FLAG(int64_t, max_watched_skus, 200000,
          "SKUs watched by all open WatchAvailability streams together "
          "beyond which a new stream fails RESOURCE_EXHAUSTED (what watch "
          "memory grows with).");
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
ABSL_FLAG(int64_t, max_unfinished_streams, 500,
          "A client connection (either listener) with more streams started "
          "and not yet finished by the server is closed: a client resetting "
          "streams faster than they finish (HTTP/2 rapid reset, "
          "CVE-2023-44487). Keep it well above --max_concurrent_streams; "
          "0: never.");
ABSL_FLAG(std::string, metrics_listen, "0.0.0.0:9464",
          "HTTP address of /metrics (Prometheus), /healthz and /readyz; "
          "empty disables it. If it cannot be bound, the server logs an "
          "error and serves without it.");

// --- Back-in-stock subscriptions (docs/operations.md) ---
ABSL_FLAG(std::string, subscription_secret_file, "",
          "File holding the secret the storefront proves subscriber ids "
          "with (else the environment variable "
          "AVAILABILITY_SUBSCRIPTION_SECRET): a subscription carries "
          "HMAC-SHA256(secret, subscriber_id) in hex.");
ABSL_FLAG(bool, allow_anonymous_subscriptions, false,
          "Take back-in-stock subscriptions without a subscriber proof "
          "(any client may then subscribe any id, within the caps).");
ABSL_FLAG(int64_t, subscription_max_per_subscriber, 100,
          "Open back-in-stock subscriptions one subscriber id may have on "
          "a stock; more fail RESOURCE_EXHAUSTED.");
ABSL_FLAG(int64_t, subscription_max_per_sku, 10000,
          "Open back-in-stock subscriptions one SKU may have on a stock; "
          "more fail RESOURCE_EXHAUSTED.");
ABSL_FLAG(absl::Duration, subscription_expiry, absl::Hours(24 * 90),
          "How long a back-in-stock subscription stays open; then it is "
          "gone without a notification.");
// --- Demand signals (docs/operations.md, "Demand report") ---
ABSL_FLAG(bool, demand_counting, true,
          "Count storefront answers that showed out of stock, backorderable "
          "or preorder (per stock and SKU) and add them to Redis every "
          "--demand_flush_interval, for InventorySync.GetDemandReport.");
ABSL_FLAG(absl::Duration, demand_flush_interval, absl::Seconds(5),
          "How often the demand counts held in memory are added to Redis.");
ABSL_FLAG(int64_t, demand_max_entries, 100000,
          "Most stock+SKU demand entries held in memory between flushes; "
          "answers for further SKUs are not counted "
          "(availability_demand_dropped_total).");
ABSL_FLAG(absl::Duration, demand_bucket_ttl, absl::Hours(24 * 35),
          "How long a day of demand counts stays in Redis (the report reads "
          "up to 30 days).");

// --- High availability: replica reads (the Redis and Sentinel flags are in
// cache/redis_flags.cc) ---
ABSL_FLAG(std::string, read_from, "primary",
          "primary or replica: where storefront reads go. Writes (sync API, "
          "subscriptions) always go to the primary. replica needs "
          "--redis_sentinel_addresses (a healthy replica is chosen; the "
          "primary while there is none).");

namespace availability::server {
using ::availability::base::ApplyEnvironmentToFlags;
using ::availability::base::InstallProtobufLogHandler;
using ::availability::base::Log;
using ::availability::base::LogField;
using ::availability::base::LogLevel;
using ::availability::base::ParseLogLevel;
using ::availability::base::ReadSecret;
using ::availability::base::SetLogLevel;
using ::availability::cache::RedisConnectionConfig;
using ::availability::cache::RedisConnectionFromFlags;
using ::availability::cache::RedisFlagNames;

namespace {

// Flags of the security and operations block, also read from
// AVAILABILITY_<NAME>.
const std::vector<std::string>& OpsFlagNames() {
  static const auto* names =
      new std::vector<std::string>{"tls_cert_file",
                                   "tls_key_file",
                                   "tls_client_ca_file",
                                   "sync_tls_cert_file",
                                   "sync_tls_key_file",
                                   "sync_tls_client_ca_file",
                                   "sync_allowed_client_subjects",
                                   "max_message_bytes",
                                   "sync_max_message_bytes",
                                   "max_concurrent_calls",
                                   "max_watch_streams_per_connection",
                                   "max_watch_streams",
                                   "max_watched_skus",
                                   "keepalive_min_ping_interval",
                                   "keepalive_max_ping_strikes",
                                   "max_concurrent_streams",
                                   "handshake_timeout",
                                   "max_connection_idle",
                                   "max_connection_age",
                                   "max_connection_age_grace",
                                   "max_unfinished_streams",
                                   "metrics_listen"};
  return *names;
}

// Flags that take their value from AVAILABILITY_<NAME> when set (besides
// OpsFlagNames and RedisFlagNames).
const std::vector<std::string>& ServerFlagNames() {
  static const auto* names =
      new std::vector<std::string>{"listen",
                                   "sync_listen",
                                   "sync_token_file",
                                   "sync_read_token_file",
                                   "max_call_time",
                                   "shutdown_grace",
                                   "health_interval",
                                   "log_level",
                                   "unhealthy_after",
                                   "near_cache",
                                   "near_cache_entries",
                                   "near_cache_bytes",
                                   "near_cache_max_age",
                                   "near_cache_max_stale",
                                   "invalidation_ping_interval",
                                   "invalidation_ping_timeout",
                                   "read_from",
                                   "subscription_secret_file",
                                   "allow_anonymous_subscriptions",
                                   "subscription_max_per_subscriber",
                                   "subscription_max_per_sku",
                                   "subscription_expiry",
                                   "demand_counting",
                                   "demand_flush_interval",
                                   "demand_max_entries",
                                   "demand_bucket_ttl"};
  return *names;
}

[[noreturn]] void Die(absl::string_view message,
                      std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, message, fields);
  std::exit(1);
}

// What the security and operations flags ask for, checked.
struct OpsSettings {
  std::shared_ptr<grpc::ServerCredentials> storefront_credentials;
  std::shared_ptr<grpc::ServerCredentials> sync_credentials;
  ListenerHardening storefront_limits;
  ListenerHardening sync_limits;
  WatchLimits::Options watch_limits;
  std::vector<std::string> sync_allowed_subjects;
};

// Exits with a log line naming the flag and what to fix when one is bad.
OpsSettings OpsSettingsFromFlags() {
  OpsSettings ops;
  TlsFiles storefront{
      absl::GetFlag(FLAGS_tls_cert_file), absl::GetFlag(FLAGS_tls_key_file),
      absl::GetFlag(FLAGS_tls_client_ca_file), ClientCerts::kRequire};
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
         {"check",
          "--sync_tls_cert_file, --sync_tls_key_file, "
          "--sync_tls_client_ca_file"}});
  }
  ops.sync_credentials = *creds;
  for (absl::string_view subject :
       absl::StrSplit(absl::GetFlag(FLAGS_sync_allowed_client_subjects), ',',
                      absl::SkipWhitespace())) {
    ops.sync_allowed_subjects.emplace_back(absl::StripAsciiWhitespace(subject));
  }
  if (!ops.sync_allowed_subjects.empty() && sync.client_ca_file.empty()) {
    Die("bad flag", {{"error",
                      "--sync_allowed_client_subjects needs verified client "
                      "certificates on the sync listener"},
                     {"check",
                      "set --sync_tls_client_ca_file (or --tls_client_ca_file) "
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
      Die("bad flag", {{"error", std::string(valid.message())},
                       {"check",
                        "--max_message_bytes, --sync_max_message_bytes, "
                        "--keepalive_min_ping_interval, "
                        "--keepalive_max_ping_strikes, "
                        "--max_concurrent_streams, --handshake_timeout, "
                        "--max_connection_idle, "
                        "--max_connection_age, --max_connection_age_grace"}});
    }
  }
  const int64_t unfinished = absl::GetFlag(FLAGS_max_unfinished_streams);
  if (unfinished != 0 &&
      unfinished < 2 * int64_t{absl::GetFlag(FLAGS_max_concurrent_streams)}) {
    Die("bad flag",
        {{"error",
          "--max_unfinished_streams: must be 0 or at least twice "
          "--max_concurrent_streams (a client may have that many open)"}});
  }
  if (absl::GetFlag(FLAGS_max_concurrent_calls) < 0) {
    Die("bad flag", {{"error", "--max_concurrent_calls: must be >= 0"}});
  }
  ops.watch_limits.max_streams_per_connection =
      absl::GetFlag(FLAGS_max_watch_streams_per_connection);
  ops.watch_limits.max_streams = absl::GetFlag(FLAGS_max_watch_streams);
  ops.watch_limits.max_skus = absl::GetFlag(FLAGS_max_watched_skus);
  if (absl::Status valid = WatchLimits::Validate(ops.watch_limits);
      !valid.ok()) {
    Die("bad flag", {{"error", std::string(valid.message())},
                     {"check",
                      "--max_watch_streams_per_connection, "
                      "--max_watch_streams, --max_watched_skus"}});
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
      Die("bad flag", {{"error",
                        "--read_from=replica needs "
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

// The server's configuration from the flags (and so the environment).
// Exits with a log line naming the flag when one is bad.
AvailabilityServerConfig ConfigFromFlags(const OpsSettings& ops) {
  AvailabilityServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.storefront_credentials = ops.storefront_credentials;
  config.storefront_limits = ops.storefront_limits;
  config.max_concurrent_calls = absl::GetFlag(FLAGS_max_concurrent_calls);
  config.watch_limits = ops.watch_limits;
  config.max_unfinished_streams = absl::GetFlag(FLAGS_max_unfinished_streams);
  config.max_call_time = absl::GetFlag(FLAGS_max_call_time);

  config.sync_listen = absl::GetFlag(FLAGS_sync_listen);
  config.sync_credentials = ops.sync_credentials;
  config.sync_limits = ops.sync_limits;
  if (!config.sync_listen.empty()) {
    absl::StatusOr<std::string> token = ReadSecret(
        absl::GetFlag(FLAGS_sync_token_file), "AVAILABILITY_SYNC_TOKEN");
    if (!token.ok()) {
      Die("sync token not readable",
          {{"error", std::string(token.status().message())}});
    }
    absl::StatusOr<std::string> read_token =
        ReadSecret(absl::GetFlag(FLAGS_sync_read_token_file),
                   "AVAILABILITY_SYNC_READ_TOKEN");
    if (!read_token.ok()) {
      Die("sync read-only token not readable",
          {{"error", std::string(read_token.status().message())}});
    }
    config.sync.token = *token;
    config.sync.read_token = *read_token;
    config.sync.allowed_client_subjects = ops.sync_allowed_subjects;
  }

  absl::StatusOr<std::string> subscription_secret =
      ReadSecret(absl::GetFlag(FLAGS_subscription_secret_file),
                 "AVAILABILITY_SUBSCRIPTION_SECRET");
  if (!subscription_secret.ok()) {
    Die("subscription secret not readable",
        {{"error", std::string(subscription_secret.status().message())}});
  }
  config.subscriber_auth.secret = *subscription_secret;
  config.subscriber_auth.allow_anonymous =
      absl::GetFlag(FLAGS_allow_anonymous_subscriptions);
  config.subscriptions.max_per_subscriber =
      absl::GetFlag(FLAGS_subscription_max_per_subscriber);
  config.subscriptions.max_per_sku =
      absl::GetFlag(FLAGS_subscription_max_per_sku);
  config.subscriptions.expiry = absl::GetFlag(FLAGS_subscription_expiry);
  if (config.subscriptions.max_per_subscriber < 1 ||
      config.subscriptions.max_per_sku < 1 ||
      config.subscriptions.expiry < absl::Milliseconds(1) ||
      config.subscriptions.expiry == absl::InfiniteDuration()) {
    Die("bad flag",
        {{"error",
          "--subscription_max_per_subscriber and --subscription_max_per_sku "
          "must be >= 1, --subscription_expiry finite and >= 1ms"}});
  }
  if (config.subscriber_auth.secret.empty() &&
      !config.subscriber_auth.allow_anonymous) {
    Log(LogLevel::kInfo,
        "back-in-stock subscriptions are refused: no subscription secret "
        "(--subscription_secret_file, AVAILABILITY_SUBSCRIPTION_SECRET) and "
        "--allow_anonymous_subscriptions is off");
  }

  absl::StatusOr<RedisConnectionConfig> redis = RedisConnectionFromFlags();
  if (!redis.ok()) {
    Die("bad flag", {{"error", std::string(redis.status().message())}});
  }
  // High availability: with sentinels, `redis` (reads, health, near-cache
  // invalidations) follows --read_from and `write_redis` the primary.
  const bool read_replica = ReadFromReplicaFromFlags(*redis);
  config.redis = redis->options;
  config.key_prefix = redis->key_prefix;
  if (redis->sentinel != nullptr) {
    config.redis.resolve_endpoint = redis->sentinel->Resolver(
        read_replica ? cache::SentinelResolver::Role::kReplica
                     : cache::SentinelResolver::Role::kPrimary,
        static_cast<size_t>(getpid()));
    if (read_replica) {
      config.write_redis = redis->options;
      config.write_redis->resolve_endpoint =
          redis->sentinel->Resolver(cache::SentinelResolver::Role::kPrimary);
    }
  }

  if (absl::GetFlag(FLAGS_near_cache)) {
    const int64_t entries = absl::GetFlag(FLAGS_near_cache_entries);
    const int64_t bytes = absl::GetFlag(FLAGS_near_cache_bytes);
    if (entries <= 0 || bytes <= 0) {
      Die("bad flag", {{"error",
                        "--near_cache_entries and "
                        "--near_cache_bytes must be positive"}});
    }
    cache::NearCacheOptions near_cache;
    near_cache.max_entries = static_cast<size_t>(entries);
    near_cache.max_bytes = static_cast<size_t>(bytes);
    near_cache.max_age = absl::GetFlag(FLAGS_near_cache_max_age);
    near_cache.max_stale = absl::GetFlag(FLAGS_near_cache_max_stale);
    config.near_cache = near_cache;
  } else {
    config.near_cache.reset();
  }
  config.invalidation_ping_interval =
      absl::GetFlag(FLAGS_invalidation_ping_interval);
  config.invalidation_ping_timeout =
      absl::GetFlag(FLAGS_invalidation_ping_timeout);

  config.demand.counting = absl::GetFlag(FLAGS_demand_counting);
  config.demand.flush_interval = absl::GetFlag(FLAGS_demand_flush_interval);
  config.demand.bucket_ttl = absl::GetFlag(FLAGS_demand_bucket_ttl);
  const int64_t demand_entries = absl::GetFlag(FLAGS_demand_max_entries);
  if (demand_entries < 1 ||
      config.demand.flush_interval <= absl::ZeroDuration() ||
      config.demand.bucket_ttl < absl::Seconds(1)) {
    Die("bad demand flags",
        {{"check",
          "--demand_max_entries >= 1, --demand_flush_interval > 0 and "
          "--demand_bucket_ttl >= 1s"}});
  }
  config.demand.max_entries = static_cast<size_t>(demand_entries);

  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  config.health_interval = absl::GetFlag(FLAGS_health_interval);
  config.unhealthy_after = absl::GetFlag(FLAGS_unhealthy_after);
  return config;
}

// --help: the server's flags and the Redis connection flags, grouped by
// the file that defines them, named from the source root (not the build
// machine's path).
absl::FlagsUsageConfig HelpConfig() {
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StartsWith(file, "server/") || cache::IsRedisFlagsFile(file);
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  usage.normalize_filename = [](absl::string_view file) {
    // __FILE__ is spelled as the flags' files are: what precedes
    // "server/main.cc" in it is the source root.
    constexpr absl::string_view kThisFile = "server/main.cc";
    const absl::string_view here = __FILE__;
    const absl::string_view root =
        absl::EndsWith(here, kThisFile)
            ? here.substr(0, here.size() - kThisFile.size())
            : absl::string_view();
    absl::ConsumePrefix(&file, root);
    return std::string(file);
  };
  return usage;
}

// Set (from a gRPC thread) when a gRPC listener failed to accept and will
// not accept again; the server then drains and exits 1.
std::atomic<bool> listener_failed{false};

int Run(int argc, char** argv) {
  // (Abseil puts the program's name in front.)
  absl::SetProgramUsageMessage(
      "answers storefront availability queries from Redis.\nEvery flag may "
      "also be set by the environment variable AVAILABILITY_<FLAG NAME IN "
      "CAPITALS>, e.g. AVAILABILITY_REDIS_HOST.");
  absl::SetFlagsUsageConfig(HelpConfig());
  if (absl::Status env = ApplyEnvironmentToFlags(ServerFlagNames());
      !env.ok()) {
    Die("bad environment", {{"error", std::string(env.message())}});
  }
  if (absl::Status env = ApplyEnvironmentToFlags(OpsFlagNames()); !env.ok()) {
    Die("bad environment", {{"error", std::string(env.message())}});
  }
  if (absl::Status env = ApplyEnvironmentToFlags(RedisFlagNames()); !env.ok()) {
    Die("bad environment", {{"error", std::string(env.message())}});
  }
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil checks lock order on every Mutex acquisition (graph
  // cycle bookkeeping, ~4% of a warm Get's server CPU in perf); the tests
  // keep the check, the server does without it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  LogLevel level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    Die("bad flag", {{"error",
                      "--log_level: not one of debug, info, "
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

  const OpsSettings ops = OpsSettingsFromFlags();

  // Signals are handled by sigwait below; every thread started from here on
  // inherits the block.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<AvailabilityServer>> server =
      AvailabilityServer::Start(ConfigFromFlags(ops));
  if (!server.ok()) {
    Die("server not started",
        {{"error", std::string(server.status().message())}});
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  if (listener_failed.load()) {
    Log(LogLevel::kError,
        "shutting down: a gRPC listener stopped accepting connections",
        {{"check",
          "out of file descriptors? the open files limit "
          "(hard) and the number of client connections"}});
  } else {
    Log(LogLevel::kInfo, "shutting down",
        {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  }
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
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
