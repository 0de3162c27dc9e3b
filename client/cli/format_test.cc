#include "client/cli/format.h"

#include <google/protobuf/text_format.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace av::cli {
namespace {

namespace v1 = ::availability::v1;
using ::testing::HasSubstr;
using ::testing::Not;

v1::ProductAvailability Parse(const std::string& text) {
  v1::ProductAvailability answer;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &answer))
      << text;
  return answer;
}

// docs/domain.md §4's example: net 3, receipts Mar 4 (5) and Mar 20 (10),
// handling 1 day, q = 10.
constexpr char kBackorder[] = R"pb(
  sku: "24-MB01"
  stock_id: 1
  status: STATUS_BACKORDERABLE
  orderable: true
  split { requested_quantity: 10 in_stock_quantity: 3 backorder_quantity: 7 }
  shipments {
    quantity: 3
    ship_date { year: 2024 month: 3 day: 1 }
  }
  shipments {
    quantity: 5
    ship_date { year: 2024 month: 3 day: 5 }
  }
  shipments {
    quantity: 2
    ship_date { year: 2024 month: 3 day: 21 }
  }
  eta_known: true
  first_ship_date { year: 2024 month: 3 day: 5 }
  backorder_notice: true
  lifecycle: LIFECYCLE_ACTIVE
  feed {
    schema_org_availability: "https://schema.org/BackOrder"
    merchant_availability: "backorder"
    merchant_availability_date { year: 2024 month: 3 day: 5 }
  }
  freshness {
    version: 42
    source_time { seconds: 1709287200 }
  }
)pb";

TEST(FormatTest, DatesAndQuantities) {
  v1::Date date;
  date.set_year(2024);
  date.set_month(3);
  date.set_day(5);
  EXPECT_EQ(FormatDate(date), "2024-03-05");
  EXPECT_EQ(FormatQuantity(3), "3");
  EXPECT_EQ(FormatQuantity(2.5), "2.5");
  EXPECT_EQ(FormatQuantity(0.125), "0.125");
  EXPECT_EQ(FormatQuantity(1.00004), "1");
  EXPECT_EQ(FormatQuantity(0), "0");
  EXPECT_EQ(FormatQuantity(-0.0), "0");
}

TEST(FormatTest, EnumNames) {
  EXPECT_EQ(StatusName(v1::STATUS_IN_STOCK), "IN_STOCK");
  EXPECT_EQ(StatusName(static_cast<v1::Status>(99)), "STATUS_99");
  EXPECT_EQ(RelationName(v1::RELATION_SAME_CATEGORY), "same_category");
}

TEST(FormatTest, ProductBackorderBlock) {
  std::string out = FormatProduct(Parse(kBackorder));
  EXPECT_EQ(out,
            "24-MB01 on stock 1: BACKORDERABLE (orderable)\n"
            "  quantity       10 requested: 3 ship now, 7 backorder, "
            "0 unavailable\n"
            "  shipments      3 on 2024-03-01, 5 on 2024-03-05, "
            "2 on 2024-03-21\n"
            "  first ship     2024-03-05\n"
            "  backorder      tell the customer: part of the order will be "
            "backordered\n"
            "  feed           https://schema.org/BackOrder; merchant "
            "backorder 2024-03-05\n"
            "  freshness      version 42, source time 2024-03-01T10:00:00Z, "
            "fresh\n");
}

