// Command-line flags of the shell's two programs, parsed by core/flags.h argparse's way:
// single-dash long options ("-nb 256"; "--nb=256", "--nb 256" and "-nb=256" work too), unique
// prefixes ("-startp 8000"), integer values parsed like Python's int() (negative ones too:
// "-cid -1"), extra positional words ignored, unknown -config keys ignored.
//
// memoryfs_shell_rpc (Program::kShellRpc), the 2022 reference's command line:
//   -nb -bs -ni -is      geometry (defaults 256 128 16 16); also --total_num_blocks,
//                        --block_size, --max_num_inodes, --inode_size
//   -cid N               client id, 0..7 (required)
//   -ns N -startport P   N servers on 127.0.0.1:P .. P+N-1
//   -port P              same as -ns 1 -startport P; -ns / -startport win when also given
//   -servers H:P,H:P...  explicit server addresses (instead of -startport)
//   -rootinit 0|1        1 (default): re-create the root directory at start-up
//   -lease_ms MS         RAID-5: lease of the recorded lock (default 10000, see shell/lock.h)
//   -force 0|1           RAID-5: 1 rebuilds from a dirty degraded array (md's --force)
// fsmain (Program::kFsmain), fsmain.py's (2023): every value optional, a missing or 0 value
// meaning the default:
//   -nb -bs -ni -is      as above (defaults 256 128 16 16)
//   -cid N               client id, 0..255 (default 0); also --client_id
//   -port P              the one server, 127.0.0.1:P (default 8000)
// Both:
//   -edition 2022|2023   the course edition (core/edition.h): 2022 for memoryfs_shell_rpc,
//                        2023 for fsmain by default. 2023 runs on one server only.
//   -timeout MS          per-call timeout of the remote device (default 1000; 5000, the
//                        reference's socket timeout, in the 2023 edition)
//   -spin_us US          poll up to US µs for an answer before sleeping (rpc/poll_wait.h;
//                        default kDefaultSpinMicros, 0 never)
//   -retry_wait_ms MS    2023, one server: after a timeout the shell prints SERVER_TIMED_OUT,
//                        waits this long (default 10000) and sends the request again
//   -logcache 0|1        2023: 1 (default) prints the block cache's CACHE_* lines
//   -config FILE         INI file with the same keys (nb=256, edition=2023 ...); the command
//                        line wins
//   -command LINE        run LINE alone and exit (Shell::RunCommand): exit status 0 when the
//                        command succeeded, 1 when it failed or was refused, 2 on a usage
//                        error (shell/outcome.h); -command status: 0 healthy, 1 degraded,
//                        2 failed
//   --help
//
// Checks, in the reference's order: cid ("Must specify valid cid", also when missing for
// memoryfs_shell_rpc), ns ("Must specify valid ns"), start port ("Must specify port number");
// these lines go to
// stdout like the reference's print() and the exit status is 1 (deviation 6). A malformed
// value prints an error naming the flag on stderr, exit status 2 (argparse's), e.g.
// "error: argument -nb/--total_num_blocks: invalid int value: 'lots'"; every integer's type is
// checked (in the table's order) before the checks above.
//
// Parsing never exits the process: main() does, from the returned value:
//
//   ParsedShellFlags parsed = ParseShellFlags(argc, argv);
//   if (int status = ReportShellFlags(parsed, std::cout, std::cerr); status >= 0) return status;
//   ... build the device from parsed.flags.servers, then
//   Shell shell(device, parsed.flags.shell_options(), std::cin, std::cout, std::cerr);
//   return shell.Run();
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/status.h"
#include "fs/geometry.h"
#include "rpc/endpoint.h"
#include "shell/shell.h"

namespace memoryfs::shell {

// Which of the shell's programs is parsing: it chooses the flag table and the defaults.
enum class Program {
  kShellRpc,  // memoryfs_shell_rpc: the 2022 command line
  kFsmain,    // fsmain: fsmain.py's command line, the 2023 edition by default
};

// -spin_us's default: most answers on loopback come within it (docs/performance.md).
constexpr int kDefaultSpinMicros = 30;

struct ShellFlags {
  fs::Geometry geometry;               // -nb -bs -ni -is, and -edition (geometry.edition())
  int cid = 0;                         // -cid
  bool root_init = true;               // -rootinit (only 1 re-creates the root, like the reference)
  int num_servers = 0;                 // -ns, or 1 with -port, or the count of -servers
  int start_port = 0;                  // -startport or -port; 0 when -servers was given
  std::vector<rpc::Endpoint> servers;  // num_servers entries: 127.0.0.1:start_port+i or -servers
  int timeout_ms = 1000;               // -timeout
  int retry_wait_ms = 10000;           // -retry_wait_ms
  int spin_us = kDefaultSpinMicros;    // -spin_us
  bool log_cache = true;               // -logcache
  bool cache = false;                  // -cache 1 (2022, one server)
  int lease_ms = 10000;                // -lease_ms
  bool force = false;                  // -force 1
  std::string config_file;             // -config, "" when none
  std::string command;                 // -command LINE (Shell::RunCommand), "" when none

  ShellOptions shell_options() const;
};

struct ParsedShellFlags {
  Program program = Program::kShellRpc;
  Status status;                   // not OK: the shell must not start; message = what to print
  bool help = false;               // --help: print ShellFlagsHelp() on stdout, exit 0
  bool version = false;            // with help: it was --version, print the version instead
  bool message_on_stdout = false;  // the "Must specify ..." lines go to stdout, others to stderr
  int exit_status = 0;             // when !status.ok(): 1 for "Must specify ...", 2 otherwise
  ShellFlags flags;                // set when status.ok() and !help
};

ParsedShellFlags ParseShellFlags(int argc, const char* const* argv,
                                 Program program = Program::kShellRpc);

// --help: the usage, the options, then the exit statuses (shell/outcome.h, ExitStatusHelp).
std::string ShellFlagsHelp(Program program = Program::kShellRpc);

// Prints what `parsed` asks for (help on `out`; an error line on `out` or `err`) and returns
// the exit status main() should return, or -1 when the shell should run.
int ReportShellFlags(const ParsedShellFlags& parsed, std::ostream& out, std::ostream& err);

}  // namespace memoryfs::shell
