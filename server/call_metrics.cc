#include "server/call_metrics.h"

#include <algorithm>
#include <chrono>
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

// The series of a label-less family (or any fixed labels), looked up once
// and then kept: concurrent first uses find the same series. The labels
// are made (`make_labels()`, a vector of strings) on that first use only:
// built at every call they cost a Get about seven allocations.
template <typename Series, typename Family, typename MakeLabels>
Series& CachedSeries(std::atomic<Series*>& slot, Family& family,
                     MakeLabels make_labels) {
  Series* series = slot.load(std::memory_order_acquire);
  if (series == nullptr) {
    series = &family.WithLabels(make_labels());
    slot.store(series, std::memory_order_release);
  }
  return *series;
}

std::vector<std::string> NoLabels() { return {}; }

// What a method's responses carry for the metrics.
enum class ResponseKind {
  kNone,
  kProduct,  // one ProductAvailability (Get, Watch)
  kBatch,    // BatchGetAvailabilityResponse
  kUpsert,   // UpsertRecordsResponse (unary and streaming)
  kDelete,   // DeleteRecordsResponse
  kSnapshot  // FinishSnapshotResponse
};

ResponseKind ResponseKindOf(absl::string_view service, absl::string_view name) {
  if (service == "availability.v1.Availability") {
    if (name == "GetAvailability" || name == "WatchAvailability") {
      return ResponseKind::kProduct;
    }
    if (name == "BatchGetAvailability") return ResponseKind::kBatch;
  } else if (service == "availability.v1.InventorySync") {
    if (name == "UpsertRecords" || name == "StreamUpsertRecords") {
      return ResponseKind::kUpsert;
    }
    if (name == "DeleteRecords") return ResponseKind::kDelete;
    if (name == "FinishSnapshot") return ResponseKind::kSnapshot;
  }
  return ResponseKind::kNone;
}

// The subscription_changes action of a method's OK calls, or null.
const char* SubscriptionActionOf(absl::string_view service,
                                 absl::string_view name) {
  if (service != "availability.v1.Availability") return nullptr;
  if (name == "SubscribeBackInStock") return "subscribe";
  if (name == "UnsubscribeBackInStock") return "unsubscribe";
  return nullptr;
}

constexpr int kGrpcCodes = 17;  // OK .. UNAUTHENTICATED

}  // namespace

class ServerMetrics::Method {
 public:
  Method(std::string service, std::string name)
      : service_(std::move(service)),
        name_(std::move(name)),
        responses_(ResponseKindOf(service_, name_)),
        ok_action_(SubscriptionActionOf(service_, name_)) {}

  const std::string& service() const { return service_; }
  const std::string& name() const { return name_; }
  ResponseKind responses() const { return responses_; }
  const char* ok_action() const { return ok_action_; }

  base::Counter& Handled(base::CounterFamily& family,
                         grpc::StatusCode code) const {
    int index = static_cast<int>(code);
    // Codes gRPC does not define are counted as UNKNOWN (GrpcCodeName).
    if (index < 0 || index >= kGrpcCodes) index = grpc::StatusCode::UNKNOWN;
    const auto as_code = static_cast<grpc::StatusCode>(index);
    return CachedSeries(handled_[index], family, [&] {
      return std::vector<std::string>{service_, name_, GrpcCodeName(as_code)};
    });
  }
  base::Histogram& Seconds(base::HistogramFamily& family) const {
    return CachedSeries(seconds_, family, [this] {
      return std::vector<std::string>{service_, name_};
    });
  }

 private:
  const std::string service_;
  const std::string name_;
  const ResponseKind responses_;
  const char* const ok_action_;
  mutable std::array<std::atomic<base::Counter*>, kGrpcCodes> handled_{};
  mutable std::atomic<base::Histogram*> seconds_{nullptr};
};

namespace {

class CallMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallMetricsInterceptor(ServerMetrics& metrics,
                         const ServerMetrics::Method& method, bool unary)
      : metrics_(metrics), method_(method), unary_(unary), start_(Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      metrics_.ObserveResponse(method_, methods->GetSendMessage());
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_.ObserveCall(method_, unary_, Now() - start_,
                           methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  // Latency from a monotonic clock (immune to wall-clock steps).
  static absl::Duration Now() {
    return absl::Nanoseconds(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }

  ServerMetrics& metrics_;
  const ServerMetrics::Method& method_;
  const bool unary_;
  const absl::Duration start_;
};

class CallMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallMetricsInterceptorFactory(ServerMetrics& metrics)
      : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const absl::string_view method =
        info->method() == nullptr ? "" : info->method();
    if (ObservedByHandler(method)) return nullptr;
    return new CallMetricsInterceptor(
        metrics_, metrics_.FindMethod(method),
        info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY);
  }

 private:
  ServerMetrics& metrics_;
};

}  // namespace

