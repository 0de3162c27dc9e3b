#include "client/import/magento_csv_reader.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/optional.h"
#include "client/import/text_encoding.h"

namespace av::client {
namespace {

using availability::v1::AlternativeLink;
using availability::v1::Backorders;
using availability::v1::InventoryRecord;
using availability::v1::Relation;

// Link columns in the order their alternatives are listed: up-sells are
// the merchant's "buy this instead" picks, related products come next,
// cross-sells (cart add-ons, usually accessories) last.
struct LinkColumns {
  const char* skus;
  const char* positions;
  Relation relation;
};
constexpr LinkColumns kLinkColumns[] = {
    {"upsell_skus", "upsell_position", availability::v1::RELATION_UPSELL},
    {"related_skus", "related_position", availability::v1::RELATION_RELATED},
    {"crosssell_skus", "crosssell_position",
     availability::v1::RELATION_CROSSSELL},
};

// Every column the reader takes stock data from (see the header). A line
// break in one of them is never legitimate.
constexpr absl::string_view kStockColumns[] = {"sku",
                                               "store_view_code",
                                               "qty",
                                               "is_in_stock",
                                               "manage_stock",
                                               "use_config_manage_stock",
                                               "out_of_stock_qty",
                                               "use_config_min_qty",
                                               "allow_backorders",
                                               "use_config_backorders",
                                               "min_cart_qty",
                                               "use_config_min_sale_qty",
                                               "max_cart_qty",
                                               "use_config_max_sale_qty",
                                               "notify_on_stock_below",
                                               "use_config_notify_stock_qty",
                                               "enable_qty_increments",
                                               "use_config_enable_qty_inc",
                                               "qty_increments",
                                               "use_config_qty_increments",
                                               "is_qty_decimal",
                                               "product_websites",
                                               "categories",
                                               "upsell_skus",
                                               "upsell_position",
                                               "related_skus",
                                               "related_position",
                                               "crosssell_skus",
                                               "crosssell_position",
                                               "product_type",
                                               "configurable_variations",
                                               "associated_skus",
                                               "bundle_values"};

bool IsStockColumn(absl::string_view name) {
  return std::find(std::begin(kStockColumns), std::end(kStockColumns), name) !=
         std::end(kStockColumns);
}

// Splits a comma-separated list, trimming items and dropping empty ones.
std::vector<absl::string_view> SplitList(absl::string_view text) {
  std::vector<absl::string_view> items;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// Collects the problems of one row, each as "column: reason".
class RowErrors {
 public:
  void Add(absl::string_view column, absl::string_view reason) {
    errors_.push_back(absl::StrCat(column, ": ", reason));
  }
  bool empty() const { return errors_.empty(); }
  std::string Join() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

// Read access to the columns of one row by name.
class Row {
 public:
  Row(const absl::flat_hash_map<std::string, size_t>& columns,
      const std::vector<std::string>& fields, RowErrors& errors)
      : columns_(columns), fields_(fields), errors_(errors) {}

  // The trimmed value; nullopt when the column is absent or empty.
  absl::optional<absl::string_view> Get(absl::string_view column) const {
    auto it = columns_.find(column);
    if (it == columns_.end()) return absl::nullopt;
    absl::string_view value = absl::StripAsciiWhitespace(fields_[it->second]);
    if (value.empty()) return absl::nullopt;
    return value;
  }

  absl::optional<double> Decimal(absl::string_view column) const {
    absl::optional<absl::string_view> text = Get(column);
    if (!text) return absl::nullopt;
    absl::StatusOr<double> value = ParseDecimalQuantity(*text);
    if (!value.ok()) {
      errors_.Add(column, value.status().message());
      return absl::nullopt;
    }
    return *value;
  }

  absl::optional<bool> Bool(absl::string_view column) const {
    absl::optional<absl::string_view> text = Get(column);
    if (!text) return absl::nullopt;
    if (*text == "1") return true;
    if (*text == "0") return false;
    errors_.Add(column, absl::StrCat("\"", *text, "\" is not 0 or 1"));
    return absl::nullopt;
  }

  // True when the value of `column` is to be used: its use_config_* flag
  // is absent, empty or 0.
  bool Own(absl::string_view use_config_column) const {
    return !Bool(use_config_column).value_or(false);
  }

  RowErrors& errors() const { return errors_; }

 private:
  const absl::flat_hash_map<std::string, size_t>& columns_;
  const std::vector<std::string>& fields_;
  RowErrors& errors_;
};

// The record's alternatives from the three link column pairs.
void AddAlternatives(const Row& row, InventoryRecord& record) {
  absl::flat_hash_set<std::string> seen = {record.sku()};
  for (const LinkColumns& link : kLinkColumns) {
    absl::optional<absl::string_view> skus_text = row.Get(link.skus);
    if (!skus_text) continue;
    std::vector<absl::string_view> skus = SplitList(*skus_text);
    std::vector<absl::string_view> positions_text =
        SplitList(row.Get(link.positions).value_or(""));
    // (position, list index, sku); no positions: list order.
    std::vector<std::pair<int64_t, size_t>> order;
    order.reserve(skus.size());
    if (!positions_text.empty() && positions_text.size() != skus.size()) {
      row.errors().Add(link.positions,
                       absl::StrCat(positions_text.size(), " positions for ",
                                    skus.size(), " SKUs in ", link.skus));
      continue;
    }
    bool positions_ok = true;
    for (size_t i = 0; i < skus.size(); ++i) {
      int64_t position = 0;
      if (!positions_text.empty() &&
          !absl::SimpleAtoi(positions_text[i], &position)) {
        row.errors().Add(link.positions, absl::StrCat("\"", positions_text[i],
                                                      "\" is not an integer"));
        positions_ok = false;
        break;
      }
      order.emplace_back(position, i);
    }
    if (!positions_ok) continue;
    std::stable_sort(order.begin(), order.end());
    for (const auto& [position, index] : order) {
      std::string sku(skus[index]);
      if (!seen.insert(sku).second) continue;
      AlternativeLink* alternative = record.add_alternatives();
      alternative->set_sku(std::move(sku));
      alternative->set_relation(link.relation);
    }
  }
}

// Splits one "key=value,key=value" entry of Magento's multi-value columns
// (configurable_variations, bundle_values) into its pairs, in order. A part
// without "=" belongs to the previous value (a comma inside it, e.g. in a
// bundle option's title), as Magento's importer reads it.
std::vector<std::pair<absl::string_view, std::string>> SplitPairs(
    absl::string_view entry) {
  std::vector<std::pair<absl::string_view, std::string>> pairs;
  for (absl::string_view part : absl::StrSplit(entry, ',')) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      if (!pairs.empty()) absl::StrAppend(&pairs.back().second, ",", part);
      continue;
    }
    pairs.emplace_back(absl::StripAsciiWhitespace(part.substr(0, eq)),
                       std::string(part.substr(eq + 1)));
  }
  return pairs;
}

// The value of `key` in `pairs`, trimmed; nullopt when absent.
absl::optional<absl::string_view> PairValue(
    const std::vector<std::pair<absl::string_view, std::string>>& pairs,
    absl::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return absl::StripAsciiWhitespace(v);
  }
  return absl::nullopt;
}

// Adds `sku` to the record's components unless it is the record's own SKU
// or already listed.
void AddComponent(absl::string_view sku, absl::flat_hash_set<std::string>& seen,
                  InventoryRecord& record) {
  if (sku.empty() || sku == record.sku()) return;
  if (seen.insert(std::string(sku)).second) {
    record.add_component_skus(std::string(sku));
  }
}

// configurable_variations: "sku=MH01-XS-Black,size=XS,color=Black|sku=...",
// one entry per variant.
void AddVariations(const Row& row, InventoryRecord& record) {
  absl::flat_hash_set<std::string> seen;
  const absl::string_view column = "configurable_variations";
  for (absl::string_view entry :
       absl::StrSplit(row.Get(column).value_or(""), '|')) {
    if (absl::StripAsciiWhitespace(entry).empty()) continue;
    const auto pairs = SplitPairs(entry);
    absl::optional<absl::string_view> sku = PairValue(pairs, "sku");
    if (!sku || sku->empty()) {
      row.errors().Add(column, absl::StrCat("\"", entry, "\" has no sku="));
      continue;
    }
    AddComponent(*sku, seen, record);
  }
}

// associated_skus: "24-MB01=1,24-MB02=2" (SKU = default quantity) or plain
// SKUs; the quantity is the shopper's default and does not limit the group.
void AddAssociated(const Row& row, InventoryRecord& record) {
  absl::flat_hash_set<std::string> seen;
  for (absl::string_view item :
       SplitList(row.Get("associated_skus").value_or(""))) {
    const size_t eq = item.rfind('=');
    double qty = 0;
    if (eq != absl::string_view::npos &&
        absl::SimpleAtod(item.substr(eq + 1), &qty)) {
      item = absl::StripAsciiWhitespace(item.substr(0, eq));
    }
    AddComponent(item, seen, record);
  }
}

// bundle_values: one entry per selection, "name=<option title>,type=radio,
// required=1,sku=...,price=...,default=0,default_qty=1.0000,price_type=fixed
// ,can_change_qty=0|...": selections grouped into options by name, in order
// of appearance; a selection's quantity is its default_qty (empty or 0: 1).
void AddBundleOptions(const Row& row, InventoryRecord& record) {
  const absl::string_view column = "bundle_values";
  std::vector<std::string> names;  // option index -> name
  for (absl::string_view entry :
       absl::StrSplit(row.Get(column).value_or(""), '|')) {
    if (absl::StripAsciiWhitespace(entry).empty()) continue;
    const auto pairs = SplitPairs(entry);
    absl::optional<absl::string_view> name = PairValue(pairs, "name");
    absl::optional<absl::string_view> sku = PairValue(pairs, "sku");
    if (!name || !sku || sku->empty()) {
      row.errors().Add(column,
                       absl::StrCat("\"", entry, "\" has no name= or no sku="));
      continue;
    }
    double qty = 0;
    if (absl::optional<absl::string_view> text =
            PairValue(pairs, "default_qty");
        text && !text->empty()) {
      absl::StatusOr<double> parsed = ParseDecimalQuantity(*text);
      if (!parsed.ok() || *parsed < 0) {
        row.errors().Add(column,
                         absl::StrCat("default_qty of ", *sku, ": \"", *text,
                                      "\" is not a quantity >= 0"));
        continue;
      }
      qty = *parsed;
    }
    size_t index = std::find(names.begin(), names.end(), *name) - names.begin();
    if (index == names.size()) {
      names.emplace_back(*name);
      record.add_bundle_options()->set_required(
          PairValue(pairs, "required").value_or("0") == "1");
    }
    auto* selection = record.mutable_bundle_options(static_cast<int>(index))
                          ->add_selections();
    selection->set_sku(std::string(*sku));
    selection->set_quantity(qty);
  }
}

// product_type and the components of a composite (docs/domain.md §10).
// Magento's simple, virtual and downloadable products, and types this
// reader does not know (e.g. a gift card), have stock of their own.
void AddComposite(const Row& row, InventoryRecord& record) {
  const absl::string_view type = row.Get("product_type").value_or("simple");
  if (type == "configurable") {
    record.set_product_type(availability::v1::PRODUCT_TYPE_CONFIGURABLE);
    AddVariations(row, record);
  } else if (type == "grouped") {
    record.set_product_type(availability::v1::PRODUCT_TYPE_GROUPED);
    AddAssociated(row, record);
  } else if (type == "bundle") {
    record.set_product_type(availability::v1::PRODUCT_TYPE_BUNDLE);
    AddBundleOptions(row, record);
  }
}

}  // namespace

