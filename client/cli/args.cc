#include "client/cli/args.h"

#include <cmath>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace av::cli {

ArgParser::ArgParser(std::string usage) : usage_(std::move(usage)) {}

ArgParser& ArgParser::AddFlag(std::string name, std::string value_name,
                              std::string help) {
  order_.push_back(name);
  specs_[std::move(name)] = Spec{true, std::move(value_name), std::move(help)};
  return *this;
}

ArgParser& ArgParser::AddSwitch(std::string name, std::string help) {
  order_.push_back(name);
  specs_[std::move(name)] = Spec{false, "", std::move(help)};
  return *this;
}

const ArgParser::Spec* ArgParser::Find(absl::string_view name) const {
  auto it = specs_.find(name);
  return it == specs_.end() ? nullptr : &it->second;
}

absl::Status ArgParser::Parse(const std::vector<std::string>& args) {
  return ParseImpl(args, nullptr);
}

absl::Status ArgParser::ParseKnown(const std::vector<std::string>& args,
                                   std::vector<std::string>* rest) {
  return ParseImpl(args, rest);
}

absl::Status ArgParser::ParseImpl(const std::vector<std::string>& args,
                                  std::vector<std::string>* rest) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      if (rest != nullptr) {
        rest->insert(rest->end(), args.begin() + i, args.end());
      } else {
        positional_.insert(positional_.end(), args.begin() + i + 1, args.end());
      }
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (rest != nullptr) {
        rest->push_back(arg);
      } else {
        positional_.push_back(arg);
      }
      continue;
    }
    // "-x" or "--x": both spell a flag name; "-h" is help.
    absl::string_view body(arg);
    body.remove_prefix(absl::StartsWith(body, "--") ? 2 : 1);
    absl::string_view name = body;
    std::optional<std::string> inline_value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      inline_value = std::string(body.substr(eq + 1));
    }
    const Spec* spec = Find(name);
    if (spec == nullptr) {
      if (rest != nullptr) {
        rest->push_back(arg);
        continue;
      }
      if (name == "help" || name == "h") {
        help_requested_ = true;
        continue;
      }
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    std::vector<std::string>& values = values_[std::string(name)];
    if (!spec->takes_value) {
      if (inline_value.has_value() && *inline_value != "true" &&
          *inline_value != "false") {
        return absl::InvalidArgumentError(
            absl::StrFormat("--%s: expects no value or true/false, got \"%s\"",
                            name, *inline_value));
      }
      values.push_back(inline_value.value_or("true"));
      continue;
    }
    if (inline_value.has_value()) {
      values.push_back(*inline_value);
    } else if (i + 1 < args.size()) {
      values.push_back(args[++i]);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": missing value"));
    }
  }
  return absl::OkStatus();
}

bool ArgParser::Has(absl::string_view name) const {
  const Spec* spec = Find(name);
  if (spec != nullptr && !spec->takes_value) return GetBool(name);
  auto it = values_.find(name);
  return it != values_.end() && !it->second.empty();
}

std::optional<std::string> ArgParser::GetString(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ArgParser::GetAll(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

absl::StatusOr<std::optional<int64_t>> ArgParser::GetInt(
    absl::string_view name) const {
  std::optional<std::string> value = GetString(name);
  if (!value.has_value()) return std::optional<int64_t>();
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(*value, &parsed)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--%s: not an integer: \"%s\"", name, *value));
  }
  return std::optional<int64_t>(parsed);
}

absl::StatusOr<std::optional<int64_t>> ArgParser::GetIntInRange(
    absl::string_view name, int64_t min, int64_t max) const {
  absl::StatusOr<std::optional<int64_t>> value = GetInt(name);
  if (!value.ok() || !value->has_value()) return value;
  if (**value < min || **value > max) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--%s: %d is out of range [%d, %d]", name, **value, min, max));
  }
  return value;
}

absl::StatusOr<std::optional<double>> ArgParser::GetDouble(
    absl::string_view name) const {
  std::optional<std::string> value = GetString(name);
  if (!value.has_value()) return std::optional<double>();
  double parsed = 0;
  if (!absl::SimpleAtod(*value, &parsed) || !std::isfinite(parsed)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--%s: not a number: \"%s\"", name, *value));
  }
  return std::optional<double>(parsed);
}

bool ArgParser::GetBool(absl::string_view name) const {
  std::optional<std::string> value = GetString(name);
  return value.has_value() && *value == "true";
}

std::string ArgParser::Usage() const {
  std::string out = absl::StrCat("usage: ", usage_, "\n");
  if (!order_.empty()) absl::StrAppend(&out, "flags:\n");
  for (const std::string& name : order_) {
    const Spec& spec = specs_.at(name);
    std::string left = absl::StrCat("  --", name);
    if (spec.takes_value) absl::StrAppend(&left, " ", spec.value_name);
    absl::StrAppend(&out, absl::StrFormat("%-24s %s\n", left, spec.help));
  }
  return out;
}

}  // namespace av::cli
