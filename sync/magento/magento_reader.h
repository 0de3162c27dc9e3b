// The SQL the connector runs against a Magento 2.4 MSI database, one function
// per question, each returning plain rows (record_builder.h). Only SELECTs:
// the database user needs nothing but SELECT on the tables of schema.sql.
//
//   AV_ASSIGN_OR_RETURN(MagentoSchema s, ReadMagentoSchema(db, "mg_"));
//   AV_RETURN_IF_ERROR(BeginSnapshot(db));
//   CatalogChunk chunk;
//   AV_ASSIGN_OR_RETURN(int64_t last,
//                       ReadProductChunk(db, s, after, 5000, stocks, &chunk));
//   AV_RETURN_IF_ERROR(EndSnapshot(db));
//
// Every query names its tables through ExpandSql (the table prefix) and,
// on Adobe Commerce with content staging, reads the product version current
// now, joining EAV values and parent links by row_id.
//
// Memory: every function streams its result; a chunk holds its products
// only (chunk_size products with their source items, reservations, links,
// categories, websites, status values and components).
//
// Errors: those of DbConnection (Unavailable when the connection is lost).
// A value that does not parse (a quantity that is not a decimal(12,4), a
// reservation sum beyond kMaxSummedQty) fails nothing: it lands in
// CatalogChunk::bad_values and BuildRecords refuses that product's record.
// Thread safety: as the connection passed in (one thread at a time).
#ifndef AVAILABILITY_SYNC_MAGENTO_MAGENTO_READER_H_
#define AVAILABILITY_SYNC_MAGENTO_MAGENTO_READER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sync/magento/db_connection.h"
#include "sync/magento/record_builder.h"

