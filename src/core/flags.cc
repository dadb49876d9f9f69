#include "core/flags.h"

#include <algorithm>
#include <fstream>
#include <utility>

#include "core/py_int.h"

namespace memoryfs::flags {

namespace {

using Ints = std::map<std::string, int64_t, std::less<>>;
using Texts = std::map<std::string, std::string, std::less<>>;

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

// A name without its leading dashes.
std::string_view Bare(std::string_view name) {
  return name.substr(std::min(name.size(), name.find_first_not_of('-')));
}

std::string Key(const Flag& flag) { return std::string(Bare(flag.name)); }

// The flags typed on the command line: -h/--help, the table, then -config when it exists.
std::vector<Flag> CommandLineFlags(const FlagSet& set) {
  std::vector<Flag> all = {{Kind::kSwitch, "-h", {"--help"}, "", "show this help and exit"}};
  all.insert(all.end(), set.flags.begin(), set.flags.end());
  if (set.config_flag) {
    all.push_back({Kind::kString,
                   "-config",
                   {},
                   "FILE",
                   "INI file of `key = value` lines (keys: the flags' names);\n"
                   "the command line wins"});
  }
  return all;
}

// The flag named `name` (no dashes): an exact name, else (when allowed) a unique prefix.
// `typed` is the word as the user typed it, for messages.
Result<const Flag*> Find(const std::vector<Flag>& flags, std::string_view name,
                         std::string_view typed, bool allow_prefix) {
  std::vector<const Flag*> matches;
  std::string candidates;
  for (const Flag& flag : flags) {
    std::vector<std::string> names = flag.aliases;
    names.insert(names.begin(), flag.name);
    for (const std::string& spelled : names) {
      if (Bare(spelled) == name) return &flag;
      if (allow_prefix && !name.empty() && Bare(spelled).starts_with(name) &&
          (matches.empty() || matches.back() != &flag)) {
        matches.push_back(&flag);
        candidates += (candidates.empty() ? "'" : ", '") + spelled + "'";
      }
    }
  }
  if (matches.size() == 1) return matches[0];
  if (matches.empty()) return Invalid("unrecognised option '" + std::string(typed) + "'");
  return Invalid("option '" + std::string(typed) + "' is ambiguous and matches " + candidates);
}

// Reads the flags of argv into *given (first occurrence wins).
Status ReadCommandLine(const FlagSet& set, int argc, const char* const* argv, Texts* given) {
  const std::vector<Flag> flags = CommandLineFlags(set);
  bool flags_ended = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--" && !flags_ended) {
      flags_ended = true;
      continue;
    }
    if (flags_ended || word.size() < 2 || word[0] != '-') {
      if (set.positionals == Extra::kIgnore) continue;
      return Invalid("unexpected argument '" + std::string(word) + "'");
    }
    const size_t equals = word.find('=');
    const std::string_view typed = word.substr(0, equals);
    ASSIGN_OR_RETURN(const Flag* flag, Find(flags, Bare(typed), typed, /*allow_prefix=*/true));
    std::string value = "1";
    if (equals != std::string_view::npos) {
      value = word.substr(equals + 1);
    } else if (flag->kind != Kind::kSwitch) {
      if (i + 1 == argc) {
        return Invalid("the required argument for option '" + std::string(typed) + "' is missing");
      }
      value = argv[++i];
    }
    given->emplace(Key(*flag), std::move(value));
  }
  return Status::Ok();
}

// Adds the keys of INI file `path` that *given lacks.
Status ReadConfigFile(const FlagSet& set, const std::string& path, Texts* given) {
  std::ifstream in(path);
  std::string line;
  while (in && std::getline(in, line)) {
    const std::string_view content = Trim(std::string_view(line).substr(0, line.find('#')));
    if (content.empty() || content[0] == ';' || content[0] == '[') continue;
    const size_t equals = content.find('=');
    if (equals == std::string_view::npos) {
      return Invalid("the options configuration file contains an invalid line '" +
                     std::string(content) + "'");
    }
    const std::string_view key = Trim(content.substr(0, equals));
    Result<const Flag*> flag = Find(set.flags, key, key, /*allow_prefix=*/false);
    if (!flag.ok() && set.unknown_ini_keys == Extra::kIgnore) continue;
    RETURN_IF_ERROR(flag);
    given->emplace(Key(**flag), Trim(content.substr(equals + 1)));
  }
  if (!in.eof()) return Invalid("cannot read config file " + path);
  return Status::Ok();
}

Status BadValue(const FlagSet& set, const Flag& flag, const std::string& text,
                const std::string& expected, bool not_an_int) {
  if (set.style == Style::kPlain) {
    return Invalid("invalid value '" + text + "' for " + flag.name + ": expected " + expected);
  }
  std::string names = flag.name;
  for (const std::string& alias : flag.aliases) names += "/" + alias;
  if (not_an_int) return Invalid("argument " + names + ": invalid int value: '" + text + "'");
  return Invalid("argument " + names + ": invalid value '" + text + "': expected " + expected);
}

