#include <string>

#include "client/cli/import_commands.h"
#include "gtest/gtest.h"

namespace av::cli {
namespace {

using availability::v1::InventoryEvent;

TEST(FormatEventLineTest, BackInStockWithShipDate) {
  InventoryEvent event;
  event.set_id("1772618102123-0");
  event.set_type(InventoryEvent::TYPE_BACK_IN_STOCK);
  event.set_sku("24-MB01");
  event.set_stock_id(1);
  event.set_version(7);
  event.set_old_status(availability::v1::STATUS_OUT_OF_STOCK);
  event.set_new_status(availability::v1::STATUS_IN_STOCK);
  event.mutable_first_ship_date()->set_year(2026);
  event.mutable_first_ship_date()->set_month(3);
  event.mutable_first_ship_date()->set_day(5);
  event.set_net_quantity(12.5);
  EXPECT_EQ(
      FormatEventLine(event),
      "2026-03-04T09:55:02.123Z  BACK_IN_STOCK     24-MB01                  "
      "OUT_OF_STOCK -> IN_STOCK  ships 2026-03-05  net 12.5  v7  id "
      "1772618102123-0");
}

TEST(FormatEventLineTest, NoShipDateAndOddId) {
  InventoryEvent event;
  event.set_id("not-an-id");
  event.set_type(InventoryEvent::TYPE_LOW_STOCK);
  event.set_sku("A");
  event.set_old_status(availability::v1::STATUS_IN_STOCK);
  event.set_new_status(availability::v1::STATUS_IN_STOCK);
  event.set_net_quantity(1);
  EXPECT_EQ(FormatEventLine(event),
            "not-an-id  LOW_STOCK         A                        IN_STOCK -> "
            "IN_STOCK  net 1  v0  id not-an-id");
}

}  // namespace
}  // namespace av::cli
