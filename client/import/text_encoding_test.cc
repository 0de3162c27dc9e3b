#include "client/import/text_encoding.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <sstream>
#include <string>

#include "availability/v1/inventory_sync.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace av::client {
namespace {

using ::testing::HasSubstr;

std::string ReadAll(std::streambuf* buf) {
  std::istream in(buf);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

TEST(FindInvalidUtf8Test, FindsTheFirstBadByte) {
  EXPECT_EQ(FindInvalidUtf8(""), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("plain ascii, 24-MB01"), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("abc,\xE9"), 4u);          // Windows-1252 é
  EXPECT_EQ(FindInvalidUtf8("\xC3"), 0u);              // cut short
  EXPECT_EQ(FindInvalidUtf8("a\xC0\x80"), 1u);         // overlong NUL
  EXPECT_EQ(FindInvalidUtf8("\xE0\x80\xAF"), 0u);      // overlong '/'
  EXPECT_EQ(FindInvalidUtf8("x\xED\xA0\x80"), 1u);     // surrogate
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("ok\x80"), 2u);            // lone continuation
}

TEST(CheckTextTest, NamesFieldByteOffsetAndLikelyEncoding) {
  EXPECT_TRUE(CheckText("sku", "24-MB01", "utf-8").ok());
  absl::Status s = CheckText("related_skus", "abc,\xE9", "utf-8");
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message(),
            "related_skus: not valid UTF-8 (byte 0xE9 at offset 4; the file "
            "looks like Windows-1252: re-export it as UTF-8 or pass "
            "--encoding windows-1252)");
  EXPECT_THAT(CheckText("sku", "\xFF\xFEs", "utf-8").message(),
              HasSubstr("looks like UTF-16"));
  // 0x81 has no Windows-1252 character: no such guess.
  EXPECT_THAT(CheckText("sku", "a\x81", "utf-8").message(),
              HasSubstr("byte 0x81 at offset 1; re-export the file as UTF-8"));
  // Read in another encoding: the byte could not be decoded from it.
  EXPECT_EQ(CheckText("sku", "a\x81", "windows-1252").message(),
            "sku: not valid windows-1252 (byte 0x81 at offset 1 could not be "
            "decoded; is --encoding windows-1252 right?)");
}

TEST(CheckMessageTextTest, NamesNestedAndRepeatedFields) {
  availability::v1::InventoryRecord record;
  record.set_sku("A");
  record.add_alternatives()->set_sku("B");
  record.add_alternatives()->set_sku("C\xE9");
  EXPECT_THAT(CheckMessageText(record, "utf-8").message(),
              HasSubstr("alternatives[1].sku: not valid UTF-8 (byte 0xE9 at "
                        "offset 1"));
  record.mutable_alternatives(1)->set_sku("C");
  EXPECT_TRUE(CheckMessageText(record, "utf-8").ok());
  record.set_successor_sku("\xC3");
  EXPECT_THAT(CheckMessageText(record, "utf-8").message(),
              HasSubstr("successor_sku: not valid UTF-8"));
}

TEST(TranscodingStreamBufTest, DecodesWindows1252ToUtf8) {
  std::istringstream file("sku,name\n24-MB01,caf\xE9 \x80 \x93ok\x94\n");
  auto buf = TranscodingStreamBuf::Create(file.rdbuf(), "windows-1252");
  ASSERT_TRUE(buf.ok()) << buf.status();
  EXPECT_EQ(ReadAll(buf->get()),
            "sku,name\n24-MB01,caf\xC3\xA9 \xE2\x82\xAC \xE2\x80\x9Cok"
            "\xE2\x80\x9D\n");
  EXPECT_EQ((*buf)->source_bytes_read(), 29);
}

TEST(TranscodingStreamBufTest, PassesUndecodableBytesThroughForTheCheck) {
  // 0x81 is not a Windows-1252 character: it stays, so the UTF-8 check of
  // its field reports it; nothing is dropped.
  std::istringstream file("a\x81z\xE9");
  auto buf = TranscodingStreamBuf::Create(file.rdbuf(), "WINDOWS-1252");
  ASSERT_TRUE(buf.ok());
  const std::string text = ReadAll(buf->get());
  EXPECT_EQ(text, "a\x81z\xC3\xA9");
  EXPECT_EQ(FindInvalidUtf8(text), 1u);
}

TEST(TranscodingStreamBufTest, SequencesAcrossReadChunksStayWhole) {
  // UTF-16LE with a BOM; a surrogate pair (U+1F600) straddles the first
  // 64 KiB read, and the file is several chunks long.
  std::string utf16 = "\xFF\xFE";
  std::string expected;
  while (utf16.size() < 65534) {
    utf16 += std::string("a\0", 2);
    expected += "a";
  }
  for (int i = 0; i < 50000; ++i) {
    utf16 += std::string("\x3D\xD8\x00\xDE", 4);  // U+1F600
    expected += "\xF0\x9F\x98\x80";
  }
  utf16 += std::string("\n\0", 2);
  expected += "\n";
  std::istringstream file(utf16);
  auto buf = TranscodingStreamBuf::Create(file.rdbuf(), "UTF-16");
  ASSERT_TRUE(buf.ok());
  const std::string got = ReadAll(buf->get());
  // Compared without printing megabytes: size and first difference.
  ASSERT_EQ(got.size(), expected.size());
  const auto diff = std::mismatch(got.begin(), got.end(), expected.begin());
  EXPECT_EQ(diff.first - got.begin(), static_cast<ptrdiff_t>(got.size()));
}

TEST(TranscodingStreamBufTest, UnknownEncodingIsRefused) {
  std::istringstream file("x");
  auto buf = TranscodingStreamBuf::Create(file.rdbuf(), "no-such-charset");
  EXPECT_TRUE(absl::IsInvalidArgument(buf.status()));
  EXPECT_THAT(buf.status().message(),
              HasSubstr("--encoding: iconv does not know \"no-such-charset\""));
  EXPECT_TRUE(IsUtf8Encoding("UTF-8"));
  EXPECT_TRUE(IsUtf8Encoding("utf8"));
  EXPECT_FALSE(IsUtf8Encoding("latin1"));
}

}  // namespace
}  // namespace av::client
