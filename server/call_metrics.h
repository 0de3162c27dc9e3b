// The metrics the server exports, registered in one MetricsRegistry, and
// the gRPC server interceptor that fills them without any handler knowing:
//
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_service,grpc_method}   (unary calls)
//   availability_freshness_lag_seconds        now - source_time of answers
//   availability_subscription_changes_total{action}   subscribe/unsubscribe OK
//   availability_sync_records_total{operation,result} applied/stale/rejected
//   availability_events_appended_total{operation}  upsert/delete/snapshot
//   availability_notifications_queued_total   back-in-stock jobs of upserts
//   availability_redis_command_seconds        (MeteredRedisClient)
//   availability_redis_errors_total{error}
//   availability_calls_in_flight, availability_calls_rejected_total
//                                             (RegisterCallLimiterMetrics)
//   availability_near_cache_{hits,misses}_total (RegisterNearCacheMetrics)
//   availability_watch_streams                (RegisterWatchMetrics)
//
// Calls are labelled by method only for the methods the server registers
// (availability.v1.Availability, availability.v1.InventorySync, gRPC health
// and reflection); any other path a client sends is counted as
// grpc_service="unknown", grpc_method="unknown", so made-up paths cannot
// grow the number of series.
//
// GetAvailability and BatchGetAvailability, the hot path, report their own
// calls (FindMethod once, then ObserveCall and ObserveResponse when they
// finish): the interceptor leaves the methods of ObservedByHandler alone,
// so those calls run through no interceptor at all.
//
// The interceptor reads the responses the handlers send (freshness of
// ProductAvailability answers, counts of UpsertRecords/DeleteRecords/
// FinishSnapshot answers) and the final status; install it after the call
// limiter so it sees RESOURCE_EXHAUSTED refusals:
//
//   ServerMetrics metrics(registry, clock);
//   creators.push_back(MakeStorefrontCallLimitInterceptorFactory(limiter));
//   creators.push_back(metrics.MakeInterceptorFactory());
//   builder.experimental().SetInterceptorCreators(std::move(creators));
//
// Thread-safe; the registry and clock must outlive it, and it must outlive
// every server whose interceptors it made.
#ifndef AVAILABILITY_SERVER_CALL_METRICS_H_
#define AVAILABILITY_SERVER_CALL_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/metrics.h"
#include "core/clock.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/call_limiter.h"

namespace availability::server {

class ServerMetrics {
 public:
  ServerMetrics(base::MetricsRegistry& registry, const core::Clock& clock);
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // A factory for one server's interceptor creators (each server needs its
  // own factory object; they share the counters).
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  MakeInterceptorFactory();

  // One Redis command or pipeline finished after `latency` with `code`
  // (OK also when Redis answered with an error reply: `error_reply`).
  void ObserveRedisCommand(absl::Duration latency, absl::StatusCode code,
                           bool error_reply);

  // {grpc_service, grpc_method} labels of the call path `method`
  // ("/pkg.Service/Method"): {"unknown", "unknown"} unless the server
  // registers it.
  std::pair<std::string, std::string> MethodLabels(
      absl::string_view method) const;

  // Called by the interceptor (public for tests).
  void ObserveCall(absl::string_view method, bool unary, absl::Duration latency,
                   grpc::StatusCode code);
  void ObserveResponse(absl::string_view method, const void* message);

  // What the metrics know of one method, found once per call (a hash
  // lookup of the path) instead of splitting and looking up label strings
  // per observation: its labels, what its responses carry, and its series,
  // created on first use and then kept (no lock, no allocation per call).
  class Method;
  const Method& FindMethod(absl::string_view path) const;
  void ObserveCall(const Method& method, bool unary, absl::Duration latency,
                   grpc::StatusCode code);
  void ObserveResponse(const Method& method, const void* message);

 private:
  void ObserveFreshness(const void* product_availability);

  const core::Clock& clock_;
  // Every registered method by path, and the one for all other paths.
  absl::flat_hash_map<std::string, std::unique_ptr<Method>> methods_;
  std::unique_ptr<Method> unknown_method_;
  base::CounterFamily& handled_;
  base::HistogramFamily& handling_seconds_;
  base::HistogramFamily& freshness_lag_;
  base::CounterFamily& subscription_changes_;
  base::CounterFamily& sync_records_;
  base::CounterFamily& events_appended_;
  base::CounterFamily& notifications_queued_;
  base::HistogramFamily& redis_seconds_;
  base::CounterFamily& redis_errors_;
  // Label-less series, looked up once.
  std::atomic<base::Histogram*> freshness_series_{nullptr};
  std::atomic<base::Histogram*> redis_seconds_series_{nullptr};
};

// Whether the handler of `method` ("/pkg.Service/Method") reports its calls
// to ServerMetrics itself (Get, Batch): the interceptor then does not.
bool ObservedByHandler(absl::string_view method);

// Exports the limiter's in-flight calls (gauge) and refusals (counter).
void RegisterCallLimiterMetrics(base::MetricsRegistry& registry,
                                const CallLimiter& limiter);

// Exports the near cache's hit and miss counts, read at scrape time, as
// availability_near_cache_hits_total / _misses_total (the hit ratio is
// hits / (hits + misses)). `hits` and `misses` must be cheap, non-blocking
// and callable from any thread for as long as the registry serves.
void RegisterNearCacheMetrics(base::MetricsRegistry& registry,
                              std::function<uint64_t()> hits,
                              std::function<uint64_t()> misses);

// Exports the WatchAvailability streams open now (registered for change
// notifications) as the gauge availability_watch_streams. `open_streams`
// must be cheap, non-blocking and callable from any thread for as long as
// the registry serves.
void RegisterWatchMetrics(base::MetricsRegistry& registry,
                          std::function<double()> open_streams);

// The canonical name of a gRPC code, e.g. "RESOURCE_EXHAUSTED".
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_CALL_METRICS_H_
