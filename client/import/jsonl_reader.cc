#include "client/import/jsonl_reader.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/import/text_encoding.h"
#include "google/protobuf/util/json_util.h"

namespace av::client {

using availability::v1::InventoryRecord;

namespace {

// Invalid bytes of a line are marked as the private-use characters
// U+F700 + byte (UTF-8 EF 9C 80 .. EF 9F BF), so the JSON parser takes the
// line and the field that holds one can be named.
constexpr char32_t kMarkBase = 0xF700;

std::string MarkInvalidBytes(absl::string_view line) {
  std::string marked;
  marked.reserve(line.size() + 16);
  while (!line.empty()) {
    const std::optional<size_t> bad = FindInvalidUtf8(line);
    const size_t good = bad.value_or(line.size());
    marked.append(line.data(), good);
    if (!bad.has_value()) break;
    const char32_t mark = kMarkBase + static_cast<unsigned char>(line[good]);
    marked.push_back(static_cast<char>(0xE0 | (mark >> 12)));
    marked.push_back(static_cast<char>(0x80 | ((mark >> 6) & 0x3F)));
    marked.push_back(static_cast<char>(0x80 | (mark & 0x3F)));
    line.remove_prefix(good + 1);
  }
  return marked;
}

// "<field>: not valid UTF-8 (byte 0xE9 at offset 3; ...)" for the first
// field of `record` (parsed from a MarkInvalidBytes line) that holds a
// mark; OK when none does.
absl::Status FindMarkedField(const InventoryRecord& record,
                             absl::string_view encoding) {
  absl::Status status;
  VisitStringFields(
      record, [&](const std::string& path, const std::string& value) {
        for (size_t i = 0; i + 2 < value.size(); ++i) {
          const auto b0 = static_cast<unsigned char>(value[i]);
          const auto b1 = static_cast<unsigned char>(value[i + 1]);
          const auto b2 = static_cast<unsigned char>(value[i + 2]);
          if (b0 != 0xEF || b1 < 0x9C || b1 > 0x9F || (b2 & 0xC0) != 0x80) {
            continue;
          }
          const char32_t c = ((b1 & 0x3F) << 6) | (b2 & 0x3F) | 0xF000;
          status = absl::InvalidArgumentError(absl::StrCat(
              path, ": ",
              DescribeInvalidByte(static_cast<unsigned char>(c - kMarkBase), i,
                                  encoding)));
          return false;
        }
        return true;
      });
  return status;
}

}  // namespace

absl::Status ParseRecordJson(absl::string_view json, InventoryRecord* record) {
  record->Clear();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), record, options);
  if (!status.ok()) {
    std::string reason(status.message().data(), status.message().size());
    // The parser may quote the input over several lines; keep one line.
    for (char& c : reason) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    constexpr size_t kMaxReason = 200;
    if (reason.size() > kMaxReason)
      reason = reason.substr(0, kMaxReason) + "...";
    if (reason.empty()) reason = "not a valid InventoryRecord";
    return absl::InvalidArgumentError(reason);
  }
  return absl::OkStatus();
}

JsonlReader::JsonlReader(std::istream& in, JsonlReaderOptions options)
    : in_(in.rdbuf()), options_(std::move(options)) {}

bool JsonlReader::ReadLine(bool* too_long) {
  line_text_.clear();
  *too_long = false;
  if (in_ == nullptr) return false;
  bool any = false;
  for (;;) {
    if (buffer_pos_ == buffer_.size()) {
      buffer_.resize(kReadChunk);
      const std::streamsize got = in_->sgetn(buffer_.data(), kReadChunk);
      buffer_.resize(got > 0 ? static_cast<size_t>(got) : 0);
      buffer_pos_ = 0;
      if (buffer_.empty()) break;
    }
    any = true;
    const char* start = buffer_.data() + buffer_pos_;
    const size_t available = buffer_.size() - buffer_pos_;
    const auto* newline =
        static_cast<const char*>(std::memchr(start, '\n', available));
    const size_t n =
        newline != nullptr ? static_cast<size_t>(newline - start) : available;
    const size_t room = options_.max_line_bytes - line_text_.size();
    if (n > room) *too_long = true;
    line_text_.append(start, std::min(n, room));
    bytes_read_ += static_cast<int64_t>(n);
    buffer_pos_ += n;
    if (newline != nullptr) {
      ++bytes_read_;
      ++buffer_pos_;
      break;
    }
  }
  if (!any) return false;
  ++line_;
  if (!line_text_.empty() && line_text_.back() == '\r') line_text_.pop_back();
  return true;
}

absl::StatusOr<bool> JsonlReader::Next(std::vector<InventoryRecord>* records) {
  records->clear();
  bool too_long = false;
  for (;;) {
    if (!ReadLine(&too_long)) return false;
    if (too_long) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_, ": longer than ", options_.max_line_bytes, " bytes"));
    }
    if (!absl::StripAsciiWhitespace(line_text_).empty()) break;
  }
  // Parsed in place; removed again when the line is bad.
  InventoryRecord& record = records->emplace_back();
  const std::optional<size_t> bad_byte = FindInvalidUtf8(line_text_);
  // The common shape of a line: simdjson (see fast_json.h), whose strings
  // are then unescaped parts of valid UTF-8 text; else protobuf's parser.
  const bool fast = !bad_byte.has_value() && fast_.Parse(line_text_, &record);
  absl::Status status;
  if (!fast) status = ParseRecordJson(line_text_, &record);
  if (status.ok() && !fast) {
    // Names the field holding bad text (also one from a "\udc00" escape).
    status = CheckMessageText(record, options_.encoding);
  }
  if (bad_byte.has_value() &&
      (status.ok() || !absl::StrContains(status.message(), ": not valid "))) {
    // The parser refuses invalid UTF-8: parse the line with the bad bytes
    // marked to name the field; else the offset in the line.
    InventoryRecord marked;
    absl::Status named;
    if (ParseRecordJson(MarkInvalidBytes(line_text_), &marked).ok()) {
      named = FindMarkedField(marked, options_.encoding);
    }
    status = !named.ok() ? named
                         : absl::InvalidArgumentError(DescribeInvalidText(
                               line_text_, *bad_byte, options_.encoding));
  }
  if (status.ok() && record.sku().empty()) {
    status = absl::InvalidArgumentError("sku: missing");
  }
  if (!status.ok()) {
    records->clear();
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line_, ": ", status.message()));
  }
  if (record.stock_id() == 0 && options_.default_stock_id > 0) {
    record.set_stock_id(options_.default_stock_id);
  }
  return true;
}

}  // namespace av::client
