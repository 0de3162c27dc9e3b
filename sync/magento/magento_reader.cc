#include "sync/magento/magento_reader.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/substitute.h"
#include "core/status_macros.h"

namespace availability::sync::magento {
namespace {

// Magento's catalog_product_entity.type_id values of composites.
core::ProductType ProductTypeOf(absl::string_view type_id) {
  if (type_id == "configurable") return core::ProductType::kConfigurable;
  if (type_id == "bundle") return core::ProductType::kBundle;
  if (type_id == "grouped") return core::ProductType::kGrouped;
  return core::ProductType::kSimple;
}

// Fills every part of `chunk` for the products matching `where` (a condition
// on `cpe`, catalog_product_entity, already expanded), the products first.
absl::Status ReadProducts(DbConnection& db, const MagentoSchema& s,
                          const std::string& where,
                          const std::vector<int32_t>& stocks,
                          CatalogChunk* chunk) {
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
  // The products (the current version only, with staging), then every other
  // query by the same condition: one snapshot, so the same products.
  const std::string cond =
      absl::StrCat("(", where, ")", ExpandSql(s, "{current:cpe}"));
  auto query = [&](absl::string_view sql_template, const std::string& tail,
                   DbConnection::RowCallback row) {
    return db.Query(absl::StrCat(ExpandSql(s, sql_template), cond, tail), row);
  };
  // Settings: the column when use_config_* is 0 (no stock item row: NULL,
  // so use config).
  AV_RETURN_IF_ERROR(query(
      "SELECT cpe.entity_id, cpe.sku, "
      "si.use_config_manage_stock, si.manage_stock, "
      "si.use_config_backorders, si.backorders, "
      "si.use_config_min_qty, si.min_qty, "
      "si.use_config_min_sale_qty, si.min_sale_qty, "
      "si.use_config_max_sale_qty, si.max_sale_qty, "
      "si.use_config_notify_stock_qty, si.notify_stock_qty, "
      "si.use_config_enable_qty_inc, si.enable_qty_increments, "
      "si.use_config_qty_increments, si.qty_increments, "
      "si.is_qty_decimal, cpe.type_id, si.is_in_stock "
      "FROM {catalog_product_entity} cpe "
      "LEFT JOIN {cataloginventory_stock_item} si "
      "ON si.product_id = cpe.entity_id AND si.stock_id = 1 "
      "AND si.website_id = 0 WHERE ",
      " ORDER BY cpe.entity_id", [&](const DbRow& row) {
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
        p.type = ProductTypeOf(row.Text(19));
        p.own_is_in_stock = row.IsNull(20) || row.Int(20) != 0;
        chunk->products.push_back(std::move(p));
      }));
  if (chunk->products.size() == first_product) return absl::OkStatus();
  absl::flat_hash_map<int64_t, size_t> index;
  for (size_t i = first_product; i < chunk->products.size(); ++i) {
    index[chunk->products[i].entity_id] = i;
  }
  auto product = [&](int64_t entity_id) -> ProductData* {
    auto it = index.find(entity_id);
    return it == index.end() ? nullptr : &chunk->products[it->second];
  };

  AV_RETURN_IF_ERROR(
      query("SELECT cpe.entity_id, l.stock_id, isi.quantity, "
            "isi.status, src.enabled, isi.source_code, nc.sku, "
            "nc.notify_stock_qty "
            "FROM {catalog_product_entity} cpe "
            // The products drive (by the sku index of the source items):
            // the optimizer, left to itself with stale statistics, scans
            // every source item of a source per chunk instead.
            "STRAIGHT_JOIN {inventory_source_item} isi ON isi.sku = cpe.sku "
            "JOIN {inventory_source_stock_link} l "
            "ON l.source_code = isi.source_code "
            "JOIN {inventory_source} src "
            "ON src.source_code = isi.source_code "
            "LEFT JOIN {inventory_low_stock_notification_configuration} nc "
            "ON nc.source_code = isi.source_code AND nc.sku = isi.sku WHERE ",
            "", [&](const DbRow& row) {
              SourceItemRow item;
              item.entity_id = row.Int(0);
              item.stock_id = static_cast<int32_t>(row.Int(1));
              item.in_stock = row.Int(3) == 1;
              item.source_enabled = row.Int(4) == 1;
              // Only what counts (in stock, enabled source) can refuse the
              // record.
              const bool counts = item.in_stock && item.source_enabled;
              item.quantity =
                  counts ? parsed(ParseDecimalQty(row.Text(2)), item.entity_id,
                                  item.stock_id,
                                  "inventory_source_item.quantity", row.Text(5))
                         : 0;
              item.has_notify_config = !row.IsNull(6);
              if (counts && !row.IsNull(7)) {
                item.notify_stock_qty = parsed(
                    ParseDecimalQty(row.Text(7)), item.entity_id, item.stock_id,
                    "inventory_low_stock_notification_configuration."
                    "notify_stock_qty",
                    row.Text(5));
              }
              chunk->source_items.push_back(item);
            }));

  // One SELECT per stock so that each uses the (stock_id, sku, quantity)
  // index of inventory_reservation.
  if (!stocks.empty()) {
    std::vector<std::string> parts;
    for (int32_t stock : stocks) {
      parts.push_back(absl::StrCat(
          ExpandSql(s,
                    "SELECT cpe.entity_id, r.stock_id, SUM(r.quantity) "
                    "FROM {catalog_product_entity} cpe "
                    "JOIN {inventory_reservation} r ON r.stock_id = "),
          stock, " AND r.sku = cpe.sku WHERE ", cond,
          " GROUP BY cpe.entity_id, r.stock_id"));
    }
    AV_RETURN_IF_ERROR(
        db.Query(absl::StrJoin(parts, " UNION ALL "), [&](const DbRow& row) {
          ReservationSum r;
          r.entity_id = row.Int(0);
          r.stock_id = static_cast<int32_t>(row.Int(1));
          r.quantity =
              parsed(ParseDecimalSum(row.Text(2)), r.entity_id, r.stock_id,
                     "reserved_qty (sum of "
                     "inventory_reservation.quantity)",
                     "");
          chunk->reservations.push_back(r);
        }));
  }

  // Relation (1) -> RELATED, up_sell (4) -> UPSELL, cross_sell (5) ->
  // CROSSSELL; by type in that order, then position, then link id. Super
  // (3): a grouped product's associated products, by position. Sorted here,
  // not by the database (an ORDER BY over the joins costs it a temporary
  // table and a filesort per chunk).
  struct LinkRow {
    int64_t entity_id;
    int rank;  // the type's place in the order above
    int64_t position;
    int64_t link_id;
    int type;
    std::string sku;
  };
  std::vector<LinkRow> links;
  AV_RETURN_IF_ERROR(
      query("SELECT cpe.entity_id, l.link_type_id, lp.sku, "
            "COALESCE(pos.value, 0), l.link_id "
            "FROM {catalog_product_entity} cpe "
            "JOIN {catalog_product_link} l ON l.product_id = cpe.{link} "
            "AND l.link_type_id IN (1, 3, 4, 5) "
            "JOIN {catalog_product_entity} lp "
            "ON lp.entity_id = l.linked_product_id{current:lp} "
            "LEFT JOIN {catalog_product_link_attribute} pa "
            "ON pa.link_type_id = l.link_type_id "
            "AND pa.product_link_attribute_code = 'position' "
            "LEFT JOIN {catalog_product_link_attribute_int} pos "
            "ON pos.link_id = l.link_id "
            "AND pos.product_link_attribute_id = pa.product_link_attribute_id "
            "WHERE ",
            "", [&](const DbRow& row) {
              const int type = static_cast<int>(row.Int(1));
              links.push_back({row.Int(0),
                               type == 1   ? 0
                               : type == 4 ? 1
                               : type == 5 ? 2
                                           : 3,
                               row.Int(3), row.Int(4), type,
                               std::string(row.Text(2))});
            }));
  std::sort(links.begin(), links.end(), [](const LinkRow& a, const LinkRow& b) {
    return std::tie(a.entity_id, a.rank, a.position, a.link_id) <
           std::tie(b.entity_id, b.rank, b.position, b.link_id);
  });
  for (LinkRow& l : links) {
    ProductData* p = product(l.entity_id);
    if (p == nullptr) continue;
    core::AlternativeLink link;
    link.sku = std::move(l.sku);
    switch (l.type) {
      case 3:
        if (p->type == core::ProductType::kGrouped) {
          p->components.push_back(std::move(link.sku));
        }
        continue;
      case 4:
        link.relation = core::Relation::kUpsell;
        break;
      case 5:
        link.relation = core::Relation::kCrosssell;
        break;
      default:
        link.relation = core::Relation::kRelated;
    }
    p->alternatives.push_back(std::move(link));
  }
  links = std::vector<LinkRow>();

  AV_RETURN_IF_ERROR(
      query("SELECT cpe.entity_id, ccp.category_id, ccp.position "
            "FROM {catalog_product_entity} cpe "
            "JOIN {catalog_category_product} ccp "
            "ON ccp.product_id = cpe.entity_id WHERE ",
            " ORDER BY cpe.entity_id, ccp.category_id", [&](const DbRow& row) {
              if (ProductData* p = product(row.Int(0))) {
                p->category_ids.push_back(row.Int(1));
                p->category_positions.push_back(row.Int(2));
              }
            }));

  AV_RETURN_IF_ERROR(query(
      "SELECT cpe.entity_id, pw.website_id "
      "FROM {catalog_product_entity} cpe "
      "JOIN {catalog_product_website} pw ON pw.product_id = cpe.entity_id "
      "WHERE ",
      " ORDER BY cpe.entity_id, pw.website_id", [&](const DbRow& row) {
        if (ProductData* p = product(row.Int(0))) {
          p->websites.push_back(static_cast<int32_t>(row.Int(1)));
        }
      }));

  if (s.status_attribute_id != 0) {
    AV_RETURN_IF_ERROR(
        query(absl::StrCat("SELECT cpe.entity_id, v.store_id, v.value "
                           "FROM {catalog_product_entity} cpe "
                           "JOIN {catalog_product_entity_int} v "
                           "ON v.{link} = cpe.{link} AND v.attribute_id = ",
                           s.status_attribute_id, " WHERE "),
              "", [&](const DbRow& row) {
                ProductData* p = product(row.Int(0));
                if (p == nullptr || row.IsNull(2)) return;
                if (row.Int(1) == 0) {
                  p->default_status = row.Int(2);
                } else {
                  p->store_status[row.Int(1)] = row.Int(2);
                }
              }));
  }

  // Configurable variants, in link order.
  AV_RETURN_IF_ERROR(
      query("SELECT cpe.entity_id, c.sku FROM {catalog_product_entity} cpe "
            "JOIN {catalog_product_super_link} sl ON sl.parent_id = cpe.{link} "
            "JOIN {catalog_product_entity} c "
            "ON c.entity_id = sl.product_id{current:c} WHERE ",
            " ORDER BY cpe.entity_id, sl.link_id", [&](const DbRow& row) {
              ProductData* p = product(row.Int(0));
              if (p != nullptr && p->type == core::ProductType::kConfigurable) {
                p->components.emplace_back(row.Text(1));
              }
            }));

  // Bundle options by position, each with its selections by position.
  absl::flat_hash_map<int64_t, std::pair<ProductData*, size_t>> options;
  AV_RETURN_IF_ERROR(query(
      "SELECT cpe.entity_id, o.option_id, o.required "
      "FROM {catalog_product_entity} cpe "
      "JOIN {catalog_product_bundle_option} o ON o.parent_id = cpe.{link} "
      "WHERE ",
      " ORDER BY cpe.entity_id, o.position, o.option_id",
      [&](const DbRow& row) {
        ProductData* p = product(row.Int(0));
        if (p == nullptr || p->type != core::ProductType::kBundle) return;
        core::BundleOption option;
        option.required = row.Int(2) != 0;
        options[row.Int(1)] = {p, p->bundle_options.size()};
        p->bundle_options.push_back(std::move(option));
      }));
  if (options.empty()) return absl::OkStatus();
  return query(
      "SELECT s.option_id, c.sku, s.selection_qty "
      "FROM {catalog_product_entity} cpe "
      "JOIN {catalog_product_bundle_selection} s "
      "ON s.parent_product_id = cpe.{link} "
      "JOIN {catalog_product_entity} c "
      "ON c.entity_id = s.product_id{current:c} WHERE ",
      " ORDER BY cpe.entity_id, s.option_id, s.position, s.selection_id",
      [&](const DbRow& row) {
        auto it = options.find(row.Int(0));
        if (it == options.end()) return;
        core::BundleSelection selection;
        selection.sku = std::string(row.Text(1));
        // NULL or not a positive decimal(12,4): one per bundle, Magento's
        // default.
        absl::StatusOr<core::Qty> qty = ParseDecimalQty(row.Text(2));
        selection.qty = qty.ok() && *qty > 0 ? *qty : core::kQtyScale;
        it->second.first->bundle_options[it->second.second]
            .selections.push_back(std::move(selection));
      });
}

}  // namespace

bool IsValidTablePrefix(absl::string_view prefix) {
  for (char c : prefix) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return prefix.size() <= 32;
}

std::string ExpandSql(const MagentoSchema& schema, absl::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 64);
  size_t i = 0;
  while (i < sql.size()) {
    const size_t open = sql.find('{', i);
    if (open == absl::string_view::npos) break;
    const size_t close = sql.find('}', open);
    if (close == absl::string_view::npos) break;
    out.append(sql.data() + i, open - i);
    absl::string_view name = sql.substr(open + 1, close - open - 1);
    if (name == "link") {
      out.append(schema.staged ? "row_id" : "entity_id");
    } else if (absl::ConsumePrefix(&name, "current:")) {
      if (schema.staged) {
        absl::StrAppend(&out, " AND ", name,
                        ".created_in <= UNIX_TIMESTAMP() AND ", name,
                        ".updated_in > UNIX_TIMESTAMP()");
      }
    } else {
      absl::StrAppend(&out, "`", schema.table_prefix, name, "`");
    }
    i = close + 1;
  }
  out.append(sql.data() + i, sql.size() - i);
  return out;
}

