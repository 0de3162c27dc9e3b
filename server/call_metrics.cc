#include "server/call_metrics.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "availability/v1/availability.pb.h"
#include "availability/v1/inventory_sync.pb.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/interceptor.h"
#include "grpcpp/support/status.h"

namespace availability::server {
namespace {

namespace v1 = ::availability::v1;

// Lags from 100 ms (a live sync) to a day (a nightly import).
const std::vector<double>& FreshnessBuckets() {
  static const auto* bounds = new std::vector<double>{
      0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400};
  return *bounds;
}

// "/availability.v1.Availability/GetAvailability" ->
// {"availability.v1.Availability", "GetAvailability"}.
std::pair<std::string, std::string> SplitMethod(absl::string_view full) {
  if (absl::StartsWith(full, "/")) full.remove_prefix(1);
  const size_t slash = full.rfind('/');
  if (slash == absl::string_view::npos) return {"", std::string(full)};
  return {std::string(full.substr(0, slash)),
          std::string(full.substr(slash + 1))};
}

// The label pair of every call to a path no service of this server
// registers: a client can make up any number of paths, the metrics must not
// grow a series for each.
constexpr absl::string_view kUnknownLabel = "unknown";

// The services the server registers (looked up in protobuf's generated
// pool, so a new method of these services is known without a change here).
constexpr absl::string_view kServedServices[] = {
    "availability.v1.Availability",
    "availability.v1.InventorySync",
    "grpc.reflection.v1alpha.ServerReflection",
};

// "/service/method" of every method the server registers. gRPC's default
// health service is not in protobuf's pool: its two methods are listed.
absl::flat_hash_set<std::string> ServedMethods() {
  absl::flat_hash_set<std::string> methods = {"/grpc.health.v1.Health/Check",
                                              "/grpc.health.v1.Health/Watch"};
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  for (absl::string_view name : kServedServices) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(std::string(name));
    if (service == nullptr) continue;  // not linked into this binary
    for (int i = 0; i < service->method_count(); ++i) {
      methods.insert(absl::StrCat("/", name, "/", service->method(i)->name()));
    }
  }
  return methods;
}

class CallMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallMetricsInterceptor(ServerMetrics& metrics, std::string method, bool unary)
      : metrics_(metrics),
        method_(std::move(method)),
        unary_(unary),
        start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      metrics_.ObserveResponse(method_, methods->GetSendMessage());
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_.ObserveCall(method_, unary_, absl::Now() - start_,
                           methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  ServerMetrics& metrics_;
  const std::string method_;
  const bool unary_;
  const absl::Time start_;
};

class CallMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallMetricsInterceptorFactory(ServerMetrics& metrics)
      : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallMetricsInterceptor(
        metrics_, info->method() == nullptr ? "" : info->method(),
        info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY);
  }

 private:
  ServerMetrics& metrics_;
};

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "UNKNOWN";
  }
}

ServerMetrics::ServerMetrics(base::MetricsRegistry& registry,
                             const core::Clock& clock)
    : clock_(clock),
      known_methods_(ServedMethods()),
      handled_(registry.AddCounterFamily(
          "grpc_server_handled_total",
          "gRPC calls finished, by method and status code.",
          {"grpc_service", "grpc_method", "grpc_code"})),
      handling_seconds_(registry.AddHistogramFamily(
          "grpc_server_handling_seconds",
          "Time from a unary call's arrival to its status, in seconds.",
          {"grpc_service", "grpc_method"}, base::LatencyBuckets())),
      freshness_lag_(registry.AddHistogramFamily(
          "availability_freshness_lag_seconds",
          "Age of the source data behind each answered product: now minus "
          "the record's source_time (answers without a source_time are not "
          "counted).",
          {}, FreshnessBuckets())),
      subscription_changes_(registry.AddCounterFamily(
          "availability_subscription_changes_total",
          "Back-in-stock subscriptions opened or withdrawn successfully.",
          {"action"})),
      sync_records_(registry.AddCounterFamily(
          "availability_sync_records_total",
          "Records written through the sync API, by operation (upsert, "
          "delete) and result (applied, stale, rejected, failed: the cache "
          "failed on the record's stock).",
          {"operation", "result"})),
      events_appended_(registry.AddCounterFamily(
          "availability_events_appended_total",
          "Transition events appended to the stocks' events streams by sync "
          "writes, by operation (upsert, delete, snapshot).",
          {"operation"})),
      notifications_queued_(registry.AddCounterFamily(
          "availability_notifications_queued_total",
          "Back-in-stock notification jobs queued by sync upserts (one per "
          "open subscription of a record that came back in stock).",
          {})),
      redis_seconds_(registry.AddHistogramFamily(
          "availability_redis_command_seconds",
          "Redis command (or pipeline) latency as seen by the server, "
          "queueing included, in seconds.",
          {}, base::LatencyBuckets())),
      redis_errors_(registry.AddCounterFamily(
          "availability_redis_errors_total",
          "Redis commands that failed, by kind: unavailable, "
          "deadline_exceeded, cancelled, error_reply, other.",
          {"error"})) {}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ServerMetrics::MakeInterceptorFactory() {
  return std::make_unique<CallMetricsInterceptorFactory>(*this);
}

std::pair<std::string, std::string> ServerMetrics::MethodLabels(
    absl::string_view method) const {
  if (!known_methods_.contains(method)) {
    return {std::string(kUnknownLabel), std::string(kUnknownLabel)};
  }
  return SplitMethod(method);
}

