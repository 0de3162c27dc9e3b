// The end-to-end load generator behind availability-loadgen: drives the
// storefront Availability service with gRPC's callback client API and
// measures throughput and latency.
//
//   LoadOptions options;
//   options.target = "127.0.0.1:50051";
//   options.skus = *ExpandSkuPattern("SKU-%06d", 1, 10000);
//   absl::StatusOr<LoadResult> result = RunLoad(options);
//   std::cout << FormatResultLine(*result) << "\n";
//
// Closed loop (rate == 0): `channels` connections, each with
// `in_flight_per_channel` calls outstanding; a call's completion issues the
// next. Open loop (rate > 0): calls are sent on a fixed schedule, and each
// latency is measured from the call's intended send time, so a stalled
// server shows up in the latencies instead of slowing the sender down
// (no coordinated omission). Calls completing during the warm-up are not
// counted. Every call has a deadline; RunLoad returns after
// warmup + duration + at most one deadline.
//
// Only loopback targets are accepted (CheckLocalTarget).
//
// Thread safety: LatencyHistogram::Record may be called from any thread;
// RunLoad may be called from one thread at a time per process (it owns its
// channels and threads for the duration of the run).
#ifndef BENCH_LOAD_GENERATOR_H_
#define BENCH_LOAD_GENERATOR_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "availability/v1/availability.pb.h"

namespace av::bench {

// A log-linear latency histogram (HdrHistogram-like): exact below 128 ns,
// then 64 buckets per power of two, so any reported value is within 1.6% of
// the true one. Lock-free; memory ~30 KB.
class LatencyHistogram {
 public:
  static constexpr size_t kBucketCount = 3776;

  LatencyHistogram();

  // Counts one latency (negative values count as 0).
  void Record(int64_t nanos);

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  int64_t max() const {
    return static_cast<int64_t>(max_.load(std::memory_order_relaxed));
  }
  double mean() const;
  // The smallest bucket bound below which `percentile` percent (0..100) of
  // the values lie, capped at max(); 0 when empty.
  int64_t ValueAtPercentile(double percentile) const;

  static size_t BucketIndex(uint64_t nanos);
  // The largest value that falls in bucket `index`.
  static uint64_t BucketUpperBound(size_t index);

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
};

enum class LoadMode { kGet, kBatch };

// How calls travel. kGrpc: gRPC's C++ callback client, a real client
// library (tens of microseconds of client CPU per call). kHttp2: the same
// calls framed by libnghttp2 from prepared request bodies on one thread,
// as h2load sends them (a few microseconds per call): on a small machine
// shared with the server, the client's own cost weighs less in the figures.
enum class LoadTransport { kGrpc, kHttp2 };

struct LoadOptions {
  // "127.0.0.1:PORT", "localhost:PORT" or "[::1]:PORT".
  std::string target;
  LoadMode mode = LoadMode::kGet;
  LoadTransport transport = LoadTransport::kGrpc;
  // SKUs per BatchGetAvailability call (kBatch), 1..500.
  int batch_size = 50;
  // Separate TCP connections.
  int channels = 2;
  // Closed loop: calls outstanding per channel.
  int in_flight_per_channel = 16;
  // > 0: open loop at this many calls per second (all channels together).
  double rate = 0;
  // Open loop: at most this many calls outstanding; the sender waits beyond
  // it, and the wait counts in the latencies.
  int max_outstanding = 20000;
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
  // Deadline of each call.
  absl::Duration deadline = absl::Milliseconds(250);
  // SKUs to pick from, uniformly at random; not empty.
  std::vector<std::string> skus;
  availability::v1::Scope scope;
  uint32_t max_alternatives = 0;
  uint64_t seed = 1;
  // A call completing more than this after its deadline counts as late
  // (LoadResult::late): the client library or the server missed it.
  absl::Duration late_after = absl::Milliseconds(50);
  // Optional: told of every call completing in the measured window (its
  // completion time and gRPC status code), on a gRPC thread (kGrpc) or the
  // run's thread (kHttp2); must be quick and thread-safe. For tests that
  // follow the success rate over time.
  std::function<void(absl::Time completed, int grpc_code)> on_call;
};

struct LoadResult {
  LoadOptions options;  // without the SKU list
  // The measured window (the duration, after the warm-up).
  absl::Duration measured;
  uint64_t calls = 0;  // completed in the window, OK or not
  uint64_t ok = 0;
  // Completed more than options.late_after past their deadline.
  uint64_t late = 0;
  // gRPC code name ("DEADLINE_EXCEEDED") -> calls, for failed calls.
  std::map<std::string, uint64_t> errors_by_code;
  double calls_per_second = 0;
  double items_per_second = 0;  // calls/s x SKUs per call, OK calls only
  // Latency over all calls of the window, in nanoseconds.
  int64_t p50_nanos = 0;
  int64_t p99_nanos = 0;
  int64_t p999_nanos = 0;
  int64_t max_nanos = 0;
  double mean_nanos = 0;
};

// OK for a loopback target; InvalidArgument naming it otherwise.
absl::Status CheckLocalTarget(absl::string_view target);

// `count` SKUs from a pattern with exactly one %d conversion (optionally
// zero-padded, "%06d"; "%%" is a literal %), numbered from `first`.
absl::StatusOr<std::vector<std::string>> ExpandSkuPattern(
    absl::string_view pattern, int64_t first, int64_t count);

// SKUs from a file, one per line (text after a ',' ignored; blank lines and
// '#' comments skipped).
absl::StatusOr<std::vector<std::string>> ReadSkuFile(const std::string& path);

// Runs one load test. InvalidArgument for bad options, Unavailable when the
// target cannot be connected to within 5 s. Failed calls during the run are
// counted in the result, not returned as errors.
absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options);

// The bytes of one request as they travel in an HTTP/2 DATA frame of a gRPC
// call (a 0 "not compressed" byte, the message length as 4 bytes big-endian,
// the serialized message): a body file for h2load (scripts/bench). A Get
// asks for skus[0]; a batch for the first batch_size SKUs (cycling through
// `skus` when there are fewer), with the options' scope and alternatives.
std::string GrpcRequestBody(const LoadOptions& options);

// One human-readable line.
std::string FormatResultLine(const LoadResult& result);
// One JSON object (no trailing newline).
std::string FormatResultJson(const LoadResult& result);

}  // namespace av::bench

#endif  // BENCH_LOAD_GENERATOR_H_