absl::StatusOr<MagentoSchema> ReadMagentoSchema(DbConnection& db,
                                                std::string table_prefix) {
  MagentoSchema schema;
  schema.table_prefix = std::move(table_prefix);
  bool found = false;
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat("SELECT COLUMN_NAME FROM information_schema.COLUMNS "
                   "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ",
                   db.Quote(absl::StrCat(schema.table_prefix,
                                         "catalog_product_entity"))),
      [&](const DbRow& row) {
        found = true;
        if (row.Text(0) == "row_id") schema.staged = true;
      }));
  if (!found) {
    return absl::FailedPreconditionError(absl::StrCat(
        "table ", schema.table_prefix,
        "catalog_product_entity not found (or not readable): check "
        "--db_name, --db_table_prefix and the reader's grants"));
  }
  AV_RETURN_IF_ERROR(db.Query(
      ExpandSql(schema,
                "SELECT a.attribute_id FROM {eav_attribute} a "
                "JOIN {eav_entity_type} t "
                "ON t.entity_type_id = a.entity_type_id "
                "WHERE t.entity_type_code = 'catalog_product' "
                "AND a.attribute_code = 'status'"),
      [&](const DbRow& row) { schema.status_attribute_id = row.Int(0); }));
  return schema;
}

absl::StatusOr<std::vector<ConfigOverride>> ReadConfigOverrides(
    const std::vector<std::string>& flag_values, const std::string& path) {
  std::vector<ConfigOverride> overrides;
  for (const std::string& value : flag_values) {
    AV_ASSIGN_OR_RETURN(ConfigOverride o, ParseConfigOverride(value));
    overrides.push_back(std::move(o));
  }
  if (path.empty()) return overrides;
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--config_override_file: cannot read ", path));
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    absl::StatusOr<ConfigOverride> o = ParseConfigOverride(text);
    if (!o.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config_override_file ", path, " line ", number, ": ",
                       o.status().message()));
    }
    overrides.push_back(*std::move(o));
  }
  return overrides;
}

