#include "sync/magento/magento_reader.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/substitute.h"
#include "core/status_macros.h"

namespace availability::sync::magento {
namespace {

// Fills every part of `chunk` for the products matching `where` (a condition
// on `cpe`, catalog_product_entity), the products first.
absl::Status ReadProducts(DbConnection& db, const std::string& where,
                          const std::string& order_limit,
                          const std::vector<int32_t>& stocks,
                          CatalogChunk* chunk, int64_t* first_id,
                          int64_t* last_id) {
  const size_t first_product = chunk->products.size();
  // A value that does not parse refuses the product's record (on `stock`,
  // 0: every stock) instead of failing the read: one bad row must not stop
  // the catalog.
  auto parsed = [chunk](absl::StatusOr<core::Qty> q, int64_t entity_id,
                        int32_t stock, absl::string_view field,
                        absl::string_view source) -> core::Qty {
    if (q.ok()) return *q;
    BadValue bad;
    bad.entity_id = entity_id;
    bad.stock_id = stock;
    bad.reason = absl::IsOutOfRange(q.status()) ? SkipReason::kOutOfRange
                                                : SkipReason::kBadNumber;
    bad.field = std::string(field);
    bad.source = std::string(source);
    bad.rule = std::string(q.status().message());
    chunk->bad_values.push_back(std::move(bad));
    return 0;
  };
  // Settings: the column when use_config_* is 0 (no stock item row: NULL,
  // so use config).
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat(
          "SELECT cpe.entity_id, cpe.sku, "
          "si.use_config_manage_stock, si.manage_stock, "
          "si.use_config_backorders, si.backorders, "
          "si.use_config_min_qty, si.min_qty, "
          "si.use_config_min_sale_qty, si.min_sale_qty, "
          "si.use_config_max_sale_qty, si.max_sale_qty, "
          "si.use_config_notify_stock_qty, si.notify_stock_qty, "
          "si.use_config_enable_qty_inc, si.enable_qty_increments, "
          "si.use_config_qty_increments, si.qty_increments, "
          "si.is_qty_decimal "
          "FROM catalog_product_entity cpe "
          "LEFT JOIN cataloginventory_stock_item si "
          "ON si.product_id = cpe.entity_id AND si.stock_id = 1 "
          "AND si.website_id = 0 WHERE ",
          where, " ", order_limit),
      [&](const DbRow& row) {
        ProductData p;
        p.entity_id = row.Int(0);
        p.sku = std::string(row.Text(1));
        auto own = [&row](unsigned use_config) {
          return !row.IsNull(use_config) && row.Int(use_config) == 0;
        };
        auto qty = [&](unsigned i, absl::string_view column) {
          return parsed(ParseDecimalQty(row.Text(i)), p.entity_id, 0,
                        absl::StrCat("cataloginventory_stock_item.", column),
                        "");
        };
        if (own(2)) p.manage_stock = row.Int(3) != 0;
        if (own(4)) {
          if (IsBackorders(row.Int(5))) {
            p.backorders = BackordersFromInt(row.Int(5));
          } else {
            chunk->bad_values.push_back(
                {p.entity_id, 0, SkipReason::kBadNumber,
                 "cataloginventory_stock_item.backorders", "",
                 absl::StrCat("\"", LogSafeText(row.Text(5)), "\" is ",
                              kNotBackorders)});
          }
        }
        if (own(6)) p.min_qty = qty(7, "min_qty");
        if (own(8)) p.min_sale_qty = qty(9, "min_sale_qty");
        if (own(10)) p.max_sale_qty = qty(11, "max_sale_qty");
        if (own(12) && !row.IsNull(13)) {
          p.notify_stock_qty = qty(13, "notify_stock_qty");
        }
        if (own(14)) p.enable_qty_increments = row.Int(15) != 0;
        if (own(16)) p.qty_increments = qty(17, "qty_increments");
        p.is_qty_decimal = row.Int(18) != 0;
        chunk->products.push_back(std::move(p));
      }));
  if (chunk->products.size() == first_product) {
    *first_id = *last_id = 0;
    return absl::OkStatus();
  }
  *first_id = chunk->products[first_product].entity_id;
  *last_id = chunk->products.back().entity_id;
  absl::flat_hash_map<int64_t, size_t> index;
  for (size_t i = first_product; i < chunk->products.size(); ++i) {
    index[chunk->products[i].entity_id] = i;
  }
  // The later queries select the same products; with an entity range the
  // range is enough (products are what the first query returned, in one
  // snapshot).
  const std::string& cond = where;

  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat("SELECT cpe.entity_id, l.stock_id, isi.quantity, "
                   "isi.status, src.enabled, isi.source_code "
                   "FROM catalog_product_entity cpe "
                   "JOIN inventory_source_item isi ON isi.sku = cpe.sku "
                   "JOIN inventory_source_stock_link l "
                   "ON l.source_code = isi.source_code "
                   "JOIN inventory_source src "
                   "ON src.source_code = isi.source_code WHERE ",
                   cond),
      [&](const DbRow& row) {
        SourceItemRow item;
        item.entity_id = row.Int(0);
        item.stock_id = static_cast<int32_t>(row.Int(1));
        item.in_stock = row.Int(3) == 1;
        item.source_enabled = row.Int(4) == 1;
        // Only a quantity that counts (in stock, enabled source) can refuse
        // the record.
        item.quantity =
            item.in_stock && item.source_enabled
                ? parsed(ParseDecimalQty(row.Text(2)), item.entity_id,
                         item.stock_id, "inventory_source_item.quantity",
                         row.Text(5))
                : 0;
        chunk->source_items.push_back(item);
      }));

  // One SELECT per stock so that each uses the (stock_id, sku, quantity)
  // index of inventory_reservation.
  if (!stocks.empty()) {
    std::vector<std::string> parts;
    for (int32_t stock : stocks) {
      parts.push_back(absl::StrCat(
          "SELECT cpe.entity_id, r.stock_id, SUM(r.quantity) "
          "FROM catalog_product_entity cpe "
          "JOIN inventory_reservation r ON r.stock_id = ",
          stock, " AND r.sku = cpe.sku WHERE ", cond,
          " GROUP BY cpe.entity_id, r.stock_id"));
    }
    AV_RETURN_IF_ERROR(db.Query(absl::StrJoin(parts, " UNION ALL "),
                                [&](const DbRow& row) {
                                  ReservationSum r;
                                  r.entity_id = row.Int(0);
                                  r.stock_id = static_cast<int32_t>(row.Int(1));
                                  r.quantity = parsed(
                                      ParseDecimalSum(row.Text(2)),
                                      r.entity_id, r.stock_id,
                                      "reserved_qty (sum of "
                                      "inventory_reservation.quantity)",
                                      "");
                                  chunk->reservations.push_back(r);
                                }));
  }

  // Relation (1) -> RELATED, up_sell (4) -> UPSELL, cross_sell (5) ->
  // CROSSSELL; by type in that order, then position, then link id.
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat(
          "SELECT cpe.entity_id, l.link_type_id, lp.sku "
          "FROM catalog_product_entity cpe "
          "JOIN catalog_product_link l ON l.product_id = cpe.entity_id "
          "AND l.link_type_id IN (1, 4, 5) "
          "JOIN catalog_product_entity lp ON lp.entity_id = l.linked_product_id "
          "LEFT JOIN catalog_product_link_attribute pa "
          "ON pa.link_type_id = l.link_type_id "
          "AND pa.product_link_attribute_code = 'position' "
          "LEFT JOIN catalog_product_link_attribute_int pos "
          "ON pos.link_id = l.link_id "
          "AND pos.product_link_attribute_id = pa.product_link_attribute_id "
          "WHERE ",
          cond,
          " ORDER BY cpe.entity_id, FIELD(l.link_type_id, 1, 4, 5), "
          "COALESCE(pos.value, 0), l.link_id"),
      [&](const DbRow& row) {
        auto it = index.find(row.Int(0));
        if (it == index.end()) return;
        core::AlternativeLink link;
        link.sku = std::string(row.Text(2));
        switch (row.Int(1)) {
          case 4:
            link.relation = core::Relation::kUpsell;
            break;
          case 5:
            link.relation = core::Relation::kCrosssell;
            break;
          default:
            link.relation = core::Relation::kRelated;
        }
        chunk->products[it->second].alternatives.push_back(std::move(link));
      }));

  return db.Query(
      absl::StrCat("SELECT cpe.entity_id, ccp.category_id "
                   "FROM catalog_product_entity cpe "
                   "JOIN catalog_category_product ccp "
                   "ON ccp.product_id = cpe.entity_id WHERE ",
                   cond, " ORDER BY cpe.entity_id, ccp.category_id"),
      [&](const DbRow& row) {
        auto it = index.find(row.Int(0));
        if (it == index.end()) return;
        chunk->products[it->second].category_ids.push_back(row.Int(1));
      });
}

}  // namespace

