#include "client/import/csv.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace av::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Rows = std::vector<std::vector<std::string>>;

// Reads every record of `text`; fails the test on any error.
Rows ReadAll(const std::string& text) {
  std::istringstream in(text);
  CsvReader csv(in);
  Rows rows;
  std::vector<std::string> fields;
  for (;;) {
    absl::StatusOr<bool> more = csv.ReadRecord(&fields);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    rows.push_back(fields);
  }
  return rows;
}

struct Case {
  const char* name;
  std::string input;
  Rows want;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

class CsvReaderCases : public ::testing::TestWithParam<Case> {};

TEST_P(CsvReaderCases, Reads) {
  EXPECT_EQ(ReadAll(GetParam().input), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc4180, CsvReaderCases,
    ::testing::Values(
        Case{"Empty", "", {}}, Case{"OneField", "a", {{"a"}}},
        Case{"TrailingNewline", "a,b\n", {{"a", "b"}}},
        Case{"NoTrailingNewline", "a,b\nc,d", {{"a", "b"}, {"c", "d"}}},
        Case{"Crlf", "a,b\r\nc,d\r\n", {{"a", "b"}, {"c", "d"}}},
        Case{"LoneCr", "a\rb\r", {{"a"}, {"b"}}},
        Case{"EmptyFields", ",,\n,x,\n", {{"", "", ""}, {"", "x", ""}}},
        Case{"TrailingDelimiterAtEof", "a,", {{"a", ""}}},
        Case{"BlankLine", "a\n\nb\n", {{"a"}, {""}, {"b"}}},
        Case{"QuotedComma", "\"a,b\",c\n", {{"a,b", "c"}}},
        Case{"DoubledQuotes", "\"say \"\"hi\"\"\",x\n", {{"say \"hi\"", "x"}}},
        Case{"OnlyDoubledQuotes", "\"\"\"\"\n", {{"\""}}},
        Case{"EmptyQuoted", "\"\",\"\"\n", {{"", ""}}},
        Case{"NewlineInQuotes",
             "\"line1\nline2\",b\nc\n",
             {{"line1\nline2", "b"}, {"c"}}},
        Case{"CrlfInQuotesKept", "\"a\r\nb\"\r\n", {{"a\r\nb"}}},
        Case{"QuoteInsideUnquotedIsLiteral",
             "15\" x 9\",b\n",
             {{"15\" x 9\"", "b"}}},
        Case{"SpacesKept", " a , b \n", {{" a ", " b "}}},
        Case{"Utf8",
             "K\xC3\xBC"
             "che,\xE2\x82\xAC\n",
             {{"K\xC3\xBC"
               "che",
               "\xE2\x82\xAC"}}}),
    CaseName);

TEST(CsvReaderTest, RecordLineIsTheFirstPhysicalLine) {
  std::istringstream in("h1,h2\n\"multi\nline\",x\r\nlast,y\n");
  CsvReader csv(in);
  std::vector<std::string> fields;
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  EXPECT_EQ(csv.record_line(), 1);
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  EXPECT_EQ(csv.record_line(), 2);
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  EXPECT_EQ(csv.record_line(), 4);
  EXPECT_THAT(fields, ElementsAre("last", "y"));
  EXPECT_FALSE(*csv.ReadRecord(&fields));
  EXPECT_EQ(csv.bytes_read(), static_cast<int64_t>(in.str().size()));
}

TEST(CsvReaderTest, UnterminatedQuoteNamesItsLine) {
  std::istringstream in("a,b\nc,\"never\nclosed\n");
  CsvReader csv(in);
  std::vector<std::string> fields;
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  absl::StatusOr<bool> bad = csv.ReadRecord(&fields);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(IsRecoverableCsvError(bad.status()));
  EXPECT_THAT(bad.status().message(),
              HasSubstr("line 2: quoted field never closed"));
  absl::StatusOr<bool> end = csv.ReadRecord(&fields);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
}

TEST(CsvReaderTest, CharacterAfterClosingQuoteSkipsTheRecord) {
  std::istringstream in("\"a\"x,b\nc,d\n");
  CsvReader csv(in);
  std::vector<std::string> fields;
  absl::StatusOr<bool> bad = csv.ReadRecord(&fields);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(bad.status().message(),
              HasSubstr("line 1: unexpected character after a closing quote"));
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  EXPECT_THAT(fields, ElementsAre("c", "d"));
  EXPECT_EQ(csv.record_line(), 2);
}

TEST(CsvReaderTest, MultilineFieldsAreListedWithTheirLines) {
  std::istringstream in("a,\"one\ntwo\nthree\",\"x\"\nb,c,\"d\r\ne\"\nf,g,h\n");
  CsvReader csv(in);
  std::vector<std::string> fields;
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  ASSERT_EQ(csv.multiline_fields().size(), 1u);
  EXPECT_EQ(csv.multiline_fields()[0].column, 1u);
  EXPECT_EQ(csv.multiline_fields()[0].first_line, 1);
  EXPECT_EQ(csv.multiline_fields()[0].last_line, 3);
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  ASSERT_EQ(csv.multiline_fields().size(), 1u);
  EXPECT_EQ(csv.multiline_fields()[0].column, 2u);
  EXPECT_EQ(csv.multiline_fields()[0].first_line, 4);
  EXPECT_EQ(csv.multiline_fields()[0].last_line, 5);
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  EXPECT_TRUE(csv.multiline_fields().empty());
}

TEST(CsvReaderTest, StrayQuoteClosingLaterNamesTheLinesSkipped) {
  std::istringstream in("a,\"stray\nb,1\nc,\"2\"x\nd,3\n");
  CsvReader csv(in);
  std::vector<std::string> fields;
  absl::StatusOr<bool> bad = csv.ReadRecord(&fields);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "line 1: unexpected character after a closing quote on line 3; "
            "the quoted field opened on line 1, so lines 1-3 were skipped as "
            "one row (a stray quote?)");
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  EXPECT_THAT(fields, ElementsAre("d", "3"));
}

TEST(CsvReaderTest, OverlongRecordIsFatal) {
  std::istringstream in("abcdef\nx\n");
  CsvOptions options;
  options.max_record_bytes = 4;
  CsvReader csv(in, options);
  std::vector<std::string> fields;
  absl::StatusOr<bool> bad = csv.ReadRecord(&fields);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(bad.status()));
  EXPECT_FALSE(IsRecoverableCsvError(bad.status()));
  EXPECT_FALSE(csv.ReadRecord(&fields).ok());
}

TEST(CsvReaderTest, OtherDelimiter) {
  std::istringstream in("a;\"b;c\"\n");
  CsvOptions options;
  options.delimiter = ';';
  CsvReader csv(in, options);
  std::vector<std::string> fields;
  ASSERT_TRUE(*csv.ReadRecord(&fields));
  EXPECT_THAT(fields, ElementsAre("a", "b;c"));
}

}  // namespace
}  // namespace av::client
