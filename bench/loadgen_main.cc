// availability-loadgen: load test of the storefront Availability service on
// a loopback address. See load_generator.h for closed and open loop.
//
//   availability-loadgen --target=127.0.0.1:50051 --mode=get --channels=2
//       --in_flight=16 --duration=5s --warmup=1s
//   availability-loadgen --target=127.0.0.1:50051 --mode=batch --batch_size=50
//   availability-loadgen --target=127.0.0.1:50051 --rate=5000   # open loop
//
//   availability-loadgen --mode=batch --write_body=batch.bin  # for h2load -d
//
// Prints one human line (and with --json one JSON object instead). Exit 0
// when the run completed (failed calls are reported, not fatal), 2 for bad
// flags, 1 when the target cannot be reached.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "bench/load_generator.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "server address; loopback only (127.0.0.1, localhost, [::1])");
ABSL_FLAG(std::string, mode, "get", "get | batch");
ABSL_FLAG(std::string, transport, "h2",
          "h2: calls framed by libnghttp2 from prepared bodies on one "
          "thread, a few microseconds of client CPU each (the figures on a "
          "small machine are the server's, not the client's) | grpc: gRPC's "
          "C++ callback client");
ABSL_FLAG(int, batch_size, 50, "SKUs per BatchGetAvailability call");
ABSL_FLAG(int, channels, 2, "TCP connections");
ABSL_FLAG(int, in_flight, 16, "closed loop: calls outstanding per channel");
ABSL_FLAG(double, rate, 0,
          "open loop: calls per second over all channels (0 = closed loop)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "time before measuring starts");
ABSL_FLAG(absl::Duration, deadline, absl::Milliseconds(250),
          "deadline of each call");
ABSL_FLAG(std::string, skus_file, "",
          "file with one SKU per line (overrides --sku_pattern)");
ABSL_FLAG(std::string, sku_pattern, "SKU-%06d",
          "SKU pattern with one %d, numbered from --sku_first");
ABSL_FLAG(int64_t, sku_first, 1, "first number for --sku_pattern");
ABSL_FLAG(int64_t, sku_count, 10000, "how many SKUs --sku_pattern makes");
ABSL_FLAG(int, stock_id, 1, "stock to ask for (when --sales_channel is empty)");
ABSL_FLAG(std::string, sales_channel, "", "sales channel (website code)");
ABSL_FLAG(int, max_alternatives, 0, "alternatives per answer");
ABSL_FLAG(uint64_t, seed, 1, "random seed for SKU choice");
ABSL_FLAG(bool, json, false, "print one JSON object instead of a line");
ABSL_FLAG(std::string, write_body, "",
          "write the gRPC-framed request of --mode (the first SKU, or the "
          "first --batch_size SKUs) to this file for h2load -d, and exit");

namespace av::bench {
namespace {

int Fail(int code, absl::string_view message) {
  std::fprintf(stderr, "availability-loadgen: %.*s\n",
               static_cast<int>(message.size()), message.data());
  return code;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "load generator for the Availability service (loopback targets only)");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) return Fail(2, "unexpected positional arguments");

  LoadOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  if (absl::Status s = CheckLocalTarget(options.target); !s.ok()) {
    return Fail(2, s.message());
  }
  std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "get") {
    options.mode = LoadMode::kGet;
  } else if (mode == "batch") {
    options.mode = LoadMode::kBatch;
  } else {
    return Fail(2, "--mode: must be get or batch");
  }
  std::string transport = absl::GetFlag(FLAGS_transport);
  if (transport == "h2") {
    options.transport = LoadTransport::kHttp2;
  } else if (transport == "grpc") {
    options.transport = LoadTransport::kGrpc;
  } else {
    return Fail(2, "--transport: must be h2 or grpc");
  }
  options.batch_size = absl::GetFlag(FLAGS_batch_size);
  options.channels = absl::GetFlag(FLAGS_channels);
  options.in_flight_per_channel = absl::GetFlag(FLAGS_in_flight);
  options.rate = absl::GetFlag(FLAGS_rate);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.deadline = absl::GetFlag(FLAGS_deadline);
  options.seed = absl::GetFlag(FLAGS_seed);
  int max_alternatives = absl::GetFlag(FLAGS_max_alternatives);
  if (max_alternatives < 0) return Fail(2, "--max_alternatives: must be >= 0");
  options.max_alternatives = static_cast<uint32_t>(max_alternatives);
  if (std::string channel = absl::GetFlag(FLAGS_sales_channel);
      !channel.empty()) {
    options.scope.set_sales_channel(channel);
  } else {
    options.scope.set_stock_id(absl::GetFlag(FLAGS_stock_id));
  }

  absl::StatusOr<std::vector<std::string>> skus =
      absl::GetFlag(FLAGS_skus_file).empty()
          ? ExpandSkuPattern(absl::GetFlag(FLAGS_sku_pattern),
                             absl::GetFlag(FLAGS_sku_first),
                             absl::GetFlag(FLAGS_sku_count))
          : ReadSkuFile(absl::GetFlag(FLAGS_skus_file));
  if (!skus.ok()) return Fail(2, skus.status().message());
  options.skus = *std::move(skus);

  if (std::string path = absl::GetFlag(FLAGS_write_body); !path.empty()) {
    const std::string body = GrpcRequestBody(options);
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr ||
        std::fwrite(body.data(), 1, body.size(), file) != body.size() ||
        std::fclose(file) != 0) {
      return Fail(1, "--write_body: cannot write " + path);
    }
    return 0;
  }

  absl::StatusOr<LoadResult> result = RunLoad(options);
  if (!result.ok()) {
    return Fail(absl::IsInvalidArgument(result.status()) ? 2 : 1,
                result.status().message());
  }
  std::string out = absl::GetFlag(FLAGS_json) ? FormatResultJson(*result)
                                              : FormatResultLine(*result);
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace
}  // namespace av::bench

int main(int argc, char** argv) { return av::bench::Main(argc, argv); }
