// availability-bench-records: writes synthetic records straight into Redis,
// fast (pipelined SETs of EncodeRecord values, many batches in flight), for
// the load benchmark's catalog and the memory measurement; optionally fills
// a running server's near-cache by asking for every SKU once.
//
//   availability-bench-records --redis_port=6379 --count=1000000 --memory
//     -> {"records":1000000,"used_memory_before":...,"bytes_per_sku":...}
//   availability-bench-records --fill_target=127.0.0.1:50051 --count=200000
//
// SKUs are SKU-000001.. (the load generator's default pattern), stock 1.
// --configurables=N adds configurable parents CFG-000001..CFG-<N>, each
// with kVariantsPerParent variants among those SKUs (docs/domain.md §10),
// for the composite listing benchmark. --out_of_stock leaves every record
// without stock (the demand benchmark).
// Loopback only; every call has a deadline.

#include <cinttypes>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "availability/v1/availability.grpc.pb.h"
#include "cache/key_schema.h"
#include "cache/record_codec.h"
#include "cache/redis_client.h"
#include "core/record.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(int, redis_port, 6379, "Redis port on 127.0.0.1");
ABSL_FLAG(int64_t, count, 10000, "records SKU-000001..SKU-<count>");
ABSL_FLAG(int, stock_id, 1, "stock of the records");
ABSL_FLAG(std::string, key_prefix, "av", "key prefix");
ABSL_FLAG(int64_t, configurables, 0,
          "also write this many configurable parents CFG-000001.., each "
          "with 6 variants among the SKU-* records");
ABSL_FLAG(bool, out_of_stock, false,
          "no stock on hand in any record: every answer is out of stock "
          "(or backorderable, every 10th), as the demand benchmark needs");
ABSL_FLAG(bool, memory, false,
          "report INFO memory used_memory before/after and bytes per SKU");
ABSL_FLAG(std::string, fill_target, "",
          "instead of writing: ask this server (127.0.0.1:PORT) for every "
          "SKU once, in batches of 500, to fill its near-cache");

namespace {

using availability::cache::RedisClient;
using availability::cache::RedisReply;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "availability-bench-records: %s\n", message.c_str());
  std::exit(1);
}

std::string Sku(int64_t i) { return absl::StrFormat("SKU-%06d", i); }

constexpr int64_t kVariantsPerParent = 6;

// Configurable parent i: no stock of its own, the variants SKU-(6i-5) ..
// SKU-(6i), wrapping around within the `count` SKUs.
availability::core::Record ConfigurableRecord(int64_t i, int32_t stock,
                                              int64_t count) {
  availability::core::Record r;
  r.sku = absl::StrFormat("CFG-%06d", i);
  r.stock_id = stock;
  r.version = 1;
  r.product_type = availability::core::ProductType::kConfigurable;
  for (int64_t v = 0; v < kVariantsPerParent; ++v) {
    r.components.push_back(Sku(((i - 1) * kVariantsPerParent + v) % count + 1));
  }
  return r;
}

// A plausible record: quantities, a version and time, a category or two.
availability::core::Record SyntheticRecord(int64_t i, int32_t stock) {
  availability::core::Record r;
  r.sku = Sku(i);
  r.stock_id = stock;
  r.version = 1000 + i;
  r.source_time = absl::FromUnixSeconds(1700000000 + i);
  r.source_qty = availability::core::QtyFromUnits(i % 200);
  r.reserved_qty = availability::core::QtyFromUnits(i % 3);
  r.category_ids = {10 + i % 50};
  if (i % 10 == 0) {
    r.backorders = availability::core::Backorders::kYesNotify;
  }
  if (absl::GetFlag(FLAGS_out_of_stock)) {
    r.source_qty = 0;
    r.reserved_qty = 0;
  }
  return r;
}

int64_t UsedMemory(RedisClient& client) {
  absl::Notification done;
  int64_t used = -1;
  client.Execute(
      {"INFO", "memory"}, absl::Now() + absl::Seconds(5),
      [&](absl::StatusOr<RedisReply> r) {
        if (r.ok() && r->type == RedisReply::Type::kString) {
          for (absl::string_view line : absl::StrSplit(r->str, "\r\n")) {
            if (absl::ConsumePrefix(&line, "used_memory:")) {
              (void)absl::SimpleAtoi(line, &used);
            }
          }
        }
        done.Notify();
      });
  done.WaitForNotification();
  if (used < 0) Die("INFO memory: no used_memory");
  return used;
}