absl::Status BeginSnapshot(DbConnection& db) {
  return db.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
}

absl::Status EndSnapshot(DbConnection& db) { return db.Execute("COMMIT"); }

absl::StatusOr<std::vector<int32_t>> ReadStockIds(DbConnection& db,
                                                  const MagentoSchema& s) {
  std::vector<int32_t> stocks;
  AV_RETURN_IF_ERROR(db.Query(
      ExpandSql(s, "SELECT stock_id FROM {inventory_stock} ORDER BY stock_id"),
      [&](const DbRow& row) {
        stocks.push_back(static_cast<int32_t>(row.Int(0)));
      }));
  return stocks;
}

absl::StatusOr<std::map<std::string, int32_t>> ReadSalesChannels(
    DbConnection& db, const MagentoSchema& s) {
  std::map<std::string, int32_t> channels;
  AV_RETURN_IF_ERROR(db.Query(
      ExpandSql(s,
                "SELECT code, stock_id FROM {inventory_stock_sales_channel} "
                "WHERE type = 'website'"),
      [&](const DbRow& row) {
        channels[std::string(row.Text(0))] = static_cast<int32_t>(row.Int(1));
      }));
  return channels;
}

absl::StatusOr<Websites> ReadWebsites(DbConnection& db,
                                      const MagentoSchema& s) {
  Websites websites;
  AV_RETURN_IF_ERROR(
      db.Query(ExpandSql(s,
                         "SELECT website_id, code FROM {store_website} "
                         "WHERE website_id > 0 AND code IS NOT NULL"),
               [&](const DbRow& row) {
                 websites.id_by_code[std::string(row.Text(1))] =
                     static_cast<int32_t>(row.Int(0));
               }));
  AV_RETURN_IF_ERROR(db.Query(
      ExpandSql(s,
                "SELECT store_id, website_id FROM {store} WHERE store_id > 0 "
                "ORDER BY store_id"),
      [&](const DbRow& row) {
        websites.stores[static_cast<int32_t>(row.Int(1))].push_back(row.Int(0));
      }));
  return websites;
}

