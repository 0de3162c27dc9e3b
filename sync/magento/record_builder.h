// Turns rows read from a Magento 2.4 MSI database into cache records, the way
// Magento computes a stock's salable quantity (DOMAIN.md §1-§2). Pure
// functions over plain structs: no I/O, so every rule is unit-tested without
// a database.
//
//   CatalogChunk chunk = ...;  // filled by magento_reader.h
//   std::vector<core::Record> records =
//       BuildRecords(chunk, /*version=*/v, /*source_time=*/t);
//
// Rules (where Magento leaves a choice, the choice is ours and said here):
// - A product gets a record on every stock that has a source item of it in a
//   source linked to the stock, enabled or not; a product without any (a
//   configurable or bundle parent, say) gets none, like Magento's stock index.
// - source_qty = Σ quantity of the source items with status 1 (in stock) in
//   ENABLED sources linked to the stock (Magento counts an out-of-stock source
//   item as 0).
// - is_in_stock = some such source item (status 1, enabled source) exists:
//   Magento's IsAnySourceItemInStockCondition. The legacy
//   cataloginventory_stock_item.is_in_stock mirrors the default source's
//   status in Magento and is not read separately. A product only in disabled
//   sources is therefore on the stock but out of stock (not unknown).
// - reserved_qty = Σ inventory_reservation.quantity of (stock, sku).
// - Settings come from the product's legacy stock item (Magento keeps one per
//   product, website 0, for every stock); use_config_* = 1 leaves the
//   record's optional unset (the store config decides at read time). No
//   stock item row: every setting from the config, is_qty_decimal false.
// - alternatives: catalog_product_link relation -> RELATED, up_sell ->
//   UPSELL, cross_sell -> CROSSSELL, in that order of types, each by its
//   position (then link id) as the reader sorted them; the product itself
//   and repeated SKUs are dropped; "super" (grouped) links are not read.
// - category_ids: catalog_category_product, ascending.
//
// Thread safety: plain functions; safe from any thread.
#ifndef AVAILABILITY_SYNC_MAGENTO_RECORD_BUILDER_H_
#define AVAILABILITY_SYNC_MAGENTO_RECORD_BUILDER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/quantity.h"
#include "core/record.h"

namespace availability::sync::magento {

// A catalog product with its legacy stock item settings (nullopt = use
// config), its links and categories.
struct ProductData {
  int64_t entity_id = 0;
  std::string sku;
  std::optional<bool> manage_stock;
  std::optional<core::Backorders> backorders;
  std::optional<core::Qty> min_qty;
  std::optional<core::Qty> min_sale_qty;
  std::optional<core::Qty> max_sale_qty;
  std::optional<core::Qty> notify_stock_qty;
  std::optional<bool> enable_qty_increments;
  std::optional<core::Qty> qty_increments;
  bool is_qty_decimal = false;
  // In the order they become alternatives.
  std::vector<core::AlternativeLink> alternatives;
  std::vector<int64_t> category_ids;
};

// One source item of a product as seen by one stock linked to its source.
struct SourceItemRow {
  int64_t entity_id = 0;
  int32_t stock_id = 0;
  core::Qty quantity = 0;
  bool in_stock = false;        // status = 1
  bool source_enabled = false;  // inventory_source.enabled = 1
};

struct ReservationSum {
  int64_t entity_id = 0;
  int32_t stock_id = 0;
  core::Qty quantity = 0;
};

// Everything read for a set of products (one snapshot of the database).
struct CatalogChunk {
  // Ascending entity_id.
  std::vector<ProductData> products;
  std::vector<SourceItemRow> source_items;
  std::vector<ReservationSum> reservations;
};

// The records of every (stock, product) of `chunk`, all with `version` and
// `source_time`; ordered by product, then stock.
std::vector<core::Record> BuildRecords(const CatalogChunk& chunk,
                                       int64_t version,
                                       absl::Time source_time);

// A Magento decimal column ("12.3400", "-0.75", "3") as a Qty, exactly.
// Errors: InvalidArgument for anything else or more than 4 decimals.
absl::StatusOr<core::Qty> ParseDecimalQty(absl::string_view text);

// cataloginventory/item_options/backorders and the stock item's backorders
// column: 0 NO, 1 YES, 2 YES_NOTIFY; anything else: NO.
core::Backorders BackordersFromInt(int64_t value);

// The configuration paths the connector reads from core_config_data
// (default scope).
const std::vector<std::string>& InventoryConfigPaths();

// Overwrites the Magento-derived fields of `config` (the item options and
// only_x_left_threshold) from default-scope core_config_data values, path ->
// value. A path that is absent, or a value that does not parse, gives
// Magento's default, never the previous value. min_sale_qty is also read in
// Magento's per-customer-group form ({"32000":"2"} JSON or PHP-serialized):
// the "all groups" (32000) entry counts; no such entry: 1.
void ApplyInventoryConfig(const std::map<std::string, std::string>& values,
                          core::StoreConfig* config);

}  // namespace availability::sync::magento

#endif  // AVAILABILITY_SYNC_MAGENTO_RECORD_BUILDER_H_
