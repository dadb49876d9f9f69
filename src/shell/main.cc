// memoryfs_shell_rpc: the course shell over one block server (-ns 1) or a RAID-5 array of
// N >= 3 servers. Flags, devices, then the command loop: lines edited with libedit when
// stdin and stdout are a terminal (shell/edit_line_reader.h), read as they come otherwise.
//
// Also built as fsmain (MEMORYFS_SHELL_PROGRAM=kFsmain): the same shell with fsmain.py's
// command line, in the 2023 edition by default (shell/flags.h).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "rpc/poll_wait.h"
#include "shell/devices.h"
#include "shell/edit_line_reader.h"
#include "shell/flags.h"
#include "shell/raid_commands.h"
#include "shell/shell.h"

using namespace memoryfs;
using namespace memoryfs::shell;

#ifndef MEMORYFS_SHELL_PROGRAM
#define MEMORYFS_SHELL_PROGRAM kShellRpc
#endif

namespace {

constexpr Program kProgram = Program::MEMORYFS_SHELL_PROGRAM;
constexpr const char* kProgramName = kProgram == Program::kFsmain ? "fsmain" : "memoryfs_shell_rpc";

// Ctrl-C / SIGTERM / SIGHUP: at the prompt the shell exits at once (the terminal's mode put
// back first), except Ctrl-C while a line is typed at a terminal (EditLineReader), which drops
// that line and prompts again; while a command waits for the lock the command is abandoned
// and the shell exits; inside a command it exits right after the command, so that no change
// is left half-written and the lock is released.
volatile sig_atomic_t g_in_command = 0;
volatile sig_atomic_t g_stop_requested = 0;

void OnStopSignal(int sig) {
  if (!g_in_command) {
    if (sig == SIGINT && EditLineReader::CancelLine()) return;
    EditLineReader::RestoreTerminal();
    static const char kNewline[] = "\n";
    [[maybe_unused]] ssize_t n = write(STDOUT_FILENO, kNewline, 1);
    _exit(128 + sig);
  }
  g_stop_requested = sig;
}

// fg after Ctrl-Z: the line being typed is edited key by key again.
void OnContinue(int) { EditLineReader::ResumeEditing(); }

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // RPCs in flight carry on (EditLineReader polls its pipe)
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  action.sa_handler = OnContinue;
  sigaction(SIGCONT, &action, nullptr);
}

// Line editing when stdin and stdout are a terminal (and MEMORYFS_LINE_EDITING is not 0);
// otherwise, or when libedit cannot start, null: the shell reads std::cin as it always did.
std::unique_ptr<EditLineReader> MakeLineEditor() {
  if (!UseLineEditing(STDIN_FILENO, STDOUT_FILENO, std::getenv("MEMORYFS_LINE_EDITING"))) {
    return nullptr;
  }
  EditLineOptions options;
  options.program = kProgramName;
  options.history_file = HistoryFile(std::getenv("MEMORYFS_HISTORY"), std::getenv("HOME"));
  Result<std::unique_ptr<EditLineReader>> made = EditLineReader::Create(stdin, stdout, options);
  if (!made.ok()) {
    std::cerr << kProgramName << ": no line editing: " << made.status().ToString() << std::endl;
    return nullptr;
  }
  return std::move(*made);
}

void CommandBoundary(bool running) {
  g_in_command = running;
  if (!running && g_stop_requested) {
    std::cout << std::endl;
    std::exit(128 + g_stop_requested);
  }
}

// Runs `program` with `args` in the foreground, on this process's terminal; its exit status.
int RunProgram(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> words{program};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  ParsedShellFlags parsed = ParseShellFlags(argc, argv, kProgram);
  if (int status = ReportShellFlags(parsed, std::cout, std::cerr); status >= 0) return status;
  const ShellFlags& flags = parsed.flags;
  rpc::SetSpinMicros(flags.spin_us);
  // The assignment's messages, printed in this one place from the array's events.
  // Notices (not the assignment's messages) go to the log stream.
  DeviceCallbacks callbacks;
  const bool name_blocks = Dialect::For(flags.geometry.edition()).events_name_blocks;
  callbacks.array_events = [name_blocks](const raid::ArrayEvent& e) {
    std::ostream& out = e.kind == raid::ArrayEvent::Kind::kNotice ? std::cerr : std::cout;
    out << e.ToString(name_blocks) << std::endl;
  };
  // fsmain.py's print() before each retry of a timed-out call (2023, one server).
  callbacks.on_timeout = [] { std::cout << "SERVER_TIMED_OUT" << std::endl; };
  callbacks.stop_requested = [] { return g_stop_requested != 0; };
  Result<Devices> made = MakeDevices(flags, std::move(callbacks));
  if (!made.ok()) {
    std::cerr << kProgramName << ": " << made.status().message() << std::endl;
    return 2;
  }
  Devices& devices = *made;
  ShellOptions options = flags.shell_options();
  if (options.root_init && flags.command.empty() && devices.array && devices.array->existed()) {
    std::cerr << "WARNING: these servers hold a file system already; -rootinit 1 (the "
                 "default) re-creates its root directory, and the files in it are lost. Start "
                 "with -rootinit 0 to keep them."
              << std::endl;
  }
  if (options.cache) {  // the server's count of Puts keeps the 2022 cache coherent
    client::RemoteDevice* server = devices.remotes.front().get();
    options.server_puts = [server]() -> Result<int64_t> {
      ASSIGN_OR_RETURN(const client::ServerInfo info, server->Stats());
      return info.counts.puts;
    };
  }
  Shell shell(*devices.device, options, std::cin, std::cout, std::cerr);
  ShellHooks hooks = MakeRaidHooks(devices.array.get(), devices.remotes, std::cerr);
  hooks.command_boundary = CommandBoundary;
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  hooks.lock.who =
      "pid " + std::to_string(getpid()) + " on " + host + ", cid " + std::to_string(flags.cid);
  hooks.lock.lease_ms = flags.lease_ms;
  hooks.lock.notice = [](const std::string& text) { std::cerr << text << std::endl; };
  hooks.stop_requested = [] { return g_stop_requested != 0; };
  // tools/demo.sh's own command: its servers, by number, from the shell.
  if (const char* tool = std::getenv("MEMORYFS_DEMO_CLUSTER"); tool != nullptr && *tool != 0) {
    hooks.cluster = [program = std::string(tool)](const std::vector<std::string>& args) {
      return RunProgram(program, args);
    };
  }
  shell.set_hooks(std::move(hooks));
  const std::unique_ptr<EditLineReader> editor = MakeLineEditor();
  shell.set_line_reader(editor.get());
  InstallStopHandlers();
  if (!flags.command.empty()) return shell.RunCommand(flags.command);
  return shell.Run();
}