bool ObservedByHandler(absl::string_view method) {
  return method == "/availability.v1.Availability/GetAvailability" ||
         method == "/availability.v1.Availability/BatchGetAvailability";
}

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
      unknown_method_(std::make_unique<Method>(std::string(kUnknownLabel),
                                               std::string(kUnknownLabel))),
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
          {"error"})) {
  for (const std::string& path : ServedMethods()) {
    auto [service, name] = SplitMethod(path);
    methods_.emplace(
        path, std::make_unique<Method>(std::move(service), std::move(name)));
  }
}

ServerMetrics::~ServerMetrics() = default;

const ServerMetrics::Method& ServerMetrics::FindMethod(
    absl::string_view path) const {
  auto it = methods_.find(path);
  return it == methods_.end() ? *unknown_method_ : *it->second;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ServerMetrics::MakeInterceptorFactory() {
  return std::make_unique<CallMetricsInterceptorFactory>(*this);
}

std::pair<std::string, std::string> ServerMetrics::MethodLabels(
    absl::string_view method) const {
  const Method& m = FindMethod(method);
  return {m.service(), m.name()};
}

void ServerMetrics::ObserveCall(absl::string_view method, bool unary,
                                absl::Duration latency, grpc::StatusCode code) {
  ObserveCall(FindMethod(method), unary, latency, code);
}

void ServerMetrics::ObserveCall(const Method& method, bool unary,
                                absl::Duration latency, grpc::StatusCode code) {
  method.Handled(handled_, code).Increment();
  if (unary) {
    method.Seconds(handling_seconds_).Observe(absl::ToDoubleSeconds(latency));
  }
  if (code == grpc::StatusCode::OK && method.ok_action() != nullptr) {
    subscription_changes_.WithLabels({method.ok_action()}).Increment();
  }
}

void ServerMetrics::ObserveFreshness(const void* message) {
  const auto& answer = *static_cast<const v1::ProductAvailability*>(message);
  if (!answer.freshness().has_source_time()) return;
  const auto& t = answer.freshness().source_time();
  const absl::Time source =
      absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
  const absl::Duration lag = clock_.Now() - source;
  CachedSeries(freshness_series_, freshness_lag_, NoLabels)
      .Observe(absl::ToDoubleSeconds(std::max(lag, absl::ZeroDuration())));
}

void ServerMetrics::ObserveResponse(absl::string_view method,
                                    const void* message) {
  ObserveResponse(FindMethod(method), message);
}

void ServerMetrics::ObserveResponse(const Method& method, const void* message) {
  if (message == nullptr) return;
  switch (method.responses()) {
    case ResponseKind::kNone:
      return;
    case ResponseKind::kProduct:
      ObserveFreshness(message);
      return;
    case ResponseKind::kBatch: {
      const auto& items =
          static_cast<const v1::BatchGetAvailabilityResponse*>(message)
              ->items();
      if (items.empty()) return;
      // One clock reading and one histogram for the whole batch.
      const absl::Time now = clock_.Now();
      base::Histogram& lag_seconds =
          CachedSeries(freshness_series_, freshness_lag_, NoLabels);
      for (const v1::ProductAvailability& item : items) {
        if (!item.freshness().has_source_time()) continue;
        const auto& t = item.freshness().source_time();
        const absl::Duration lag = now - (absl::FromUnixSeconds(t.seconds()) +
                                          absl::Nanoseconds(t.nanos()));
        lag_seconds.Observe(
            absl::ToDoubleSeconds(std::max(lag, absl::ZeroDuration())));
      }
      return;
    }
    case ResponseKind::kUpsert: {
      const auto& r = *static_cast<const v1::UpsertRecordsResponse*>(message);
      sync_records_.WithLabels({"upsert", "applied"}).Increment(r.applied());
      sync_records_.WithLabels({"upsert", "stale"}).Increment(r.stale());
      sync_records_.WithLabels({"upsert", "rejected"}).Increment(r.rejected());
      sync_records_.WithLabels({"upsert", "failed"}).Increment(r.failed());
      events_appended_.WithLabels({"upsert"}).Increment(r.events_appended());
      notifications_queued_.WithLabels({}).Increment(r.notifications_queued());
      return;
    }
    case ResponseKind::kDelete: {
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
      return;
    }
    case ResponseKind::kSnapshot: {
      const auto& r = *static_cast<const v1::FinishSnapshotResponse*>(message);
      events_appended_.WithLabels({"snapshot"}).Increment(r.events_appended());
      return;
    }
  }
}

void ServerMetrics::ObserveRedisCommand(absl::Duration latency,
                                        absl::StatusCode code,
                                        bool error_reply) {
  CachedSeries(redis_seconds_series_, redis_seconds_, NoLabels)
      .Observe(absl::ToDoubleSeconds(latency));
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
