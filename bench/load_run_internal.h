// Shared by the load generator's two transports (load_generator.cc: gRPC's
// callback client; h2_load_run.cc: plain HTTP/2 with libnghttp2). Not an
// API: RunLoad in load_generator.h is.
#ifndef BENCH_LOAD_RUN_INTERNAL_H_
#define BENCH_LOAD_RUN_INTERNAL_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/load_generator.h"

namespace av::bench::internal {

// Calls by gRPC status code (0..16).
using CodeCounts = std::array<std::atomic<uint64_t>, 17>;

// The result of a run from what it counted in the measured window.
LoadResult MakeLoadResult(const LoadOptions& options,
                          const LatencyHistogram& histogram,
                          const CodeCounts& codes, uint64_t late);

// `count` gRPC-framed requests (as GrpcRequestBody frames one) asking for
// SKUs of options.skus picked at random with `seed`: a Get each, or a batch
// of options.batch_size each.
std::vector<std::string> RandomRequestBodies(const LoadOptions& options,
                                             size_t count, uint64_t seed);

// The run over HTTP/2 (options already checked by RunLoad). Unimplemented
// when the build had no libnghttp2-dev.
absl::StatusOr<LoadResult> RunHttp2Load(const LoadOptions& options);

}  // namespace av::bench::internal

#endif  // BENCH_LOAD_RUN_INTERNAL_H_