absl::StatusOr<InventoryConfigValues> ReadInventoryConfig(
    DbConnection& db, const MagentoSchema& s) {
  std::vector<std::string> quoted;
  for (const std::string& path : InventoryConfigPaths()) {
    quoted.push_back(db.Quote(path));
  }
  InventoryConfigValues values;
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat(ExpandSql(s,
                             "SELECT scope, scope_id, path, value FROM "
                             "{core_config_data} WHERE ((scope = "
                             "'default' AND scope_id = 0) OR scope = "
                             "'websites') AND path IN ("),
                   absl::StrJoin(quoted, ", "), ") AND value IS NOT NULL"),
      [&](const DbRow& row) {
        auto& target = row.Text(0) == "default"
                           ? values.defaults
                           : values.websites[static_cast<int32_t>(row.Int(1))];
        target[std::string(row.Text(2))] = std::string(row.Text(3));
      }));
  return values;
}

absl::StatusOr<int64_t> ReadProductChunk(DbConnection& db,
                                         const MagentoSchema& s,
                                         int64_t after_entity_id, int limit,
                                         const std::vector<int32_t>& stocks,
                                         CatalogChunk* chunk) {
  // First the products of the chunk, then the rest by their id range.
  std::vector<int64_t> ids;
  AV_RETURN_IF_ERROR(
      db.Query(absl::StrCat(ExpandSql(s,
                                      "SELECT cpe.entity_id FROM "
                                      "{catalog_product_entity} cpe WHERE "
                                      "cpe.entity_id > "),
                            after_entity_id, ExpandSql(s, "{current:cpe}"),
                            " ORDER BY cpe.entity_id LIMIT ", limit),
               [&](const DbRow& row) { ids.push_back(row.Int(0)); }));
  if (ids.empty()) return 0;
  AV_RETURN_IF_ERROR(ReadProducts(
      db, s,
      absl::StrCat("cpe.entity_id BETWEEN ", ids.front(), " AND ", ids.back()),
      stocks, chunk));
  return ids.back();
}