namespace availability::sync::magento {

// The shape of the Magento database the connector reads, found once per
// connection (ReadMagentoSchema) and given to every query below.
struct MagentoSchema {
  // Magento's table prefix (app/etc/env.php db/table_prefix), "" for none.
  std::string table_prefix;
  // Adobe Commerce content staging: catalog_product_entity has `row_id`
  // (one row per staged version of an entity_id), and the EAV values,
  // product links, configurable and bundle links name the parent by row_id.
  // The queries then read the version current now (created_in <= now <
  // updated_in) only.
  bool staged = false;
  // eav_attribute id of the product `status` attribute; 0 when there is
  // none (every product counts as enabled).
  int64_t status_attribute_id = 0;
};

// True when `prefix` is a table prefix Magento accepts (letters, digits,
// underscore; at most 5 characters in Magento's installer, any length
// here). The prefix is pasted into SQL, so nothing else is allowed.
bool IsValidTablePrefix(absl::string_view prefix);

// `sql` with `{name}` replaced by the prefixed table name, `{link}` by the
// product link column (row_id or entity_id) and `{current:alias}` by the
// staging condition on that catalog_product_entity alias (" AND ..." or "").
std::string ExpandSql(const MagentoSchema& schema, absl::string_view sql);

// Finds the edition (staging) and the status attribute, with `table_prefix`.
// Errors: DbConnection's (FailedPrecondition when catalog_product_entity is
// missing: a wrong prefix or not a Magento database).
absl::StatusOr<MagentoSchema> ReadMagentoSchema(DbConnection& db,
                                                std::string table_prefix);

// The configuration overrides of the --config_override flag values and of
// the file `path` (one a line, blank lines and lines starting with '#'
// ignored; "" for none), in that order. Errors: NotFound when the file
// cannot be read; InvalidArgument (ParseConfigOverride's, with the file's
// line number) for an override that does not parse.
absl::StatusOr<std::vector<ConfigOverride>> ReadConfigOverrides(
    const std::vector<std::string>& flag_values, const std::string& path);

// START TRANSACTION WITH CONSISTENT SNAPSHOT / COMMIT: the queries between
// them see one point in time (InnoDB, REPEATABLE READ).
absl::Status BeginSnapshot(DbConnection& db);
absl::Status EndSnapshot(DbConnection& db);

// inventory_stock ids, ascending.
absl::StatusOr<std::vector<int32_t>> ReadStockIds(DbConnection& db,
                                                  const MagentoSchema& s);

// inventory_stock_sales_channel rows of type "website": code -> stock id.
absl::StatusOr<std::map<std::string, int32_t>> ReadSalesChannels(
    DbConnection& db, const MagentoSchema& s);

// Websites (store_website, without the admin website 0) and their store
// views (store, without the admin store view 0).
struct Websites {
  std::map<std::string, int32_t> id_by_code;
  std::map<int32_t, std::vector<int64_t>> stores;
};
absl::StatusOr<Websites> ReadWebsites(DbConnection& db, const MagentoSchema& s);

// core_config_data values of InventoryConfigPaths(): default scope, and
// website scope by website id (store-view scope is not read: Magento's
// stock options have no store-view value).
absl::StatusOr<InventoryConfigValues> ReadInventoryConfig(
    DbConnection& db, const MagentoSchema& s);

// Up to `limit` products with entity_id > `after_entity_id`, ascending, with
// everything BuildRecords needs, appended to `chunk`. Returns the last
// entity_id read, or 0 when there was none (the catalog is done).
absl::StatusOr<int64_t> ReadProductChunk(DbConnection& db,
                                         const MagentoSchema& s,
                                         int64_t after_entity_id, int limit,
                                         const std::vector<int32_t>& stocks,
                                         CatalogChunk* chunk);

// The same for the products with these SKUs (Magento's case-insensitive
// collation matches them); SKUs not in the catalog are absent from `chunk`.
absl::Status ReadProductsBySku(DbConnection& db, const MagentoSchema& s,
                               const std::vector<std::string>& skus,
                               const std::vector<int32_t>& stocks,
                               CatalogChunk* chunk);

// MAX(reservation_id), 0 when there are none.
absl::StatusOr<int64_t> ReadMaxReservationId(DbConnection& db,
                                             const MagentoSchema& s);

struct ReservationRow {
  int64_t reservation_id = 0;
  int32_t stock_id = 0;
  std::string sku;
};
// Reservations with id > `after_id` (up to `limit`, ascending) and those
// whose ids are in `also_ids`.
absl::StatusOr<std::vector<ReservationRow>> ReadReservationsAfter(
    DbConnection& db, const MagentoSchema& s, int64_t after_id, int limit,
    const std::vector<int64_t>& also_ids);

// A checksum of the source items whose ids fall in one bucket
// [bucket * bucket_size, (bucket + 1) * bucket_size).
struct BucketChecksum {
  int64_t bucket = 0;
  int64_t rows = 0;
  uint64_t checksum = 0;
  bool operator==(const BucketChecksum& o) const {
    return bucket == o.bucket && rows == o.rows && checksum == o.checksum;
  }
};
// The checksums of the non-empty buckets in [first_bucket, end_bucket)
// (end_bucket <= 0: to the end of the table), ascending.
absl::StatusOr<std::vector<BucketChecksum>> ReadSourceItemChecksums(
    DbConnection& db, const MagentoSchema& s, int64_t bucket_size,
    int64_t first_bucket, int64_t end_bucket);
// The distinct SKUs of the source items of one bucket, ascending.
absl::StatusOr<std::vector<std::string>> ReadSourceItemSkus(
    DbConnection& db, const MagentoSchema& s, int64_t bucket_size,
    int64_t bucket);
// The distinct SKUs of every bucket (bucket -> SKUs ascending): what the
// tracking remembers so that a source item deleted later names its SKU.
absl::StatusOr<std::map<int64_t, std::vector<std::string>>>
ReadAllSourceItemSkus(DbConnection& db, const MagentoSchema& s,
                      int64_t bucket_size);

// A fingerprint of what changes every stock at once: sources (and whether
// enabled), source-stock links, sales channels, stocks, websites and the
// inventory configuration (default and website scope). Cheap (small
// tables); equal fingerprints mean unchanged.
absl::StatusOr<std::string> ReadInventoryFingerprint(DbConnection& db,
                                                     const MagentoSchema& s);

}  // namespace availability::sync::magento

#endif  // AVAILABILITY_SYNC_MAGENTO_MAGENTO_READER_H_
