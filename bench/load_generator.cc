#include "bench/load_generator.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <functional>
#include <random>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "availability/v1/availability.grpc.pb.h"
#include "bench/load_run_internal.h"

namespace av::bench {
namespace {

namespace v1 = ::availability::v1;

constexpr int kSubBucketBits = 7;  // 128 exact values
constexpr uint64_t kExact = uint64_t{1} << kSubBucketBits;
constexpr uint64_t kHalf = kExact / 2;  // 64 per power of 2

constexpr std::array<const char*, 17> kCodeNames = {"OK",
                                                    "CANCELLED",
                                                    "UNKNOWN",
                                                    "INVALID_ARGUMENT",
                                                    "DEADLINE_EXCEEDED",
                                                    "NOT_FOUND",
                                                    "ALREADY_EXISTS",
                                                    "PERMISSION_DENIED",
                                                    "RESOURCE_EXHAUSTED",
                                                    "FAILED_PRECONDITION",
                                                    "ABORTED",
                                                    "OUT_OF_RANGE",
                                                    "UNIMPLEMENTED",
                                                    "INTERNAL",
                                                    "UNAVAILABLE",
                                                    "DATA_LOSS",
                                                    "UNAUTHENTICATED"};

const char* ModeName(LoadMode mode) {
  return mode == LoadMode::kGet ? "get" : "batch";
}

const char* TransportName(LoadTransport transport) {
  return transport == LoadTransport::kGrpc ? "grpc" : "h2";
}

// A serialized request framed as a gRPC message: a 0 "not compressed" byte,
// the length as 4 bytes big-endian, the bytes.
std::string GrpcFramed(const std::string& message) {
  const uint32_t size = static_cast<uint32_t>(message.size());
  std::string body(5, '\0');
  body[1] = static_cast<char>(size >> 24);
  body[2] = static_cast<char>(size >> 16);
  body[3] = static_cast<char>(size >> 8);
  body[4] = static_cast<char>(size);
  return body + message;
}

// The serialized request of options.mode with the options' scope and
// alternatives: a Get of the SKU at `pick()`, or a batch of
// options.batch_size SKUs picked in turn (indexes taken modulo the SKU
// count; no SKU when there is none).
std::string SerializedRequest(const LoadOptions& options,
                              const std::function<size_t()>& pick) {
  auto sku = [&]() -> const std::string& {
    return options.skus[pick() % options.skus.size()];
  };
  std::string message;
  if (options.mode == LoadMode::kGet) {
    v1::GetAvailabilityRequest request;
    if (!options.skus.empty()) request.set_sku(sku());
    *request.mutable_scope() = options.scope;
    request.set_max_alternatives(options.max_alternatives);
    request.SerializeToString(&message);
  } else {
    v1::BatchGetAvailabilityRequest request;
    *request.mutable_scope() = options.scope;
    request.set_max_alternatives(options.max_alternatives);
    for (int i = 0; i < options.batch_size && !options.skus.empty(); ++i) {
      request.add_items()->set_sku(sku());
    }
    request.SerializeToString(&message);
  }
  return message;
}

}  // namespace

// ---------------------------------------------------------------------------
// LatencyHistogram

LatencyHistogram::LatencyHistogram()
    : counts_(new std::atomic<uint64_t>[kBucketCount]) {
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i].store(0);
}

size_t LatencyHistogram::BucketIndex(uint64_t v) {
  if (v < kExact) return static_cast<size_t>(v);
  int msb = 63 - __builtin_clzll(v);
  int shift = msb - (kSubBucketBits - 1);
  uint64_t top = v >> shift;  // in [kHalf, kExact)
  return static_cast<size_t>(kExact + (shift - 1) * kHalf + (top - kHalf));
}

uint64_t LatencyHistogram::BucketUpperBound(size_t index) {
  if (index < kExact) return index;
  uint64_t k = index - kExact;
  int shift = static_cast<int>(k / kHalf) + 1;
  uint64_t top = k % kHalf + kHalf;
  if (shift >= 57) return UINT64_MAX;
  return ((top + 1) << shift) - 1;
}