absl::Status ReadProductsBySku(DbConnection& db, const MagentoSchema& s,
                               const std::vector<std::string>& skus,
                               const std::vector<int32_t>& stocks,
                               CatalogChunk* chunk) {
  if (skus.empty()) return absl::OkStatus();
  std::vector<std::string> quoted;
  quoted.reserve(skus.size());
  for (const std::string& sku : skus) quoted.push_back(db.Quote(sku));
  return ReadProducts(
      db, s, absl::StrCat("cpe.sku IN (", absl::StrJoin(quoted, ","), ")"),
      stocks, chunk);
}

absl::StatusOr<int64_t> ReadMaxReservationId(DbConnection& db,
                                             const MagentoSchema& s) {
  int64_t max_id = 0;
  AV_RETURN_IF_ERROR(
      db.Query(ExpandSql(s,
                         "SELECT COALESCE(MAX(reservation_id), 0) FROM "
                         "{inventory_reservation}"),
               [&](const DbRow& row) { max_id = row.Int(0); }));
  return max_id;
}

absl::StatusOr<std::vector<ReservationRow>> ReadReservationsAfter(
    DbConnection& db, const MagentoSchema& s, int64_t after_id, int limit,
    const std::vector<int64_t>& also_ids) {
  const std::string select = ExpandSql(
      s, "SELECT reservation_id, stock_id, sku FROM {inventory_reservation} ");
  std::string sql = absl::StrCat(select, "WHERE reservation_id > ", after_id,
                                 " ORDER BY reservation_id LIMIT ", limit);
  if (!also_ids.empty()) {
    sql = absl::StrCat("(", sql, ") UNION ALL (", select,
                       "WHERE reservation_id IN (",
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
    DbConnection& db, const MagentoSchema& s, int64_t bucket_size,
    int64_t first_bucket, int64_t end_bucket) {
  std::string range =
      absl::StrCat("source_item_id >= ", first_bucket * bucket_size);
  if (end_bucket > 0) {
    absl::StrAppend(&range, " AND source_item_id < ", end_bucket * bucket_size);
  }
  std::vector<BucketChecksum> sums;
  // Every column that matters, and the id: an update, insert or delete in
  // the bucket changes (rows, checksum) but for a CRC collision. One CRC a
  // row in primary key order, folded into buckets here: the server streams
  // the range without a temporary table or a sort.
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat("SELECT source_item_id, CRC32(CONCAT_WS('|', "
                   "source_item_id, source_code, sku, quantity, status)) ",
                   ExpandSql(s, "FROM {inventory_source_item} WHERE "), range,
                   " ORDER BY source_item_id"),
      [&](const DbRow& row) {
        const int64_t bucket = row.Int(0) / bucket_size;
        if (sums.empty() || sums.back().bucket != bucket) {
          sums.push_back({bucket, 0, 0});
        }
        BucketChecksum& sum = sums.back();
        ++sum.rows;
        sum.checksum ^= static_cast<uint64_t>(row.Int(1));
      }));
  return sums;
}

