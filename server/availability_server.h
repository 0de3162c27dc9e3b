// The whole availability server in one object: the Redis clients, the
// near-cache and its invalidation feed, the storefront gRPC listener
// (Availability, health, reflection), the optional sync listener
// (InventorySync), HTTP /metrics /healthz /readyz and the health reporter.
// server/main.cc turns flags into an AvailabilityServerConfig; tests start
// one in-process on port 0 and read the bound ports.
//
//   AvailabilityServerConfig config;  // 127.0.0.1:0, no sync, no metrics
//   config.redis.port = redis_port;
//   auto server = AvailabilityServer::Start(std::move(config));
//   ... server->storefront_port() ...
//   (*server)->Shutdown(absl::Seconds(10));
//
// Start's errors: InvalidArgument for a rejected sync token or watch
// limits that are not positive, Unavailable
// when a Redis client, the invalidation listener or a gRPC listener cannot
// start (the message names the part). A metrics listener that cannot bind
// is logged and left out. Thread-safe: Shutdown and Wait may be called from
// any thread; process-wide settings (signals, log level, gRPC's log
// handler, open-files limit) are the caller's.
#ifndef AVAILABILITY_SERVER_AVAILABILITY_SERVER_H_
#define AVAILABILITY_SERVER_AVAILABILITY_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/http_endpoint.h"
#include "base/metrics.h"
#include "cache/catalog_settings_writer.h"
#include "cache/demand_store.h"
#include "cache/invalidation_listener.h"
#include "cache/key_schema.h"
#include "cache/near_cache.h"
#include "cache/record_store.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "cache/subscription_store.h"
#include "core/clock.h"
#include "grpcpp/grpcpp.h"
#include "server/availability_lookup.h"
#include "server/availability_service.h"
#include "server/call_limiter.h"
#include "server/call_metrics.h"
#include "server/channel_resolver.h"
#include "server/demand_counter.h"
#include "server/demand_flusher.h"
#include "server/demand_report.h"
#include "server/inventory_sync_service.h"
#include "server/listener_hardening.h"
#include "server/metered_redis_client.h"
#include "server/stream_flood_guard.h"
#include "server/watch_limits.h"
#include "server/watch_registry.h"

namespace availability::server {

struct AvailabilityServerConfig {
  // Storefront listener (Availability, health, reflection). Port 0 binds a
  // free port: see storefront_port(). Null credentials: plaintext.
  std::string listen = "127.0.0.1:0";
  std::shared_ptr<grpc::ServerCredentials> storefront_credentials;
  ListenerHardening storefront_limits;
  // Storefront calls in flight beyond which new ones fail
  // RESOURCE_EXHAUSTED; 0: no limit.
  int max_concurrent_calls = 2000;
  // Longest a storefront call may run when the client's deadline is later.
  absl::Duration max_call_time = absl::Seconds(1);
  // WatchAvailability streams per connection and in total, and SKUs
  // watched in total (streams do not count in max_concurrent_calls).
  WatchLimits::Options watch_limits;
  // A client connection (either listener) with more streams started and
  // not yet finished is closed (HTTP/2 rapid reset); 0: never.
  int64_t max_unfinished_streams = 500;

  // Sync listener (InventorySync): none when `sync_listen` is empty, or
  // when neither `sync.token` nor `sync.allowed_client_subjects` is set
  // (logged as a warning).
  std::string sync_listen;
  std::shared_ptr<grpc::ServerCredentials> sync_credentials;
  ListenerHardening sync_limits;
  InventorySyncService::Options sync;

  // Redis: `redis` serves reads, health pings and the invalidation feed;
  // `write_redis`, when set (reads from a replica), a second client for the
  // writes (sync API, subscriptions), else `redis` takes them too.
  cache::RedisOptions redis;
  std::optional<cache::RedisOptions> write_redis;
  std::string key_prefix = "av";

  // Near-cache (nullopt: off). The invalidation feed runs either way: it
  // drives WatchAvailability.
  std::optional<cache::NearCacheOptions> near_cache = cache::NearCacheOptions{};
  absl::Duration invalidation_ping_interval = absl::Milliseconds(200);
  absl::Duration invalidation_ping_timeout = absl::Milliseconds(600);

  // Demand signals (docs/operations.md, "Demand report"): storefront
  // answers counted in memory (at most `max_entries` stock+SKU entries)
  // and added to Redis every `flush_interval`, into day buckets that expire
  // after `bucket_ttl`. The report (sync API) works with counting off too.
  struct Demand {
    bool counting = true;
    size_t max_entries = 100000;
    absl::Duration flush_interval = absl::Seconds(5);
    absl::Duration bucket_ttl = absl::Hours(24 * 35);
  };
  Demand demand;