int64_t CategoryIdForPath(absl::string_view path) {
  path = absl::StripAsciiWhitespace(path);
  uint64_t hash = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : path) {
    hash ^= c;
    hash *= 1099511628211ULL;  // FNV-1a 64 prime
  }
  const int64_t id = static_cast<int64_t>(hash & 0x7fffffffffffffffULL);
  return id == 0 ? 1 : id;
}

absl::StatusOr<std::map<std::string, int32_t>> ParseChannels(
    absl::string_view text) {
  std::map<std::string, int32_t> channels;
  for (absl::string_view entry : SplitList(text)) {
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(entry, absl::MaxSplits('=', 1));
    absl::string_view code = absl::StripAsciiWhitespace(parts.first);
    int32_t stock = 0;
    if (code.empty() ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(parts.second), &stock) ||
        stock < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "channels: \"", entry, "\" is not code=stock with a stock id >= 1"));
    }
    channels[std::string(code)] = stock;
  }
  if (channels.empty()) {
    return absl::InvalidArgumentError("channels: no code=stock entry");
  }
  return channels;
}

absl::StatusOr<double> ParseDecimalQuantity(absl::string_view text) {
  auto invalid = [text]() {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a decimal quantity"));
  };
  absl::string_view rest = text;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+'))
    rest.remove_prefix(1);
  const size_t dot = rest.find('.');
  absl::string_view integer = rest.substr(0, dot);
  absl::string_view fraction = dot == absl::string_view::npos
                                   ? absl::string_view()
                                   : rest.substr(dot + 1);
  if (integer.empty() && fraction.empty()) return invalid();
  if (dot != absl::string_view::npos && fraction.empty()) return invalid();
  for (absl::string_view digits : {integer, fraction}) {
    for (char c : digits) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return invalid();
    }
  }
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  while (integer.size() > 1 && integer.front() == '0') integer.remove_prefix(1);
  if (fraction.size() > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" has more than 4 decimals"));
  }
  if (integer.size() + fraction.size() > 15) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" has more than 15 digits"));
  }
  double value = 0;
  // Correctly rounded: "100.0000" is exactly 100, "0.1" the nearest double.
  if (!absl::SimpleAtod(text, &value)) return invalid();
  return value == 0 ? 0.0 : value;  // no -0
}

