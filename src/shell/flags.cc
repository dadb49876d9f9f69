#include "shell/flags.h"

#include <optional>
#include <sstream>

#include "core/edition.h"
#include "core/flags.h"
#include "shell/outcome.h"

namespace memoryfs::shell {
namespace {

constexpr int kMaxClients = 8;  // the reference's MAX_CLIENTS
constexpr int kMaxSpinMicros = 10000;

// The flags both programs have, after their own (the integers are checked in table order).
void AddSharedFlags(Program program, std::vector<flags::Flag>* table) {
  using flags::Kind;
  const bool fsmain = program == Program::kFsmain;
  table->insert(
      table->end(),
      {
          {Kind::kInt,
           "-timeout",
           {"--timeout"},
           "MS",
           fsmain ? "per-call timeout in ms (default 5000, the reference's socket timeout)"
                  : "per-call timeout in ms (default 1000; 5000 with -edition 2023)"},
          {Kind::kInt,
           "-spin_us",
           {"--spin_us"},
           "US",
           "poll up to this many µs for a server's answer before sleeping (adaptive: it stops "
           "while spins miss; default 30, 0 never)"},
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
          {Kind::kString,
           "-edition",
           {"--edition"},
           "2022|2023",
           fsmain ? "the course edition to behave as (default 2023)"
                  : "the course edition to behave as (default 2022)"},
          {Kind::kInt,
           "-cache",
           {"--cache"},
           "0|1",
           "2022, one server: 1 reads through a write-through block cache, kept coherent by the "
           "server's count of Puts (default 0)"},
          {Kind::kInt,
           "-logcache",
           {"--logcache"},
           "0|1",
           "2023: 1 prints the block cache's CACHE_* lines, 0 does not (default 1, 0 in RAID-5)"},
          {Kind::kString,
           "-command",
           {"--command"},
           "LINE",
           "run this one command and exit, without the start-up (nothing is re-created); "
           "exit status 1 when it failed, 2 on a usage error (see Exit status)"},
          {Kind::kInt,
           "-retry_wait_ms",
           {"--retry_wait_ms"},
           "MS",
           "2023, one server: the wait after SERVER_TIMED_OUT before the request is sent "
           "again (default 10000)"},
      });
}

// -nb -bs -ni -is, the same in both programs and both editions.
std::vector<flags::Flag> GeometryFlags() {
  using flags::Kind;
  return {
      {Kind::kInt, "-nb", {"--total_num_blocks"}, "N", "total number of blocks (default 256)"},
      {Kind::kInt, "-bs", {"--block_size"}, "N", "block size in bytes (default 128)"},
      {Kind::kInt, "-ni", {"--max_num_inodes"}, "N", "maximum number of inodes (default 16)"},
      {Kind::kInt, "-is", {"--inode_size"}, "N", "inode size in bytes (default 16)"},
  };
}

// What both programs' flag sets share: argparse's conventions, extra words ignored, -config.
flags::FlagSet ShellFlagSetBase(const char* program, const char* usage) {
  flags::FlagSet set;
  set.program = program;
  set.usage = usage;
  set.positionals = flags::Extra::kIgnore;
  set.unknown_ini_keys = flags::Extra::kIgnore;
  set.config_flag = true;
  set.style = flags::Style::kArgparse;
  return set;
}

flags::FlagSet ShellRpcFlagSet() {
  using flags::Kind;
  flags::FlagSet set = ShellFlagSetBase(
      "memoryfs_shell_rpc", "-cid N (-ns N -startport P | -port P | -servers H:P,...) [options]");
  // The integers are checked in this order, before the reference's own checks (argparse's).
  set.flags = GeometryFlags();
  set.flags.insert(
      set.flags.end(),
      {
          {Kind::kInt, "-ns", {}, "N", "number of servers"},
          {Kind::kInt, "-startport", {"--startport"}, "P", "port of server 0 (server i: P+i)"},
          {Kind::kInt, "-cid", {"--cid"}, "N", "client id, 0..7 (required)"},
          {Kind::kInt,
           "-rootinit",
           {"--rootinit"},
           "0|1",
           "1 (default): re-create the root directory"},
          {Kind::kInt, "-port", {"--port"}, "P", "single server port (= -ns 1 -startport P)"},
          {Kind::kString, "-servers", {}, "H:P,...", "server addresses host:port,host:port,..."},
      });
  AddSharedFlags(Program::kShellRpc, &set.flags);
  return set;
}

flags::FlagSet FsmainFlagSet() {
  using flags::Kind;
  flags::FlagSet set = ShellFlagSetBase(
      "fsmain", "[-cid N] [-port P | -ns N -startport P | -servers H:P,...] [options]");
  set.description =
      "The course shell as fsmain.py (2023) runs it: one server on 127.0.0.1:P, or the 2023 "
      "RAID-5 project over N; a missing or 0 value is the default.";
  set.flags = GeometryFlags();
  set.flags.insert(
      set.flags.end(),
      {
          {Kind::kInt, "-cid", {"--client_id"}, "N", "client id, 0..255 (default 0)"},
          {Kind::kInt, "-port", {"--port"}, "P", "the server's port (default 8000)"},
          {Kind::kInt, "-ns", {}, "N", "RAID-5 (the 2023 project): number of servers"},
          {Kind::kInt,
           "-startport",
           {"--startport"},
           "P",
           "RAID-5: port of server 0 (server i: P+i)"},
          {Kind::kString, "-servers", {}, "H:P,...", "RAID-5: server addresses host:port,..."},
      });
  AddSharedFlags(Program::kFsmain, &set.flags);
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

// A positive number of milliseconds (at most a day) for flag `name`, or `fallback`.
Result<int> Milliseconds(const flags::Values& values, const std::string& name, int64_t fallback) {
  const int64_t ms = values.Int(name).value_or(fallback);
  if (ms < 1 || ms > 24 * 3600 * 1000) {
    return Bad("argument -" + name + "/--" + name + ": must be a positive number of milliseconds");
  }
  return static_cast<int>(ms);
}

// memoryfs_shell_rpc's own flags: the 2022 reference's checks in its order (cid first: a
// missing -cid is refused too, deviation 5), then ours.
Status ResolveShellRpc(const flags::Values& values, ShellFlags* flags) {
  const std::optional<int64_t> cid = values.Int("cid");
  if (!cid || *cid < 0 || *cid >= kMaxClients) return MustSpecify("valid cid");
  flags->cid = static_cast<int>(*cid);
  RETURN_IF_ERROR(ResolveServers(values, flags));
  flags->root_init = values.Int("rootinit").value_or(1) == 1;  // like `if args.rootinit == 1`
  return Status::Ok();
}

// fsmain.py's: every value optional, 0 meaning the default; one server on 127.0.0.1:port.
Status ResolveFsmain(const flags::Values& values, ShellFlags* flags) {
  const int64_t cid = values.Int("cid").value_or(0);
  if (cid < 0 || cid > 255) return MustSpecify("valid cid");  // it must fit the last-writer byte
  flags->cid = static_cast<int>(cid);
  if (values.Has("ns") || values.Has("servers")) return ResolveServers(values, flags);  // RAID-5
  const int64_t port = values.Int("port").value_or(0) == 0 ? 8000 : *values.Int("port");
  if (port < 1 || port > 65535) return MustSpecify("port number");
  flags->num_servers = 1;
  flags->start_port = static_cast<int>(port);
  flags->servers = {{"127.0.0.1", flags->start_port}};
  return Status::Ok();
}

// The flags both programs share, and the geometry in the chosen edition.
Status ResolveShared(const flags::Values& values, Program program, ShellFlags* flags) {
  Edition edition = program == Program::kFsmain ? Edition::k2023 : Edition::k2022;
  if (const std::optional<std::string> name = values.String("edition")) {
    const std::optional<Edition> parsed = ParseEdition(flags::Trim(*name));
    if (!parsed) {
      return Bad("argument -edition/--edition: must be 2022 or 2023, not '" + *name + "'");
    }
    edition = *parsed;
  }
  ASSIGN_OR_RETURN(flags->lease_ms, Milliseconds(values, "lease_ms", 10000));
  const int64_t force = values.Int("force").value_or(0);
  if (force != 0 && force != 1) return Bad("argument -force/--force: must be 0 or 1");
  flags->force = force == 1;
  // The 2023 reference's socket timeout is 5 s; ours was 1 s from the start.
  ASSIGN_OR_RETURN(flags->timeout_ms,
                   Milliseconds(values, "timeout", edition == Edition::k2023 ? 5000 : 1000));
  ASSIGN_OR_RETURN(flags->retry_wait_ms, Milliseconds(values, "retry_wait_ms", 10000));
  const int64_t spin_us = values.Int("spin_us").value_or(kDefaultSpinMicros);
  if (spin_us < 0 || spin_us > kMaxSpinMicros) {
    return Bad("argument -spin_us/--spin_us: must be 0 to " + std::to_string(kMaxSpinMicros) +
               " microseconds");
  }
  flags->spin_us = static_cast<int>(spin_us);
  // The 2023 RAID-5 project turns the cache's lines off unless -logcache 1.
  const int64_t cache = values.Int("cache").value_or(0);
  if (cache != 0 && cache != 1) return Bad("argument -cache/--cache: must be 0 or 1");
  flags->cache = cache == 1 && edition == Edition::k2022;  // 2023 always has its cache
  if (flags->cache && flags->num_servers > 1) {
    return Bad("argument -cache/--cache: the 2022 block cache is for one server (-ns 1)");
  }
  // The 2023 RAID-5 project, and 2022's -cache, print the cache's lines only with -logcache 1.
  const bool quiet = flags->num_servers > 1 || edition == Edition::k2022;
  const int64_t log_cache = values.Int("logcache").value_or(quiet ? 0 : 1);
  if (log_cache != 0 && log_cache != 1) return Bad("argument -logcache/--logcache: must be 0 or 1");
  flags->log_cache = log_cache == 1;
  const auto get = [&](const char* name, int64_t fallback) {
    const int64_t value = values.Int(name).value_or(fallback);
    return program == Program::kFsmain && value == 0 ? fallback : value;
  };
  Result<fs::Geometry> geometry =
      fs::Geometry::Create(get("nb", 256), get("bs", 128), get("ni", 16), get("is", 16), edition);
  if (!geometry.ok()) return Bad(geometry.status().message());
  flags->geometry = *geometry;
  return Status::Ok();
}

Status Resolve(const flags::Values& values, Program program, ShellFlags* flags) {
  flags->config_file = values.config_file();
  flags->command = values.String("command").value_or("");
  RETURN_IF_ERROR(program == Program::kFsmain ? ResolveFsmain(values, flags)
                                              : ResolveShellRpc(values, flags));
  return ResolveShared(values, program, flags);
}

flags::FlagSet FlagSetOf(Program program) {
  return program == Program::kFsmain ? FsmainFlagSet() : ShellRpcFlagSet();
}

}  // namespace

ShellOptions ShellFlags::shell_options() const {
  ShellOptions options;
  options.geometry = geometry;
  options.cid = cid;
  options.root_init = root_init;
  options.log_cache = log_cache;
  options.cache = cache;
  return options;
}

ParsedShellFlags ParseShellFlags(int argc, const char* const* argv, Program program) {
  ParsedShellFlags parsed;
  parsed.program = program;
  const Result<flags::Values> values = flags::Parse(FlagSetOf(program), argc, argv);
  if (!values.ok()) {
    parsed.status = Bad(values.status().message());
  } else if (values->help() || values->version()) {
    parsed.help = true;
    parsed.version = values->version();
  } else {
    ShellFlags flags;
    parsed.status = Resolve(*values, program, &flags);
    if (parsed.status.ok()) parsed.flags = std::move(flags);
  }
  parsed.message_on_stdout = parsed.status.code() == Code::kNotFound;
  parsed.exit_status = parsed.status.ok() ? 0 : parsed.message_on_stdout ? 1 : 2;
  return parsed;
}

std::string ShellFlagsHelp(Program program) {
  return flags::Help(FlagSetOf(program)) + "\n" + ExitStatusHelp();
}

int ReportShellFlags(const ParsedShellFlags& parsed, std::ostream& out, std::ostream& err) {
  if (parsed.help) {
    out << (parsed.version ? flags::Version(FlagSetOf(parsed.program))
                           : ShellFlagsHelp(parsed.program));
    return 0;
  }
  if (parsed.status.ok()) return -1;
  (parsed.message_on_stdout ? out : err) << parsed.status.message() << "\n";
  return parsed.exit_status;
}

}  // namespace memoryfs::shell
