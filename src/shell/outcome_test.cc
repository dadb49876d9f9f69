// What each command comes to (shell/outcome.h): the value behind -command's exit status.
#include "shell/outcome.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "client/memory_device.h"
#include "shell/flags.h"
#include "shell/shell.h"
#include "shell/testing.h"

namespace memoryfs::shell {
namespace {

using testing::Options;

// A shell over a 2022 disk holding file f ("hello") and directory d, started.
struct Fixture {
  Fixture() : shell(device, Options(256, 128, 16, 16), in, out, err) {
    REQUIRE(shell.Start().ok());
    for (const char* line : {"create f", "append f hello", "mkdir d"}) {
      shell.Execute(line);
      REQUIRE(shell.outcome() == Outcome::kOk);
    }
  }
  // Runs `line` and returns its outcome; its output must be what the interactive shell prints.
  Outcome Run(const std::string& line) {
    out.str("");
    shell.Execute(line);
    return shell.outcome();
  }
  client::MemoryDevice device{256, 128};
  std::istringstream in;
  std::ostringstream out, err;
  Shell shell;
};

TEST_CASE("Outcome: file-system commands: ok, failed (an Error line), usage (the line is wrong)") {
  Fixture f;
  const std::vector<std::pair<std::string, Outcome>> cases = {
      {"", Outcome::kOk},
      {"ls", Outcome::kOk},
      {"ls extra words", Outcome::kOk},  // ignored, as by the reference
      {"cat f", Outcome::kOk},
      {"help", Outcome::kOk},
      {"help cat", Outcome::kOk},
      {"showfsconfig", Outcome::kOk},
      {"showblock 3", Outcome::kOk},
      {"showblockslice 3 0 4", Outcome::kOk},
      {"showinode 0", Outcome::kOk},
      {"cd d", Outcome::kOk},
      {"cd /", Outcome::kOk},
      {"cat missing", Outcome::kFailed},  // Error: not found
      {"cat d", Outcome::kFailed},        // Error: not a file
      {"cd f", Outcome::kFailed},         // Error: not a directory
      {"create f", Outcome::kFailed},     // Error: already exists (and a blank line)
      {"rm missing", Outcome::kFailed},
      {"append missing x", Outcome::kFailed},
      {"lnh missing g", Outcome::kFailed},
      {"nosuchcommand", Outcome::kFailed},  // command nosuchcommand not valid.
      {"repair 1", Outcome::kFailed},       // not valid here: no hooks
      {"help nosuchcommand", Outcome::kFailed},
      {"load /nonexistent/dump", Outcome::kFailed},
      {"save /nonexistent/dir/dump", Outcome::kFailed},
      {"cat", Outcome::kUsage},
      {"cat f g", Outcome::kUsage},
      {"cd", Outcome::kUsage},
      {"mkdir", Outcome::kUsage},
      {"append f", Outcome::kUsage},
      {"lns a", Outcome::kUsage},
      {"showblock", Outcome::kUsage},
      {"showblock abc", Outcome::kUsage},
      {"showblock 256", Outcome::kUsage},  // out of the geometry's range
      {"showinode 16", Outcome::kUsage},
      {"showblockslice 3 0", Outcome::kUsage},
      {"showblockslice 3 x 4", Outcome::kUsage},
      {"showblockslice 3 4 2", Outcome::kUsage},
      {"showfsconfig x", Outcome::kUsage},
      {"load", Outcome::kUsage},
      {"save a b", Outcome::kUsage},
      {"help cat ls", Outcome::kUsage},
  };
  for (const auto& [line, expected] : cases) {
    CAPTURE(line);
    CHECK(f.Run(line) == expected);
    if (expected != Outcome::kOk) CHECK(!f.out.str().empty());  // it said why
  }
  CHECK(f.Run("cat f") == Outcome::kOk);  // each command starts afresh
}

TEST_CASE("Outcome: the device commands' hooks: a refused repair, a scrub that leaves a mismatch") {
  Fixture f;
  ShellHooks hooks;
  hooks.repair = [](int server, std::ostream& o) -> Status {
    if (server != 2) return Status::Error(Code::kInvalidArgument, "server 1 is not failed");
    o << "Server 2 repaired\n";
    return Status::Ok();
  };
  Result<bool> scrubbed = true;
  hooks.scrub = [&](bool, std::ostream& o) -> Result<bool> {
    o << "scrub: 1 stripe checked\n";
    return scrubbed;
  };
  hooks.status = [](std::ostream&) { return 1; };
  f.shell.set_hooks(hooks);
  CHECK(f.Run("repair 2") == Outcome::kOk);
  CHECK(f.Run("repair 1") == Outcome::kFailed);
  CHECK(f.out.str() == "Error: INVALID_ARGUMENT: server 1 is not failed\n");
  CHECK(f.Run("repair") == Outcome::kUsage);
  CHECK(f.Run("repair abc") == Outcome::kUsage);
  CHECK(f.Run("scrub") == Outcome::kOk);
  CHECK(f.Run("scrub repair") == Outcome::kOk);
  scrubbed = false;  // a mismatch left
  CHECK(f.Run("scrub") == Outcome::kFailed);
  CHECK(f.out.str() == "scrub: 1 stripe checked\n");  // no line of its own
  scrubbed = Status::Error(Code::kUnavailable, "server 3 failed");
  CHECK(f.Run("scrub repair") == Outcome::kFailed);
  CHECK(f.Run("scrub foo") == Outcome::kUsage);
  CHECK(f.Run("scrub repair now") == Outcome::kUsage);
  CHECK(f.Run("status x") == Outcome::kUsage);
}

TEST_CASE("Outcome: RunCommand returns it, status its health, 1 for a lock not taken") {
  Fixture f;
  CHECK(f.shell.RunCommand("cat f") == 0);
  CHECK(f.shell.RunCommand("cat missing") == 1);
  CHECK(f.shell.RunCommand("cat") == 2);
  CHECK(f.shell.RunCommand("bogus") == 1);
  CHECK(f.shell.RunCommand("exit") == 0);
  ShellHooks hooks;
  int health = 2;
  hooks.status = [&](std::ostream&) { return health; };
  f.shell.set_hooks(hooks);
  CHECK(f.shell.RunCommand("status") == 2);
  health = 0;
  CHECK(f.shell.RunCommand("status") == 0);
  CHECK(f.shell.RunCommand("status now") == 2);  // a usage error
  CHECK(f.shell.RunCommand("ls") == 0);          // status's health is not kept
  f.device.SetFailed(true);                      // the server is gone: the lock fails
  CHECK(f.shell.RunCommand("ls") == 1);
  CHECK(f.shell.RunCommand("showblock 3") == 1);
  CHECK(f.shell.RunCommand("showblock x") == 2);  // checked before the device is asked
}

TEST_CASE("Outcome: a command abandoned while it waits for the lock has failed") {
  Fixture f;
  f.device.set_raw(0, Bytes(128, 1));  // another client holds the lock
  ShellHooks hooks;
  int attempts = 0;
  hooks.stop_requested = [&] { return ++attempts > 2; };
  f.shell.set_hooks(hooks);
  CHECK(f.Run("ls") == Outcome::kFailed);
  CHECK(f.out.str().empty());
}

TEST_CASE("Outcome: both programs' --help end with the exit statuses") {
  for (Program program : {Program::kShellRpc, Program::kFsmain}) {
    const std::string help = ShellFlagsHelp(program);
    const size_t at = help.find("\nExit status:\n");
    REQUIRE(at != std::string::npos);
    CHECK(help.substr(at + 1) == ExitStatusHelp());
    CHECK(help.find("  2    with -command, a usage error") != std::string::npos);
  }
  CHECK(Worse(Outcome::kFailed, Outcome::kUsage) == Outcome::kUsage);
  CHECK(Worse(Outcome::kFailed, Outcome::kOk) == Outcome::kFailed);
}

}  // namespace
}  // namespace memoryfs::shell
