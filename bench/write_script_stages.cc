// availability-write-script-stages: where the bulk write script's Redis time
// goes, part by part. The script (cache/scripts/upsert_simple.lua) carries
// "-- stage:" comments; this bench loads one cut of it per stage (the text
// before the comment, then "return 1") beside the whole script, has a real
// RecordWriter write the same batch through each (its EVALSHA pointed at the
// cut), and reads the script's time from Redis's INFO commandstats. A
// stage's cost is the difference between the cut after it and the cut
// before it, so the writer, the arguments and the records are exactly the
// server's.
//
//   availability-write-script-stages                 a first load (default)
//   availability-write-script-stages --reimport      every record stale
//   availability-write-script-stages --records=1000 --rounds=40
//
// The database holds --background other keys (a large keyspace's lookups
// cost more than a small one's). Each round deletes what the last write
// left and writes the batch through every cut in turn (the order rotating
// by round); the figures are medians over the rounds,
// in microseconds of script time per record, with their spread. Script
// time is wall time inside Redis: quote figures from a quiet machine. Its
// own redis-server on 127.0.0.1, in a temporary directory.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cache/key_schema.h"
#include "cache/record_writer.h"
#include "cache/redis_client.h"
#include "cache/script_sha1.h"
#include "core/quantity.h"
#include "core/record.h"
#include "testing/redis_server.h"
#include "testing/redis_sync.h"

ABSL_FLAG(int, records, 1000, "records per batch (one script call)");
ABSL_FLAG(int, rounds, 30, "rounds; each writes the batch through every cut");
ABSL_FLAG(int, background, 200000,
          "other keys in the database (DEBUG POPULATE), so that key lookups "
          "cost what they cost in a large keyspace (an import of 200,000 "
          "records ends with as many)");
ABSL_FLAG(bool, reimport, false,
          "write the batch once before each round's measured write, so "
          "every record is stale (a re-import of the same file)");

namespace availability {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "availability-write-script-stages: %s\n",
               message.c_str());
  std::exit(1);
}

// A RedisClient that forwards everything to `real`, with the EVALSHA of one
// script (by its SHA1) sent to another loaded script instead.
class RedirectingClient : public cache::RedisClient {
 public:
  RedirectingClient(cache::RedisClient& real, std::string from)
      : real_(real), from_(std::move(from)) {}

  void SetTarget(std::string sha) {
    absl::MutexLock lock(&mu_);
    to_ = std::move(sha);
  }

  void Stop() override {}
  void Execute(std::vector<std::string> argv, absl::Time deadline,
               Callback done) override {
    Redirect(argv);
    real_.Execute(std::move(argv), deadline, std::move(done));
  }
  void ExecutePipeline(std::vector<std::vector<std::string>> commands,
                       absl::Time deadline, PipelineCallback done) override {
    for (std::vector<std::string>& argv : commands) Redirect(argv);
    real_.ExecutePipeline(std::move(commands), deadline, std::move(done));
  }
  bool IsConnected() const override { return real_.IsConnected(); }
  void SetConnectionObserver(ConnectionObserver observer) override {
    real_.SetConnectionObserver(std::move(observer));
  }
  absl::Status WaitUntilConnected(absl::Duration timeout) override {
    return real_.WaitUntilConnected(timeout);
  }

 private:
  void Redirect(std::vector<std::string>& argv) {
    if (argv.size() < 2 || argv[0] != "EVALSHA" || argv[1] != from_) return;
    absl::MutexLock lock(&mu_);
    if (!to_.empty()) argv[1] = to_;
  }

  cache::RedisClient& real_;
  const std::string from_;
  absl::Mutex mu_;
  std::string to_ ABSL_GUARDED_BY(mu_);
};

struct Cut {
  std::string label;  // what runs up to this cut
  std::string sha;
  std::vector<double> us_per_record;
};

// The cuts of `script` at its "-- stage:" comments, then the whole script.
// Cut k runs everything before stage k; labels name what each adds.
std::vector<std::pair<std::string, std::string>> CutScript(
    const std::string& script) {
  std::vector<std::pair<std::string, std::string>> cuts;  // label, text
  std::string label = "arguments and prelude";
  size_t pos = 0;
  const std::string kMarker = "\n-- stage: ";
  while (true) {
    const size_t at = script.find(kMarker, pos);
    if (at == std::string::npos) break;
    cuts.emplace_back(label, script.substr(0, at + 1) + "return 1\n");
    const size_t begin = at + kMarker.size();
    const size_t end = script.find('\n', begin);
    label = script.substr(begin, end - begin);
    pos = end;
  }
  cuts.emplace_back(label, script);
  return cuts;
}

std::vector<core::Record> Batch(int n, int64_t version) {
  std::vector<core::Record> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    core::Record r;
    r.sku = absl::StrFormat("STAGE-%07d", i);
    r.stock_id = 1;
    r.version = version;
    r.source_qty = core::QtyFromUnits(i % 40);
    out.push_back(std::move(r));
  }
  return out;
}

// The writer's answer; a cut's (its reply is not the script's) is an error.
absl::StatusOr<std::vector<cache::WriteOutcome>> Write(
    cache::RecordWriter& writer, std::vector<core::Record> records) {
  absl::Notification done;
  absl::StatusOr<std::vector<cache::WriteOutcome>> result;
  writer.Upsert(std::move(records), "stages", absl::Now(),
                absl::Now() + absl::Seconds(30),
                [&](absl::StatusOr<std::vector<cache::WriteOutcome>> r) {
                  result = std::move(r);
                  done.Notify();
                });
  if (!done.WaitForNotificationWithTimeout(absl::Seconds(40))) {
    Die("a write did not answer");
  }
  return result;
}

