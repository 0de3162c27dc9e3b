// MagentoCsvReader: reads the stock data of Magento 2's own catalog export
// (System > Data Transfer > Export, entity "Products", CSV) as inventory
// records, by Magento's column names, in any column order. Every column not
// listed below is ignored.
//
//   column                         record field
//   sku (required)                 sku
//   qty                            source_quantity
//   is_in_stock                    is_in_stock
//   manage_stock                   manage_stock (use_config_manage_stock)
//   out_of_stock_qty               min_qty             (use_config_min_qty)
//   allow_backorders 0/1/2         backorders NO/YES/YES_NOTIFY
//                                                      (use_config_backorders)
//   min_cart_qty                   min_sale_qty (use_config_min_sale_qty)
//   max_cart_qty                   max_sale_qty (use_config_max_sale_qty)
//   notify_on_stock_below          notify_stock_qty
//   (use_config_notify_stock_qty) enable_qty_increments enable_qty_increments
//                                                  (use_config_enable_qty_inc)
//   qty_increments                 qty_increments   (use_config_qty_increments)
//   is_qty_decimal                 is_qty_decimal
//   product_websites               stock_id: one record per distinct stock
//   categories                     category_ids (see CategoryIdForPath)
//   upsell_skus/_position,         alternatives UPSELL, then RELATED, then
//   related_skus/_position,        CROSSSELL; each type by position (then
//   crosssell_skus/_position       list order); a SKU linked twice keeps its
//                                  first place; links to itself are dropped
//   product_type                   product_type: simple, virtual,
//                                  downloadable (and unknown types) SIMPLE;
//                                  configurable, bundle, grouped
//   configurable_variations        component_skus: each "sku=" of
//                                  "sku=X,size=S,color=C|sku=..."
//   associated_skus                component_skus: "X=1,Y=2" or "X,Y"
//   bundle_values                  bundle_options: "name=..,type=..,
//                                  required=1,sku=X,..,default_qty=1.0000,..
//                                  |..", selections grouped by option name,
//                                  quantity default_qty
//
// A composite's own qty is not read (docs/domain.md §10: its stock is its
// components'); its is_in_stock is kept. Component lists drop the row's own
// SKU and repeats.
//
// A use_config_X column of "1" leaves the field unset, so the store
// configuration applies when the record is read; "0" (or no such column)
// takes the value of X. An empty value leaves its field unset (qty: 0).
// Quantities are decimal text such as "100.0000" (Magento's decimal(12,4)):
// at most 4 significant decimals, no exponent, read as the nearest double.
//
// The export has no version: every record gets MagentoCsvOptions::version,
// the time of the snapshot, so a later export of the same store wins.
// Rows of a store view (non-empty store_view_code) carry only translated
// attributes, never stock, and are skipped. A bad row is reported as
// "line N: column: reason[; column: reason...]" (N = the row's first
// physical line) and skipped. Bad rows include: a cell of any column that
// is not valid UTF-8 (the file is in another encoding, so other cells may be
// misread too; see MagentoCsvOptions::encoding), a line break inside a
// column listed above (never legitimate there: a stray quote swallowed the
// rows after it), and a quoted field over more than max_field_lines lines.
// Reads one row at a time. Not thread-safe.
#ifndef CLIENT_IMPORT_MAGENTO_CSV_READER_H_
#define CLIENT_IMPORT_MAGENTO_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "availability/v1/inventory_sync.pb.h"
#include "client/import/csv.h"
#include "client/import/record_reader.h"

namespace av::client {

struct MagentoCsvOptions {
  // Website code (product_websites) -> stock id. Magento's default website
  // "base" on the default stock 1.
  std::map<std::string, int32_t> channels = {{"base", 1}};
  // Stock of rows with an empty product_websites (or no such column).
  int32_t default_stock_id = 1;
  // Version of every record: the snapshot's time, e.g. in microseconds.
  int64_t version = 1;
  // source_time of every record; InfinitePast leaves it unset.
  absl::Time source_time = absl::InfinitePast();
  // The encoding the file was in (already transcoded to UTF-8 by the
  // caller, see TranscodingStreamBuf), for messages about invalid text.
  std::string encoding = "utf-8";
  // A quoted field over more lines than this makes its row bad.
  int64_t max_field_lines = 50;
};

class MagentoCsvReader : public RecordReader {
 public:
  // Reads the header row from `in` (which must outlive the reader).
  // InvalidArgument when the input is empty or has no `sku` column, or
  // when options name no channel or a stock below 1.
  static absl::StatusOr<std::unique_ptr<MagentoCsvReader>> Create(
      std::istream& in, MagentoCsvOptions options = MagentoCsvOptions());

  // One record per stock of the row's websites; see RecordReader::Next.
  absl::StatusOr<bool> Next(
      std::vector<availability::v1::InventoryRecord>* records) override;

  int64_t bytes_read() const override { return csv_.bytes_read(); }
  int64_t line() const override { return csv_.record_line(); }
  const std::vector<MultilineField>& multiline_fields() const override {
    return multiline_fields_;
  }
  // Store-view rows skipped so far (not errors).
  int64_t store_view_rows() const { return store_view_rows_; }

 private:
  MagentoCsvReader(std::istream& in, MagentoCsvOptions options);

  // Checks the text of every cell of the current row (fields_) and its
  // multi-line fields; InvalidArgument naming every bad column.
  absl::Status CheckRowText();
  // Converts the current row (fields_) into records; InvalidArgument naming
  // every bad column.
  absl::Status ConvertRow(
      std::vector<availability::v1::InventoryRecord>* records) const;

  CsvReader csv_;
  const MagentoCsvOptions options_;
  absl::flat_hash_map<std::string, size_t> columns_;  // name -> index
  std::vector<std::string> column_names_;  // index -> name ("column 7")
  size_t column_count_ = 0;
  std::vector<MultilineField> multiline_fields_;
  std::vector<std::string> fields_;
  int64_t store_view_rows_ = 0;
};

// The category id of a Magento category path such as
// "Default Category/Gear/Bags": the 64-bit FNV-1a hash of the path's bytes
// (leading/trailing whitespace removed) with the top bit cleared, so it is a
// positive int64; 0 becomes 1. Stable across runs, machines and exports.
int64_t CategoryIdForPath(absl::string_view path);

// Parses "code=stock,code=stock" (e.g. "base=1,de=2"). InvalidArgument for
// a malformed entry, an empty code or a stock below 1.
absl::StatusOr<std::map<std::string, int32_t>> ParseChannels(
    absl::string_view text);

// Parses Magento's decimal text ("100.0000", "-5", "0.5"): optional sign,
// digits, optional fraction with at most 4 significant decimals, no
// exponent, at most 15 digits. InvalidArgument otherwise.
absl::StatusOr<double> ParseDecimalQuantity(absl::string_view text);

}  // namespace av::client

#endif  // CLIENT_IMPORT_MAGENTO_CSV_READER_H_
