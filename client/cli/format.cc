#include "client/cli/format.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <array>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace av::cli {
namespace {

namespace v1 = ::availability::v1;

constexpr int kLabelWidth = 14;

void AddLine(std::string* out, absl::string_view label,
             absl::string_view value) {
  absl::StrAppend(out,
                  absl::StrFormat("  %-*s %s\n", kLabelWidth, label, value));
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  absl::Time t =
      absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

std::string FormatCompact(const v1::CompactAvailability& compact) {
  std::string out = StatusName(compact.status());
  if (compact.has_only_x_left()) {
    absl::StrAppend(&out, ", only ", FormatQuantity(compact.only_x_left()),
                    " left");
  }
  if (compact.has_first_ship_date()) {
    absl::StrAppend(&out, ", ships ", FormatDate(compact.first_ship_date()));
  }
  return out;
}

bool EtaUnknown(const v1::ProductAvailability& a) {
  if (a.eta_known()) return false;
  return a.status() == v1::STATUS_BACKORDERABLE ||
         (a.has_split() && a.split().backorder_quantity() > 0);
}

}  // namespace

std::string FormatDate(const v1::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(),
                         date.day());
}

std::string FormatQuantity(double quantity) {
  std::string out = absl::StrFormat("%.4f", quantity);
  absl::string_view view(out);
  while (absl::ConsumeSuffix(&view, "0")) {
  }
  absl::ConsumeSuffix(&view, ".");
  if (view == "-0") view = "0";
  return std::string(view);
}

std::string StatusName(v1::Status status) {
  const std::string& name = v1::Status_Name(status);
  if (name.empty()) return absl::StrCat("STATUS_", static_cast<int>(status));
  return std::string(absl::StripPrefix(name, "STATUS_"));
}

std::string RelationName(v1::Relation relation) {
  const std::string& name = v1::Relation_Name(relation);
  if (name.empty()) {
    return absl::StrCat("relation_", static_cast<int>(relation));
  }
  return absl::AsciiStrToLower(absl::StripPrefix(name, "RELATION_"));
}

namespace {

// "INVALID_ARGUMENT" for 3, ...; the number for codes it does not know.
std::string GrpcCodeName(int32_t code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  if (code >= 0 && code < static_cast<int32_t>(std::size(kNames))) {
    return kNames[code];
  }
  return absl::StrCat("code ", code);
}

}  // namespace

std::string FormatProduct(const v1::ProductAvailability& a) {
  std::string out = absl::StrFormat(
      "%s on stock %d: %s (%s)\n", a.sku(), a.stock_id(),
      StatusName(a.status()), a.orderable() ? "orderable" : "not orderable");
  if (a.display_status() != v1::STATUS_UNSPECIFIED &&
      a.display_status() != a.status()) {
    AddLine(&out, "badge", StatusName(a.display_status()));
  }
  if (a.has_only_x_left()) {
    AddLine(&out, "only left", FormatQuantity(a.only_x_left()));
  }
  if (a.has_split()) {
    const v1::QuantitySplit& s = a.split();
    AddLine(
        &out, "quantity",
        absl::StrCat(FormatQuantity(s.requested_quantity()), " requested: ",
                     FormatQuantity(s.in_stock_quantity()), " ship now, ",
                     FormatQuantity(s.backorder_quantity()), " backorder, ",
                     FormatQuantity(s.unavailable_quantity()), " unavailable"));
  }
  if (a.shipments_size() > 0) {
    std::vector<std::string> parts;
    for (const v1::Shipment& shipment : a.shipments()) {
      parts.push_back(absl::StrCat(FormatQuantity(shipment.quantity()), " on ",
                                   FormatDate(shipment.ship_date())));
    }
    AddLine(&out, "shipments", absl::StrJoin(parts, ", "));
  }
  if (a.has_first_ship_date()) {
    AddLine(&out, "first ship", FormatDate(a.first_ship_date()));
  }
  if (EtaUnknown(a)) {
    AddLine(&out, "eta", "unknown for part of the backorder (ships later)");
  }
  if (a.has_restock_date()) {
    AddLine(&out, "restock", FormatDate(a.restock_date()));
  }
  if (a.backorder_notice()) {
    AddLine(&out, "backorder",
            "tell the customer: part of the order will be backordered");
  }
  if (a.has_cart_rule_violation()) {
    const v1::CartRuleViolation& v = a.cart_rule_violation();
    AddLine(&out, "cart rule",
            absl::StrCat(v.code(), " (limit ", FormatQuantity(v.limit()), ")"));
  }
  if (a.has_release_date()) {
    AddLine(&out, "release", FormatDate(a.release_date()));
  }
  if (!a.successor_sku().empty()) {
    AddLine(&out, "successor", a.successor_sku());
  }
  if (a.has_salable_quantity()) {
    AddLine(&out, "salable qty", FormatQuantity(a.salable_quantity()));
  }
  for (int i = 0; i < a.alternatives_size(); ++i) {
    const v1::Alternative& alt = a.alternatives(i);
    AddLine(&out, i == 0 ? "alternatives" : "",
            absl::StrCat(alt.sku(), " (", RelationName(alt.relation()), ") ",
                         FormatCompact(alt.availability())));
  }
  if (a.product_type() == v1::PRODUCT_TYPE_CONFIGURABLE ||
      a.product_type() == v1::PRODUCT_TYPE_BUNDLE ||
      a.product_type() == v1::PRODUCT_TYPE_GROUPED) {
    AddLine(&out, "type",
            absl::AsciiStrToLower(absl::StripPrefix(
                v1::ProductType_Name(a.product_type()), "PRODUCT_TYPE_")));
  }
  for (int i = 0; i < a.components_size(); ++i) {
    const v1::ComponentAvailability& c = a.components(i);
    std::string line;
    if (c.has_bundle_option()) {
      absl::StrAppend(&line, "option ", c.bundle_option() + 1,
                      c.option_required() ? " (required): " : " (optional): ");
    }
    absl::StrAppend(&line, c.sku(), " ", StatusName(c.status()));
    if (c.display_status() != v1::STATUS_UNSPECIFIED &&
        c.display_status() != c.status()) {
      absl::StrAppend(&line, " (badge ", StatusName(c.display_status()), ")");
    }
    if (c.has_first_ship_date()) {
      absl::StrAppend(&line, ", ships ", FormatDate(c.first_ship_date()));
    }
    if (c.has_restock_date()) {
      absl::StrAppend(&line, ", restock ", FormatDate(c.restock_date()));
    }
    AddLine(&out, i == 0 ? "components" : "", line);
  }
  if (a.has_feed()) {
    const v1::FeedValues& f = a.feed();
    std::string feed = absl::StrCat(f.schema_org_availability(), "; merchant ",
                                    f.merchant_availability());
    if (f.has_merchant_availability_date()) {
      absl::StrAppend(&feed, " ", FormatDate(f.merchant_availability_date()));
    }
    AddLine(&out, "feed", feed);
  }
  if (a.has_freshness()) {
    const v1::Freshness& f = a.freshness();
    std::string fresh = absl::StrCat("version ", f.version());
    if (f.has_source_time()) {
      absl::StrAppend(&fresh, ", source time ",
                      FormatTimestamp(f.source_time()));
    }
    absl::StrAppend(&fresh,
                    f.stale() ? ", STALE (cache unreachable)" : ", fresh");
    AddLine(&out, "freshness", fresh);
  }
  return out;
}

