// The `availability` command's subcommands and what they share.
//
// main.cc builds a CommandContext from the global flags (--server,
// --timeout), looks the subcommand up in its table and calls it with the
// arguments that follow the subcommand's name (global flags removed). A
// subcommand parses its own flags with ArgParser (args.h), writes results to
// ctx.out and errors through ReportError/UsageError, and returns the exit
// code.
//
// Adding a subcommand: write `int RunFoo(CommandContext&, const
// std::vector<std::string>&)` in foo_command.cc, declare it below, and add
// one row to kCommands in main.cc.
//
// Thread safety: a CommandContext belongs to the one thread running the
// command.
#ifndef CLIENT_CLI_COMMAND_H_
#define CLIENT_CLI_COMMAND_H_

#include <grpcpp/channel.h>

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "availability/v1/availability.pb.h"
#include "client/cli/args.h"

namespace av::cli {

// Exit codes of every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  kExitNotFound = 1,         // get: SKU unknown; health: not serving
  kExitUsage = 2,            // bad flags or arguments
  kExitInvalidArgument = 3,  // the server said INVALID_ARGUMENT
  kExitUnreachable = 4,      // UNAVAILABLE or DEADLINE_EXCEEDED
  kExitOther = 5,            // anything else
};

struct CommandContext {
  // The --server target, "host:port".
  std::string server;
  // Deadline of each call (--timeout).
  absl::Duration timeout = absl::Seconds(2);
  // Channel to `server`, made by main (connects lazily on the first call).
  std::shared_ptr<grpc::Channel> channel;
  // Where results and errors go (std::cout / std::cerr; streams in tests).
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
};

// The exit code for a failed call's status (see ExitCode).
int ExitCodeFor(const absl::Status& status);

// Prints "availability: <message>" to ctx.err ("availability: server
// unreachable at <server>: <message>" for UNAVAILABLE / DEADLINE_EXCEEDED)
// and returns ExitCodeFor(status).
int ReportError(CommandContext& ctx, const absl::Status& status);

// Prints "availability: <message>" and a hint to run --help; returns
// kExitUsage.
int UsageError(CommandContext& ctx, absl::string_view message);

// Parses a subcommand's `args` with `parser`. std::nullopt: go on; else the
// exit code to return at once: kExitUsage after UsageError, or kExitOk after
// printing --help's usage followed by `help_tail`.
std::optional<int> ParseCommandArgs(CommandContext& ctx, ArgParser& parser,
                                    const std::vector<std::string>& args,
                                    absl::string_view help_tail = "");

// Declares --channel CODE and --stock ID on `parser`.
void AddScopeFlags(ArgParser& parser);
// The Scope from --channel / --stock: at most one of them; neither means
// stock 1 (Magento's default stock). InvalidArgument naming the flag.
absl::StatusOr<availability::v1::Scope> ScopeFromFlags(const ArgParser& parser);

// The subcommands.
using CommandArgs = std::vector<std::string>;
int RunGet(CommandContext& ctx, const CommandArgs& args);
int RunBatch(CommandContext& ctx, const CommandArgs& args);
int RunHealth(CommandContext& ctx, const CommandArgs& args);

}  // namespace av::cli

#endif  // CLIENT_CLI_COMMAND_H_