MagentoCsvReader::MagentoCsvReader(std::istream& in, MagentoCsvOptions options)
    : csv_(in), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<MagentoCsvReader>> MagentoCsvReader::Create(
    std::istream& in, MagentoCsvOptions options) {
  if (options.default_stock_id < 1) {
    return absl::InvalidArgumentError("default stock id must be >= 1");
  }
  for (const auto& [code, stock] : options.channels) {
    if (stock < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("channel ", code, ": stock id must be >= 1"));
    }
  }
  std::unique_ptr<MagentoCsvReader> reader(
      new MagentoCsvReader(in, std::move(options)));
  std::vector<std::string> header;
  absl::StatusOr<bool> read = reader->csv_.ReadRecord(&header);
  if (!read.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("header: ", read.status().message()));
  }
  if (!*read) return absl::InvalidArgumentError("empty file: no header row");
  // A byte-order mark, as spreadsheet programs write it.
  constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (absl::StartsWith(header[0], kUtf8Bom)) {
    header[0].erase(0, kUtf8Bom.size());
  }
  for (size_t i = 0; i < header.size(); ++i) {
    if (absl::Status s = CheckText(absl::StrCat("header: column ", i + 1),
                                   header[i], reader->options_.encoding);
        !s.ok()) {
      return s;
    }
    std::string name(absl::StripAsciiWhitespace(header[i]));
    reader->column_names_.push_back(
        name.empty() ? absl::StrCat("column ", i + 1) : name);
    if (name.empty()) continue;
    if (!reader->columns_.emplace(name, i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("header: column \"", name, "\" appears twice"));
    }
  }
  if (!reader->columns_.contains("sku")) {
    return absl::InvalidArgumentError(
        "header: no \"sku\" column; is this a Magento catalog product "
        "export?");
  }
  reader->column_count_ = header.size();
  return reader;
}

