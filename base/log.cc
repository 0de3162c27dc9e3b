#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/stubs/logging.h"

namespace availability::base {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
absl::Mutex g_write_mutex;

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void OnProtobufLog(google::protobuf::LogLevel level, const char* filename,
                   int line, const std::string& message) {
  LogLevel ours = LogLevel::kError;
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      ours = LogLevel::kInfo;
      break;
    case google::protobuf::LOGLEVEL_WARNING:
      ours = LogLevel::kWarning;
      break;
    default:
      ours = LogLevel::kError;
  }
  // "String field 'availability.v1.GetAvailabilityRequest.sku' contains
  // invalid UTF-8 data when parsing a protocol buffer. ..."
  if (absl::StrContains(message, "invalid UTF-8 data when parsing")) {
    ours = LogLevel::kDebug;
  }
  Log(ours, "protobuf",
      {{"detail", message},
       {"source",
        absl::StrCat(filename == nullptr ? "" : filename, ":", line)}});
}

}  // namespace

void InstallProtobufLogHandler() {
  google::protobuf::SetLogHandler(&OnProtobufLog);
}

bool ParseLogLevel(absl::string_view text, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning,
                     LogLevel::kError}) {
    if (text == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

std::string JsonQuote(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<int>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

void Log(LogLevel level, absl::string_view message,
         absl::Span<const LogField> fields) {
  if (!LogEnabled(level)) return;
  std::string line = absl::StrCat(
      "{\"ts\":",
      JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                 absl::UTCTimeZone())),
      ",\"level\":\"", LevelName(level), "\",\"msg\":", JsonQuote(message));
  for (const LogField& field : fields) {
    absl::StrAppend(&line, ",", JsonQuote(field.first), ":",
                    JsonQuote(field.second));
  }
  line += "}\n";
  absl::MutexLock lock(&g_write_mutex);
  // A single write keeps lines whole even with other writers to stderr.
  ssize_t unused = ::write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

}  // namespace availability::base
