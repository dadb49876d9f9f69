// Shell: the course's interactive shell over any BlockDevice, byte-compatible with the edition
// of options.geometry (core/edition.h): memoryfs_shell_rpc.py of 2022 (see
// ../../compat_tests/golden/g22) or fsmain.py of 2023 (golden/g23). What differs is data: the
// shell's Dialect (dialect.h) and the file system's Rules (fs/rules.h).
//
// - Start-up: Gets the dialect's dump blocks (2022: 0..15) and, unless -rootinit 0,
//   re-creates the root directory, without the lock. No output of its own.
// - Prompt "[cwd=N]%" (no newline), one command per input line, words split like Python's
//   str.split(); an empty line prompts again. Lines come from a LineReader (line_reader.h):
//   by default the `in` stream, the prompt printed on `out`, exactly the reference's bytes
//   over a pipe; main() installs an EditLineReader (edit_line_reader.h) when stdin and stdout
//   are a terminal: line editing, Up/Down history, Ctrl-C dropping the line being typed,
//   Ctrl-D on an empty line the end of the input (ours: the reference reads with input()).
// - cd cat ls mkdir create rm append lnh lns (and in 2023 slice mirror) run under the disk
//   lock (RSM of the edition's lock block before, a Put of zeros after); showblock
//   showblockslice showinode showfsconfig load save exit do not take it. `repair`, `scrub`,
//   `showload` and `status` exist when main() installs ShellHooks.
// - Results and errors go to `out` with the reference's exact texts and blank lines;
//   showinode and the log lines of load/save go to `err` (the reference's logger), and so do
//   showblock, showblockslice and showfsconfig in 2022 (2023: on `out`).
// - 2023: the file system reads and writes through this client's block cache
//   (client/cache_device.h): its CACHE_* lines are printed on `out` (unless log_cache is
//   off), and every lock acquisition revalidates it against other clients' writes.
//
// Deliberate deviations (spec, filesystem.md): a quit() of the reference becomes an
// "Error: <CODE>" line with nothing half-written and the lock released; end of input exits
// cleanly; save works (block 0, the lock, is saved as zeros); a device error prints "Error:
// <STATUS>" and the shell goes on. No input line can crash the shell.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/block_device.h"
#include "core/py_int.h"
#include "core/status.h"
#include "fs/filesystem.h"
#include "fs/geometry.h"
#include "shell/dialect.h"
#include "shell/line_reader.h"
#include "shell/lock.h"
#include "shell/outcome.h"

