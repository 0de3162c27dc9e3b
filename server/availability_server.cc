#include "server/availability_server.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace availability::server {

using ::availability::base::Log;
using ::availability::base::LogLevel;

// Pings Redis every `interval` and publishes SERVING while it answers.
// Once serving, failures turn it NOT_SERVING only after they lasted
// `unhealthy_after` (the near-cache answers meanwhile, stale); the first
// answered ping turns it back to SERVING. Before the first answer:
// NOT_SERVING. Runs its own thread until destroyed.
class AvailabilityServer::HealthReporter {
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
      // Once serving, failures count only after `unhealthy_after` (the
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

namespace {

std::shared_ptr<grpc::ServerCredentials> OrInsecure(
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  return credentials != nullptr ? std::move(credentials)
                                : grpc::InsecureServerCredentials();
}

absl::Status NotStarted(absl::string_view part, const absl::Status& error) {
  return absl::UnavailableError(
      absl::StrCat(part, " not started: ", error.message()));
}

using InterceptorFactories = std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>;

// Builds and starts one gRPC listener serving `service` on `address`
// (null credentials: plaintext) and logs the port bound; `name` is the
// listener's name in the log and the error. Errors: Unavailable when it
// cannot listen.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartListener(
    absl::string_view name, const std::string& address,
    std::shared_ptr<grpc::ServerCredentials> credentials,
    const ListenerHardening& limits, InterceptorFactories interceptors,
    grpc::Service* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, OrInsecure(std::move(credentials)), port);
  ApplyHardening(limits, builder);
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *port == 0) {
    return absl::UnavailableError(
        absl::StrCat(name, " listener: cannot listen on ", address));
  }
  Log(LogLevel::kInfo, "listening",
      {{"service", std::string(name)},
       {"address", address},
       {"port", absl::StrCat(*port)}});
  return server;
}

}  // namespace

AvailabilityServer::AvailabilityServer() = default;

AvailabilityServer::~AvailabilityServer() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<AvailabilityServer>> AvailabilityServer::Start(
    AvailabilityServerConfig config) {
  // A half-started server is shut down and destroyed on error.
  std::unique_ptr<AvailabilityServer> server(new AvailabilityServer());
  if (absl::Status s = server->StartParts(config); !s.ok()) return s;
  return server;
}

