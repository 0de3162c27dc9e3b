#include "cache/record_codec.h"

#include <cstdio>
#include <string>

#include "availability/storage/v1/record.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace availability::cache {
namespace {

using ::availability::testing::IsOk;
using ::availability::testing::StatusIs;
using core::QtyFromUnits;
using ::testing::HasSubstr;

core::Record FullRecord() {
  core::Record r;
  r.sku = "24-MB01";
  r.stock_id = 3;
  r.version = 1700000000123;
  r.source_time = absl::FromUnixMicros(1700000000123456);
  r.manage_stock = true;
  r.is_in_stock = false;
  r.source_qty = QtyFromUnits(12) + 5;
  r.reserved_qty = -QtyFromUnits(2);
  r.min_qty = -QtyFromUnits(50);
  r.backorders = core::Backorders::kYesNotify;
  r.min_sale_qty = QtyFromUnits(2);
  r.max_sale_qty = QtyFromUnits(500);
  r.enable_qty_increments = true;
  r.qty_increments = QtyFromUnits(2);
  r.is_qty_decimal = true;
  r.notify_stock_qty = QtyFromUnits(3);
  r.lifecycle = core::Lifecycle::kPreorder;
  r.release_date = absl::CivilDay(2025, 3, 4);
  r.successor_sku = "24-MB02";
  r.inbound = {{absl::CivilDay(2025, 3, 4), QtyFromUnits(5)},
               {absl::CivilDay(2025, 3, 20), QtyFromUnits(10)}};
  r.lead_time_days = 14;
  r.alternatives = {{"24-MB02", core::Relation::kSuccessor},
                    {"24-MB03", core::Relation::kSubstitute},
                    {"24-MB04", core::Relation::kRelated},
                    {"24-MB05", core::Relation::kUpsell},
                    {"24-MB06", core::Relation::kCrosssell},
                    {"24-MB07", core::Relation::kSameCategory}};
  r.category_ids = {3, 17, 1234567890123};
  return r;
}

TEST(RecordCodecTest, RoundTripsEveryField) {
  const core::Record r = FullRecord();
  absl::StatusOr<core::Record> back =
      DecodeRecord(EncodeRecord(r), r.stock_id, r.sku);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == r);
  // Spot checks, so that a lax operator== cannot hide a dropped field.
  EXPECT_EQ(back->source_time, r.source_time);
  EXPECT_EQ(back->release_date, r.release_date);
  EXPECT_EQ(back->inbound, r.inbound);
  EXPECT_EQ(back->alternatives, r.alternatives);
  EXPECT_EQ(back->category_ids, r.category_ids);
  EXPECT_EQ(back->backorders, r.backorders);
  EXPECT_EQ(back->min_qty, r.min_qty);
  EXPECT_FALSE(back->is_in_stock);
}

TEST(RecordCodecTest, RoundTripsCompositeProducts) {
  core::Record configurable = FullRecord();
  configurable.product_type = core::ProductType::kConfigurable;
  configurable.components = {"MH01-XS-Black", "MH01-S-Black", "MH01-M-Black"};
  absl::StatusOr<core::Record> back = DecodeRecord(
      EncodeRecord(configurable), configurable.stock_id, configurable.sku);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->product_type, core::ProductType::kConfigurable);
  EXPECT_EQ(back->components, configurable.components);

  core::Record bundle = FullRecord();
  bundle.product_type = core::ProductType::kBundle;
  bundle.bundle_options = {
      {true, {{"24-WG080", QtyFromUnits(1)}, {"24-WG081", QtyFromUnits(2)}}},
      {false, {{"24-WG085", QtyFromUnits(1) + 5}}}};
  back = DecodeRecord(EncodeRecord(bundle), bundle.stock_id, bundle.sku);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == bundle);
  EXPECT_EQ(back->product_type, core::ProductType::kBundle);
  ASSERT_EQ(back->bundle_options.size(), 2u);
  EXPECT_TRUE(back->bundle_options[0].required);
  EXPECT_FALSE(back->bundle_options[1].required);
  EXPECT_EQ(back->bundle_options[0].selections[1].qty, QtyFromUnits(2));
  EXPECT_EQ(back->bundle_options[1].selections[0].sku, "24-WG085");
}