absl::Status BeginSnapshot(DbConnection& db) {
  return db.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
}

absl::Status EndSnapshot(DbConnection& db) { return db.Execute("COMMIT"); }

absl::StatusOr<std::vector<int32_t>> ReadStockIds(DbConnection& db) {
  std::vector<int32_t> stocks;
  AV_RETURN_IF_ERROR(db.Query(
      "SELECT stock_id FROM inventory_stock ORDER BY stock_id",
      [&](const DbRow& row) {
        stocks.push_back(static_cast<int32_t>(row.Int(0)));
      }));
  return stocks;
}

absl::StatusOr<std::map<std::string, int32_t>> ReadSalesChannels(
    DbConnection& db) {
  std::map<std::string, int32_t> channels;
  AV_RETURN_IF_ERROR(db.Query(
      "SELECT code, stock_id FROM inventory_stock_sales_channel "
      "WHERE type = 'website'",
      [&](const DbRow& row) {
        channels[std::string(row.Text(0))] = static_cast<int32_t>(row.Int(1));
      }));
  return channels;
}

absl::StatusOr<std::map<std::string, std::string>> ReadInventoryConfig(
    DbConnection& db) {
  std::vector<std::string> quoted;
  for (const std::string& path : InventoryConfigPaths()) {
    quoted.push_back(db.Quote(path));
  }
  std::map<std::string, std::string> values;
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat("SELECT path, value FROM core_config_data "
                   "WHERE scope = 'default' AND scope_id = 0 AND path IN (",
                   absl::StrJoin(quoted, ", "), ") AND value IS NOT NULL"),
      [&](const DbRow& row) {
        values[std::string(row.Text(0))] = std::string(row.Text(1));
      }));
  return values;
}

