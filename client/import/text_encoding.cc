#include "client/import/text_encoding.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace av::client {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Length of the well-formed UTF-8 sequence at the start of `s`; 0 if none.
size_t Utf8SequenceLength(absl::string_view s) {
  const auto b = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) {
    return i < s.size() && (b(i) & 0xC0) == 0x80;
  };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;  // a continuation byte, C0/C1 (overlong) or F5..FF
}

// Windows-1252 gives every byte a character except these five.
bool DefinedInWindows1252(unsigned char c) {
  return c != 0x81 && c != 0x8D && c != 0x8F && c != 0x90 && c != 0x9D;
}

// Returns false when `visit` asked to stop.
bool VisitFields(
    const Message& message, const std::string& prefix,
    absl::FunctionRef<bool(const std::string&, const std::string&)> visit) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name = prefix + field->name();
    const bool text = field->type() == FieldDescriptor::TYPE_STRING;
    const bool nested = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!text && !nested) continue;
    if (!field->is_repeated()) {
      const bool go_on =
          text ? visit(name, reflection->GetString(message, field))
               : VisitFields(reflection->GetMessage(message, field), name + ".",
                             visit);
      if (!go_on) return false;
      continue;
    }
    const int n = reflection->FieldSize(message, field);
    for (int i = 0; i < n; ++i) {
      const std::string element = absl::StrCat(name, "[", i, "]");
      const bool go_on =
          text
              ? visit(element, reflection->GetRepeatedString(message, field, i))
              : VisitFields(reflection->GetRepeatedMessage(message, field, i),
                            element + ".", visit);
      if (!go_on) return false;
    }
  }
  return true;
}

}  // namespace

bool IsUtf8Encoding(absl::string_view encoding) {
  const std::string name = absl::AsciiStrToLower(encoding);
  return name.empty() || name == "utf-8" || name == "utf8";
}

std::optional<size_t> FindInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    // ASCII runs are the common case.
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(text.substr(i));
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

std::string DescribeInvalidText(absl::string_view text, size_t offset,
                                absl::string_view encoding) {
  const unsigned char c =
      offset < text.size() ? static_cast<unsigned char>(text[offset]) : 0;
  if (IsUtf8Encoding(encoding) && offset <= 1 && text.size() >= 2 &&
      ((text[0] == '\xFF' && text[1] == '\xFE') ||
       (text[0] == '\xFE' && text[1] == '\xFF'))) {
    return absl::StrFormat(
        "not valid UTF-8 (byte 0x%02X at offset %d; the file looks like "
        "UTF-16: re-export it as UTF-8 or pass --encoding utf-16)",
        c, offset);
  }
  return DescribeInvalidByte(c, offset, encoding);
}

std::string DescribeInvalidByte(unsigned char byte, size_t offset,
                                absl::string_view encoding) {
  if (!IsUtf8Encoding(encoding)) {
    return absl::StrFormat(
        "not valid %s (byte 0x%02X at offset %d could not be decoded; is "
        "--encoding %s right?)",
        encoding, byte, offset, encoding);
  }
  const absl::string_view hint =
      byte >= 0x80 && DefinedInWindows1252(byte)
          ? "the file looks like Windows-1252: re-export it as UTF-8 or pass "
            "--encoding windows-1252"
          : "re-export the file as UTF-8 or pass --encoding with its encoding";
  return absl::StrFormat("not valid UTF-8 (byte 0x%02X at offset %d; %s)", byte,
                         offset, hint);
}

