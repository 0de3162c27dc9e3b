#include "core/record.h"

#include <algorithm>

namespace availability::core {

bool Record::operator==(const Record& o) const {
  return sku == o.sku && stock_id == o.stock_id && version == o.version &&
         source_time == o.source_time && manage_stock == o.manage_stock &&
         is_in_stock == o.is_in_stock && source_qty == o.source_qty &&
         reserved_qty == o.reserved_qty && min_qty == o.min_qty &&
         backorders == o.backorders && min_sale_qty == o.min_sale_qty &&
         max_sale_qty == o.max_sale_qty &&
         enable_qty_increments == o.enable_qty_increments &&
         qty_increments == o.qty_increments &&
         is_qty_decimal == o.is_qty_decimal &&
         notify_stock_qty == o.notify_stock_qty && lifecycle == o.lifecycle &&
         release_date == o.release_date && successor_sku == o.successor_sku &&
         inbound == o.inbound && lead_time_days == o.lead_time_days &&
         alternatives == o.alternatives && category_ids == o.category_ids &&
         product_type == o.product_type && components == o.components &&
         bundle_options == o.bundle_options;
}

bool BusinessCalendar::empty() const {
  return holidays.empty() &&
         std::none_of(weekend.begin(), weekend.end(), [](bool w) { return w; });
}

bool BusinessCalendar::IsBusinessDay(absl::CivilDay day) const {
  if (weekend[static_cast<int>(absl::GetWeekday(day))]) return false;
  return !std::binary_search(holidays.begin(), holidays.end(), day);
}

bool StoreConfig::operator==(const StoreConfig& o) const {
  return stock_id == o.stock_id && manage_stock == o.manage_stock &&
         backorders == o.backorders && min_qty == o.min_qty &&
         min_sale_qty == o.min_sale_qty && max_sale_qty == o.max_sale_qty &&
         notify_stock_qty == o.notify_stock_qty &&
         enable_qty_increments == o.enable_qty_increments &&
         qty_increments == o.qty_increments &&
         only_x_left_threshold == o.only_x_left_threshold &&
         handling_days == o.handling_days && safety_days == o.safety_days &&
         time_zone_name == o.time_zone_name && time_zone == o.time_zone &&
         calendar == o.calendar &&
         alternatives_backorder_days == o.alternatives_backorder_days;
}

}  // namespace availability::core