// The whole script's outcomes: each record `want`, else the bench stops.
void ExpectAll(const absl::StatusOr<std::vector<cache::WriteOutcome>>& out,
               cache::WriteResult want) {
  if (!out.ok()) Die(std::string(out.status().message()));
  for (const cache::WriteOutcome& o : *out) {
    if (o.result != want) {
      Die(absl::StrCat("a record's outcome is not the expected one: ",
                       o.error.message()));
    }
  }
}

// usec= of cmdstat_evalsha in INFO commandstats (0 when absent).
double EvalshaMicros(testing::SyncRedisClient& redis) {
  absl::StatusOr<cache::RedisReply> info = redis.Run({"INFO", "commandstats"});
  if (!info.ok()) Die(std::string(info.status().message()));
  for (absl::string_view line : absl::StrSplit(info->str, "\r\n")) {
    if (!absl::ConsumePrefix(&line, "cmdstat_evalsha:")) continue;
    for (absl::string_view field : absl::StrSplit(line, ',')) {
      double value = 0;
      if (absl::ConsumePrefix(&field, "usec=") &&
          absl::SimpleAtod(field, &value)) {
        return value;
      }
    }
  }
  return 0;
}

// Deletes what a write of `records` leaves on their stock (the records,
// their summaries, the events and the snapshot set), not the background.
void Clear(testing::SyncRedisClient& redis, const cache::KeySchema& keys,
           const std::vector<core::Record>& records) {
  std::vector<std::string> del = {"DEL", keys.Events(1),
                                  keys.NotificationJobs(1), keys.Summaries(1),
                                  keys.Snapshot(1, "stages")};
  for (const core::Record& r : records) del.push_back(keys.Record(1, r.sku));
  redis.Expect(std::move(del));
}

void Run(int record_count, int rounds, int background, bool reimport) {
  auto server = testing::RedisServer::Start({"--enable-debug-command", "yes"});
  if (!server.ok()) Die(std::string(server.status().message()));
  auto redis = testing::SyncRedisClient::Connect((*server)->port());
  if (!redis.ok()) Die(std::string(redis.status().message()));

  const std::string script = cache::RecordWriter::UpsertSimpleScript();
  RedirectingClient client((*redis)->client(), cache::ScriptSha1(script));
  const cache::KeySchema keys("av");
  cache::RecordWriter writer(client, keys, cache::RecordWriter::Options());
  if (background > 0) {
    (*redis)->Expect(
        {"DEBUG", "POPULATE", absl::StrCat(background), "background", "22"});
  }
  const std::vector<core::Record> batch = Batch(record_count, 1);
  std::vector<Cut> cuts;
  for (auto& [label, text] : CutScript(script)) {
    absl::StatusOr<cache::RedisReply> sha =
        (*redis)->Run({"SCRIPT", "LOAD", text});
    if (!sha.ok() || sha->type != cache::RedisReply::Type::kString) {
      Die(absl::StrCat("SCRIPT LOAD of the cut before \"", label,
                       "\": ", sha.ok() ? sha->str : sha.status().message()));
    }
    cuts.push_back({label, sha->str, {}});
  }
  if (cuts.size() < 2) Die("the script has no \"-- stage:\" comments");

  for (int round = 0; round < rounds; ++round) {
    for (size_t k = 0; k < cuts.size(); ++k) {
      Cut& cut = cuts[(k + static_cast<size_t>(round)) % cuts.size()];
      Clear(**redis, keys, batch);
      if (reimport) {
        client.SetTarget("");  // the whole script, not measured
        ExpectAll(Write(writer, batch), cache::WriteResult::kApplied);
      }
      (*redis)->Expect({"CONFIG", "RESETSTAT"});
      client.SetTarget(cut.sha);
      absl::StatusOr<std::vector<cache::WriteOutcome>> out =
          Write(writer, batch);
      // Only the whole script answers as the writer expects.
      if (&cut == &cuts.back()) {
        ExpectAll(out, reimport ? cache::WriteResult::kStale
                                : cache::WriteResult::kApplied);
      }
      cut.us_per_record.push_back(EvalshaMicros(**redis) / record_count);
    }
  }

  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  std::printf(
      "upsert_simple.lua, %s of %d records in one call beside %d other "
      "keys, %d rounds: script time in Redis (INFO commandstats), us per "
      "record, medians (min-max)\n",
      reimport ? "a re-import (every record stale)" : "a first load",
      record_count, background, rounds);
  std::printf("%-64s %8s %18s\n", "part", "adds", "up to here");
  double before = 0;
  for (const Cut& cut : cuts) {
    const double m = median(cut.us_per_record);
    const auto [lo, hi] =
        std::minmax_element(cut.us_per_record.begin(), cut.us_per_record.end());
    std::printf("%-64s %8.2f %8.2f (%.2f-%.2f)\n", cut.label.c_str(),
                m - before, m, *lo, *hi);
    before = m;
  }
  std::printf("load average: ");
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    char buf[64] = {};
    if (std::fgets(buf, sizeof(buf), f) != nullptr) std::printf("%s", buf);
    std::fclose(f);
  }
}

}  // namespace
}  // namespace availability

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "where the bulk write script's Redis time goes, part by part");
  absl::ParseCommandLine(argc, argv);
  const int records = absl::GetFlag(FLAGS_records);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  if (records < 1 || records > 100000) {
    std::fprintf(stderr, "--records: between 1 and 100000\n");
    return 2;
  }
  if (rounds < 1) {
    std::fprintf(stderr, "--rounds: at least 1\n");
    return 2;
  }
  const int background = absl::GetFlag(FLAGS_background);
  if (background < 0) {
    std::fprintf(stderr, "--background: at least 0\n");
    return 2;
  }
  availability::Run(records, rounds, background, absl::GetFlag(FLAGS_reimport));
  return 0;
}
