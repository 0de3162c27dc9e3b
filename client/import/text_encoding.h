// Text encodings of snapshot files: checks that every text value is valid
// UTF-8 (what proto3 strings must hold) with a message naming the bad byte,
// and a stream that transcodes a file in another encoding into UTF-8 with
// glibc's iconv.
//
//   absl::StatusOr<std::unique_ptr<TranscodingStreamBuf>> buf =
//       TranscodingStreamBuf::Create(file.rdbuf(), "windows-1252");
//   std::istream utf8(buf->get());   // read it like the file, as UTF-8
//   ... CheckText("related_skus", cell, "windows-1252") ...
//
// The functions are thread-safe; a TranscodingStreamBuf is not (one reader).
#ifndef CLIENT_IMPORT_TEXT_ENCODING_H_
#define CLIENT_IMPORT_TEXT_ENCODING_H_

#include <iconv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <streambuf>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace av::client {

// The encoding files are read in unless told otherwise.
inline constexpr char kDefaultEncoding[] = "utf-8";

// True for the names of UTF-8 ("utf-8", "UTF8", any case) and for "".
bool IsUtf8Encoding(absl::string_view encoding);

// Offset of the first byte of `text` that does not start a well-formed UTF-8
// sequence (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF); nullopt when all of `text` is valid.
std::optional<size_t> FindInvalidUtf8(absl::string_view text);

// Why `text` is bad at `offset` (from FindInvalidUtf8), for a message:
// "not valid UTF-8 (byte 0xE9 at offset 4; the file looks like Windows-1252:
// re-export it as UTF-8 or pass --encoding windows-1252)". `encoding` is the
// one the file was read in: when it is not UTF-8, the byte was not valid in
// that encoding either (it is passed through undecoded, see
// TranscodingStreamBuf) and the message says so.
std::string DescribeInvalidText(absl::string_view text, size_t offset,
                                absl::string_view encoding);

// The same for one byte at `offset` of a value, when the text itself is not
// at hand.
std::string DescribeInvalidByte(unsigned char byte, size_t offset,
                                absl::string_view encoding);

// OK, or InvalidArgument "<field>: <DescribeInvalidText>".
absl::Status CheckText(absl::string_view field, absl::string_view text,
                       absl::string_view encoding);

// Calls `visit` with the path ("alternatives[0].sku") and value of every
// string field set in `message`, nested messages and repeated fields
// included, in field-number order, until it returns false.
void VisitStringFields(
    const google::protobuf::Message& message,
    absl::FunctionRef<bool(const std::string& path, const std::string& value)>
        visit);

// Checks every string field of `message`, nested messages and repeated
// fields included; InvalidArgument naming the first bad one by its path,
// e.g. "alternatives[0].sku: not valid UTF-8 (...)".
absl::Status CheckMessageText(const google::protobuf::Message& message,
                              absl::string_view encoding);

// A read-only stream buffer that decodes `source` from `encoding` (any name
// glibc's iconv knows, e.g. "windows-1252", "iso-8859-1", "utf-16") into
// UTF-8. A byte sequence that is not valid in `encoding` is passed through
// undecoded, so the UTF-8 check of the field that holds it reports it with
// its line and column; nothing is dropped or replaced silently.
class TranscodingStreamBuf : public std::streambuf {
 public:
  // InvalidArgument "--encoding: iconv does not know ..." for an unknown
  // name. `source` must outlive the buffer.
  static absl::StatusOr<std::unique_ptr<TranscodingStreamBuf>> Create(
      std::streambuf* source, absl::string_view encoding);
  ~TranscodingStreamBuf() override;

  TranscodingStreamBuf(const TranscodingStreamBuf&) = delete;
  TranscodingStreamBuf& operator=(const TranscodingStreamBuf&) = delete;

  // Bytes read from `source` so far (the file's own size, for progress).
  int64_t source_bytes_read() const { return source_bytes_read_; }

 protected:
  int_type underflow() override;

 private:
  static constexpr size_t kInSize = 1 << 16;
  static constexpr size_t kOutSize = 4 * kInSize;

  TranscodingStreamBuf(std::streambuf* source, iconv_t converter);

  std::streambuf* const source_;
  const iconv_t converter_;
  std::unique_ptr<char[]> in_;
  std::unique_ptr<char[]> out_;
  size_t in_length_ = 0;
  bool source_done_ = false;
  int64_t source_bytes_read_ = 0;
};

}  // namespace av::client

#endif  // CLIENT_IMPORT_TEXT_ENCODING_H_
