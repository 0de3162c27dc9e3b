#include "server/wire_check.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "availability/v1/availability.pb.h"
#include "availability/v1/inventory_sync.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "server/request_parsing.h"

namespace availability::server {
namespace {

namespace v1 = ::availability::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Serializes `message`, then turns each marker string into the same number
// of bytes that are not valid UTF-8 (same length: no size prefix moves).
// Markers are 4 bytes: "BAD0".."BAD9".
std::string WithInvalidUtf8(const google::protobuf::Message& message) {
  std::string bytes = message.SerializeAsString();
  for (int i = 0; i < 10; ++i) {
    absl::StrReplaceAll(
        {{absl::StrCat("BAD", i), absl::StrCat("\xff\xfe", i, "\xc0")}},
        &bytes);
  }
  return bytes;
}

std::vector<std::string> Paths(const WireCheck& check) {
  std::vector<std::string> out;
  for (const InvalidUtf8Field& f : check.invalid_utf8) out.push_back(f.Path());
  return out;
}

struct WalkCase {
  std::string name;
  const google::protobuf::Descriptor* type;
  std::string bytes;
  std::vector<std::string> paths;  // expected, in wire order
};

void PrintTo(const WalkCase& c, std::ostream* os) { *os << c.name; }

std::vector<WalkCase> WalkCases() {
  std::vector<WalkCase> cases;
  {
    v1::GetAvailabilityRequest r;
    r.set_sku("Kaffeebecher-\xc3\xa4");
    r.mutable_scope()->set_stock_id(2);
    r.set_quantity(1.5);
    cases.push_back({"ValidGet", r.GetDescriptor(), r.SerializeAsString(), {}});
    r.set_sku("BAD0");
    cases.push_back({"GetSku", r.GetDescriptor(), WithInvalidUtf8(r), {"sku"}});
    r.set_sku("ok");
    r.mutable_scope()->set_sales_channel("BAD1");
    cases.push_back({"GetScopeChannel",
                     r.GetDescriptor(),
                     WithInvalidUtf8(r),
                     {"scope.sales_channel"}});
  }
  {
    v1::BatchGetAvailabilityRequest r;
    r.mutable_scope()->set_stock_id(1);
    r.add_items()->set_sku("A");
    r.add_items()->set_sku("BAD0");
    r.add_items()->set_sku("C");
    r.add_items()->set_sku("BAD1");
    cases.push_back({"BatchItems",
                     r.GetDescriptor(),
                     WithInvalidUtf8(r),
                     {"items[1].sku", "items[3].sku"}});
  }
  {
    v1::UpsertRecordsRequest r;
    for (int i = 0; i < 3; ++i) {
      v1::InventoryRecord* rec = r.add_records();
      rec->set_sku(absl::StrCat("SKU-", i));
      rec->set_stock_id(1);
      rec->set_version(1);
      rec->add_category_ids(7);
      rec->add_alternatives()->set_sku("ALT");
    }
    r.mutable_records(2)->add_alternatives()->set_sku("BAD0");
    r.mutable_records(2)->mutable_alternatives(0)->set_sku("BAD1");
    r.set_snapshot_id("BAD2");
    cases.push_back({"NestedRecords",
                     r.GetDescriptor(),
                     WithInvalidUtf8(r),
                     {"records[2].alternatives[0].sku",
                      "records[2].alternatives[1].sku", "snapshot_id"}});
  }
  {
    v1::WatchAvailabilityRequest r;
    for (const char* s : {"a", "b", "c", "BAD0"}) r.add_skus(s);
    cases.push_back(
        {"RepeatedString", r.GetDescriptor(), WithInvalidUtf8(r), {"skus[3]"}});
  }
  {
    v1::PutSalesChannelsRequest r;
    (*r.mutable_channels())["BAD0"] = 3;
    cases.push_back(
        {"MapKey", r.GetDescriptor(), WithInvalidUtf8(r), {"channels[0].key"}});
  }
  const auto* get = v1::GetAvailabilityRequest::descriptor();
  // Invalid forms of UTF-8 protobuf refuses: a lone continuation byte, an
  // overlong encoding, a surrogate, a code point past U+10FFFF, a cut-off
  // sequence.
  for (const auto& [name, sku] :
       std::vector<std::pair<std::string, std::string>>{
           {"Continuation", "\x80"},
           {"Overlong", "\xc0\x80"},
           {"Surrogate", "\xed\xa0\x80"},
           {"BeyondUnicode", "\xf4\x90\x80\x80"},
           {"CutOff", "ab\xe2\x82"}}) {
    cases.push_back(
        {name,
         get,
         absl::StrCat("\x0a", std::string(1, static_cast<char>(sku.size())),
                      sku),
         {"sku"}});
  }
  // Unknown fields (a varint, a group with a string inside, a known field
  // sent with another wire type) are kept and never checked.
  cases.push_back({"UnknownFieldsKept",
                   get,
                   std::string("\x0a\x01\xff"  // sku: bad
                               "\xf8\x06\x05"  // field 111: varint
                               "\xfb\x06\x0a\x01\xff\xfc\x06"  // group 111
                               "\x08\x07",  // sku as a varint
                               15),
                   {"sku"}});
  return cases;
}

class WalkTest : public ::testing::TestWithParam<WalkCase> {};

TEST_P(WalkTest, FindsEveryInvalidStringAndRepairs) {
  const WalkCase& c = GetParam();
  absl::StatusOr<WireCheck> check = CheckWireUtf8(c.bytes, *c.type);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(Paths(*check), c.paths);
  std::unique_ptr<google::protobuf::Message> original(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(c.type)
          ->New());
  // protobuf agrees: the bytes parse exactly when nothing was found.
  EXPECT_EQ(original->ParseFromString(c.bytes), c.paths.empty());
  std::unique_ptr<google::protobuf::Message> repaired(original->New());
  ASSERT_TRUE(repaired->ParseFromString(check->repaired));
  if (c.paths.empty()) {
    EXPECT_EQ(check->repaired, c.bytes);
  }
}

std::string WalkCaseName(const ::testing::TestParamInfo<WalkCase>& param) {
  return param.param.name;
}

INSTANTIATE_TEST_SUITE_P(Cases, WalkTest, ::testing::ValuesIn(WalkCases()),
                         WalkCaseName);

TEST(WireCheckTest, RepairEmptiesOnlyTheBadStrings) {
  v1::UpsertRecordsRequest r;
  v1::InventoryRecord* good = r.add_records();
  good->set_sku("GOOD");
  good->set_stock_id(4);
  good->set_version(9);
  v1::InventoryRecord* bad = r.add_records();
  bad->set_sku("BAD0");
  bad->set_stock_id(5);
  bad->set_successor_sku("NEXT");
  bad->add_category_ids(1);
  bad->add_category_ids(2);
  absl::StatusOr<WireCheck> check =
      CheckWireUtf8(WithInvalidUtf8(r), *r.GetDescriptor());
  ASSERT_TRUE(check.ok()) << check.status();
  v1::UpsertRecordsRequest repaired;
  ASSERT_TRUE(repaired.ParseFromString(check->repaired));
  ASSERT_EQ(repaired.records_size(), 2);
  EXPECT_EQ(repaired.records(0).SerializeAsString(), good->SerializeAsString());
  EXPECT_EQ(repaired.records(1).sku(), "");
  EXPECT_EQ(repaired.records(1).stock_id(), 5);
  EXPECT_EQ(repaired.records(1).successor_sku(), "NEXT");
  EXPECT_THAT(repaired.records(1).category_ids(), ElementsAre(1, 2));
}

struct MalformedCase {
  std::string name;
  std::string bytes;
};

void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.name; }

class MalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedTest, IsNotAMessage) {
  const auto& type = *v1::UpsertRecordsRequest::descriptor();
  absl::StatusOr<WireCheck> check = CheckWireUtf8(GetParam().bytes, type);
  EXPECT_EQ(check.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(check.status().message(),
              HasSubstr("not a valid availability.v1.UpsertRecordsRequest"));
  v1::UpsertRecordsRequest r;
  EXPECT_FALSE(r.ParseFromString(GetParam().bytes)) << "protobuf disagrees";
}

std::string MalformedCaseName(
    const ::testing::TestParamInfo<MalformedCase>& param) {
  return param.param.name;
}

std::string Nested(int levels) {
  // records { alternatives { ... } } would stop at two levels; unknown
  // groups nest without limit.
  std::string out;
  for (int i = 0; i < levels; ++i) out += "\xfb\x06";  // start group 111
  for (int i = 0; i < levels; ++i) out += "\xfc\x06";  // end group 111
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedTest,
    ::testing::ValuesIn(std::vector<MalformedCase>{
        {"Truncated", std::string("\x0a\x05\x0a\x01", 4)},
        {"FieldNumberZero", std::string("\x00\x01", 2)},
        {"WireType7", "\x0f"},
        {"StrayEndGroup", "\x0c"},
        {"MismatchedEndGroup", "\xfb\x06\xf4\x06"},
        {"LengthPastEnd", "\x12\x7f"},
        {"VarintTooLong", "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"},
        {"TagTooLong", "\xff\xff\xff\xff\xff\x01"},
        {"BadPackedVarint",  // records { category_ids: [cut-off varint] }
         std::string("\x0a\x04\xba\x01\x01\xff", 6)},
        {"TooDeep", Nested(101)},
    }),
    MalformedCaseName);

TEST(WireCheckTest, NestingUpToProtobufsLimitIsAccepted) {
  const std::string bytes = Nested(100);
  v1::UpsertRecordsRequest r;
  EXPECT_TRUE(r.ParseFromString(bytes));
  EXPECT_TRUE(CheckWireUtf8(bytes, *r.GetDescriptor()).ok());
}

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

TEST(RequestProblemsTest, NamesTheFieldAndKeepsTheRest) {
  v1::GetAvailabilityRequest r;
  r.set_sku("BAD0");
  r.mutable_scope()->set_stock_id(3);
  grpc::ByteBuffer buffer = Buffer(WithInvalidUtf8(r));
  ParsedRequest<v1::GetAvailabilityRequest> parsed;
  parsed.ParseFrom(&buffer);
  EXPECT_FALSE(buffer.Valid());  // consumed, as gRPC expects
  EXPECT_EQ(parsed.status(),
            absl::InvalidArgumentError("sku: not valid UTF-8"));
  EXPECT_EQ(parsed.message().scope().stock_id(), 3);
  EXPECT_EQ(parsed.message().sku(), "");
}

TEST(RequestProblemsTest, CountsFurtherFields) {
  v1::BackInStockSubscription r;
  r.set_sku("BAD0");
  r.set_subscriber_id("BAD1");
  r.mutable_scope()->set_sales_channel("BAD2");
  grpc::ByteBuffer buffer = Buffer(WithInvalidUtf8(r));
  ParsedRequest<v1::BackInStockSubscription> parsed;
  parsed.ParseFrom(&buffer);
  EXPECT_EQ(parsed.status(), absl::InvalidArgumentError(
                                 "sku: not valid UTF-8 (and 2 more fields)"));
}

TEST(RequestProblemsTest, ElementsApartFromTheRest) {
  v1::BatchGetAvailabilityRequest r;
  r.mutable_scope()->set_stock_id(1);
  r.add_items()->set_sku("A");
  r.add_items()->set_sku("BAD0");
  r.add_items()->set_sku("BAD1");
  grpc::ByteBuffer buffer = Buffer(WithInvalidUtf8(r));
  ParsedRequest<v1::BatchGetAvailabilityRequest> parsed;
  parsed.ParseFrom(&buffer);
  EXPECT_TRUE(parsed.StatusOutside("items").ok());
  EXPECT_FALSE(parsed.status().ok());
  EXPECT_THAT(parsed.ElementErrors("items"),
              ElementsAre(Pair(1, "items[1].sku: not valid UTF-8"),
                          Pair(2, "items[2].sku: not valid UTF-8")));
  EXPECT_EQ(parsed.message().items_size(), 3);

  r.mutable_scope()->set_sales_channel("BAD2");
  buffer = Buffer(WithInvalidUtf8(r));
  parsed.ParseFrom(&buffer);
  EXPECT_EQ(parsed.StatusOutside("items"),
            absl::InvalidArgumentError("scope.sales_channel: not valid UTF-8"));
}

TEST(RequestProblemsTest, BytesThatAreNoMessage) {
  grpc::ByteBuffer buffer = Buffer("\x0a\x7f garbage");
  ParsedRequest<v1::GetAvailabilityRequest> parsed;
  parsed.ParseFrom(&buffer);
  EXPECT_EQ(parsed.status(),
            absl::InvalidArgumentError("request: not a valid "
                                       "availability.v1.GetAvailabilityRequest "
                                       "message"));
  EXPECT_EQ(parsed.message().ByteSizeLong(), 0u);
}

TEST(RequestProblemsTest, AValidRequestTakesTheFastPath) {
  v1::GetAvailabilityRequest r;
  r.set_sku("24-MB01");
  r.mutable_scope()->set_sales_channel("base");
  grpc::ByteBuffer buffer = Buffer(r.SerializeAsString());
  ParsedRequest<v1::GetAvailabilityRequest> parsed;
  parsed.ParseFrom(&buffer);
  EXPECT_TRUE(parsed.status().ok());
  EXPECT_EQ(parsed.message().SerializeAsString(), r.SerializeAsString());
  parsed.Clear();
  EXPECT_EQ(parsed.message().sku(), "");
}

}  // namespace
}  // namespace availability::server