absl::StatusOr<int64_t> ReadProductChunk(DbConnection& db,
                                         int64_t after_entity_id, int limit,
                                         const std::vector<int32_t>& stocks,
                                         CatalogChunk* chunk) {
  // First the products of the chunk, then the rest by their id range.
  std::vector<int64_t> ids;
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat("SELECT entity_id FROM catalog_product_entity "
                   "WHERE entity_id > ",
                   after_entity_id, " ORDER BY entity_id LIMIT ", limit),
      [&](const DbRow& row) { ids.push_back(row.Int(0)); }));
  if (ids.empty()) return 0;
  int64_t first = 0;
  int64_t last = 0;
  AV_RETURN_IF_ERROR(ReadProducts(
      db,
      absl::StrCat("cpe.entity_id BETWEEN ", ids.front(), " AND ", ids.back()),
      "ORDER BY cpe.entity_id", stocks, chunk, &first, &last));
  return ids.back();
}

absl::Status ReadProductsBySku(DbConnection& db,
                               const std::vector<std::string>& skus,
                               const std::vector<int32_t>& stocks,
                               CatalogChunk* chunk) {
  if (skus.empty()) return absl::OkStatus();
  std::vector<std::string> quoted;
  quoted.reserve(skus.size());
  for (const std::string& sku : skus) quoted.push_back(db.Quote(sku));
  int64_t first = 0;
  int64_t last = 0;
  return ReadProducts(
      db, absl::StrCat("cpe.sku IN (", absl::StrJoin(quoted, ","), ")"),
      "ORDER BY cpe.entity_id", stocks, chunk, &first, &last);
}

absl::Status ReadCategoryRankings(
    DbConnection& db, int32_t stock_id, int limit,
    const std::function<void(int64_t, std::vector<std::string>)>& category) {
  int64_t current = -1;
  std::vector<std::string> skus;
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat(
          "SELECT ccp.category_id, cpe.sku FROM catalog_category_product ccp "
          "JOIN catalog_product_entity cpe ON cpe.entity_id = ccp.product_id "
          "WHERE EXISTS (SELECT 1 FROM inventory_source_item isi "
          "JOIN inventory_source_stock_link l "
          "ON l.source_code = isi.source_code AND l.stock_id = ",
          stock_id,
          " WHERE isi.sku = cpe.sku) "
          "ORDER BY ccp.category_id, ccp.position, ccp.product_id"),
      [&](const DbRow& row) {
        const int64_t id = row.Int(0);
        if (id != current) {
          if (current >= 0) category(current, std::move(skus));
          skus.clear();
          current = id;
        }
        if (static_cast<int>(skus.size()) < limit) {
          skus.emplace_back(row.Text(1));
        }
      }));
  if (current >= 0) category(current, std::move(skus));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ReadMaxReservationId(DbConnection& db) {
  int64_t max_id = 0;
  AV_RETURN_IF_ERROR(db.Query(
      "SELECT COALESCE(MAX(reservation_id), 0) FROM inventory_reservation",
      [&](const DbRow& row) { max_id = row.Int(0); }));
  return max_id;
}