absl::StatusOr<bool> MagentoCsvReader::Next(
    std::vector<InventoryRecord>* records) {
  records->clear();
  for (;;) {
    absl::StatusOr<bool> read = csv_.ReadRecord(&fields_);
    multiline_fields_.clear();
    for (const CsvMultilineField& field : csv_.multiline_fields()) {
      multiline_fields_.push_back(
          MultilineField{field.column < column_names_.size()
                             ? column_names_[field.column]
                             : absl::StrCat("column ", field.column + 1),
                         field.first_line, field.last_line});
    }
    if (!read.ok() || !*read) return read;
    if (fields_.size() == 1 && absl::StripAsciiWhitespace(fields_[0]).empty()) {
      continue;  // blank line
    }
    if (fields_.size() != column_count_) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", csv_.record_line(), ": ", fields_.size(),
                       " fields, but the header has ", column_count_));
    }
    auto view = columns_.find("store_view_code");
    if (view != columns_.end() &&
        !absl::StripAsciiWhitespace(fields_[view->second]).empty()) {
      ++store_view_rows_;
      continue;
    }
    absl::Status status = CheckRowText();
    if (status.ok()) status = ConvertRow(records);
    if (!status.ok()) {
      records->clear();
      return absl::InvalidArgumentError(
          absl::StrCat("line ", csv_.record_line(), ": ", status.message()));
    }
    return true;
  }
}

