#include "shell/flags.h"

#include <boost/program_options.hpp>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/py_int.h"

namespace memoryfs::shell {
namespace po = boost::program_options;
namespace {

constexpr int kMaxClients = 8;  // the reference's MAX_CLIENTS

// One integer flag: its names and how argparse would name it in an error.
struct IntFlag {
  const char* name;
  const char* alias;    // a second long name, or nullptr
  const char* display;  // "-nb/--total_num_blocks"
  const char* help;
};

const IntFlag kIntFlags[] = {
    {"nb", "total_num_blocks", "-nb/--total_num_blocks", "total number of blocks (256)"},
    {"bs", "block_size", "-bs/--block_size", "block size in bytes (128)"},
    {"ni", "max_num_inodes", "-ni/--max_num_inodes", "maximum number of inodes (16)"},
    {"is", "inode_size", "-is/--inode_size", "inode size in bytes (16)"},
    {"ns", nullptr, "-ns", "number of servers"},
    {"startport", nullptr, "-startport/--startport", "port of server 0 (server i: +i)"},
    {"cid", nullptr, "-cid/--cid", "client id, 0..7"},
    {"rootinit", nullptr, "-rootinit/--rootinit", "1 (default): re-create the root directory"},
    {"port", nullptr, "-port/--port", "single server port (= -ns 1 -startport P)"},
    {"timeout", nullptr, "-timeout/--timeout", "per-call timeout in milliseconds (1000)"},
};

po::options_description Options(bool for_config) {
  po::options_description options(for_config ? "config file keys" : "memoryfs_shell_rpc options");
  auto add = options.add_options();
  if (!for_config) {
    add("help,h", "show this help and exit");
    add("config", po::value<std::string>(), "INI file with the same keys (the command line wins)");
  }
  for (const IntFlag& flag : kIntFlags) {
    add(flag.name, po::value<std::string>(), flag.help);
    if (flag.alias != nullptr) add(flag.alias, po::value<std::string>(), "same as above");
  }
  add("servers", po::value<std::string>(), "server addresses host:port,host:port,...");
  return options;
}

ParsedShellFlags Fail(int exit_status, bool on_stdout, const std::string& message) {
  ParsedShellFlags parsed;
  parsed.status = Status::Error(Code::kInvalidArgument, message);
  parsed.message_on_stdout = on_stdout;
  parsed.exit_status = exit_status;
  return parsed;
}

// The string value of a flag given under either of its names.
std::optional<std::string> Get(const po::variables_map& vm, const IntFlag& flag) {
  if (vm.count(flag.name)) return vm[flag.name].as<std::string>();
  if (flag.alias != nullptr && vm.count(flag.alias)) return vm[flag.alias].as<std::string>();
  return std::nullopt;
}

std::string Trim(const std::string& text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

// argv with "-flag -5" joined into "-flag=-5", so that negative values reach our checks
// (argparse accepts them; Boost would take "-5" for an option).
std::vector<std::string> JoinNegativeValues(int argc, const char* const* argv) {
  std::set<std::string> value_flags = {"config", "servers"};
  for (const IntFlag& flag : kIntFlags) {
    value_flags.insert(flag.name);
    if (flag.alias != nullptr) value_flags.insert(flag.alias);
  }
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t dashes = arg.rfind("--", 0) == 0 ? 2 : arg.rfind('-', 0) == 0 ? 1 : 0;
    const bool joinable = dashes > 0 && arg.find('=') == std::string::npos &&
                          value_flags.count(arg.substr(dashes)) > 0 && i + 1 < argc;
    if (joinable) {
      const std::string next = argv[i + 1];
      if (next.size() >= 2 && next[0] == '-' && std::isdigit(static_cast<unsigned char>(next[1]))) {
        args.push_back(arg + "=" + next);
        ++i;
        continue;
      }
    }
    args.push_back(std::move(arg));
  }
  return args;
}

Result<std::vector<rpc::Endpoint>> ParseServers(const std::string& text) {
  std::vector<rpc::Endpoint> servers;
  std::stringstream stream(text);
  std::string item;
  const auto bad = [&](const std::string& what) {
    return Status::Error(Code::kInvalidArgument,
                         "error: argument -servers: invalid server address '" + what + "'");
  };
  while (std::getline(stream, item, ',')) {
    item = Trim(item);
    if (item.find(':') == std::string::npos) return bad(item);  // the host is required here
    Result<rpc::Endpoint> endpoint = rpc::ParseEndpoint(item);
    if (!endpoint.ok()) return bad(item);
    servers.push_back(*endpoint);
  }
  if (servers.empty()) return bad(text);
  return servers;
}

}  // namespace

ShellOptions ShellFlags::shell_options() const {
  ShellOptions options;
  options.geometry = geometry;
  options.cid = cid;
  options.root_init = root_init;
  return options;
}

ParsedShellFlags ParseShellFlags(int argc, const char* const* argv) {
  po::variables_map vm;
  try {
    po::options_description hidden;
    hidden.add_options()("arg", po::value<std::vector<std::string>>(), "ignored words");
    po::options_description all = Options(false);
    all.add(hidden);
    po::positional_options_description positional;
    positional.add("arg", -1);
    const int style =
        po::command_line_style::default_style | po::command_line_style::allow_long_disguise;
    po::store(po::command_line_parser(JoinNegativeValues(argc, argv))
                  .options(all)
                  .positional(positional)
                  .style(style)
                  .run(),
              vm);
    if (vm.count("help")) {
      ParsedShellFlags parsed;
      parsed.help = true;
      return parsed;
    }
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      std::ifstream file(path);
      if (!file) return Fail(2, false, "error: cannot read config file " + path);
      po::store(po::parse_config_file(file, Options(true), /*allow_unregistered=*/true), vm);
    }
  } catch (const po::error& e) {
    return Fail(2, false, std::string("error: ") + e.what());
  }

