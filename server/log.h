// Structured logging: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-28T08:00:00.123Z","level":"info","msg":"listening",
//    "address":"127.0.0.1:50051"}
//
//   Log(LogLevel::kWarning, "redis unreachable", {{"address", addr}});
//
// Callers never pass secrets (passwords, tokens, subscriber ids) as fields.
// Thread-safe: lines from concurrent callers never interleave.
#ifndef AVAILABILITY_SERVER_LOG_H_
#define AVAILABILITY_SERVER_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace availability::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses "debug", "info", "warning", "error"; false for anything else.
bool ParseLogLevel(absl::string_view text, LogLevel* level);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

using LogField = std::pair<absl::string_view, std::string>;

void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields = {});

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_LOG_H_