TEST(RecordCodecTest, RoundTripsDefaultsAndUnsetSettings) {
  core::Record r;
  r.sku = "A";
  r.stock_id = 1;
  absl::StatusOr<core::Record> back = DecodeRecord(EncodeRecord(r), 1, "A");
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == r);
  EXPECT_EQ(back->source_time, absl::InfinitePast());
  EXPECT_FALSE(back->manage_stock.has_value());
  EXPECT_FALSE(back->min_qty.has_value());
  EXPECT_FALSE(back->backorders.has_value());
  EXPECT_TRUE(back->is_in_stock);
  // Explicit zero settings are not "unset".
  r.min_qty = 0;
  r.manage_stock = false;
  r.backorders = core::Backorders::kNo;
  back = DecodeRecord(EncodeRecord(r), 1, "A");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->min_qty, std::optional<core::Qty>(0));
  EXPECT_EQ(back->manage_stock, std::optional<bool>(false));
  EXPECT_EQ(back->backorders, core::Backorders::kNo);
}

TEST(RecordCodecTest, HeaderIsTagAndBigEndianVersion) {
  core::Record r;
  r.version = 0x0102030405060708;
  const std::string v = EncodeRecord(r);
  ASSERT_GE(v.size(), kRecordHeaderBytes);
  EXPECT_EQ(v.substr(0, 9),
            std::string("\x01\x01\x02\x03\x04\x05\x06\x07\x08", 9));
  EXPECT_THAT(PeekRecordVersion(v), IsOk());
  EXPECT_EQ(*PeekRecordVersion(v), 0x0102030405060708);

  r.version = -2;
  const std::string negative = EncodeRecord(r);
  EXPECT_EQ(negative.substr(1, 8),
            std::string("\xff\xff\xff\xff\xff\xff\xff\xfe", 8));
  EXPECT_EQ(*PeekRecordVersion(negative), -2);
  EXPECT_EQ(DecodeRecord(negative, 0, "")->version, -2);
}

TEST(RecordCodecTest, SkuAndStockComeFromTheCaller) {
  const core::Record r = FullRecord();
  const std::string v = EncodeRecord(r);
  EXPECT_EQ(v.find(r.sku + std::string("\x00", 1)), std::string::npos);
  absl::StatusOr<core::Record> back = DecodeRecord(v, 9, "other");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->sku, "other");
  EXPECT_EQ(back->stock_id, 9);
}

TEST(RecordCodecTest, UnknownFieldsSurviveReadModifyWrite) {
  const core::Record r = FullRecord();
  // A newer writer added field 1000 (varint 42) and 1001 (bytes "new").
  const std::string newer_fields =
      std::string("\xc0\x3e\x2a", 3) + std::string("\xca\x3e\x03new", 6);
  const std::string stored = EncodeRecord(r) + newer_fields;

  std::string unknown;
  absl::StatusOr<core::Record> read =
      DecodeRecord(stored, r.stock_id, r.sku, &unknown);
  ASSERT_THAT(read, IsOk());
  EXPECT_TRUE(*read == r);  // ignored by this version
  EXPECT_EQ(unknown, newer_fields);

  core::Record modified = *read;
  modified.reserved_qty -= QtyFromUnits(1);
  modified.version += 1;
  const std::string rewritten = EncodeRecord(modified, unknown);

  storage::v1::Record message;
  ASSERT_TRUE(message.ParseFromString(rewritten.substr(kRecordHeaderBytes)));
  const google::protobuf::UnknownFieldSet& kept =
      message.GetReflection()->GetUnknownFields(message);
  ASSERT_EQ(kept.field_count(), 2);
  EXPECT_EQ(kept.field(0).number(), 1000);
  EXPECT_EQ(kept.field(0).varint(), 42u);
  EXPECT_EQ(kept.field(1).number(), 1001);
  EXPECT_EQ(kept.field(1).length_delimited(), "new");

  std::string unknown_again;
  absl::StatusOr<core::Record> reread =
      DecodeRecord(rewritten, r.stock_id, r.sku, &unknown_again);
  ASSERT_THAT(reread, IsOk());
  EXPECT_TRUE(*reread == modified);
  EXPECT_EQ(unknown_again, newer_fields);

  // A value without unknown fields reports none.
  std::string none = "stale";
  ASSERT_THAT(DecodeRecord(EncodeRecord(r), 1, "A", &none), IsOk());
  EXPECT_EQ(none, "");
}