TEST(FormatTest, CompositeListsItsComponents) {
  const std::string out = FormatProduct(Parse(R"pb(
    sku: "PC"
    status: STATUS_BACKORDERABLE
    product_type: PRODUCT_TYPE_BUNDLE
    components {
      sku: "CPU-B"
      status: STATUS_IN_STOCK
      display_status: STATUS_IN_STOCK
      bundle_option: 0
      option_required: true
    }
    components {
      sku: "RAM"
      status: STATUS_BACKORDERABLE
      display_status: STATUS_IN_STOCK
      first_ship_date { year: 2024 month: 3 day: 5 }
      bundle_option: 1
    }
  )pb"));
  EXPECT_THAT(out, HasSubstr("  type           bundle\n"
                             "  components     option 1 (required): CPU-B "
                             "IN_STOCK\n"
                             "                 option 2 (optional): RAM "
                             "BACKORDERABLE (badge IN_STOCK), ships "
                             "2024-03-05\n"));
  // A simple product says nothing of its type.
  EXPECT_THAT(FormatProduct(Parse(R"pb(
                sku: "A"
                status: STATUS_IN_STOCK
                product_type: PRODUCT_TYPE_SIMPLE
              )pb")),
              Not(HasSubstr("type")));
}

TEST(FormatTest, ProductOutOfStockWithAlternativesAndStale) {
  std::string out = FormatProduct(Parse(R"pb(
    sku: "OLD-1"
    stock_id: 2
    status: STATUS_DISCONTINUED
    split { requested_quantity: 1 unavailable_quantity: 1 }
    restock_date { year: 2024 month: 4 day: 1 }
    successor_sku: "NEW-1"
    alternatives {
      sku: "NEW-1"
      relation: RELATION_SUCCESSOR
      availability { status: STATUS_IN_STOCK only_x_left: 2 }
    }
    alternatives {
      sku: "ALT-2"
      relation: RELATION_SUBSTITUTE
      availability {
        status: STATUS_BACKORDERABLE
        first_ship_date { year: 2024 month: 3 day: 10 }
      }
    }
    freshness { version: 7 stale: true }
  )pb"));
  EXPECT_THAT(out,
              HasSubstr("OLD-1 on stock 2: DISCONTINUED (not orderable)\n"));
  EXPECT_THAT(out, HasSubstr("  restock        2024-04-01\n"));
  EXPECT_THAT(out, HasSubstr("  successor      NEW-1\n"));
  EXPECT_THAT(out, HasSubstr("  alternatives   NEW-1 (successor) IN_STOCK, "
                             "only 2 left\n"
                             "                 ALT-2 (substitute) "
                             "BACKORDERABLE, ships 2024-03-10\n"));
  EXPECT_THAT(out, HasSubstr("  freshness      version 7, STALE"));
  EXPECT_THAT(out, Not(HasSubstr("eta")));
}

TEST(FormatTest, ProductNoticesForOnlyLeftEtaUnknownCartRuleAndPreorder) {
  std::string out = FormatProduct(
      Parse(R"pb(
        sku: "A" status: STATUS_IN_STOCK only_x_left: 3 orderable: true
      )pb"));
  EXPECT_THAT(out, HasSubstr("  only left      3\n"));

  out = FormatProduct(Parse(R"pb(
    sku: "B"
    status: STATUS_BACKORDERABLE
    eta_known: false
    split { requested_quantity: 4 backorder_quantity: 4 }
  )pb"));
  EXPECT_THAT(out, HasSubstr("  eta            unknown"));

  out = FormatProduct(Parse(R"pb(
    sku: "C"
    status: STATUS_IN_STOCK
    cart_rule_violation {
      rule: CART_RULE_QTY_INCREMENTS
      code: "qty_increments"
      limit: 6
    }
  )pb"));
  EXPECT_THAT(out, HasSubstr("  cart rule      qty_increments (limit 6)\n"));

  out = FormatProduct(Parse(R"pb(
    sku: "D"
    status: STATUS_PREORDER
    release_date { year: 2025 month: 1 day: 2 }
  )pb"));
  EXPECT_THAT(out, HasSubstr("  release        2025-01-02\n"));
}

TEST(FormatTest, BatchTableAlignsColumns) {
  std::vector<v1::ProductAvailability> answers = {
      Parse(kBackorder),
      Parse(R"pb(sku: "X" status: STATUS_UNKNOWN)pb"),
      Parse(R"pb(
        sku: "IN-1"
        status: STATUS_IN_STOCK
        only_x_left: 2
        split { requested_quantity: 1 in_stock_quantity: 1 }
        shipments {
          quantity: 1
          ship_date { year: 2024 month: 3 day: 1 }
        }
      )pb"),
  };
  EXPECT_EQ(FormatBatchTable(answers),
            "SKU      STATUS         SHIPS NOW  BACKORDER  FIRST SHIP  NOTE\n"
            "24-MB01  BACKORDERABLE  3          7          2024-03-05  "
            "backorder notice\n"
            "X        UNKNOWN        -          -          -\n"
            "IN-1     IN_STOCK       1          0          2024-03-01  "
            "only 2 left\n");
}

TEST(FormatTest, BatchTableShowsItemErrors) {
  std::vector<v1::ProductAvailability> answers = {
      Parse(R"pb(sku: "BAD"
                 error {
                   code: 15
                   message: "record \"av:{1}:r:BAD\": not a valid stored record"
                 })pb"),
  };
  const std::string table = FormatBatchTable(answers);
  EXPECT_THAT(table, HasSubstr("BAD  ERROR "));
  EXPECT_THAT(table, HasSubstr("DATA_LOSS: record \"av:{1}:r:BAD\": not a "
                               "valid stored record\n"));
}

TEST(FormatTest, ProductShowsTheBadgeWhenItDiffersFromTheStatus) {
  const v1::ProductAvailability a = Parse(R"pb(
    sku: "24-MB01"
    stock_id: 1
    status: STATUS_BACKORDERABLE
    display_status: STATUS_IN_STOCK
    orderable: true
  )pb");
  EXPECT_THAT(FormatProduct(a), HasSubstr("  badge          IN_STOCK\n"));
  v1::ProductAvailability same = a;
  same.set_display_status(v1::STATUS_BACKORDERABLE);
  EXPECT_THAT(FormatProduct(same), ::testing::Not(HasSubstr("badge")));
}

TEST(FormatTest, JsonLineKeepsProtoFieldNames) {
  absl::StatusOr<std::string> line = ToJsonLine(Parse(kBackorder));
  ASSERT_TRUE(line.ok());
  EXPECT_THAT(*line, HasSubstr("\"stock_id\":1"));
  EXPECT_THAT(*line, HasSubstr("\"in_stock_quantity\":3"));
  EXPECT_EQ(line->back(), '\n');
  EXPECT_EQ(line->find('\n'), line->size() - 1);
}

}  // namespace
}  // namespace av::cli