// SETs key_value(1) .. key_value(count), pipelined, batches in flight; dies
// when one fails.
void WritePipelined(
    RedisClient& client, int64_t count,
    const std::function<std::pair<std::string, std::string>(int64_t)>&
        key_value) {
  constexpr int64_t kBatch = 1000;
  constexpr int kMaxInFlight = 8;
  absl::Mutex mu;
  int in_flight = 0;
  int64_t failed = 0;
  for (int64_t first = 1; first <= count; first += kBatch) {
    std::vector<std::vector<std::string>> commands;
    for (int64_t i = first; i < first + kBatch && i <= count; ++i) {
      auto [key, value] = key_value(i);
      commands.push_back({"SET", std::move(key), std::move(value)});
    }
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](int* n) { return *n < kMaxInFlight; }, &in_flight));
      ++in_flight;
    }
    client.ExecutePipeline(
        std::move(commands), absl::Now() + absl::Seconds(30),
        [&](absl::StatusOr<std::vector<RedisReply>> replies) {
          absl::MutexLock lock(&mu);
          --in_flight;
          if (!replies.ok()) ++failed;
        });
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &in_flight));
  }
  if (failed > 0) Die(absl::StrCat(failed, " batches failed"));
}

void WriteRecords() {
  availability::cache::RedisOptions options;
  options.port = absl::GetFlag(FLAGS_redis_port);
  auto client = RedisClient::Start(options);
  if (!client.ok()) Die(std::string(client.status().message()));
  if (absl::Status s = (*client)->WaitUntilConnected(absl::Seconds(5));
      !s.ok()) {
    Die(std::string(s.message()));
  }
  const availability::cache::KeySchema keys(absl::GetFlag(FLAGS_key_prefix));
  const int32_t stock = absl::GetFlag(FLAGS_stock_id);
  const int64_t count = absl::GetFlag(FLAGS_count);
  const bool memory = absl::GetFlag(FLAGS_memory);

  // The store config first (not counted in the per-SKU figure).
  availability::core::StoreConfig config;
  config.stock_id = stock;
  config.handling_days = 1;
  config.only_x_left_threshold = availability::core::QtyFromUnits(5);
  {
    absl::Notification done;
    (*client)->Execute({"SET", keys.StoreConfig(stock),
                        availability::cache::EncodeStoreConfig(config)},
                       absl::Now() + absl::Seconds(5),
                       [&](absl::StatusOr<RedisReply>) { done.Notify(); });
    done.WaitForNotification();
  }
  const int64_t before = memory ? UsedMemory(**client) : 0;
  const absl::Time start = absl::Now();
  WritePipelined(**client, count, [&](int64_t i) {
    return std::make_pair(
        keys.Record(stock, Sku(i)),
        availability::cache::EncodeRecord(SyntheticRecord(i, stock)));
  });
  const int64_t parents = absl::GetFlag(FLAGS_configurables);
  if (parents > 0 && count > 0) {
    WritePipelined(**client, parents, [&](int64_t i) {
      return std::make_pair(keys.Record(stock, absl::StrFormat("CFG-%06d", i)),
                            availability::cache::EncodeRecord(
                                ConfigurableRecord(i, stock, count)));
    });
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (memory) {
    const int64_t after = UsedMemory(**client);
    std::printf(
        "{\"records\":%" PRId64
        ",\"seconds\":%.2f,\"used_memory_before\":%" PRId64
        ",\"used_memory_after\":%" PRId64 ",\"bytes_per_sku\":%.1f}\n",
        count, seconds, before, after,
        static_cast<double>(after - before) / static_cast<double>(count));
  } else {
    std::printf("{\"records\":%" PRId64 ",\"seconds\":%.2f}\n", count, seconds);
  }
}

void FillServer(const std::string& target) {
  if (!absl::StartsWith(target, "127.0.0.1:")) {
    Die("--fill_target: loopback (127.0.0.1:PORT) only");
  }
  auto stub = availability::v1::Availability::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const int64_t count = absl::GetFlag(FLAGS_count);
  int64_t answered = 0;
  for (int64_t first = 1; first <= count; first += 500) {
    availability::v1::BatchGetAvailabilityRequest request;
    request.mutable_scope()->set_stock_id(absl::GetFlag(FLAGS_stock_id));
    for (int64_t i = first; i < first + 500 && i <= count; ++i) {
      request.add_items()->set_sku(Sku(i));
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    availability::v1::BatchGetAvailabilityResponse response;
    grpc::Status status =
        stub->BatchGetAvailability(&context, request, &response);
    if (!status.ok()) Die("fill: " + status.error_message());
    answered += response.items_size();
  }
  std::printf("{\"filled\":%" PRId64 "}\n", answered);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_fill_target).empty()) {
    FillServer(absl::GetFlag(FLAGS_fill_target));
  } else {
    WriteRecords();
  }
  return 0;
}
