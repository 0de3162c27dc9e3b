// `availability batch SKU... [--file F] [--qty N]
//                   [--channel CODE | --stock ID] [--alternatives N] [--json]`
//
// SKUs come from the arguments and from --file (one per line, optionally
// "SKU,qty"; blank lines and lines starting with '#' skipped; "-" reads
// stdin). More than 500 SKUs are asked in several calls of 500.

#include <fstream>
#include <iostream>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/availability_client.h"
#include "client/cli/args.h"
#include "client/cli/command.h"
#include "client/cli/format.h"

namespace av::cli {
namespace {

namespace v1 = ::availability::v1;

constexpr int kMaxItemsPerCall = 500;

// Appends the items of `in` ("SKU" or "SKU,qty" lines) to `items`.
absl::Status ReadItems(
    std::istream& in, absl::string_view file_name,
    std::vector<v1::BatchGetAvailabilityRequest::Item>* items) {
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(text, ',');
    if (fields.size() > 2) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--file %s:%d: expected \"SKU\" or \"SKU,qty\"",
                          file_name, line_number));
    }
    v1::BatchGetAvailabilityRequest::Item item;
    item.set_sku(std::string(absl::StripAsciiWhitespace(fields[0])));
    if (item.sku().empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--file %s:%d: empty SKU", file_name, line_number));
    }
    if (fields.size() == 2) {
      double qty = 0;
      absl::string_view qty_text = absl::StripAsciiWhitespace(fields[1]);
      if (!absl::SimpleAtod(qty_text, &qty)) {
        return absl::InvalidArgumentError(
            absl::StrFormat("--file %s:%d: quantity is not a number: \"%s\"",
                            file_name, line_number, qty_text));
      }
      item.set_quantity(qty);
    }
    items->push_back(std::move(item));
  }
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--file %s: read error", file_name));
  }
  return absl::OkStatus();
}

}  // namespace

int RunBatch(CommandContext& ctx, const CommandArgs& args) {
  ArgParser parser("availability batch SKU... [flags]");
  parser.AddFlag("file", "F",
                 "more SKUs, one per line, optionally \"SKU,qty\" (- = stdin)");
  parser.AddFlag("qty", "N", "quantity for SKUs without their own");
  AddScopeFlags(parser);
  parser.AddFlag("alternatives", "N", "alternatives to ask for per SKU");
  parser.AddSwitch("json", "print one protobuf JSON object per SKU and line");
  if (std::optional<int> exit = ParseCommandArgs(ctx, parser, args)) {
    return *exit;
  }

  std::vector<v1::BatchGetAvailabilityRequest::Item> items;
  for (const std::string& sku : parser.positional()) {
    items.emplace_back().set_sku(sku);
  }
  for (const std::string& file : parser.GetAll("file")) {
    absl::Status read;
    if (file == "-") {
      read = ReadItems(std::cin, "-", &items);
    } else {
      std::ifstream in(file);
      if (!in) {
        return UsageError(ctx, absl::StrFormat("--file %s: cannot open", file));
      }
      read = ReadItems(in, file, &items);
    }
    if (!read.ok()) return UsageError(ctx, read.message());
  }
  if (items.empty()) {
    return UsageError(ctx, "batch: expects at least one SKU (or --file)");
  }

  absl::StatusOr<v1::Scope> scope = ScopeFromFlags(parser);
  if (!scope.ok()) return UsageError(ctx, scope.status().message());
  absl::StatusOr<std::optional<double>> qty = parser.GetDouble("qty");
  if (!qty.ok()) return UsageError(ctx, qty.status().message());
  absl::StatusOr<std::optional<int64_t>> alternatives =
      parser.GetIntInRange("alternatives", 0, 1000);
  if (!alternatives.ok()) {
    return UsageError(ctx, alternatives.status().message());
  }

  av::client::AvailabilityClient::Options options;
  options.read_timeout = ctx.timeout;
  av::client::AvailabilityClient client(ctx.channel, options);
  std::vector<v1::ProductAvailability> answers;
  answers.reserve(items.size());
  for (size_t begin = 0; begin < items.size(); begin += kMaxItemsPerCall) {
    size_t end = std::min(items.size(), begin + kMaxItemsPerCall);
    v1::BatchGetAvailabilityRequest request;
    *request.mutable_scope() = *scope;
    request.set_max_alternatives(
        static_cast<uint32_t>(alternatives->value_or(0)));
    for (size_t i = begin; i < end; ++i) {
      v1::BatchGetAvailabilityRequest::Item* item = request.add_items();
      *item = items[i];
      if (!item->has_quantity() && qty->has_value()) {
        item->set_quantity(**qty);
      }
    }
    absl::StatusOr<v1::BatchGetAvailabilityResponse> response =
        client.BatchGetAvailability(request);
    if (!response.ok()) return ReportError(ctx, response.status());
    for (v1::ProductAvailability& answer : *response->mutable_items()) {
      answers.push_back(std::move(answer));
    }
  }

  if (parser.GetBool("json")) {
    for (const v1::ProductAvailability& answer : answers) {
      absl::StatusOr<std::string> line = ToJsonLine(answer);
      if (!line.ok()) return ReportError(ctx, line.status());
      *ctx.out << *line;
    }
  } else {
    *ctx.out << FormatBatchTable(answers);
  }
  return kExitOk;
}

}  // namespace av::cli
