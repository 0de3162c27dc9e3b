// A small command-line flag parser for subcommands: `--name=value`,
// `--name value`, boolean switches (`--json`), repeated positional arguments,
// `--` to end flags, and typed getters whose errors name the flag. Unlike
// absl::flags it holds no global state, so each subcommand declares its own.
//
//   ArgParser parser("availability get SKU [flags]");
//   parser.AddFlag("qty", "N", "quantity to ask for");
//   parser.AddSwitch("json", "print protobuf JSON");
//   if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(s);
//   absl::StatusOr<std::optional<double>> qty = parser.GetDouble("qty");
//
// Errors are InvalidArgument with messages such as
// "--qty: not a number: \"abc\"" or "unknown flag --foo".
//
// Thread safety: none needed; an ArgParser belongs to one command run.
#ifndef CLIENT_CLI_ARGS_H_
#define CLIENT_CLI_ARGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace av::cli {

class ArgParser {
 public:
  // `usage` is the first line of Usage(), e.g. "availability get SKU [flags]".
  explicit ArgParser(std::string usage);

  // Declares `--name VALUE` (also `--name=VALUE`); may be given more than
  // once (GetString returns the last, GetAll every value).
  ArgParser& AddFlag(std::string name, std::string value_name,
                     std::string help);
  // Declares a boolean `--name` (also `--name=true|false`).
  ArgParser& AddSwitch(std::string name, std::string help);

  // Parses `args` (without the program and command names). Every flag must
  // be declared; `--help` / `-h` are always accepted (see help_requested()).
  // Tokens after `--`, and a lone `-`, are positional.
  absl::Status Parse(const std::vector<std::string>& args);

  // Like Parse, but leaves undeclared flags and positional arguments in
  // `rest` in their order instead of failing. For global flags that may
  // appear before or after a subcommand. Consumes `--help` only when
  // `rest` would otherwise be empty of a command.
  absl::Status ParseKnown(const std::vector<std::string>& args,
                          std::vector<std::string>* rest);

  bool help_requested() const { return help_requested_; }
  const std::vector<std::string>& positional() const { return positional_; }

  // True when the flag was given (a switch: given and not =false).
  bool Has(absl::string_view name) const;
  // The last value given, or nullopt.
  std::optional<std::string> GetString(absl::string_view name) const;
  // Every value given, in order.
  std::vector<std::string> GetAll(absl::string_view name) const;
  // Typed getters: nullopt when not given; InvalidArgument naming the flag
  // when the value does not parse.
  absl::StatusOr<std::optional<int64_t>> GetInt(absl::string_view name) const;
  absl::StatusOr<std::optional<double>> GetDouble(absl::string_view name) const;
  // Like GetInt, also rejecting values outside [min, max].
  absl::StatusOr<std::optional<int64_t>> GetIntInRange(absl::string_view name,
                                                       int64_t min,
                                                       int64_t max) const;
  // A switch's value (false when not given).
  bool GetBool(absl::string_view name) const;

  // "usage: ...\n" followed by one line per declared flag.
  std::string Usage() const;

 private:
  struct Spec {
    bool takes_value = true;
    std::string value_name;
    std::string help;
  };

  absl::Status ParseImpl(const std::vector<std::string>& args,
                         std::vector<std::string>* rest);
  const Spec* Find(absl::string_view name) const;

  std::string usage_;
  std::vector<std::string> order_;  // declaration order, for Usage()
  std::map<std::string, Spec, std::less<>> specs_;
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
};

}  // namespace av::cli

#endif  // CLIENT_CLI_ARGS_H_
