// Flags and connection shared by the import, demo and events subcommands.

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/cli/import_commands.h"

namespace av::cli {

void AddSyncFlags(ArgParser& parser) {
  parser.AddFlag("sync-server", "HOST:PORT",
                 absl::StrCat("sync/admin listener (env "
                              "AVAILABILITY_SYNC_SERVER, default ",
                              kDefaultSyncServer, ")"));
  parser.AddFlag("token-file", "FILE",
                 "file holding the bearer token (default: env "
                 "AVAILABILITY_SYNC_TOKEN)");
}

absl::StatusOr<std::unique_ptr<av::client::SyncClient>> SyncClientFromFlags(
    const ArgParser& parser, std::string* target) {
  const char* env_server = std::getenv("AVAILABILITY_SYNC_SERVER");
  *target = parser.GetString("sync-server")
                .value_or(env_server != nullptr && *env_server != '\0'
                              ? env_server
                              : kDefaultSyncServer);
  if (target->empty()) {
    return absl::InvalidArgumentError("--sync-server: empty");
  }
  std::string token;
  if (std::optional<std::string> file = parser.GetString("token-file")) {
    std::ifstream in(*file, std::ios::binary);
    if (!in.is_open()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token-file: cannot read ", *file));
    }
    std::ostringstream text;
    text << in.rdbuf();
    token = std::string(absl::StripAsciiWhitespace(text.str()));
    if (token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token-file: ", *file, " is empty"));
    }
  } else if (const char* env_token = std::getenv("AVAILABILITY_SYNC_TOKEN")) {
    token = std::string(absl::StripAsciiWhitespace(env_token));
  }
  return std::make_unique<av::client::SyncClient>(
      av::client::MakeChannel(*target), std::move(token));
}

int ReportSyncError(CommandContext& ctx, const std::string& target,
                    const absl::Status& status) {
  CommandContext sync_ctx = ctx;
  sync_ctx.server = target;
  const int code = ReportError(sync_ctx, status);
  if (absl::IsUnauthenticated(status)) {
    *ctx.err << "availability: pass the sync token with --token-file FILE or "
                "env AVAILABILITY_SYNC_TOKEN\n";
  }
  return code;
}

}  // namespace av::cli