std::string BatchNote(const v1::ProductAvailability& a) {
  std::vector<std::string> notes;
  if (a.has_only_x_left()) {
    notes.push_back(
        absl::StrCat("only ", FormatQuantity(a.only_x_left()), " left"));
  }
  if (a.has_cart_rule_violation()) {
    notes.push_back(
        absl::StrCat("cart rule ", a.cart_rule_violation().code(), " ",
                     FormatQuantity(a.cart_rule_violation().limit())));
  }
  if (EtaUnknown(a)) notes.push_back("ETA unknown");
  if (a.backorder_notice()) notes.push_back("backorder notice");
  if (a.has_restock_date()) {
    notes.push_back(absl::StrCat("restock ", FormatDate(a.restock_date())));
  }
  if (a.has_release_date()) {
    notes.push_back(absl::StrCat("release ", FormatDate(a.release_date())));
  }
  if (!a.successor_sku().empty()) {
    notes.push_back(absl::StrCat("successor ", a.successor_sku()));
  }
  if (a.alternatives_size() > 0) {
    notes.push_back(absl::StrCat(a.alternatives_size(), " alternative",
                                 a.alternatives_size() == 1 ? "" : "s"));
  }
  if (a.freshness().stale()) notes.push_back("stale");
  return absl::StrJoin(notes, "; ");
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i + 1 == row.size()) {
        absl::StrAppend(&line, row[i]);  // last column: no padding
      } else {
        absl::StrAppend(&line, row[i],
                        std::string(widths[i] - row[i].size() + 2, ' '));
      }
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

std::string FormatBatchTable(
    const std::vector<v1::ProductAvailability>& answers) {
  using Row = std::vector<std::string>;
  std::vector<Row> rows;
  rows.push_back(
      {"SKU", "STATUS", "SHIPS NOW", "BACKORDER", "FIRST SHIP", "NOTE"});
  for (const v1::ProductAvailability& a : answers) {
    Row row(6);
    row[0] = a.sku();
    row[1] = StatusName(a.status());
    row[2] =
        a.has_split() ? FormatQuantity(a.split().in_stock_quantity()) : "-";
    row[3] =
        a.has_split() ? FormatQuantity(a.split().backorder_quantity()) : "-";
    if (a.has_first_ship_date()) {
      row[4] = FormatDate(a.first_ship_date());
    } else if (a.shipments_size() > 0) {
      row[4] = FormatDate(a.shipments(0).ship_date());
    } else {
      row[4] = "-";
    }
    row[5] = BatchNote(a);
    if (a.has_error()) {
      // An item the server could not answer: its own error, no status.
      row[1] = "ERROR";
      row[5] = absl::StrCat(GrpcCodeName(a.error().code()), ": ",
                            a.error().message());
    }
    rows.push_back(std::move(row));
  }
  return FormatTable(rows);
}

absl::StatusOr<std::string> ToJsonLine(
    const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = false;
  std::string out;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print JSON: ", status.ToString()));
  }
  out.push_back('\n');
  return out;
}

}  // namespace av::cli