void LatencyHistogram::Record(int64_t nanos) {
  uint64_t v = nanos < 0 ? 0 : static_cast<uint64_t>(nanos);
  counts_[BucketIndex(v)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  uint64_t seen = max_.load(std::memory_order_relaxed);
  while (v > seen &&
         !max_.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
  }
}

double LatencyHistogram::mean() const {
  uint64_t n = count();
  return n == 0 ? 0.0
                : static_cast<double>(sum_.load(std::memory_order_relaxed)) /
                      static_cast<double>(n);
}

int64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  uint64_t n = count();
  if (n == 0) return 0;
  double p = std::clamp(percentile, 0.0, 100.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * n));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      return static_cast<int64_t>(
          std::min<uint64_t>(BucketUpperBound(i), max_.load()));
    }
  }
  return max();
}

// ---------------------------------------------------------------------------
// Options helpers

absl::Status CheckLocalTarget(absl::string_view target) {
  absl::string_view rest = target;
  for (absl::string_view scheme : {"dns:///", "ipv4:", "ipv6:"}) {
    if (absl::ConsumePrefix(&rest, scheme)) break;
  }
  absl::string_view host;
  absl::string_view port;
  if (absl::ConsumePrefix(&rest, "[")) {
    size_t close = rest.find("]:");
    if (close != absl::string_view::npos) {
      host = rest.substr(0, close);
      port = rest.substr(close + 2);
    }
  } else if (size_t colon = rest.rfind(':'); colon != absl::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  int port_number = 0;
  bool local = host == "127.0.0.1" || host == "localhost" || host == "::1";
  if (!local || !absl::SimpleAtoi(port, &port_number) || port_number < 1 ||
      port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--target: refusing \"%s\": the load generator only sends to "
        "127.0.0.1, localhost or [::1] with a port",
        target));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ExpandSkuPattern(
    absl::string_view pattern, int64_t first, int64_t count) {
  if (count < 1 || count > 10'000'000) {
    return absl::InvalidArgumentError("--sku_count: must be 1..10000000");
  }
  // Split into prefix, width/zero-padding and suffix.
  std::string prefix, suffix;
  int width = 0;
  bool zero_pad = false;
  bool found = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    std::string& out = found ? suffix : prefix;
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
      out.push_back('%');
      ++i;
      continue;
    }
    if (found) {
      return absl::InvalidArgumentError(
          "--sku_pattern: more than one %d conversion");
    }
    size_t j = i + 1;
    if (j < pattern.size() && pattern[j] == '0') {
      zero_pad = true;
      ++j;
    }
    while (j < pattern.size() && absl::ascii_isdigit(pattern[j])) {
      width = width * 10 + (pattern[j] - '0');
      if (width > 32) {
        return absl::InvalidArgumentError("--sku_pattern: width above 32");
      }
      ++j;
    }
    if (j >= pattern.size() || pattern[j] != 'd') {
      return absl::InvalidArgumentError(
          "--sku_pattern: only %d, %Nd or %0Nd conversions are allowed");
    }
    found = true;
    i = j;
  }
  if (!found) {
    return absl::InvalidArgumentError("--sku_pattern: needs one %d");
  }
  std::vector<std::string> skus;
  skus.reserve(static_cast<size_t>(count));
  for (int64_t n = first; n < first + count; ++n) {
    std::string number = absl::StrCat(n);
    if (static_cast<int>(number.size()) < width) {
      number.insert(0, static_cast<size_t>(width) - number.size(),
                    zero_pad ? '0' : ' ');
    }
    skus.push_back(absl::StrCat(prefix, number, suffix));
  }
  return skus;
}

absl::StatusOr<std::vector<std::string>> ReadSkuFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--skus_file: cannot open ", path));
  }
  std::vector<std::string> skus;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    text = absl::StripAsciiWhitespace(text.substr(0, text.find(',')));
    if (!text.empty()) skus.emplace_back(text);
  }
  if (skus.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--skus_file: no SKUs in ", path));
  }
  return skus;
}

// ---------------------------------------------------------------------------
// The run