absl::Status AvailabilityServer::StartParts(AvailabilityServerConfig& config) {
  const core::Clock& clock = *config.clock;
  metrics_registry_ = std::make_unique<base::MetricsRegistry>();
  server_metrics_ = std::make_unique<ServerMetrics>(*metrics_registry_, clock);
  call_limiter_ = std::make_unique<CallLimiter>(config.max_concurrent_calls);
  RegisterCallLimiterMetrics(*metrics_registry_, *call_limiter_);

  absl::StatusOr<std::unique_ptr<cache::RedisClient>> redis =
      cache::RedisClient::Start(config.redis);
  if (!redis.ok()) return NotStarted("redis client", redis.status());
  redis_ = *std::move(redis);
  if (config.write_redis.has_value()) {
    redis = cache::RedisClient::Start(*config.write_redis);
    if (!redis.ok()) return NotStarted("redis client", redis.status());
    primary_redis_ = *std::move(redis);
  }

  const cache::KeySchema keys(config.key_prefix);
  metered_redis_ =
      std::make_unique<MeteredRedisClient>(*redis_, *server_metrics_);
  metered_write_redis_ =
      std::make_unique<MeteredRedisClient>(WriteRedis(), *server_metrics_);
  store_ = std::make_unique<cache::RecordStore>(*metered_redis_, keys);
  subscriptions_ = std::make_unique<cache::SubscriptionStore>(
      *metered_write_redis_, keys, config.subscriptions);
  channels_ = std::make_unique<ChannelResolver>(ChannelResolver::Options{},
                                                *store_, clock);

  // Near-cache and the invalidation feed (which also drives
  // WatchAvailability, so it runs with the near-cache off too).
  if (config.near_cache.has_value()) {
    near_cache_ =
        std::make_unique<cache::NearCache>(*config.near_cache, keys, clock);
    const cache::NearCache* cache_for_metrics = near_cache_.get();
    RegisterNearCacheMetrics(
        *metrics_registry_,
        [cache_for_metrics] { return cache_for_metrics->stats().hits; },
        [cache_for_metrics] { return cache_for_metrics->stats().misses; });
  }
  watches_ = std::make_unique<WatchRegistry>(keys);
  // Scraped over HTTP, which is stopped before `watches_` goes.
  RegisterWatchMetrics(*metrics_registry_, [watches = watches_.get()] {
    return static_cast<double>(watches->size());
  });
  if (absl::Status valid = WatchLimits::Validate(config.watch_limits);
      !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("watch limits: ", valid.message()));
  }
  watch_limits_ = std::make_unique<WatchLimits>(config.watch_limits);
  metrics_registry_->AddGauge(
      "availability_watched_skus",
      "SKUs watched by the open WatchAvailability streams (their requests' "
      "SKUs, summed; bounded by --max_watched_skus).",
      [limits = watch_limits_.get()] {
        return static_cast<double>(limits->skus());
      });
  metrics_registry_->AddCounterFunction(
      "availability_watch_refused_total",
      "WatchAvailability streams refused RESOURCE_EXHAUSTED by a watch "
      "limit (per connection, streams or SKUs on the server).",
      [limits = watch_limits_.get()] {
        const WatchLimits::Refused refused = limits->refused();
        return refused.per_connection + refused.streams + refused.skus;
      });
  cache::InvalidationListener::Options listener_options;
  listener_options.redis = config.redis;
  listener_options.key_prefix = keys.prefix();
  listener_options.ping_interval = config.invalidation_ping_interval;
  listener_options.ping_timeout = config.invalidation_ping_timeout;
  cache::InvalidationListener::Observer observer;
  observer.on_keys =
      [watches = watches_.get()](const std::vector<std::string>& changed) {
        watches->OnKeys(changed);
      };
  observer.on_all = [watches = watches_.get()] { watches->OnAll(); };
  absl::StatusOr<std::unique_ptr<cache::InvalidationListener>> listener =
      cache::InvalidationListener::Start(listener_options, *redis_,
                                         near_cache_.get(), observer);
  if (!listener.ok()) {
    return NotStarted("invalidation listener", listener.status());
  }
  listener_ = *std::move(listener);

  lookup_ = std::make_unique<AvailabilityLookup>(*store_, *channels_, clock,
                                                 near_cache_.get());
  // Scraped over HTTP, which is stopped before `lookup_` goes.
  metrics_registry_->AddCounterFunction(
      "availability_undecodable_records_total",
      "Reads of broken records (bytes that do not decode, or another Redis "
      "type at a record key): answered as item errors, or skipped as "
      "alternatives. The log names the keys.",
      [lookup = lookup_.get()] { return lookup->undecodable_records(); });
  StartDemand(config);
  AvailabilityService::Options service_options;
  service_options.max_call_time = config.max_call_time;
  service_options.call_limiter = call_limiter_.get();
  service_options.metrics = server_metrics_.get();
  service_options.subscriber_auth = config.subscriber_auth;
  service_options.demand = demand_counter_.get();
  service_options.watch_limits = watch_limits_.get();
  storefront_ = std::make_unique<AvailabilityService>(
      service_options, *lookup_, subscriptions_.get(), clock, watches_.get());

  writer_ = std::make_unique<cache::RecordWriter>(*metered_write_redis_, keys);
  settings_ = std::make_unique<cache::CatalogSettingsWriter>(
      *metered_write_redis_, keys);
  if (absl::Status s = StartSync(config); !s.ok()) return s;
  if (absl::Status s = StartStorefront(config); !s.ok()) return s;
  if (config.max_unfinished_streams > 0) {
    StreamFloodGuard::Options guard;
    guard.max_unfinished_streams = config.max_unfinished_streams;
    guard.listener_ports = {storefront_port_};
    if (sync_port_ != 0) guard.listener_ports.push_back(sync_port_);
    flood_guard_ = StreamFloodGuard::Start(std::move(guard));
    metrics_registry_->AddCounterFunction(
        "availability_flood_connections_closed_total",
        "Client connections closed for starting streams faster than the "
        "server finished them (HTTP/2 rapid reset; "
        "--max_unfinished_streams).",
        [guard = flood_guard_.get()] { return guard->connections_closed(); });
  }
  if (!config.metrics_listen.empty()) StartHttp(config.metrics_listen);
  health_ = std::make_unique<HealthReporter>(
      *redis_, *server_, config.health_interval, config.unhealthy_after);
  return absl::OkStatus();
}

// The sync/admin API on its own listener, only with a token or allowed
// client identities.
absl::Status AvailabilityServer::StartSync(
    const AvailabilityServerConfig& config) {
  if (config.sync_listen.empty()) return absl::OkStatus();
  if (config.sync.token.empty() &&
      config.sync.allowed_client_subjects.empty()) {
    Log(LogLevel::kWarning,
        "sync listener disabled: no token (set --sync_token_file or "
        "AVAILABILITY_SYNC_TOKEN)");
    return absl::OkStatus();
  }
  if (absl::Status valid = InventorySyncService::ValidateOptions(config.sync);
      !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sync token rejected: ", valid.message()));
  }
  InventorySyncService::Options sync_options = config.sync;
  sync_options.demand_report = demand_report_.get();
  sync_ = std::make_unique<InventorySyncService>(
      sync_options, *writer_, *settings_, WriteRedis(), *config.clock);
  InterceptorFactories interceptors;
  interceptors.push_back(server_metrics_->MakeInterceptorFactory());
  absl::StatusOr<std::unique_ptr<grpc::Server>> server = StartListener(
      "sync", config.sync_listen, config.sync_credentials, config.sync_limits,
      std::move(interceptors), sync_.get(), &sync_port_);
  if (!server.ok()) return server.status();
  sync_server_ = *std::move(server);
  return absl::OkStatus();
}