TEST(RecordCodecTest, GarbageIsDataLoss) {
  storage::v1::Record bad_enum;
  bad_enum.set_backorders(9);
  storage::v1::Record bad_lifecycle;
  bad_lifecycle.set_lifecycle(7);
  storage::v1::Record bad_relation;
  bad_relation.add_alternatives()->set_relation(0);
  storage::v1::Record bad_type;
  bad_type.set_product_type(4);
  const std::string header("\x01\0\0\0\0\0\0\0\x01", 9);
  struct Case {
    const char* name;
    std::string value;
    const char* message;
  };
  const Case cases[] = {
      {"empty", "", "shorter than its header"},
      {"short_header", std::string("\x01\0\0", 3), "shorter than its header"},
      {"wrong_tag", std::string("\x02", 1) + header.substr(1), "format tag 2"},
      {"json", "{\"sku\":\"A\",\"qty\":1}", "format tag 123"},
      {"bad_wire_type", header + "\xff\xff\xff", "malformed"},
      {"truncated_string",
       header + std::string("\x82\x01\x05"
                            "ab",
                            5),
       "malformed"},
      {"truncated_varint", header + "\x20\xff", "malformed"},
      {"backorders_out_of_range", header + bad_enum.SerializeAsString(),
       "backorders value 9"},
      {"lifecycle_out_of_range", header + bad_lifecycle.SerializeAsString(),
       "lifecycle value 7"},
      {"relation_out_of_range", header + bad_relation.SerializeAsString(),
       "relation value 0"},
      {"product_type_out_of_range", header + bad_type.SerializeAsString(),
       "product type 4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(DecodeRecord(c.value, 1, "A"),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr(c.message)));
  }
  EXPECT_THAT(PeekRecordVersion("x"), StatusIs(absl::StatusCode::kDataLoss));
}

core::StoreConfig FullConfig() {
  core::StoreConfig c;
  c.stock_id = 4;
  c.manage_stock = false;
  c.backorders = core::Backorders::kYes;
  c.min_qty = -QtyFromUnits(10);
  c.min_sale_qty = 0;  // explicit zero, not the default of 1
  c.max_sale_qty = QtyFromUnits(99);
  c.notify_stock_qty = QtyFromUnits(4);
  c.enable_qty_increments = true;
  c.qty_increments = QtyFromUnits(6);
  c.only_x_left_threshold = QtyFromUnits(5);
  c.handling_days = 1;
  c.safety_days = 2;
  c.time_zone_name = "Europe/Berlin";
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &c.time_zone));
  c.calendar.weekend[5] = true;  // saturday
  c.calendar.weekend[6] = true;  // sunday
  c.calendar.holidays = {absl::CivilDay(2025, 1, 1),
                         absl::CivilDay(2025, 12, 25)};
  c.alternatives_backorder_days = 7;
  return c;
}

TEST(StoreConfigCodecTest, RoundTripsEveryField) {
  const core::StoreConfig c = FullConfig();
  absl::StatusOr<core::StoreConfig> back =
      DecodeStoreConfig(EncodeStoreConfig(c), c.stock_id);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == c);
  EXPECT_EQ(back->time_zone_name, "Europe/Berlin");
  EXPECT_EQ(back->time_zone.name(), "Europe/Berlin");
  EXPECT_EQ(back->calendar.holidays, c.calendar.holidays);
  EXPECT_EQ(back->calendar.weekend, c.calendar.weekend);
  EXPECT_EQ(back->min_sale_qty, 0);
  EXPECT_FALSE(back->manage_stock);
}