namespace {

// One load test: channels, outstanding calls, counters. Lives on RunLoad's
// stack; gRPC callback threads reach it through the calls it issued, and
// RunLoad waits until no call is outstanding before destroying it.
class LoadRun {
 public:
  explicit LoadRun(const LoadOptions& options) : options_(options) {
    for (int i = 0; i < options.channels; ++i) {
      grpc::ChannelArguments args;
      // One TCP connection per channel, not one shared subchannel.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // measure, don't hide
      args.SetMaxReceiveMessageSize(-1);
      channels_.push_back(grpc::CreateCustomChannel(
          options.target, grpc::InsecureChannelCredentials(), args));
      stubs_.push_back(v1::Availability::NewStub(channels_.back()));
    }
    for (auto& counter : codes_) counter.store(0);
  }

  absl::StatusOr<LoadResult> Run() {
    const auto connect_by = absl::ToChronoTime(absl::Now() + absl::Seconds(5));
    for (const auto& channel : channels_) {
      // A refused connection (nothing listening) fails the run at once, as
      // the HTTP/2 transport's does, instead of after the whole 5 s.
      for (grpc_connectivity_state state = channel->GetState(true);
           state != GRPC_CHANNEL_READY; state = channel->GetState(true)) {
        if (state == GRPC_CHANNEL_TRANSIENT_FAILURE) {
          return absl::UnavailableError(
              absl::StrCat("cannot connect to ", options_.target));
        }
        if (!channel->WaitForStateChange(state, connect_by)) {
          return absl::UnavailableError(absl::StrCat(
              "cannot connect to ", options_.target, " within 5 s"));
        }
      }
    }
    start_ = absl::Now();
    measure_start_ = start_ + options_.warmup;
    measure_end_ = measure_start_ + options_.duration;

    if (options_.rate > 0) {
      RunOpenLoop();
    } else {
      std::mt19937_64 seeder(options_.seed);
      int slots = options_.channels * options_.in_flight_per_channel;
      for (int slot = 0; slot < slots; ++slot) {
        Issue(slot % options_.channels, seeder(), absl::Now());
      }
    }
    // Every call ends by its deadline; allow slack for a stuck library.
    absl::Time give_up = measure_end_ + options_.deadline + absl::Seconds(10);
    mu_.LockWhenWithDeadline(absl::Condition(this, &LoadRun::Drained), give_up);
    bool drained = outstanding_ == 0;
    mu_.Unlock();
    if (!drained) {
      // Calls still hold pointers to this run: better to leak than crash.
      return absl::InternalError("calls did not finish after their deadline");
    }
    return MakeResult();
  }

 private:
  // One RPC: its context, request and response, and the seed of the next.
  struct Call {
    grpc::ClientContext context;
    v1::GetAvailabilityRequest get_request;
    v1::ProductAvailability get_response;
    v1::BatchGetAvailabilityRequest batch_request;
    v1::BatchGetAvailabilityResponse batch_response;
    absl::Time intended;
    absl::Time deadline;
    int channel = 0;
    uint64_t rng_state = 0;
  };