absl::Status CheckText(absl::string_view field, absl::string_view text,
                       absl::string_view encoding) {
  const std::optional<size_t> bad = FindInvalidUtf8(text);
  if (!bad.has_value()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", DescribeInvalidText(text, *bad, encoding)));
}

void VisitStringFields(
    const Message& message,
    absl::FunctionRef<bool(const std::string& path, const std::string& value)>
        visit) {
  VisitFields(message, "", visit);
}

namespace {

// Whether every string set in `message` (nested ones too) is valid UTF-8:
// the common case, checked without building a path for every field.
bool AllTextValid(const Message& message) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  std::string scratch;
  for (const FieldDescriptor* field : fields) {
    const bool text = field->type() == FieldDescriptor::TYPE_STRING;
    const bool nested = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!text && !nested) continue;
    if (!field->is_repeated()) {
      if (text ? FindInvalidUtf8(
                     reflection->GetStringReference(message, field, &scratch))
                     .has_value()
               : !AllTextValid(reflection->GetMessage(message, field))) {
        return false;
      }
      continue;
    }
    const int n = reflection->FieldSize(message, field);
    for (int i = 0; i < n; ++i) {
      if (text ? FindInvalidUtf8(reflection->GetRepeatedStringReference(
                                     message, field, i, &scratch))
                     .has_value()
               : !AllTextValid(
                     reflection->GetRepeatedMessage(message, field, i))) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

absl::Status CheckMessageText(const Message& message,
                              absl::string_view encoding) {
  if (AllTextValid(message)) return absl::OkStatus();
  absl::Status status;
  VisitStringFields(message,
                    [&](const std::string& path, const std::string& value) {
                      status = CheckText(path, value, encoding);
                      return status.ok();
                    });
  return status;
}

absl::StatusOr<std::unique_ptr<TranscodingStreamBuf>>
TranscodingStreamBuf::Create(std::streambuf* source,
                             absl::string_view encoding) {
  const std::string name(encoding);
  iconv_t converter = ::iconv_open("UTF-8", name.c_str());
  if (converter == reinterpret_cast<iconv_t>(-1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--encoding: iconv does not know \"", name,
        "\" (try windows-1252, iso-8859-1, utf-16; `iconv --list` lists "
        "them all)"));
  }
  return std::unique_ptr<TranscodingStreamBuf>(
      new TranscodingStreamBuf(source, converter));
}

TranscodingStreamBuf::TranscodingStreamBuf(std::streambuf* source,
                                           iconv_t converter)
    : source_(source),
      converter_(converter),
      in_(new char[kInSize]),
      out_(new char[kOutSize]) {
  setg(out_.get(), out_.get(), out_.get());
}

TranscodingStreamBuf::~TranscodingStreamBuf() { ::iconv_close(converter_); }

TranscodingStreamBuf::int_type TranscodingStreamBuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  char* const out = out_.get();
  for (;;) {
    if (!source_done_ && in_length_ < kInSize) {
      const std::streamsize n =
          source_ == nullptr
              ? 0
              : source_->sgetn(
                    in_.get() + in_length_,
                    static_cast<std::streamsize>(kInSize - in_length_));
      if (n <= 0) {
        source_done_ = true;
      } else {
        in_length_ += static_cast<size_t>(n);
        source_bytes_read_ += n;
      }
    }
    char* in_next = in_.get();
    size_t in_left = in_length_;
    char* out_next = out;
    size_t out_left = kOutSize;
    const size_t converted =
        ::iconv(converter_, in_length_ > 0 ? &in_next : nullptr, &in_left,
                &out_next, &out_left);
    const int error = converted == static_cast<size_t>(-1) ? errno : 0;
    auto pass_through = [&](size_t bytes) {
      // Undecodable input goes on as it is: the UTF-8 check names it.
      while (bytes-- > 0 && in_left > 0 && out_left > 0) {
        *out_next++ = *in_next++;
        --in_left;
        --out_left;
      }
    };
    if (error == EILSEQ) {
      pass_through(1);
    } else if (error == EINVAL && source_done_) {
      pass_through(in_left);  // a sequence cut off by the end of the file
    }
    std::memmove(in_.get(), in_next, in_left);
    in_length_ = in_left;
    if (out_next > out) {
      setg(out, out, out_next);
      return traits_type::to_int_type(*gptr());
    }
    if (source_done_ && in_length_ == 0) return traits_type::eof();
  }
}

}  // namespace av::client
