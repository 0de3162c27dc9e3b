// Structured logging: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-28T08:00:00.123Z","level":"info","msg":"listening",
//    "address":"127.0.0.1:50051"}
//
//   Log(LogLevel::kWarning, "redis unreachable", {{"address", addr}});
//
// Callers never pass secrets (passwords, tokens, subscriber ids) as fields.
// Thread-safe: lines from concurrent callers never interleave.
#ifndef AVAILABILITY_BASE_LOG_H_
#define AVAILABILITY_BASE_LOG_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace availability::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses "debug", "info", "warning", "error"; false for anything else.
bool ParseLogLevel(absl::string_view text, LogLevel* level);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

using LogField = std::pair<absl::string_view, std::string>;

// Writes one line when `level` is enabled. `fields` is usually a braced
// list, {{"address", addr}}, or any contiguous container of LogField.
void Log(LogLevel level, absl::string_view message,
         absl::Span<const LogField> fields = {});

// Routes protobuf's own log messages (google::protobuf::SetLogHandler),
// which it would otherwise print to stderr as text lines, into this log:
// {"msg":"protobuf","level":...,"detail":...,"source":"file:line"}.
// protobuf's complaint that a string field it parsed is not valid UTF-8 is
// logged at debug: it comes from a client's bad request, which the services
// answer INVALID_ARGUMENT naming the field (server/request_parsing.h), so at
// a higher level any client could fill the log. Everything else keeps its
// level (FATAL is logged as error; protobuf then aborts). Call once at
// startup, before any message is parsed: SetLogHandler is not thread-safe.
void InstallProtobufLogHandler();

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace availability::base

#endif  // AVAILABILITY_BASE_LOG_H_