  bool Drained() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return outstanding_ == 0;
  }
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return outstanding_ < options_.max_outstanding;
  }

  const std::string& RandomSku(std::mt19937_64& rng) const {
    return options_.skus[rng() % options_.skus.size()];
  }

  // Starts one call on `channel`, to be measured from `intended`.
  void Issue(int channel, uint64_t rng_state, absl::Time intended) {
    auto* call = new Call;
    call->channel = channel;
    call->intended = intended;
    std::mt19937_64 rng(rng_state);
    call->deadline = absl::Now() + options_.deadline;
    call->context.set_deadline(absl::ToChronoTime(call->deadline));
    {
      absl::MutexLock lock(&mu_);
      ++outstanding_;
    }
    auto done = [this, call](grpc::Status status) { OnDone(call, status); };
    v1::Availability::Stub::async_interface* async = stubs_[channel]->async();
    if (options_.mode == LoadMode::kGet) {
      call->get_request.set_sku(RandomSku(rng));
      *call->get_request.mutable_scope() = options_.scope;
      call->get_request.set_max_alternatives(options_.max_alternatives);
      call->rng_state = rng();
      async->GetAvailability(&call->context, &call->get_request,
                             &call->get_response, std::move(done));
    } else {
      *call->batch_request.mutable_scope() = options_.scope;
      call->batch_request.set_max_alternatives(options_.max_alternatives);
      for (int i = 0; i < options_.batch_size; ++i) {
        call->batch_request.add_items()->set_sku(RandomSku(rng));
      }
      call->rng_state = rng();
      async->BatchGetAvailability(&call->context, &call->batch_request,
                                  &call->batch_response, std::move(done));
    }
  }

  // Runs on a gRPC callback thread; never blocks except on mu_ briefly.
  void OnDone(Call* call, const grpc::Status& status) {
    absl::Time now = absl::Now();
    if (now >= measure_start_ && now < measure_end_) {
      histogram_.Record(absl::ToInt64Nanoseconds(now - call->intended));
      int code = static_cast<int>(status.error_code());
      if (code < 0 || code >= static_cast<int>(codes_.size())) code = 2;
      codes_[code].fetch_add(1, std::memory_order_relaxed);
      if (now > call->deadline + options_.late_after) {
        late_.fetch_add(1, std::memory_order_relaxed);
      }
      if (options_.on_call) options_.on_call(now, code);
    }
    if (options_.rate <= 0 && now < measure_end_) {
      Issue(call->channel, call->rng_state, now);  // closed loop: next call
    }
    delete call;
    absl::MutexLock lock(&mu_);
    --outstanding_;
  }

  // Sends on a fixed schedule from this thread until the window ends.
  void RunOpenLoop() {
    std::mt19937_64 rng(options_.seed);
    absl::Duration interval = absl::Seconds(1) / options_.rate;
    for (int64_t i = 0;; ++i) {
      absl::Time intended = start_ + i * interval;
      if (intended >= measure_end_) break;
      absl::Duration wait = intended - absl::Now();
      if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &LoadRun::HasRoom));
      }
      Issue(static_cast<int>(i % options_.channels), rng(), intended);
    }
  }

  LoadResult MakeResult() const {
    return internal::MakeLoadResult(options_, histogram_, codes_, late_.load());
  }

  const LoadOptions& options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<v1::Availability::Stub>> stubs_;
  // Set before the first call, read-only afterwards.
  absl::Time start_;
  absl::Time measure_start_;
  absl::Time measure_end_;

  LatencyHistogram histogram_;
  internal::CodeCounts codes_;     // calls by gRPC code
  std::atomic<uint64_t> late_{0};  // see LoadOptions::late_after
  absl::Mutex mu_;
  int64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options) {
  if (absl::Status s = CheckLocalTarget(options.target); !s.ok()) return s;
  if (options.skus.empty()) {
    return absl::InvalidArgumentError("no SKUs to ask for");
  }
  if (options.channels < 1 || options.channels > 1000) {
    return absl::InvalidArgumentError("--channels: must be 1..1000");
  }
  if (options.rate <= 0 && (options.in_flight_per_channel < 1 ||
                            options.in_flight_per_channel > 10000)) {
    return absl::InvalidArgumentError("--in_flight: must be 1..10000");
  }
  if (options.mode == LoadMode::kBatch &&
      (options.batch_size < 1 || options.batch_size > 500)) {
    return absl::InvalidArgumentError("--batch_size: must be 1..500");
  }
  if (options.duration <= absl::ZeroDuration() ||
      options.duration > absl::Hours(1) ||
      options.warmup < absl::ZeroDuration() ||
      options.deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--duration must be in (0, 1h], --warmup >= 0, --deadline > 0");
  }
  if (options.rate < 0 || options.rate > 1e7 || options.max_outstanding < 1) {
    return absl::InvalidArgumentError("--rate: must be 0..1e7");
  }
  if (options.transport == LoadTransport::kHttp2) {
    return internal::RunHttp2Load(options);
  }
  LoadRun run(options);
  return run.Run();
}