  // Every integer is checked first, as argparse does before the program runs.
  std::map<std::string, std::optional<int64_t>> values;
  for (const IntFlag& flag : kIntFlags) {
    const std::optional<std::string> text = Get(vm, flag);
    if (!text) {
      values[flag.name] = std::nullopt;
      continue;
    }
    const std::optional<PyInt> number = PyInt::Parse(Trim(*text));
    if (!number) {
      return Fail(
          2, false,
          std::string("error: argument ") + flag.display + ": invalid int value: '" + *text + "'");
    }
    values[flag.name] = number->Clamped();
  }
  const auto value_or = [&](const char* name, int64_t fallback) {
    return values[name].value_or(fallback);
  };

  ParsedShellFlags parsed;
  ShellFlags& flags = parsed.flags;
  if (vm.count("config")) flags.config_file = vm["config"].as<std::string>();

  // 1. cid (a missing -cid is refused too: deviation 5).
  const std::optional<int64_t> cid = values["cid"];
  if (!cid || *cid < 0 || *cid >= kMaxClients) return Fail(1, true, "Must specify valid cid");
  flags.cid = static_cast<int>(*cid);

  // 2. ns and 3. the start port, or the explicit server list.
  std::optional<int64_t> ns = values["ns"];
  std::optional<int64_t> start_port = values["startport"];
  if (values["port"]) {
    if (!ns) ns = 1;
    if (!start_port) start_port = values["port"];
  }
  if (vm.count("servers")) {
    Result<std::vector<rpc::Endpoint>> servers = ParseServers(vm["servers"].as<std::string>());
    if (!servers.ok()) return Fail(2, false, servers.status().message());
    if (ns && *ns != static_cast<int64_t>(servers->size())) {
      return Fail(1, true, "Must specify valid ns");
    }
    flags.servers = std::move(servers).value();
    flags.num_servers = static_cast<int>(flags.servers.size());
    flags.start_port = 0;
  } else {
    if (!ns || *ns < 1 || *ns > 65535) return Fail(1, true, "Must specify valid ns");
    if (!start_port || *start_port < 1 || *start_port + *ns - 1 > 65535) {
      return Fail(1, true, "Must specify port number");
    }
    flags.num_servers = static_cast<int>(*ns);
    flags.start_port = static_cast<int>(*start_port);
    for (int i = 0; i < flags.num_servers; ++i) {
      flags.servers.push_back({"127.0.0.1", flags.start_port + i});
    }
  }

  const int64_t timeout = value_or("timeout", 1000);
  if (timeout < 1 || timeout > 24 * 3600 * 1000) {
    return Fail(2, false,
                "error: argument -timeout/--timeout: must be a positive number of "
                "milliseconds");
  }
  flags.timeout_ms = static_cast<int>(timeout);
  flags.root_init = value_or("rootinit", 1) == 1;

  Result<fs::Geometry> geometry = fs::Geometry::Create(value_or("nb", 256), value_or("bs", 128),
                                                       value_or("ni", 16), value_or("is", 16));
  if (!geometry.ok()) return Fail(2, false, "error: " + geometry.status().message());
  flags.geometry = *geometry;
  return parsed;
}

std::string ShellFlagsHelp() {
  std::ostringstream text;
  text << "usage: memoryfs_shell_rpc -cid N (-ns N -startport P | -port P | -servers H:P,...)\n"
          "                          [-nb N] [-bs N] [-ni N] [-is N] [-rootinit 0|1]\n"
          "                          [-timeout MS] [-config FILE]\n\n"
       << Options(false);
  return text.str();
}

int ReportShellFlags(const ParsedShellFlags& parsed, std::ostream& out, std::ostream& err) {
  if (parsed.help) {
    out << ShellFlagsHelp();
    return 0;
  }
  if (parsed.status.ok()) return -1;
  (parsed.message_on_stdout ? out : err) << parsed.status.message() << "\n";
  return parsed.exit_status;
}

}  // namespace memoryfs::shell
