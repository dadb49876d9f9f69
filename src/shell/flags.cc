#include "shell/flags.h"

#include <optional>
#include <sstream>

#include "core/flags.h"

namespace memoryfs::shell {
namespace {

constexpr int kMaxClients = 8;  // the reference's MAX_CLIENTS

flags::FlagSet ShellFlagSet() {
  using flags::Kind;
  flags::FlagSet set;
  set.program = "memoryfs_shell_rpc";
  set.usage =
      "-cid N (-ns N -startport P | -port P | -servers H:P,...)\n"
      "[-nb N] [-bs N] [-ni N] [-is N] [-rootinit 0|1]\n"
      "[-timeout MS] [-lease_ms MS] [-force 0|1] [-config FILE]";
  set.positionals = flags::Extra::kIgnore;
  set.unknown_ini_keys = flags::Extra::kIgnore;
  set.config_flag = true;
  set.style = flags::Style::kArgparse;
  // The integers are checked in this order, before the reference's own checks (argparse's).
  set.flags = {
      {Kind::kInt, "-nb", {"--total_num_blocks"}, "N", "total number of blocks (default 256)"},
      {Kind::kInt, "-bs", {"--block_size"}, "N", "block size in bytes (default 128)"},
      {Kind::kInt, "-ni", {"--max_num_inodes"}, "N", "maximum number of inodes (default 16)"},
      {Kind::kInt, "-is", {"--inode_size"}, "N", "inode size in bytes (default 16)"},
      {Kind::kInt, "-ns", {}, "N", "number of servers"},
      {Kind::kInt, "-startport", {"--startport"}, "P", "port of server 0 (server i: P+i)"},
      {Kind::kInt, "-cid", {"--cid"}, "N", "client id, 0..7 (required)"},
      {Kind::kInt, "-rootinit", {"--rootinit"}, "0|1", "1 (default): re-create the root directory"},
      {Kind::kInt, "-port", {"--port"}, "P", "single server port (= -ns 1 -startport P)"},
      {Kind::kInt, "-timeout", {"--timeout"}, "MS", "per-call timeout in ms (default 1000)"},
      {Kind::kString, "-servers", {}, "H:P,...", "server addresses host:port,host:port,..."},
      {Kind::kInt,
       "-lease_ms",
       {"--lease_ms"},
       "MS",
       "RAID-5: the lease of the recorded lock; a holder silent this long loses it (10000)"},
      {Kind::kInt,
       "-force",
       {"--force"},
       "0|1",
       "RAID-5: 1 rebuilds from a dirty degraded array instead of refusing (md's --force)"},
  };
  return set;
}

// One of the reference's checks: printed on stdout, exit status 1.
Status MustSpecify(const std::string& what) {
  return Status::Error(Code::kNotFound, "Must specify " + what);
}

// Any other error: printed on stderr, exit status 2.
Status Bad(const std::string& message) {
  return Status::Error(Code::kInvalidArgument, "error: " + message);
}

Result<std::vector<rpc::Endpoint>> ParseServers(const std::string& text) {
  std::vector<rpc::Endpoint> servers;
  std::stringstream stream(text);
  std::string item;
  const auto bad = [](std::string_view what) {
    return Bad("argument -servers: invalid server address '" + std::string(what) + "'");
  };
  while (std::getline(stream, item, ',')) {
    const std::string address(flags::Trim(item));
    if (address.find(':') == std::string::npos) return bad(address);  // the host is required
    Result<rpc::Endpoint> endpoint = rpc::ParseEndpoint(address);
    if (!endpoint.ok()) return bad(address);
    servers.push_back(*endpoint);
  }
  if (servers.empty()) return bad(text);
  return servers;
}

// -ns, -startport, -port and -servers: the reference's checks 2 (ns) and 3 (start port).
Status ResolveServers(const flags::Values& values, ShellFlags* flags) {
  std::optional<int64_t> ns = values.Int("ns");
  std::optional<int64_t> start_port = values.Int("startport");
  if (const std::optional<int64_t> port = values.Int("port")) {
    if (!ns) ns = 1;
    if (!start_port) start_port = port;
  }
  if (const std::optional<std::string> list = values.String("servers")) {
    ASSIGN_OR_RETURN(flags->servers, ParseServers(*list));
    if (ns && *ns != static_cast<int64_t>(flags->servers.size())) return MustSpecify("valid ns");
    flags->num_servers = static_cast<int>(flags->servers.size());
    flags->start_port = 0;
    return Status::Ok();
  }
  if (!ns || *ns < 1 || *ns > 65535) return MustSpecify("valid ns");
  if (!start_port || *start_port < 1 || *start_port + *ns - 1 > 65535) {
    return MustSpecify("port number");
  }
  flags->num_servers = static_cast<int>(*ns);
  flags->start_port = static_cast<int>(*start_port);
  for (int i = 0; i < flags->num_servers; ++i) {
    flags->servers.push_back({"127.0.0.1", flags->start_port + i});
  }
  return Status::Ok();
}

// The reference's checks in its order (cid first: a missing -cid is refused too, deviation
// 5), then ours.
Status Resolve(const flags::Values& values, ShellFlags* flags) {
  flags->config_file = values.config_file();
  const std::optional<int64_t> cid = values.Int("cid");
  if (!cid || *cid < 0 || *cid >= kMaxClients) return MustSpecify("valid cid");
  flags->cid = static_cast<int>(*cid);
  RETURN_IF_ERROR(ResolveServers(values, flags));
  const int64_t timeout = values.Int("timeout").value_or(1000);
  if (timeout < 1 || timeout > 24 * 3600 * 1000) {
    return Bad("argument -timeout/--timeout: must be a positive number of milliseconds");
  }
  flags->timeout_ms = static_cast<int>(timeout);
  const int64_t lease = values.Int("lease_ms").value_or(10000);
  if (lease < 1 || lease > 24 * 3600 * 1000) {
    return Bad("argument -lease_ms/--lease_ms: must be a positive number of milliseconds");
  }
  flags->lease_ms = static_cast<int>(lease);
  const int64_t force = values.Int("force").value_or(0);
  if (force != 0 && force != 1) return Bad("argument -force/--force: must be 0 or 1");
  flags->force = force == 1;
  flags->root_init = values.Int("rootinit").value_or(1) == 1;  // like `if args.rootinit == 1`
  const auto get = [&](const char* name, int64_t fallback) {
    return values.Int(name).value_or(fallback);
  };
  Result<fs::Geometry> geometry =
      fs::Geometry::Create(get("nb", 256), get("bs", 128), get("ni", 16), get("is", 16));
  if (!geometry.ok()) return Bad(geometry.status().message());
  flags->geometry = *geometry;
  return Status::Ok();
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
  ParsedShellFlags parsed;
  const Result<flags::Values> values = flags::Parse(ShellFlagSet(), argc, argv);
  if (!values.ok()) {
    parsed.status = Bad(values.status().message());
  } else if (values->help()) {
    parsed.help = true;
  } else {
    ShellFlags flags;
    parsed.status = Resolve(*values, &flags);
    if (parsed.status.ok()) parsed.flags = std::move(flags);
  }
  parsed.message_on_stdout = parsed.status.code() == Code::kNotFound;
  parsed.exit_status = parsed.status.ok() ? 0 : parsed.message_on_stdout ? 1 : 2;
  return parsed;
}

std::string ShellFlagsHelp() { return flags::Help(ShellFlagSet()); }

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