absl::StatusOr<std::vector<ReservationRow>> ReadReservationsAfter(
    DbConnection& db, int64_t after_id, int limit,
    const std::vector<int64_t>& also_ids) {
  std::string sql = absl::StrCat(
      "SELECT reservation_id, stock_id, sku FROM inventory_reservation "
      "WHERE reservation_id > ",
      after_id, " ORDER BY reservation_id LIMIT ", limit);
  if (!also_ids.empty()) {
    sql = absl::StrCat(
        "(", sql, ") UNION ALL (SELECT reservation_id, stock_id, sku "
        "FROM inventory_reservation WHERE reservation_id IN (",
        absl::StrJoin(also_ids, ","), "))");
  }
  std::vector<ReservationRow> rows;
  AV_RETURN_IF_ERROR(db.Query(sql, [&](const DbRow& row) {
    ReservationRow r;
    r.reservation_id = row.Int(0);
    r.stock_id = static_cast<int32_t>(row.Int(1));
    r.sku = std::string(row.Text(2));
    rows.push_back(std::move(r));
  }));
  return rows;
}

absl::StatusOr<std::vector<BucketChecksum>> ReadSourceItemChecksums(
    DbConnection& db, int64_t bucket_size, int64_t first_bucket,
    int64_t end_bucket) {
  std::string range =
      absl::StrCat("source_item_id >= ", first_bucket * bucket_size);
  if (end_bucket > 0) {
    absl::StrAppend(&range, " AND source_item_id < ", end_bucket * bucket_size);
  }
  std::vector<BucketChecksum> sums;
  // Every column that matters, and the id: an update, insert or delete in
  // the bucket changes (rows, checksum) but for a CRC collision.
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat(
          "SELECT source_item_id DIV ", bucket_size,
          " AS bucket, COUNT(*), BIT_XOR(CRC32(CONCAT_WS('|', source_item_id, "
          "source_code, sku, quantity, status))) "
          "FROM inventory_source_item WHERE ",
          range, " GROUP BY bucket ORDER BY bucket"),
      [&](const DbRow& row) {
        BucketChecksum sum;
        sum.bucket = row.Int(0);
        sum.rows = row.Int(1);
        uint64_t checksum = 0;
        if (absl::SimpleAtoi(row.Text(2), &checksum)) sum.checksum = checksum;
        sums.push_back(sum);
      }));
  return sums;
}

absl::StatusOr<std::vector<std::string>> ReadSourceItemSkus(
    DbConnection& db, int64_t bucket_size, int64_t bucket) {
  std::vector<std::string> skus;
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat("SELECT DISTINCT sku FROM inventory_source_item "
                   "WHERE source_item_id >= ",
                   bucket * bucket_size, " AND source_item_id < ",
                   (bucket + 1) * bucket_size),
      [&](const DbRow& row) { skus.emplace_back(row.Text(0)); }));
  return skus;
}

absl::StatusOr<std::string> ReadInventoryFingerprint(DbConnection& db) {
  std::vector<std::string> quoted;
  for (const std::string& path : InventoryConfigPaths()) {
    quoted.push_back(db.Quote(path));
  }
  std::string fingerprint;
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat(
          "SELECT "
          "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CRC32(CONCAT_WS('|', "
          "source_code, enabled))), 0)) FROM inventory_source), "
          "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CRC32(CONCAT_WS('|', "
          "stock_id, source_code))), 0)) FROM inventory_source_stock_link), "
          "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CRC32(CONCAT_WS('|', "
          "type, code, stock_id))), 0)) FROM inventory_stock_sales_channel), "
          "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(stock_id), 0)) "
          "FROM inventory_stock), "
          "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CRC32(CONCAT_WS('|', "
          "path, value))), 0)) FROM core_config_data "
          "WHERE scope = 'default' AND scope_id = 0 AND path IN (",
          absl::StrJoin(quoted, ", "), "))"),
      [&](const DbRow& row) {
        for (unsigned i = 0; i < row.size(); ++i) {
          absl::StrAppend(&fingerprint, row.Text(i), ";");
        }
      }));
  return fingerprint;
}

}  // namespace availability::sync::magento