namespace memoryfs::shell {

// Commands that depend on the device rather than on the file system, wired in by main():
// `repair <server_id>` and `showload`. A command whose hook is not set is "not valid", as in
// the 2022 reference.
struct ShellHooks {
  // repair <server_id>: rebuilds one server and prints its own report on `out`; an error
  // Status is printed as "Error: <status>". Runs under the disk lock.
  using ServerHook = std::function<Status(int server, std::ostream& out)>;
  ServerHook repair;
  // online <server_id>: takes back a server failed by mistake once every stripe with it adds
  // up (raid::Array::Online), printing its report on `out`. Runs under the disk lock.
  ServerHook online;
  // scrub [repair]: checks (and with `repair` fixes) every stripe, printing each finding and
  // a total on `out`; returns whether every stripe is consistent now (false: a mismatch was
  // left unrepaired, the command's outcome is kFailed). An error Status is printed as "Error:
  // <status>". Runs under the lock.
  std::function<Result<bool>(bool repair, std::ostream& out)> scrub;
  // showload: prints request statistics on `out`. Runs without the disk lock.
  std::function<void(std::ostream& out)> show_load;
  // cluster ARGS...: the demo's companion command (tools/cluster: kill, restart... a server),
  // run in the foreground on the shell's terminal; returns its exit status. Set by main()
  // only when the demo asks for it (MEMORYFS_DEMO_CLUSTER). Runs without the disk lock.
  std::function<int(const std::vector<std::string>& args)> cluster;
  // status: prints the health of the servers on `out` (shell/status.h) and returns it as an
  // exit status (0 healthy, 1 degraded, 2 failed). Runs without the disk lock.
  std::function<int(std::ostream& out)> status;
  // >= 0: the device is an array and the lock lives on this member. While that member is
  // down, a command whose lock cannot be taken runs without it (instead of printing the error
  // and being skipped), and does not release it either; a warning says so on `err`, once per
  // outage. The start-up dump also tolerates the outage. -1: a single device, where a failed
  // lock is an error.
  int lock_server = -1;
  // Called with true before each command and false after it (main() uses it to defer
  // Ctrl-C until the command, and its lock release, are complete).
  std::function<void(bool running)> command_boundary;
  // Whether the user asked to stop (Ctrl-C, SIGTERM). Checked while waiting for the lock: a
  // command still waiting is abandoned (nothing was written, nothing is held), so a shell
  // waiting on a lock that is never released can always be stopped. Once the lock is taken
  // the command runs to its end and releases the lock.
  std::function<bool()> stop_requested;
  // Called after the start-up and after every command (the array publishes what changed and
  // clears a write intent there); an error is printed on `err` as a warning.
  std::function<Status()> settle;
  // How the disk lock is taken (shell/lock.h): recorded, with a holder and a lease, on arrays.
  LockOptions lock;
};

struct ShellOptions {
  fs::Geometry geometry;  // -nb -bs -ni -is, and the edition
  int cid = 0;            // -cid: client id (2023: recorded as the last writer)
  bool root_init = true;  // -rootinit 1: re-create the root directory at start-up
  bool log_cache = true;  // 2023: the block cache prints its CACHE_* lines (-logcache)
  // 2022 -cache: the block cache, kept coherent by the server's count of Puts
  // (client::CacheOptions::kServerPutCount), which server_puts reads (our server's Stats).
  bool cache = false;
  std::function<Result<int64_t>()> server_puts;
};

class Shell {
 public:
  // `device` must outlive the Shell. Start() checks that its block size and count fit
  // options.geometry.
  Shell(client::BlockDevice& device, const ShellOptions& options, std::istream& in,
        std::ostream& out, std::ostream& err);

  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  // Start() then the command loop, until `exit` or the end of the input. Returns the exit
  // status for main(): 0, or 1 when the start-up failed on a device error (printed on `out`).
  // Calls hooks_.command_boundary around each command, never while a line is read.
  int Run();

  // The start-up alone. A device error, or a device whose geometry does not fit, is returned
  // (nothing printed); a file-system error (no free block for the root) is printed and the
  // shell can go on.
  Status Start();

  // Runs one input line (without its newline); false when it was `exit`. Its outcome is
  // outcome() afterwards.
  bool Execute(std::string_view line);
  // What the last line run by Execute() came to (shell/outcome.h); kOk before any.
  Outcome outcome() const { return outcome_; }

  // -command LINE: runs `line` alone, without the start-up (no dump, no root re-creation: a
  // scripted command must not reset a file system that exists), after checking that the
  // device fits the geometry. Returns the exit status: 1 when the device does not fit; for
  // `status`, the health it printed (0 healthy, 1 degraded, 2 failed); otherwise the command's
  // outcome() (0 ok, 1 failed or refused, 2 usage error).
  int RunCommand(std::string_view line);

  // The prompt, "[cwd=N]%" (no newline), that Run() gives the line reader before each line.
  std::string PromptText() const;
  // The prompt on `out`, flushed (for a caller driving Execute() itself).
  void Prompt();

  // Where Run() reads its lines (and shows its prompts); null: the `in` stream, prompts on
  // `out` (the default). `reader` must outlive Run().
  void set_line_reader(LineReader* reader) { reader_ = reader ? reader : &stream_reader_; }

  // Installs the device-specific commands (see ShellHooks).
  void set_hooks(ShellHooks hooks) {
    hooks_ = std::move(hooks);
    lock_.set_options(hooks_.lock);
    start_lock_.set_options(hooks_.lock);
  }

  uint32_t cwd() const { return cwd_; }
  fs::FileSystem& file_system() { return fs_; }
  const Dialect& dialect() const { return dialect_; }

 private:
  using Args = std::vector<std::string>;

