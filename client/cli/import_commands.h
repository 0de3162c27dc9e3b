// The snapshot import, demo catalog and event subcommands of `availability`,
// and the flags they share for the sync/admin listener.
//
//   availability import FILE [--format jsonl|magento-csv] [--replace] ...
//   availability demo-catalog --out DIR [--skus 1200] [--seed 1] ...
//   availability setup-demo-store --dir DIR [--stock 1]
//   availability events tail --stock ID [--from-start] [--json]
//
// These talk to the InventorySync service on its own listener (--sync-server,
// default 127.0.0.1:50052, env AVAILABILITY_SYNC_SERVER) with a bearer token
// from --token-file or env AVAILABILITY_SYNC_TOKEN; the token is never
// printed. Thread safety: as command.h.
#ifndef CLIENT_CLI_IMPORT_COMMANDS_H_
#define CLIENT_CLI_IMPORT_COMMANDS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "availability/v1/inventory_sync.pb.h"
#include "client/availability_client.h"
#include "client/cli/args.h"
#include "client/cli/command.h"

namespace av::cli {

// `import`: some rows were bad (unreadable, not valid UTF-8, a SKU repeated
// with other values) or some records rejected or failed; the rest went in
// and --replace deleted nothing.
inline constexpr int kExitPartial = 6;

inline constexpr char kDefaultSyncServer[] = "127.0.0.1:50052";

// Declares --sync-server HOST:PORT and --token-file FILE.
void AddSyncFlags(ArgParser& parser);

// A SyncClient for the sync listener named by the flags (else the
// environment, else the default), with the token from --token-file (else
// AVAILABILITY_SYNC_TOKEN; else none). Sets *target to the address used.
// InvalidArgument naming the flag when the token file cannot be read or is
// empty.
absl::StatusOr<std::unique_ptr<av::client::SyncClient>> SyncClientFromFlags(
    const ArgParser& parser, std::string* target);

// Like ReportError, for a call to the sync listener at `target`; adds how to
// pass a token when the server answered UNAUTHENTICATED.
int ReportSyncError(CommandContext& ctx, const std::string& target,
                    const absl::Status& status);

// The `events tail` line of one event: stream time (UTC), type, SKU, old ->
// new status, first ship date when known, net quantity, version and id.
std::string FormatEventLine(const availability::v1::InventoryEvent& event);

int RunImport(CommandContext& ctx, const CommandArgs& args);
int RunDemoCatalog(CommandContext& ctx, const CommandArgs& args);
int RunSetupDemoStore(CommandContext& ctx, const CommandArgs& args);
int RunEvents(CommandContext& ctx, const CommandArgs& args);

}  // namespace av::cli

#endif  // CLIENT_CLI_IMPORT_COMMANDS_H_