// The value of int flag `flag` given as `text`, checked against `range` (when there is one).
Result<int64_t> ToInt(const FlagSet& set, const Flag& flag, const std::string& text,
                      std::optional<Range> range) {
  const std::optional<PyInt> number = PyInt::Parse(Trim(text));
  if (number && (!range || number->InRange(range->min, range->max))) return number->Clamped();
  const std::string expected = range ? "an integer in [" + std::to_string(range->min) + ", " +
                                           std::to_string(range->max) + "]"
                                     : "an integer";
  return BadValue(set, flag, text, expected, !number);
}

// The checks after reading: required flags, then the values, in table order.
Result<Ints> Check(const FlagSet& set, const Texts& given) {
  for (const Flag& flag : set.flags) {
    if (!flag.missing.empty() && !given.count(Key(flag))) {
      return Status::Error(Code::kNotFound, flag.missing);
    }
  }
  Ints ints;
  for (const Flag& flag : set.flags) {
    const auto it = given.find(Key(flag));
    if (it == given.end()) continue;
    const std::string& text = it->second;
    if (flag.kind == Kind::kInt) {
      ASSIGN_OR_RETURN(ints[Key(flag)], ToInt(set, flag, text, flag.range));
    } else if (flag.kind == Kind::kSwitch && text != "0" && text != "1" && text != "true" &&
               text != "false") {
      return BadValue(set, flag, text, "0 or 1", /*not_an_int=*/false);
    }
  }
  return ints;
}

// `text` with every line after the first indented by `width` spaces.
std::string Indent(const std::string& text, size_t width) {
  std::string out;
  for (char c : text) out += c == '\n' ? "\n" + std::string(width, ' ') : std::string(1, c);
  return out;
}

// "-nb N, --total_num_blocks N", "-h, --help".
std::string Invocation(const Flag& flag) {
  const std::string value = flag.kind == Kind::kSwitch ? "" : " " + flag.metavar;
  std::string out = flag.name + value;
  for (const std::string& alias : flag.aliases) out += ", " + alias + value;
  return out;
}

}  // namespace

Flag::Flag(Kind kind, std::string name, std::vector<std::string> aliases, std::string metavar,
           std::string help, std::optional<Range> range, std::string missing)
    : kind(kind),
      name(std::move(name)),
      aliases(std::move(aliases)),
      metavar(std::move(metavar)),
      help(std::move(help)),
      range(range),
      missing(std::move(missing)) {}

std::optional<std::string> Values::String(std::string_view name) const {
  const auto it = text_.find(name);
  if (it == text_.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> Values::Int(std::string_view name) const {
  const auto it = ints_.find(name);
  if (it == ints_.end()) return std::nullopt;
  return it->second;
}

bool Values::Switch(std::string_view name) const {
  const std::string text = String(name).value_or("0");
  return text == "1" || text == "true";
}

std::string Version(const FlagSet& set) { return set.program + " " + MEMORYFS_VERSION + "\n"; }

Result<Values> Parse(const FlagSet& set, int argc, const char* const* argv) {
  for (int i = 1; i < argc && std::string_view(argv[i]) != "--"; ++i) {
    if (std::string_view(argv[i]) == "--version") return Values({{"version", "1"}}, {});
  }
  Texts given;
  RETURN_IF_ERROR(ReadCommandLine(set, argc, argv, &given));
  if (given.count("h")) return Values(std::move(given), {});
  if (set.config_flag && given.count("config")) {
    RETURN_IF_ERROR(ReadConfigFile(set, given["config"], &given));
  }
  ASSIGN_OR_RETURN(Ints ints, Check(set, given));
  return Values(std::move(given), std::move(ints));
}

std::string Help(const FlagSet& set) {
  constexpr size_t kMaxColumn = 34;  // longer invocations put their help on the next line
  const std::string lead = "Usage: " + set.program + " ";
  std::string out = lead + Indent(set.usage, lead.size()) + "\n";
  if (!set.description.empty()) out += "\n" + set.description + "\n";
  out += "\nOptions:\n";
  const std::vector<Flag> flags = CommandLineFlags(set);
  size_t column = 0;
  for (const Flag& flag : flags) {
    column = std::max(column, std::min(kMaxColumn, Invocation(flag).size() + 5));
  }
  for (const Flag& flag : flags) {
    std::string line = "  " + Invocation(flag);
    line += line.size() + 2 > column ? "\n" + std::string(column, ' ')
                                     : std::string(column - line.size(), ' ');
    out += line + Indent(flag.help, column) + "\n";
  }
  return out;
}

Status CheckRange(const FlagSet& set, const Values& values, std::string_view name, Range range) {
  const std::optional<std::string> text = values.String(name);
  if (!text) return Status::Ok();
  ASSIGN_OR_RETURN(const Flag* flag, Find(set.flags, name, name, /*allow_prefix=*/false));
  return ToInt(set, *flag, *text, range).status();
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace memoryfs::flags