TEST(StoreConfigCodecTest, DefaultsRoundTrip) {
  core::StoreConfig c;
  c.stock_id = 2;
  absl::StatusOr<core::StoreConfig> back =
      DecodeStoreConfig(EncodeStoreConfig(c), 2);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == c);
}

TEST(StoreConfigCodecTest, AbsentFieldsMeanMagentoDefaults) {
  // A value written with no fields at all (an older, smaller writer).
  const std::string empty(std::string("\x01\0\0\0\0\0\0\0\0", 9));
  absl::StatusOr<core::StoreConfig> back = DecodeStoreConfig(empty, 5);
  ASSERT_THAT(back, IsOk());
  core::StoreConfig defaults;
  defaults.stock_id = 5;
  EXPECT_TRUE(*back == defaults);
  EXPECT_EQ(back->min_sale_qty, QtyFromUnits(1));
  EXPECT_EQ(back->max_sale_qty, QtyFromUnits(10000));
  EXPECT_TRUE(back->manage_stock);
}

TEST(StoreConfigCodecTest, UnloadableTimeZoneIsDataLoss) {
  core::StoreConfig c;
  c.time_zone_name = "Mars/Olympus_Mons";
  EXPECT_THAT(
      DecodeStoreConfig(EncodeStoreConfig(c), 8),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("Mars/Olympus_Mons")));
  EXPECT_THAT(DecodeStoreConfig("garbage", 8),
              StatusIs(absl::StatusCode::kDataLoss));
}

// Not an assertion of exact sizes: records the figures (see the report) and
// keeps them from growing unnoticed.
TEST(RecordCodecTest, BytesPerTypicalRecord) {
  core::Record in_stock;
  in_stock.sku = "24-MB01";
  in_stock.stock_id = 1;
  in_stock.version = 1700000000123;
  in_stock.source_time = absl::FromUnixSeconds(1700000000);
  in_stock.source_qty = QtyFromUnits(100);
  in_stock.reserved_qty = -QtyFromUnits(2);
  in_stock.category_ids = {12, 345};

  core::Record backorder = in_stock;
  backorder.source_qty = 0;
  backorder.backorders = core::Backorders::kYes;
  backorder.min_qty = -QtyFromUnits(50);
  backorder.inbound = {{absl::CivilDay(2025, 3, 4), QtyFromUnits(5)},
                       {absl::CivilDay(2025, 3, 20), QtyFromUnits(10)},
                       {absl::CivilDay(2025, 4, 2), QtyFromUnits(250)}};
  backorder.lead_time_days = 21;
  backorder.alternatives = {{"24-MB02", core::Relation::kSubstitute},
                            {"24-MB03", core::Relation::kSubstitute},
                            {"24-WB04", core::Relation::kRelated},
                            {"24-WB05", core::Relation::kUpsell},
                            {"24-UG06", core::Relation::kCrosssell}};
  backorder.category_ids = {12, 345, 6789};

  const size_t in_stock_bytes = EncodeRecord(in_stock).size();
  const size_t backorder_bytes = EncodeRecord(backorder).size();
  std::printf(
      "bytes per record: in stock %zu, backorder+3 receipts+5 "
      "alternatives+3 categories %zu (header %zu)\n",
      in_stock_bytes, backorder_bytes, kRecordHeaderBytes);
  RecordProperty("in_stock_bytes", static_cast<int>(in_stock_bytes));
  RecordProperty("backorder_bytes", static_cast<int>(backorder_bytes));
  EXPECT_LE(in_stock_bytes, 40u);
  EXPECT_LE(backorder_bytes, 160u);
}

}  // namespace
}  // namespace availability::cache
