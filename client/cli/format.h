// Human-readable and JSON renderings of availability answers for the
// `availability` command. Pure functions of the message: no I/O, no clock.
//
//   std::cout << FormatProduct(answer);          // `get`: one block
//   std::cout << FormatBatchTable(answers);      // `batch`: one table
//   absl::StatusOr<std::string> line = ToJsonLine(answer);  // --json
//
// Thread safety: all functions are safe to call concurrently.
#ifndef CLIENT_CLI_FORMAT_H_
#define CLIENT_CLI_FORMAT_H_

#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "availability/v1/availability.pb.h"

namespace av::cli {

// "YYYY-MM-DD" (zero-padded; no validation).
std::string FormatDate(const availability::v1::Date& date);

// A quantity with up to 4 decimals and no trailing zeros: 3, 2.5, 0.125.
std::string FormatQuantity(double quantity);

// The enum name without its prefix: "IN_STOCK"; an unknown number as
// "STATUS_<n>".
std::string StatusName(availability::v1::Status status);
// Lower case without prefix: "substitute", "same_category".
std::string RelationName(availability::v1::Relation relation);

// The `get` block: status line, then one labelled line per field that is
// set (only-X-left, split, shipments, ETA notice, restock, backorder notice,
// cart rule, release/successor, alternatives, feed values, freshness).
std::string FormatProduct(const availability::v1::ProductAvailability& answer);

// The short note of a batch row: only-X-left, ETA unknown, restock,
// release, successor, cart rule, stale, ... joined with "; ".
std::string BatchNote(const availability::v1::ProductAvailability& answer);

// Rows of cells as a table: every column but the last padded to its widest
// cell plus two spaces, trailing spaces trimmed, one line per row.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// The `batch` table: a header (SKU | STATUS | SHIPS NOW | BACKORDER |
// FIRST SHIP | NOTE) and one row per answer, columns padded to fit.
std::string FormatBatchTable(
    const std::vector<availability::v1::ProductAvailability>& answers);

// Protobuf JSON on one line, with the proto field names (snake_case), and a
// trailing newline. Internal error only if the message cannot be printed.
absl::StatusOr<std::string> ToJsonLine(
    const google::protobuf::Message& message);

}  // namespace av::cli

#endif  // CLIENT_CLI_FORMAT_H_