absl::Status AvailabilityServer::StartStorefront(
    const AvailabilityServerConfig& config) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // The limiter first: the metrics interceptor then sees its refusals.
  InterceptorFactories interceptors;
  interceptors.push_back(
      MakeStorefrontCallLimitInterceptorFactory(*call_limiter_));
  interceptors.push_back(server_metrics_->MakeInterceptorFactory());
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartListener("storefront", config.listen, config.storefront_credentials,
                    config.storefront_limits, std::move(interceptors),
                    storefront_.get(), &storefront_port_);
  if (!server.ok()) return server.status();
  server_ = *std::move(server);
  return absl::OkStatus();
}

void AvailabilityServer::StartDemand(const AvailabilityServerConfig& config) {
  cache::DemandStore::Options store_options;
  store_options.bucket_ttl = config.demand.bucket_ttl;
  demand_store_ = std::make_unique<cache::DemandStore>(
      *metered_write_redis_, store_->keys(), store_options);
  demand_report_ = std::make_unique<DemandReport>(*demand_store_, *lookup_,
                                                  *store_, *config.clock);
  if (config.demand.counting) {
    demand_counter_ = std::make_unique<DemandCounter>(
        DemandCounter::Options{static_cast<size_t>(config.demand.max_entries)});
    DemandFlusher::Options flush;
    flush.interval = config.demand.flush_interval;
    demand_flusher_ = std::make_unique<DemandFlusher>(
        flush, *demand_counter_, *demand_store_, *config.clock);
  }
  // Scraped over HTTP, which is stopped before the flusher and counter go;
  // 0 with counting off.
  metrics_registry_->AddCounterFunction(
      "availability_demand_flushed_total",
      "Demand entries (stock, SKU) added to Redis by the demand flushes.",
      [f = demand_flusher_.get()] { return f ? f->flushed() : 0; });
  metrics_registry_->AddCounterFunction(
      "availability_demand_flush_errors_total",
      "Demand flushes that failed; their counts are lost (the log says why).",
      [f = demand_flusher_.get()] { return f ? f->flush_errors() : 0; });
  metrics_registry_->AddCounterFunction(
      "availability_demand_dropped_total",
      "Answers not counted as demand because --demand_max_entries stock+SKU "
      "entries were held.",
      [c = demand_counter_.get()] { return c ? c->dropped() : 0; });
  metrics_registry_->AddGauge(
      "availability_demand_entries",
      "Stock+SKU demand entries held in memory until the next flush.",
      [c = demand_counter_.get()] {
        return c ? static_cast<double>(c->entries()) : 0.0;
      });
}

// HTTP /metrics, /healthz, /readyz; /readyz asks the gRPC health service
// in-process, so it says exactly what gRPC probes see.
void AvailabilityServer::StartHttp(const std::string& address) {
  base::HttpEndpoint::Handlers handlers;
  handlers.metrics = [registry = metrics_registry_.get()] {
    return registry->RenderText();
  };
  handlers.ready =
      GrpcHealthProbe(server_->InProcessChannel(grpc::ChannelArguments()), "",
                      absl::Seconds(1));
  absl::StatusOr<std::unique_ptr<base::HttpEndpoint>> started =
      base::HttpEndpoint::Start(address, std::move(handlers));
  if (!started.ok()) {
    // Availability answers matter more than their metrics: keep serving.
    Log(LogLevel::kError, "metrics endpoint not started; serving without it",
        {{"address", address},
         {"error", std::string(started.status().message())},
         {"check", "--metrics_listen (empty disables it)"}});
    return;
  }
  http_ = *std::move(started);
  Log(LogLevel::kInfo, "listening",
      {{"service", "metrics"},
       {"address", address},
       {"port", absl::StrCat(http_->port())}});
}

cache::RedisClient& AvailabilityServer::WriteRedis() const {
  return primary_redis_ != nullptr ? *primary_redis_ : *redis_;
}

int AvailabilityServer::metrics_port() const {
  return http_ != nullptr ? http_->port() : 0;
}

void AvailabilityServer::Shutdown(absl::Duration grace) {
  bool first;
  {
    absl::MutexLock lock(&shutdown_mu_);
    first = !shutdown_started_;
    shutdown_started_ = true;
  }
  if (!first) {
    stopped_.WaitForNotification();
    return;
  }
  health_.reset();
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
  }
  const auto drain_deadline = absl::ToChronoTime(absl::Now() + grace);
  if (sync_server_ != nullptr) sync_server_->Shutdown(drain_deadline);
  if (server_ != nullptr) {
    server_->Shutdown(drain_deadline);
    server_->Wait();
  }
  if (sync_server_ != nullptr) sync_server_->Wait();
  // No answer is counted any more: the last counts go to Redis.
  if (demand_flusher_ != nullptr) demand_flusher_->Stop();
  // No Redis callback runs after this, so the members are destroyed (in
  // reverse order, the clients last) with none of them in use.
  if (primary_redis_ != nullptr) primary_redis_->Stop();
  if (redis_ != nullptr) redis_->Stop();
  stopped_.Notify();
}

void AvailabilityServer::Wait() { stopped_.WaitForNotification(); }

}  // namespace availability::server
