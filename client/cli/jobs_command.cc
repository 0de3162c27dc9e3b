// `availability jobs`: claims a stock's back-in-stock notification jobs
// (docs/domain.md §8), prints them and acknowledges them, for scripts and
// tests. Delivery is at least once: with --no-ack (or when this command dies
// before acknowledging) the jobs come back once their lease runs out.
//
//   availability jobs --stock 1 --consumer mailer-1 --max 100 --lease 5m
//   availability jobs --json --no-ack        # one JSON object per job

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "client/cli/format.h"
#include "client/cli/import_commands.h"

namespace av::cli {
namespace {

using availability::v1::NotificationJob;

constexpr char kDefaultConsumer[] = "availability-cli";
constexpr int64_t kDefaultMaxJobs = 100;
constexpr absl::Duration kDefaultLease = absl::Minutes(5);

// One line per job: queued time (UTC), SKU, stock, subscriber, version, id.
std::string FormatJobLine(const NotificationJob& job) {
  const absl::Time queued = absl::FromUnixSeconds(job.queued_time().seconds()) +
                            absl::Nanoseconds(job.queued_time().nanos());
  return absl::StrFormat(
      "%s  %-24s stock %d  subscriber %s  v%d  id %s%s",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", queued, absl::UTCTimeZone()),
      job.sku(), job.stock_id(), job.subscriber_id(), job.event_version(),
      job.id(), job.redelivered() ? "  (redelivered)" : "");
}

}  // namespace

int RunJobs(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability jobs [flags]");
  parser.AddFlag("stock", "ID", "stock whose jobs to claim (default 1)");
  parser.AddFlag("consumer", "NAME",
                 absl::StrCat("who claims, [A-Za-z0-9_.-] (default ",
                              kDefaultConsumer, ")"));
  parser.AddFlag("max", "N",
                 absl::StrCat("claim at most N jobs, 1..1000 (default ",
                              kDefaultMaxJobs, ")"));
  parser.AddFlag("lease", "DURATION",
                 "how long the jobs stay claimed without an ack, e.g. 30s, "
                 "500ms (default 5m)");
  parser.AddSwitch("no-ack", "print the jobs but do not acknowledge them");
  parser.AddSwitch("json", "one protobuf JSON object per job");
  AddSyncFlags(parser);
  if (std::optional<int> exit = ParseCommandArgs(ctx, parser, args)) {
    return *exit;
  }
  if (!parser.positional().empty()) {
    return UsageError(ctx, "jobs: takes no arguments");
  }
  absl::StatusOr<std::optional<int64_t>> stock =
      parser.GetIntInRange("stock", 1, std::numeric_limits<int32_t>::max());
  if (!stock.ok()) return UsageError(ctx, stock.status().message());
  absl::StatusOr<std::optional<int64_t>> max =
      parser.GetIntInRange("max", 1, 1000);
  if (!max.ok()) return UsageError(ctx, max.status().message());
  absl::Duration lease = kDefaultLease;
  if (std::optional<std::string> text = parser.GetString("lease")) {
    if (!absl::ParseDuration(*text, &lease) || lease <= absl::ZeroDuration()) {
      return UsageError(ctx, absl::StrCat("--lease: not a positive duration: ",
                                          *text, " (e.g. 30s, 500ms, 5m)"));
    }
  }
  const bool json = parser.GetBool("json");

  availability::v1::ClaimNotificationJobsRequest claim;
  claim.set_stock_id(static_cast<int32_t>(stock->value_or(1)));
  claim.set_consumer(parser.GetString("consumer").value_or(kDefaultConsumer));
  claim.set_max_jobs(static_cast<int32_t>(max->value_or(kDefaultMaxJobs)));
  claim.mutable_lease()->set_seconds(absl::ToInt64Seconds(lease));
  claim.mutable_lease()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(lease % absl::Seconds(1))));

  std::string target;
  absl::StatusOr<std::unique_ptr<av::client::SyncClient>> client =
      SyncClientFromFlags(parser, &target);
  if (!client.ok()) return UsageError(ctx, client.status().message());
  absl::StatusOr<availability::v1::ClaimNotificationJobsResponse> claimed =
      (*client)->ClaimNotificationJobs(claim);
  if (!claimed.ok()) return ReportSyncError(ctx, target, claimed.status());

  availability::v1::AckNotificationJobsRequest ack;
  ack.set_stock_id(claim.stock_id());
  for (const NotificationJob& job : claimed->jobs()) {
    if (json) {
      absl::StatusOr<std::string> line = ToJsonLine(job);
      if (!line.ok()) return ReportError(ctx, line.status());
      *ctx.out << *line;
    } else {
      *ctx.out << FormatJobLine(job) << "\n";
    }
    ack.add_ids(job.id());
  }
  // Printed before acknowledged: a crash in between means a redelivery, not
  // a lost job.
  ctx.out->flush();
  int64_t acknowledged = 0;
  if (!parser.GetBool("no-ack") && ack.ids_size() > 0) {
    absl::StatusOr<availability::v1::AckNotificationJobsResponse> acked =
        (*client)->AckNotificationJobs(ack);
    if (!acked.ok()) return ReportSyncError(ctx, target, acked.status());
    acknowledged = acked->acknowledged();
  }
  if (!json) {
    *ctx.out << claimed->jobs_size() << " job(s) claimed, " << acknowledged
             << " acknowledged\n";
  }
  return kExitOk;
}

}  // namespace av::cli