namespace internal {

LoadResult MakeLoadResult(const LoadOptions& options,
                          const LatencyHistogram& histogram,
                          const CodeCounts& codes, uint64_t late) {
  LoadResult result;
  result.options = options;
  result.options.skus.clear();
  result.measured = options.duration;
  for (size_t code = 0; code < codes.size(); ++code) {
    uint64_t n = codes[code].load();
    result.calls += n;
    if (code == 0) {
      result.ok = n;
    } else if (n > 0) {
      result.errors_by_code[kCodeNames[code]] = n;
    }
  }
  double seconds = absl::ToDoubleSeconds(result.measured);
  result.calls_per_second = result.calls / seconds;
  int items = options.mode == LoadMode::kGet ? 1 : options.batch_size;
  result.items_per_second = result.ok * items / seconds;
  result.late = late;
  result.p50_nanos = histogram.ValueAtPercentile(50);
  result.p99_nanos = histogram.ValueAtPercentile(99);
  result.p999_nanos = histogram.ValueAtPercentile(99.9);
  result.max_nanos = histogram.max();
  result.mean_nanos = histogram.mean();
  return result;
}

std::vector<std::string> RandomRequestBodies(const LoadOptions& options,
                                             size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::function<size_t()> pick = [&rng] {
    return static_cast<size_t>(rng());
  };
  std::vector<std::string> bodies;
  bodies.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    bodies.push_back(GrpcFramed(SerializedRequest(options, pick)));
  }
  return bodies;
}

}  // namespace internal

std::string GrpcRequestBody(const LoadOptions& options) {
  size_t next = 0;  // the first SKU, then the next ones in order
  return GrpcFramed(SerializedRequest(options, [&next] { return next++; }));
}

std::string FormatResultLine(const LoadResult& r) {
  const LoadOptions& o = r.options;
  std::string shape = o.rate > 0
                          ? absl::StrFormat("open loop %.0f/s", o.rate)
                          : absl::StrFormat("closed loop %dch x %d", o.channels,
                                            o.in_flight_per_channel);
  std::string mode = o.mode == LoadMode::kGet
                         ? "get"
                         : absl::StrFormat("batch(%d)", o.batch_size);
  std::vector<std::string> errors;
  for (const auto& [code, n] : r.errors_by_code) {
    errors.push_back(absl::StrCat(code, "=", n));
  }
  return absl::StrFormat(
      "%s %s over %s: %.0f calls/s (%.0f SKUs/s), p50 %.3f ms, p99 %.3f ms, "
      "p999 %.3f ms, max %.3f ms, errors %d%s",
      mode, shape, TransportName(o.transport), r.calls_per_second,
      r.items_per_second, r.p50_nanos / 1e6, r.p99_nanos / 1e6,
      r.p999_nanos / 1e6, r.max_nanos / 1e6, r.calls - r.ok,
      errors.empty() ? ""
                     : absl::StrCat(" (", absl::StrJoin(errors, ", "), ")"));
}

std::string FormatResultJson(const LoadResult& r) {
  const LoadOptions& o = r.options;
  std::vector<std::string> errors;
  for (const auto& [code, n] : r.errors_by_code) {
    errors.push_back(absl::StrFormat("\"%s\":%d", code, n));
  }
  return absl::StrFormat(
      "{\"mode\":\"%s\",\"transport\":\"%s\",\"batch_size\":%d,"
      "\"loop\":\"%s\",\"rate\":%.1f,"
      "\"channels\":%d,\"in_flight_per_channel\":%d,\"duration_s\":%.3f,"
      "\"calls\":%d,\"ok\":%d,\"errors\":%d,\"calls_per_sec\":%.1f,"
      "\"items_per_sec\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
      "\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f,"
      "\"errors_by_code\":{%s}}",
      ModeName(o.mode), TransportName(o.transport),
      o.mode == LoadMode::kGet ? 1 : o.batch_size,
      o.rate > 0 ? "open" : "closed", o.rate, o.channels,
      o.in_flight_per_channel, absl::ToDoubleSeconds(r.measured), r.calls, r.ok,
      r.calls - r.ok, r.calls_per_second, r.items_per_second, r.p50_nanos / 1e3,
      r.p99_nanos / 1e3, r.p999_nanos / 1e3, r.max_nanos / 1e3,
      r.mean_nanos / 1e3, absl::StrJoin(errors, ","));
}

}  // namespace av::bench