void ServerMetrics::ObserveCall(absl::string_view method, bool unary,
                                absl::Duration latency, grpc::StatusCode code) {
  auto [service, name] = MethodLabels(method);
  handled_.WithLabels({service, name, GrpcCodeName(code)}).Increment();
  if (unary) {
    handling_seconds_.WithLabels({service, name})
        .Observe(absl::ToDoubleSeconds(latency));
  }
  if (code == grpc::StatusCode::OK &&
      service == "availability.v1.Availability") {
    if (name == "SubscribeBackInStock") {
      subscription_changes_.WithLabels({"subscribe"}).Increment();
    } else if (name == "UnsubscribeBackInStock") {
      subscription_changes_.WithLabels({"unsubscribe"}).Increment();
    }
  }
}

void ServerMetrics::ObserveFreshness(const void* message) {
  const auto& answer = *static_cast<const v1::ProductAvailability*>(message);
  if (!answer.freshness().has_source_time()) return;
  const auto& t = answer.freshness().source_time();
  const absl::Time source =
      absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
  const absl::Duration lag = clock_.Now() - source;
  freshness_lag_.WithLabels({}).Observe(
      absl::ToDoubleSeconds(std::max(lag, absl::ZeroDuration())));
}

void ServerMetrics::ObserveResponse(absl::string_view method,
                                    const void* message) {
  if (message == nullptr) return;
  auto [service, name] = SplitMethod(method);
  if (service == "availability.v1.Availability") {
    if (name == "GetAvailability" || name == "WatchAvailability") {
      ObserveFreshness(message);
    } else if (name == "BatchGetAvailability") {
      for (const v1::ProductAvailability& item :
           static_cast<const v1::BatchGetAvailabilityResponse*>(message)
               ->items()) {
        ObserveFreshness(&item);
      }
    }
  } else if (service == "availability.v1.InventorySync") {
    if (name == "UpsertRecords" || name == "StreamUpsertRecords") {
      const auto& r = *static_cast<const v1::UpsertRecordsResponse*>(message);
      sync_records_.WithLabels({"upsert", "applied"}).Increment(r.applied());
      sync_records_.WithLabels({"upsert", "stale"}).Increment(r.stale());
      sync_records_.WithLabels({"upsert", "rejected"}).Increment(r.rejected());
      sync_records_.WithLabels({"upsert", "failed"}).Increment(r.failed());
      events_appended_.WithLabels({"upsert"}).Increment(r.events_appended());
      notifications_queued_.WithLabels({}).Increment(r.notifications_queued());
    } else if (name == "DeleteRecords") {
      const auto& r = *static_cast<const v1::DeleteRecordsResponse*>(message);
      uint64_t applied = 0, stale = 0, rejected = 0, failed = 0;
      for (const v1::RecordOutcome& o : r.outcomes()) {
        if (o.result() == v1::RecordOutcome::RESULT_APPLIED) ++applied;
        if (o.result() == v1::RecordOutcome::RESULT_STALE) ++stale;
        if (o.result() == v1::RecordOutcome::RESULT_REJECTED) ++rejected;
        if (o.result() == v1::RecordOutcome::RESULT_FAILED) ++failed;
      }
      sync_records_.WithLabels({"delete", "applied"}).Increment(applied);
      sync_records_.WithLabels({"delete", "stale"}).Increment(stale);
      sync_records_.WithLabels({"delete", "rejected"}).Increment(rejected);
      sync_records_.WithLabels({"delete", "failed"}).Increment(failed);
      events_appended_.WithLabels({"delete"}).Increment(r.events_appended());
    } else if (name == "FinishSnapshot") {
      const auto& r = *static_cast<const v1::FinishSnapshotResponse*>(message);
      events_appended_.WithLabels({"snapshot"}).Increment(r.events_appended());
    }
  }
}

void ServerMetrics::ObserveRedisCommand(absl::Duration latency,
                                        absl::StatusCode code,
                                        bool error_reply) {
  redis_seconds_.WithLabels({}).Observe(absl::ToDoubleSeconds(latency));
  const char* error = nullptr;
  switch (code) {
    case absl::StatusCode::kOk:
      if (error_reply) error = "error_reply";
      break;
    case absl::StatusCode::kUnavailable:
      error = "unavailable";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      error = "deadline_exceeded";
      break;
    case absl::StatusCode::kCancelled:
      error = "cancelled";
      break;
    default:
      error = "other";
      break;
  }
  if (error != nullptr) redis_errors_.WithLabels({error}).Increment();
}

void RegisterCallLimiterMetrics(base::MetricsRegistry& registry,
                                const CallLimiter& limiter) {
  registry.AddGauge(
      "availability_calls_in_flight",
      "Storefront calls in flight (--max_concurrent_calls bounds them).",
      [&limiter] { return static_cast<double>(limiter.in_flight()); });
  registry.AddCounterFunction(
      "availability_calls_rejected_total",
      "Storefront calls refused with RESOURCE_EXHAUSTED because "
      "--max_concurrent_calls were in flight.",
      [&limiter] { return limiter.rejected(); });
}

void RegisterWatchMetrics(base::MetricsRegistry& registry,
                          std::function<double()> open_streams) {
  registry.AddGauge("availability_watch_streams",
                    "WatchAvailability streams open (registered for change "
                    "notifications).",
                    std::move(open_streams));
}

void RegisterNearCacheMetrics(base::MetricsRegistry& registry,
                              std::function<uint64_t()> hits,
                              std::function<uint64_t()> misses) {
  registry.AddCounterFunction(
      "availability_near_cache_hits_total",
      "Lookups answered from the in-process near cache.", std::move(hits));
  registry.AddCounterFunction(
      "availability_near_cache_misses_total",
      "Lookups the near cache could not answer (went to Redis).",
      std::move(misses));
}

}  // namespace availability::server
