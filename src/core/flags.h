// One declarative command-line parser for every program of the project, following the
// conventions of the course's argparse programs. A program describes its flags as data (a
// FlagSet: a table of Flag plus per-set options) and calls Parse(); Help() prints the table.
//
// Command line (argv[1..]):
//   - A flag is typed with one or two dashes, whatever its table spelling: `-nb 256`,
//     `--nb 256`, `--nb=256`, `-nb=256`; aliases likewise (`--total_num_blocks 256`).
//   - A unique prefix of a name stands for it (`-startp` for `-startport`); an exact name wins
//     over prefixes; a prefix of several flags' names is an error naming them.
//   - An int or string flag takes the word after it as its value, whatever it is (so
//     `-cid -1` gives -cid the value -1), unless written `-flag=value`. A switch takes no
//     word: `-test_corruption` is "1"; `-test_corruption=0` is allowed.
//   - `-h`, `-help`, `--help` (and its prefixes) ask for help; `--` ends the flags.
//   - Other words are positional: ignored or refused, per set.
//   - A flag given twice keeps its first value (whichever of its names was used).
// Config file (FlagSet::config_flag): `-config FILE` names an INI file of `key = value` lines;
// a key is a table name or alias without dashes, exactly (no prefixes); `#` starts a comment
// anywhere, `;` at the start of a line; blank lines and `[section]` lines are skipped. Values
// given on the command line win over the file's. Unknown keys are ignored or refused, per set.
// Checks, in this order, after the command line (and the file) were read: required flags (in
// table order, Code::kNotFound with the flag's own message), then every given value in table
// order: an int must be what Python's int() accepts (surrounding whitespace allowed) and lie
// in the flag's range, a switch must be 0, 1, true or false (Code::kInvalidArgument).
// Nothing here exits, prints or throws; messages carry no program name nor "error:" prefix.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace memoryfs::flags {

enum class Kind { kInt, kString, kSwitch };

struct Range {
  int64_t min;
  int64_t max;
};

struct Flag {
  Flag(Kind kind, std::string name, std::vector<std::string> aliases, std::string metavar,
       std::string help, std::optional<Range> range = std::nullopt, std::string missing = "");

  Kind kind;
  std::string name;                  // primary name as shown: "-nb"; without dashes, the key
  std::vector<std::string> aliases;  // other names as shown: {"--total_num_blocks"}
  std::string metavar;               // the value in help: "N", "PORT" (unused for kSwitch)
  std::string help;                  // one line, or several separated by '\n'
  std::optional<Range> range;        // kInt: the accepted values
  std::string missing;               // non-empty: the flag is required; the error message
};

// How extra positional words and unknown INI keys are treated.
enum class Extra { kIgnore, kRefuse };

// Wording of bad values:
//   kArgparse: "argument -nb/--total_num_blocks: invalid int value: 'lots'"
//              "argument -port/--port: invalid value '70000': expected an integer in [0, 65535]"
//   kPlain:    "invalid value 'lots' for -nb: expected an integer in [1, 2147483647]"
enum class Style { kArgparse, kPlain };

struct FlagSet {
  std::string program;      // "memoryfs_server"
  std::string usage;        // after "Usage: <program> "; lines separated by '\n'
  std::string description;  // a paragraph after the usage, or ""
  std::vector<Flag> flags;
  Extra positionals = Extra::kRefuse;
  Extra unknown_ini_keys = Extra::kRefuse;
  bool config_flag = false;  // whether `-config FILE` exists
  Style style = Style::kPlain;
};

// What Parse() found. Flags are named by their primary name without dashes: "nb".
class Values {
 public:
  bool help() const { return Has("h"); }  // --help was given: nothing else was checked
  // --version was given (exactly, before any "--"): nothing else was read or checked.
  bool version() const { return Has("version"); }
  bool Has(std::string_view name) const { return text_.find(name) != text_.end(); }
  // The text given for a flag (from argv or the file), or nullopt.
  std::optional<std::string> String(std::string_view name) const;
  // An int flag's value (checked), or nullopt when not given. Beyond int64: clamped.
  std::optional<int64_t> Int(std::string_view name) const;
  // A switch: given as 1/true (true) or absent/0/false (false).
  bool Switch(std::string_view name) const;
  // The -config file, "" when none.
  std::string config_file() const { return String("config").value_or(""); }

 private:
  using Map = std::map<std::string, std::string, std::less<>>;
  friend Result<Values> Parse(const FlagSet& set, int argc, const char* const* argv);
  Values(Map text, std::map<std::string, int64_t, std::less<>> ints)
      : text_(std::move(text)), ints_(std::move(ints)) {}

  Map text_;
  std::map<std::string, int64_t, std::less<>> ints_;
};

// Parses argv (argv[0] is skipped) and the -config file as described at the top of this file.
// With --help the result has help() and nothing after the command line was read or checked.
Result<Values> Parse(const FlagSet& set, int argc, const char* const* argv);

// argparse-like help: "Usage: ...", the description, then "Options:" and one line per flag, as
// typed (GNU's capitalised headings, the ones help2man turns into SYNOPSIS and OPTIONS):
//   -nb N, --total_num_blocks N   total number of blocks (default 256)
std::string Help(const FlagSet& set);
// "<program> <version>\n", the project's version (CMake's PROJECT_VERSION).
std::string Version(const FlagSet& set);

// A check the table cannot express (a range known only after parsing): OK when int flag `name`
// was not given or lies in `range`; otherwise kInvalidArgument in the set's style.
Status CheckRange(const FlagSet& set, const Values& values, std::string_view name, Range range);

// `text` without surrounding ASCII whitespace.
std::string_view Trim(std::string_view text);

}  // namespace memoryfs::flags