absl::Status MagentoCsvReader::CheckRowText() {
  RowErrors errors;
  for (size_t i = 0; i < fields_.size(); ++i) {
    const std::optional<size_t> bad = FindInvalidUtf8(fields_[i]);
    if (!bad.has_value()) continue;
    errors.Add(column_names_[i],
               DescribeInvalidText(fields_[i], *bad, options_.encoding));
  }
  for (const MultilineField& field : multiline_fields_) {
    const int64_t lines = field.last_line - field.first_line + 1;
    if (IsStockColumn(field.column)) {
      errors.Add(field.column,
                 absl::StrCat("a line break inside the value (lines ",
                              field.first_line, "-", field.last_line,
                              " were read as one field: a stray quote?)"));
    } else if (lines > options_.max_field_lines) {
      errors.Add(field.column,
                 absl::StrCat("one quoted field over ", lines, " lines (",
                              field.first_line, "-", field.last_line,
                              "), more than ", options_.max_field_lines,
                              ": a stray quote? (if it is right, raise "
                              "--max-field-lines)"));
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(errors.Join());
  return absl::OkStatus();
}

absl::Status MagentoCsvReader::ConvertRow(
    std::vector<InventoryRecord>* records) const {
  RowErrors errors;
  const Row row(columns_, fields_, errors);
  InventoryRecord record;

  absl::optional<absl::string_view> sku = row.Get("sku");
  if (!sku) return absl::InvalidArgumentError("sku: empty");
  record.set_sku(std::string(*sku));
  record.set_version(options_.version);
  if (options_.source_time != absl::InfinitePast()) {
    const int64_t micros = absl::ToUnixMicros(options_.source_time);
    record.mutable_source_time()->set_seconds(
        micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000);
    record.mutable_source_time()->set_nanos(
        static_cast<int32_t>((micros % 1000000 + 1000000) % 1000000 * 1000));
  }

  AddComposite(row, record);
  // A composite has no stock of its own: its qty column is not read.
  if (record.product_type() == availability::v1::PRODUCT_TYPE_UNSPECIFIED) {
    record.set_source_quantity(row.Decimal("qty").value_or(0));
  }
  if (auto v = row.Bool("is_in_stock")) record.set_is_in_stock(*v);
  if (auto v = row.Bool("is_qty_decimal")) record.set_is_qty_decimal(*v);
  if (row.Own("use_config_manage_stock")) {
    if (auto v = row.Bool("manage_stock")) record.set_manage_stock(*v);
  }
  if (row.Own("use_config_min_qty")) {
    if (auto v = row.Decimal("out_of_stock_qty")) record.set_min_qty(*v);
  }
  if (row.Own("use_config_backorders")) {
    if (auto text = row.Get("allow_backorders")) {
      if (*text == "0") {
        record.set_backorders(availability::v1::BACKORDERS_NO);
      } else if (*text == "1") {
        record.set_backorders(availability::v1::BACKORDERS_YES);
      } else if (*text == "2") {
        record.set_backorders(availability::v1::BACKORDERS_YES_NOTIFY);
      } else {
        errors.Add("allow_backorders",
                   absl::StrCat("\"", *text, "\" is not 0, 1 or 2"));
      }
    }
  }
  if (row.Own("use_config_min_sale_qty")) {
    if (auto v = row.Decimal("min_cart_qty")) record.set_min_sale_qty(*v);
  }
  if (row.Own("use_config_max_sale_qty")) {
    if (auto v = row.Decimal("max_cart_qty")) record.set_max_sale_qty(*v);
  }
  if (row.Own("use_config_notify_stock_qty")) {
    if (auto v = row.Decimal("notify_on_stock_below")) {
      record.set_notify_stock_qty(*v);
    }
  }
  if (row.Own("use_config_enable_qty_inc")) {
    if (auto v = row.Bool("enable_qty_increments")) {
      record.set_enable_qty_increments(*v);
    }
  }
  if (row.Own("use_config_qty_increments")) {
    if (auto v = row.Decimal("qty_increments")) record.set_qty_increments(*v);
  }

  absl::flat_hash_set<int64_t> categories;
  for (absl::string_view path : SplitList(row.Get("categories").value_or(""))) {
    const int64_t id = CategoryIdForPath(path);
    if (categories.insert(id).second) record.add_category_ids(id);
  }
  AddAlternatives(row, record);

  std::set<int32_t> stocks;
  for (absl::string_view code :
       SplitList(row.Get("product_websites").value_or(""))) {
    auto it = options_.channels.find(std::string(code));
    if (it == options_.channels.end()) {
      errors.Add("product_websites",
                 absl::StrCat("website \"", code,
                              "\" has no stock (map it with --channels ", code,
                              "=STOCK)"));
      continue;
    }
    stocks.insert(it->second);
  }
  if (!errors.empty()) return absl::InvalidArgumentError(errors.Join());
  if (stocks.empty()) stocks.insert(options_.default_stock_id);
  for (int32_t stock : stocks) {
    records->push_back(record);
    records->back().set_stock_id(stock);
  }
  return absl::OkStatus();
}

}  // namespace av::client