absl::StatusOr<std::vector<std::string>> ReadSourceItemSkus(
    DbConnection& db, const MagentoSchema& s, int64_t bucket_size,
    int64_t bucket) {
  std::vector<std::string> skus;
  AV_RETURN_IF_ERROR(
      db.Query(absl::StrCat(ExpandSql(s,
                                      "SELECT DISTINCT sku FROM "
                                      "{inventory_source_item} WHERE "
                                      "source_item_id >= "),
                            bucket * bucket_size, " AND source_item_id < ",
                            (bucket + 1) * bucket_size, " ORDER BY sku"),
               [&](const DbRow& row) { skus.emplace_back(row.Text(0)); }));
  return skus;
}

absl::StatusOr<std::map<int64_t, std::vector<std::string>>>
ReadAllSourceItemSkus(DbConnection& db, const MagentoSchema& s,
                      int64_t bucket_size) {
  std::map<int64_t, std::vector<std::string>> skus;
  // In primary key order (streamed, no sort on the server); each bucket's
  // SKUs made distinct and ascending here.
  auto finish = [](std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    v.shrink_to_fit();
  };
  std::vector<std::string>* current = nullptr;
  int64_t current_bucket = -1;
  AV_RETURN_IF_ERROR(db.Query(
      ExpandSql(s,
                "SELECT source_item_id, sku FROM {inventory_source_item} "
                "ORDER BY source_item_id"),
      [&](const DbRow& row) {
        const int64_t bucket = row.Int(0) / bucket_size;
        if (bucket != current_bucket) {
          if (current != nullptr) finish(*current);
          current = &skus[bucket];
          current_bucket = bucket;
        }
        current->emplace_back(row.Text(1));
      }));
  if (current != nullptr) finish(*current);
  return skus;
}

absl::StatusOr<std::string> ReadInventoryFingerprint(DbConnection& db,
                                                     const MagentoSchema& s) {
  std::vector<std::string> quoted;
  for (const std::string& path : InventoryConfigPaths()) {
    quoted.push_back(db.Quote(path));
  }
  std::string fingerprint;
  AV_RETURN_IF_ERROR(db.Query(
      absl::StrCat(
          ExpandSql(
              s,
              "SELECT "
              "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CRC32(CONCAT_WS('|', "
              "source_code, enabled))), 0)) FROM {inventory_source}), "
              "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CRC32(CONCAT_WS('|', "
              "stock_id, source_code))), 0)) FROM "
              "{inventory_source_stock_link}), "
              "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CRC32(CONCAT_WS('|', "
              "type, code, stock_id))), 0)) FROM "
              "{inventory_stock_sales_channel}), "
              "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(stock_id), 0)) "
              "FROM {inventory_stock}), "
              "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CRC32(CONCAT_WS('|', "
              "website_id, code))), 0)) FROM {store_website}), "
              "(SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CRC32(CONCAT_WS('|', "
              "scope, scope_id, path, value))), 0)) FROM {core_config_data} "
              "WHERE ((scope = 'default' AND scope_id = 0) OR scope = "
              "'websites') AND path IN ("),
          absl::StrJoin(quoted, ", "), "))"),
      [&](const DbRow& row) {
        for (unsigned i = 0; i < row.size(); ++i) {
          absl::StrAppend(&fingerprint, row.Text(i), ";");
        }
      }));
  return fingerprint;
}

}  // namespace availability::sync::magento