  // HTTP /metrics, /healthz, /readyz (empty: none; port 0: see
  // metrics_port()).
  std::string metrics_listen;
  // Redis is pinged every `health_interval`; once serving, failures turn
  // the gRPC health status NOT_SERVING after `unhealthy_after`.
  absl::Duration health_interval = absl::Seconds(1);
  absl::Duration unhealthy_after = absl::Seconds(5);

  // Back-in-stock subscriptions: caps and expiry, and who may subscribe
  // (the subscriber proof's secret; anonymous ones are off by default).
  cache::SubscriptionStore::Options subscriptions;
  SubscriberAuth::Options subscriber_auth;

  // "Now" of the decisions and metrics; must outlive the server.
  const core::Clock* clock = &core::SystemClock::Get();
};

class AvailabilityServer {
 public:
  // Starts every part and returns once the listeners accept (the health
  // status turns SERVING at the first answered Redis ping).
  static absl::StatusOr<std::unique_ptr<AvailabilityServer>> Start(
      AvailabilityServerConfig config);

  AvailabilityServer(const AvailabilityServer&) = delete;
  AvailabilityServer& operator=(const AvailabilityServer&) = delete;
  // Shuts down at once (zero grace) unless Shutdown ran.
  ~AvailabilityServer();

  // The bound ports; 0 for a listener that does not run.
  int storefront_port() const { return storefront_port_; }
  int sync_port() const { return sync_port_; }
  int metrics_port() const;

  // Reports NOT_SERVING, stops accepting, lets calls in flight run up to
  // `grace` (then cancels them), and returns when both gRPC listeners have
  // stopped. A second call waits for the first.
  void Shutdown(absl::Duration grace);
  // Blocks until Shutdown (from another thread) has returned.
  void Wait();

 private:
  class HealthReporter;

  AvailabilityServer();
  absl::Status StartParts(AvailabilityServerConfig& config);
  absl::Status StartSync(const AvailabilityServerConfig& config);
  absl::Status StartStorefront(const AvailabilityServerConfig& config);
  void StartHttp(const std::string& address);
  // The demand store, report, and (when counting) counter and flusher,
  // with their metrics.
  void StartDemand(const AvailabilityServerConfig& config);
  // The client for writes: the primary's when reads go to a replica.
  cache::RedisClient& WriteRedis() const;

  // Declared in start order: destroyed in reverse, each part before what
  // it uses (the metrics first in, last out; HTTP before what it scrapes).
  std::unique_ptr<base::MetricsRegistry> metrics_registry_;
  std::unique_ptr<ServerMetrics> server_metrics_;
  std::unique_ptr<CallLimiter> call_limiter_;
  std::unique_ptr<cache::RedisClient> redis_;
  std::unique_ptr<cache::RedisClient> primary_redis_;  // with write_redis
  std::unique_ptr<MeteredRedisClient> metered_redis_;
  std::unique_ptr<MeteredRedisClient> metered_write_redis_;
  std::unique_ptr<cache::RecordStore> store_;
  std::unique_ptr<cache::SubscriptionStore> subscriptions_;
  std::unique_ptr<ChannelResolver> channels_;
  std::unique_ptr<cache::NearCache> near_cache_;
  std::unique_ptr<WatchRegistry> watches_;
  std::unique_ptr<WatchLimits> watch_limits_;
  std::unique_ptr<cache::InvalidationListener> listener_;
  std::unique_ptr<AvailabilityLookup> lookup_;
  std::unique_ptr<cache::DemandStore> demand_store_;
  std::unique_ptr<DemandCounter> demand_counter_;  // null: counting off
  std::unique_ptr<DemandReport> demand_report_;
  std::unique_ptr<AvailabilityService> storefront_;
  std::unique_ptr<cache::RecordWriter> writer_;
  std::unique_ptr<cache::CatalogSettingsWriter> settings_;
  std::unique_ptr<InventorySyncService> sync_;
  std::unique_ptr<grpc::Server> sync_server_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<StreamFloodGuard> flood_guard_;
  // Stopped (one last flush) once the listeners have stopped.
  std::unique_ptr<DemandFlusher> demand_flusher_;
  std::unique_ptr<base::HttpEndpoint> http_;
  std::unique_ptr<HealthReporter> health_;
  int storefront_port_ = 0;
  int sync_port_ = 0;

  absl::Mutex shutdown_mu_;
  bool shutdown_started_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  absl::Notification stopped_;
};

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_AVAILABILITY_SERVER_H_
