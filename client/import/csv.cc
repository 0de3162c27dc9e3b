#include "client/import/csv.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace av::client {

bool IsRecoverableCsvError(const absl::Status& status) {
  return absl::IsInvalidArgument(status);
}

CsvReader::CsvReader(std::istream& in, CsvOptions options)
    : in_(in.rdbuf()), options_(std::move(options)) {}

int CsvReader::Get() {
  const int c = in_ == nullptr ? std::char_traits<char>::eof() : in_->sbumpc();
  if (c == std::char_traits<char>::eof()) return kEof;
  ++bytes_read_;
  // A line ends at LF, at CRLF (counted once, at the LF) or at a lone CR.
  if (c == '\n' || (c == '\r' && in_->sgetc() != '\n')) {
    ++line_;
  }
  return c;
}

void CsvReader::SkipLine() {
  for (;;) {
    const int c = Get();
    if (c == kEof || c == '\n') return;
    if (c == '\r') {
      if (in_->sgetc() == '\n') Get();
      return;
    }
  }
}

absl::StatusOr<bool> CsvReader::ReadRecord(std::vector<std::string>* fields) {
  if (!fatal_.ok()) return fatal_;
  fields->clear();
  multiline_fields_.clear();
  record_line_ = line_;
  int c = Get();
  if (c == kEof) return false;

  enum class State { kFieldStart, kUnquoted, kQuoted, kAfterQuote };
  State state = State::kFieldStart;
  std::string field;
  int64_t quote_line = line_;
  int64_t close_line = line_;
  size_t record_bytes = 0;
  const char delimiter = options_.delimiter;
  // Ends the record at a line break; swallows the LF of a CRLF.
  auto end_of_line = [this](int ch) {
    if (ch == '\r' && in_->sgetc() == '\n') Get();
  };
  // Notes a quoted field that ends now and spans lines.
  auto end_quoted = [&]() {
    if (close_line > quote_line) {
      multiline_fields_.push_back(
          CsvMultilineField{fields->size(), quote_line, close_line});
    }
  };

  for (;; c = Get()) {
    if (c != kEof && ++record_bytes > options_.max_record_bytes) {
      fatal_ = absl::ResourceExhaustedError(
          absl::StrCat("line ", record_line_, ": record longer than ",
                       options_.max_record_bytes, " bytes"));
      return fatal_;
    }
    switch (state) {
      case State::kFieldStart:
      case State::kUnquoted:
        if (c == kEof || c == '\n' || c == '\r') {
          end_of_line(c);
          fields->push_back(std::move(field));
          return true;
        }
        if (c == delimiter) {
          fields->push_back(std::move(field));
          field.clear();
          state = State::kFieldStart;
        } else if (c == '"' && state == State::kFieldStart) {
          quote_line = line_;
          state = State::kQuoted;
        } else {
          field.push_back(static_cast<char>(c));
          state = State::kUnquoted;
        }
        break;
      case State::kQuoted:
        if (c == kEof) {
          return absl::InvalidArgumentError(absl::StrCat(
              "line ", quote_line,
              ": quoted field never closed (no matching '\"')",
              line_ > record_line_
                  ? absl::StrCat("; lines ", record_line_, "-", line_,
                                 " to the end of the file were skipped")
                  : ""));
        }
        if (c == '"') {
          close_line = line_;
          state = State::kAfterQuote;
        } else {
          field.push_back(static_cast<char>(c));
        }
        break;
      case State::kAfterQuote:
        if (c == '"') {  // "" inside quotes: one literal quote
          field.push_back('"');
          state = State::kQuoted;
        } else if (c == delimiter) {
          end_quoted();
          fields->push_back(std::move(field));
          field.clear();
          state = State::kFieldStart;
        } else if (c == kEof || c == '\n' || c == '\r') {
          end_of_line(c);
          end_quoted();
          fields->push_back(std::move(field));
          return true;
        } else {
          const int64_t line = line_;
          SkipLine();
          if (quote_line < line) {
            return absl::InvalidArgumentError(absl::StrCat(
                "line ", record_line_,
                ": unexpected character after a closing quote on line ", line,
                "; the quoted field opened on line ", quote_line, ", so lines ",
                record_line_, "-", line,
                " were skipped as one row (a stray quote?)"));
          }
          return absl::InvalidArgumentError(absl::StrCat(
              "line ", line, ": unexpected character after a closing quote"));
        }
        break;
    }
  }
}

}  // namespace av::client
