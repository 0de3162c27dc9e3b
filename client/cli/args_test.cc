#include "client/cli/args.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace av::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ArgParser MakeParser() {
  ArgParser parser("test [flags]");
  parser.AddFlag("qty", "N", "quantity");
  parser.AddFlag("file", "F", "file");
  parser.AddSwitch("json", "json output");
  return parser;
}

TEST(ArgParserTest, BothValueFormsAndPositionalsInAnyOrder) {
  ArgParser parser = MakeParser();
  ASSERT_TRUE(parser
                  .Parse({"SKU-1", "--qty=2.5", "SKU-2", "--file", "a.txt",
                          "--json", "SKU-3"})
                  .ok());
  EXPECT_THAT(parser.positional(), ElementsAre("SKU-1", "SKU-2", "SKU-3"));
  EXPECT_EQ(parser.GetString("qty"), "2.5");
  EXPECT_EQ(parser.GetString("file"), "a.txt");
  EXPECT_TRUE(parser.GetBool("json"));
  EXPECT_TRUE(parser.Has("json"));
  EXPECT_FALSE(parser.help_requested());
}

TEST(ArgParserTest, RepeatedFlagKeepsAllValuesLastWins) {
  ArgParser parser = MakeParser();
  ASSERT_TRUE(parser.Parse({"--file", "a", "--file=b"}).ok());
  EXPECT_THAT(parser.GetAll("file"), ElementsAre("a", "b"));
  EXPECT_EQ(parser.GetString("file"), "b");
}

TEST(ArgParserTest, DoubleDashEndsFlags) {
  ArgParser parser = MakeParser();
  ASSERT_TRUE(parser.Parse({"--json", "--", "--qty", "-x"}).ok());
  EXPECT_THAT(parser.positional(), ElementsAre("--qty", "-x"));
  EXPECT_FALSE(parser.Has("qty"));
}

TEST(ArgParserTest, SwitchAcceptsExplicitBoolean) {
  ArgParser parser = MakeParser();
  ASSERT_TRUE(parser.Parse({"--json=false"}).ok());
  EXPECT_FALSE(parser.GetBool("json"));
  EXPECT_FALSE(parser.Has("json"));
}

TEST(ArgParserTest, HelpIsAlwaysAccepted) {
  ArgParser parser = MakeParser();
  ASSERT_TRUE(parser.Parse({"-h"}).ok());
  EXPECT_TRUE(parser.help_requested());
  EXPECT_THAT(parser.Usage(), HasSubstr("usage: test [flags]"));
  EXPECT_THAT(parser.Usage(), HasSubstr("--qty N"));
}

struct ErrorCase {
  std::string name;
  std::vector<std::string> args;
  std::string message;
};

class ArgParserErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ArgParserErrorTest, NamesTheFlag) {
  ArgParser parser = MakeParser();
  absl::Status status = parser.Parse(GetParam().args);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ArgParserErrorTest,
    ::testing::Values(
        ErrorCase{"UnknownFlag", {"--nope=1"}, "unknown flag --nope"},
        ErrorCase{"MissingValue", {"SKU", "--qty"}, "--qty: missing value"},
        ErrorCase{"SwitchWithValue",
                  {"--json=yes"},
                  "--json: expects no value or true/false, got \"yes\""}),
    [](const auto& test_info) { return test_info.param.name; });

TEST(ArgParserTest, TypedGettersNameTheFlag) {
  ArgParser parser = MakeParser();
  ASSERT_TRUE(parser.Parse({"--qty", "abc", "--file", "7"}).ok());
  absl::StatusOr<std::optional<double>> qty = parser.GetDouble("qty");
  EXPECT_EQ(qty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(qty.status().message(), "--qty: not a number: \"abc\"");
  absl::StatusOr<std::optional<int64_t>> qty_int = parser.GetInt("qty");
  EXPECT_EQ(qty_int.status().message(), "--qty: not an integer: \"abc\"");
  absl::StatusOr<std::optional<int64_t>> file =
      parser.GetIntInRange("file", 0, 5);
  EXPECT_EQ(file.status().message(), "--file: 7 is out of range [0, 5]");
}

TEST(ArgParserTest, TypedGettersReturnValuesAndNulloptWhenAbsent) {
  ArgParser parser = MakeParser();
  ASSERT_TRUE(parser.Parse({"--qty=3"}).ok());
  EXPECT_EQ(parser.GetInt("qty").value(), 3);
  EXPECT_EQ(parser.GetDouble("qty").value(), 3.0);
  EXPECT_FALSE(parser.GetDouble("file").value().has_value());
  EXPECT_FALSE(parser.GetString("file").has_value());
  EXPECT_THAT(parser.GetAll("file"), IsEmpty());
}

TEST(ArgParserTest, ParseKnownLeavesTheRestInOrder) {
  ArgParser global("availability");
  global.AddFlag("server", "HOST:PORT", "server");
  std::vector<std::string> rest;
  ASSERT_TRUE(global
                  .ParseKnown({"get", "--server", "h:1", "SKU", "--qty=2",
                               "--json", "--", "--server"},
                              &rest)
                  .ok());
  EXPECT_EQ(global.GetString("server"), "h:1");
  EXPECT_THAT(rest,
              ElementsAre("get", "SKU", "--qty=2", "--json", "--", "--server"));
}

}  // namespace
}  // namespace av::cli
