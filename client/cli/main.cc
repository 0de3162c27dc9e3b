// `availability`: the command-line client of the availability server.
//
//   availability [--server HOST:PORT] [--timeout MS] COMMAND [ARGS...]
//
// Global flags may also follow the command. Subcommands are listed in
// kCommands below; see command.h for how to add one.

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "client/availability_client.h"
#include "client/cli/args.h"
#include "client/cli/command.h"
#include "client/cli/import_commands.h"

namespace av::cli {

// watch_command.cc
int RunWatch(CommandContext& ctx, const CommandArgs& args);
// jobs_command.cc
int RunJobs(CommandContext& ctx, const CommandArgs& args);
// demand_command.cc
int RunDemand(CommandContext& ctx, const CommandArgs& args);

namespace {

struct CommandEntry {
  const char* name;
  const char* summary;
  int (*run)(CommandContext&, const CommandArgs&);
};

// One row per subcommand.
constexpr CommandEntry kCommands[] = {
    {"get", "availability of one SKU", RunGet},
    {"batch", "availability of many SKUs (table)", RunBatch},
    {"health", "grpc.health.v1 check; exit 0 when SERVING", RunHealth},
    {"import", "load a JSONL or Magento CSV snapshot (sync API)", RunImport},
    {"demo-catalog", "write the demo catalog files", RunDemoCatalog},
    {"setup-demo-store", "load demo config and rankings", RunSetupDemoStore},
    {"events", "events tail: a stock's transition events", RunEvents},
    {"watch", "stream answers of SKUs as they change", RunWatch},
    {"jobs", "claim, print and ack back-in-stock notification jobs", RunJobs},
    {"demand", "demand report: wanted out-of-stock and backordered SKUs",
     RunDemand},
};

constexpr char kDefaultServer[] = "127.0.0.1:50051";
constexpr int64_t kDefaultTimeoutMs = 2000;

void DeclareGlobalFlags(ArgParser& parser) {
  parser.AddFlag("server", "HOST:PORT",
                 absl::StrFormat("server address (env AVAILABILITY_SERVER, "
                                 "default %s)",
                                 kDefaultServer));
  parser.AddFlag("timeout", "MS",
                 absl::StrFormat("deadline of each call in milliseconds "
                                 "(default %d)",
                                 kDefaultTimeoutMs));
}

void PrintUsage(std::ostream& out) {
  ArgParser global("availability [global flags] COMMAND [ARGS...]");
  DeclareGlobalFlags(global);
  out << global.Usage() << "commands:\n";
  for (const CommandEntry& command : kCommands) {
    out << absl::StrFormat("  %-24s %s\n", command.name, command.summary);
  }
  out << "run `availability COMMAND --help` for a command's flags.\n"
         "exit codes: 0 ok, 1 not found/unknown, 2 usage, 3 invalid "
         "argument, 4 unreachable, 5 other\n";
}

int Main(int argc, char** argv) {
  CommandContext ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;

  std::vector<std::string> args(argv + 1, argv + argc);
  ArgParser global("availability [global flags] COMMAND [ARGS...]");
  DeclareGlobalFlags(global);
  std::vector<std::string> rest;
  if (absl::Status s = global.ParseKnown(args, &rest); !s.ok()) {
    return UsageError(ctx, s.message());
  }
  if (rest.empty() || rest[0] == "--help" || rest[0] == "-h" ||
      rest[0] == "help") {
    PrintUsage(std::cout);
    return rest.empty() ? kExitUsage : kExitOk;
  }

  const char* env_server = std::getenv("AVAILABILITY_SERVER");
  ctx.server = global.GetString("server").value_or(
      env_server != nullptr && *env_server != '\0' ? env_server
                                                   : kDefaultServer);
  if (ctx.server.empty()) return UsageError(ctx, "--server: empty");
  absl::StatusOr<std::optional<int64_t>> timeout_ms =
      global.GetIntInRange("timeout", 1, 3600 * 1000);
  if (!timeout_ms.ok()) return UsageError(ctx, timeout_ms.status().message());
  ctx.timeout = absl::Milliseconds(timeout_ms->value_or(kDefaultTimeoutMs));

  const std::string& name = rest[0];
  for (const CommandEntry& command : kCommands) {
    if (name == command.name) {
      ctx.channel = av::client::MakeChannel(ctx.server);
      return command.run(ctx, CommandArgs(rest.begin() + 1, rest.end()));
    }
  }
  if (!name.empty() && name[0] == '-') {
    return UsageError(ctx, absl::StrFormat("unknown flag %s", name));
  }
  return UsageError(ctx, absl::StrFormat("unknown command \"%s\"", name));
}

}  // namespace
}  // namespace av::cli

int main(int argc, char** argv) { return av::cli::Main(argc, argv); }