  // Commands. Each checks its argument count itself, as the reference does.
  void Cd(const Args& args);
  void Cat(const Args& args);
  void Ls(const Args& args);
  void Mkdir(const Args& args);
  void Create(const Args& args);
  void Rm(const Args& args);
  void Append(const Args& args);
  void Lnh(const Args& args);
  void Lns(const Args& args);
  void Slice(const Args& args);
  void Mirror(const Args& args);
  void ShowBlock(const Args& args);
  void ShowBlockSlice(const Args& args);
  void ShowInode(const Args& args);
  void ShowFsConfig(const Args& args);
  void Load(const Args& args);
  void Save(const Args& args);
  void Repair(const Args& args);
  void Online(const Args& args);
  // repair and online: the server id (Python's int(), out of range as -1), then the hook
  // under the lock; its error printed.
  void OnServer(const Args& args, const ShellHooks::ServerHook& hook);
  void Scrub(const Args& args);
  void ShowLoad(const Args& args);
  void ShowStatus(const Args& args);
  void Cluster(const Args& args);

  // What `path` names: its inode number and inode.
  struct Opened {
    uint32_t number = 0;
    fs::Inode inode;
  };
  // What `path` names (following a final symlink when `follow`), provided its inode has
  // `type`; otherwise prints the reference's "Error: not found" / "Error: not a directory" /
  // "Error: not a file" line, or the device error, and returns nullopt. Makes the
  // reference's calls: the resolution, then one load of the inode.
  std::optional<Opened> Open(const std::string& path, bool follow, fs::InodeType type);

  // A number typed for a command: int(word) of Python, in [0, count). Otherwise prints the
  // reference's "Error: <word> not a valid Integer" or "Error: <what> <n> not in valid range
  // [0, count-1]" and returns nullopt.
  std::optional<PyInt> ParseIndex(const std::string& word, const char* what, int count);

  // The bodies of the locked commands.
  void DoCd(const std::string& path);
  void DoCat(const std::string& path);
  void DoLs();
  void DoCreate(const std::string& name, fs::InodeType type);
  void DoRm(const std::string& name);
  void DoAppend(const std::string& path, const std::string& text);

  // Execute(line) between the command_boundary hook's calls (true before, false after).
  bool ExecuteBounded(std::string_view line);
  // Whether the command exists here (its hook is set; the dialect has it).
  bool Available(const std::string& name) const;
  // help [COMMAND]: the available commands with their usage, or one of them.
  template <typename Table>
  void Help(const Table& commands, const Args& args);
  // Acquire, body, Release of `lock` (null: the commands' lock_); device errors of the lock
  // are printed.
  void Locked(const std::function<void()>& body, DiskLock* lock = nullptr);
  // hooks_.settle, its error printed as a warning.
  void Settle();

  // print(text) of the reference: text and a newline on `out`.
  void Print(std::string_view text);
  // Print(text), the command's answer when the line itself is wrong (outcome kUsage) or when
  // the command failed (kFailed); see shell/outcome.h for which is which.
  void Usage(std::string_view text);
  void Fail(std::string_view text);
  // Records the command's outcome: the worse of what was recorded and `outcome`.
  void Record(Outcome outcome) { outcome_ = Worse(outcome_, outcome); }
  // "Error: <code>" for a file-system error, "Error: <status>" for a device error; with
  // `blank_line`, an empty line follows (the reference's print("Error: ..." + "\n")). The
  // command's outcome is kFailed.
  void PrintError(const Status& status, bool blank_line);
  // One logging.info line on `err`.
  void Log(std::string_view text);
  // Where showblock, showblockslice and showfsconfig print (the dialect's choice), and one
  // line there.
  std::ostream& Inspection() { return dialect_.inspection_on_stdout ? out_ : err_; }
  void Inspect(std::string_view text);

  ShellOptions options_;
  const Dialect dialect_;
  std::ostream& out_;
  std::ostream& err_;
  // The dialect's client layer over the device (2023: the block cache), or null.
  std::unique_ptr<client::BlockDevice> client_;
  fs::FileSystem fs_;
  DiskLock lock_;
  // The lock the start-up writes the root directory under, on an array: on the device itself,
  // so that the 2023 block cache does not revalidate (fsmain.py takes no lock there at all).
  DiskLock start_lock_;
  StreamLineReader stream_reader_;  // `in`, prompts on `out`
  LineReader* reader_ = &stream_reader_;
  ShellHooks hooks_;
  bool running_unlocked_ = false;  // lock_server >= 0: the lock's failure was reported
  uint32_t cwd_ = 0;
  Outcome outcome_ = Outcome::kOk;  // the current (or last) command's
  int health_ = -1;                 // what `status` returned in this command, or -1
};

}  // namespace memoryfs::shell
