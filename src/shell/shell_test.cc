// Behaviours of the shell not covered by the golden cases.
#include "shell/shell.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "client/memory_device.h"
#include "fs/dump.h"
#include "shell/line_reader.h"
#include "shell/testing.h"

namespace memoryfs::shell {
namespace {

using namespace std::string_literals;
using testing::Options;
using testing::RunShell;

// Output of the commands alone: the prompts removed.
std::string Strip(std::string out) {
  for (size_t at; (at = out.find("[cwd=")) != std::string::npos;) {
    out.erase(at, out.find("]%", at) + 2 - at);
  }
  return out;
}

TEST_CASE("Shell: start-up reads blocks 0..15 then creates the root, -rootinit 0 skips it") {
  client::MemoryDevice device(256, 128);
  RunShell(device, Options(256, 128, 16, 16, /*root_init=*/false), "");
  std::vector<std::string> expected;
  for (int b = 0; b < 16; ++b) expected.push_back("Get " + std::to_string(b));
  CHECK(device.trace() == expected);
  CHECK(testing::Image(device).empty());
}

TEST_CASE("Shell: empty and blank lines prompt again, unknown commands, exit ignores args") {
  client::MemoryDevice device(256, 128);
  const testing::ShellRun run =
      RunShell(device, Options(256, 128, 16, 16), "\n   \t\nfrobnicate x\nexit now\nls\n");
  CHECK(run.out == "[cwd=0]%[cwd=0]%[cwd=0]%command frobnicate not valid.\n\n[cwd=0]%");
}

// A LineReader that hands out scripted lines and records the prompts it was given.
class ScriptedReader : public LineReader {
 public:
  explicit ScriptedReader(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  std::optional<std::string> ReadLine(const std::string& prompt) override {
    prompts.push_back(prompt);
    if (events) events->push_back("read");
    if (next_ == lines_.size()) return std::nullopt;
    return lines_[next_++];
  }
  std::vector<std::string> prompts;
  std::vector<std::string>* events = nullptr;

 private:
  std::vector<std::string> lines_;
  size_t next_ = 0;
};

TEST_CASE("Shell: with a LineReader installed, it gets the prompts and the stream none") {
  client::MemoryDevice device(256, 128);
  std::istringstream in("create ignored\n");
  std::ostringstream out, err;
  Shell shell(device, Options(256, 128, 16, 16), in, out, err);
  ScriptedReader reader({"mkdir d", "cd d", "ls", "exit", "create never"});
  std::vector<std::string> events;
  reader.events = &events;
  ShellHooks hooks;
  hooks.command_boundary = [&events](bool running) { events.push_back(running ? "[" : "]"); };
  shell.set_hooks(std::move(hooks));
  shell.set_line_reader(&reader);
  CHECK(shell.Run() == 0);
  const std::string in_d = "[cwd=" + std::to_string(shell.cwd()) + "]%";
  CHECK(in_d != "[cwd=0]%");
  CHECK(reader.prompts == std::vector<std::string>{"[cwd=0]%", "[cwd=0]%", in_d, in_d});
  CHECK(out.str().find("[cwd=") == std::string::npos);  // the reader shows the prompts
  // Lines are read outside the command boundary (where main() lets Ctrl-C cancel a line).
  CHECK(events == std::vector<std::string>{"read", "[", "]", "read", "[", "]", "read", "[", "]",
                                           "read", "[", "]"});
  const auto never = shell.file_system().Lookup("never", shell.cwd());
  REQUIRE(never.ok());
  CHECK_FALSE(never->has_value());  // nothing read after exit
}

TEST_CASE("Shell: set_line_reader(nullptr) is the `in` stream again, prompts on `out`") {
  client::MemoryDevice device(256, 128);
  std::istringstream in("create f\n");
  std::ostringstream out, err;
  Shell shell(device, Options(256, 128, 16, 16), in, out, err);
  ScriptedReader reader({"create g"});
  shell.set_line_reader(&reader);
  shell.set_line_reader(nullptr);
  CHECK(shell.Run() == 0);
  CHECK(reader.prompts.empty());
  CHECK(out.str() == "[cwd=0]%[cwd=0]%");
}

TEST_CASE("Shell: help lists the commands of this shell, help CMD one, and touches nothing") {
  client::MemoryDevice device(256, 128);
  RunShell(device, Options(256, 128, 16, 16), "");
  device.ClearTrace();
  const testing::ShellRun run = RunShell(device, Options(256, 128, 16, 16, /*root_init=*/false),
                                         "help\nhelp cat\nhelp slice\nhelp a b\n?\n");
  CHECK(run.out.find("Commands:\n  cd PATH ") != std::string::npos);
  CHECK(run.out.find("  exit                        leave the shell\nAt a terminal: ") !=
        std::string::npos);
  CHECK(run.out.find("\n  slice ") == std::string::npos);  // not a 2022 command
  CHECK(run.out.find("%  cat FILE                    print a file\n") != std::string::npos);
  CHECK(run.out.find("Error: no command slice (help lists them)") != std::string::npos);
  CHECK(run.out.find("Error: help takes at most one command name") != std::string::npos);
  size_t lists = 0;  // `?` is `help`: two lists
  for (size_t at = run.out.find("Commands:\n"); at != std::string::npos;
       at = run.out.find("Commands:\n", at + 1)) {
    ++lists;
  }
  CHECK(lists == 2);
  for (const std::string& call : device.trace()) CHECK(call.rfind("Get ", 0) == 0);  // start-up
}

TEST_CASE("Shell: every command takes the lock around exactly its work") {
  client::MemoryDevice device(256, 128);
  RunShell(device, Options(256, 128, 16, 16), "create a\nshowblock 1\nexit\n");
  const std::vector<std::string>& trace = device.trace();
  // ..., RSM 0, <create>, Put 0, then showblock's two Gets without the lock.
  REQUIRE(trace.size() > 4);
  CHECK(trace[trace.size() - 1] == "Get 1");
  CHECK(trace[trace.size() - 2] == "Get 1");
  CHECK(trace[trace.size() - 3] == "Put 0 ");
}

TEST_CASE("Shell: the lock is retried while another client holds it") {
  // A device whose block 0 is held for the first three RSMs.
  class Contended : public client::MemoryDevice {
   public:
    Contended() : client::MemoryDevice(256, 128) {}
    Result<Bytes> RSM(int block) override {
      if (block == 0 && ++rsm_calls_ <= 3) return Bytes(128, 1);  // held by someone else
      return client::MemoryDevice::RSM(block);
    }
    int rsm_calls_ = 0;
  };
  Contended device;
  const testing::ShellRun run = RunShell(device, Options(256, 128, 16, 16), "ls\n");
  CHECK(device.rsm_calls_ == 4);
  CHECK(Strip(run.out) == "[1]:.\0\0\0\0\0\0\0\0\0\0\0/\n"s);
  CHECK(device.raw(0) == Bytes(128, 0));
}

TEST_CASE("Shell: numbers are parsed like Python's int(), huge ones included") {
  client::MemoryDevice device(256, 128);
  const testing::ShellRun run = RunShell(device, Options(256, 128, 16, 16),
                                         "showblock 99999999999999999999999\n"
                                         "showblock -0\n"
                                         "showblock +1_0\n"
                                         "showinode -5\n"
                                         "showblockslice 1 127 127\n"
                                         "showblockslice 1 -1 5\n"
                                         "showblockslice 1 0 99999999999999999999999\n"
                                         "showblockslice x 0 1\n"
                                         "showblockslice 1 0 y\n"
                                         "showblock 0x10\n");
  CHECK(Strip(run.out) ==
        "Error: block number 99999999999999999999999 not in valid range [0, 255]\n"
        "Error: inode number -5 not in valid range [0, 15]\n"
        "Error: end 127not in valid range [0, 127]\n"
        "Error: start -1not in valid range [0, 127]\n"
        "Error: end 99999999999999999999999not in valid range [0, 127]\n"
        "Error: x not a valid Integer\n"
        "Error: y not a valid Integer\n"
        "Error: 0x10 not a valid Integer\n");
  CHECK(run.err.find("Block (strings in block) [0] : \n") != std::string::npos);
  CHECK(run.err.find("Block (raw hex block) [10] : \n") != std::string::npos);
}

TEST_CASE("Shell: showblock decodes UTF-8 ignoring errors, like the reference") {
  client::MemoryDevice device(256, 128);
  Bytes block(128, 0);
  const std::string text = "h\xc3\xa9llo\xff\xfe!";
  std::copy(text.begin(), text.end(), block.begin());
  device.set_raw(30, block);
  const testing::ShellRun run =
      RunShell(device, Options(256, 128, 16, 16, false), "showblock 30\nshowblockslice 30 0 3\n");
  CHECK(run.err == "Block (strings in block) [30] : \nh\xc3\xa9llo!" + std::string(119, '\0') +
                       "\nBlock (raw hex block) [30] : \n" + HexEncode(block) +
                       "\nBlock (raw hex block) [30] : \n68c3a96c\n");
}

TEST_CASE("Shell: cat of an empty file, of a directory through a symlink, paths under files") {
  client::MemoryDevice device(256, 128);
  const testing::ShellRun run = RunShell(device, Options(256, 128, 32, 64),
                                         "create e\ncat e\nmkdir d\nlns d s\ncat s\ncd s\n"
                                         "cat e/x\n");
  CHECK(Strip(run.out) ==
        "\n"                          // cat e: print("")
        "Error: not a file\n\n"       // cat s -> d
        "Error: not a directory\n\n"  // cd does not follow symlinks
        "Error: not found\n\n");
  CHECK(run.err == "Lookup: not a directory inode: 1 , 1\n");
}

TEST_CASE("Shell: load refuses other constants with the reference's message, cwd resets") {
  const std::string path = "/tmp/memoryfs_load_test_" + std::to_string(::getpid()) + ".dump";
  const fs::Geometry other = *fs::Geometry::Create(512, 128, 16, 16);
  {
    std::ofstream file(path, std::ios::binary);
    const Bytes dump = fs::SerializeDump(other, std::vector<Bytes>(512, Bytes(128, 0)));
    file.write(reinterpret_cast<const char*>(dump.data()), dump.size());
  }
  client::MemoryDevice device(256, 128);
  testing::ShellRun run =
      RunShell(device, Options(256, 128, 16, 16), "mkdir d\ncd d\nload " + path + "\n");
  CHECK(run.out ==
        "[cwd=0]%[cwd=0]%[cwd=1]%Error: File System constants of File "
        ":BS_128_NB_512_IS_16_MI_16_MF_12_IDS_4 do not match with current file system "
        "constants :BS_128_NB_256_IS_16_MI_16_MF_12_IDS_4\n[cwd=0]%");
  {
    std::ofstream file(path, std::ios::binary);
    file << "this is not a pickle";
  }
  run = RunShell(device, Options(256, 128, 16, 16), "load " + path + "\nload /\nload\n");
  CHECK(Strip(run.out) ==
        "Error: File not in proper format, encountered UnpicklingError error \n"
        "Error: Please provide valid file\n"
        "Error: load requires 1 argument\n");
  std::remove(path.c_str());
}

TEST_CASE("Shell: a directory can fill up, and ls of a full directory works") {
  client::MemoryDevice device(256, 128);
  std::string input;
  for (int i = 0; i < 9; ++i) input += "create f" + std::to_string(i) + "\n";
  input += "ls\nlnh f0 x\nlns f0 y\n";
  const testing::ShellRun run = RunShell(device, Options(256, 128, 16, 16), input);
  const std::string out = Strip(run.out);
  CHECK(out.find("Error: ERROR_CREATE_DATA_BLOCK_NOT_AVAILABLE\n\n") != std::string::npos);
  CHECK(out.find("[1]:f6") != std::string::npos);
  CHECK(out.find("Error: ERROR_LINK_DATA_BLOCK_NOT_AVAILABLE\n") != std::string::npos);
  CHECK(out.find("Error: ERROR_SYMLINK_DATA_BLOCK_NOT_AVAILABLE\n") != std::string::npos);
}

}  // namespace
}  // namespace memoryfs::shell

namespace memoryfs::shell {
namespace {

TEST_CASE("Shell: repair and showload exist only when main() installs hooks") {
  client::MemoryDevice device(256, 128);
  testing::ShellRun run = RunShell(device, Options(256, 128, 16, 16), "repair 1\nshowload\n");
  CHECK(Strip(run.out) == "command repair not valid.\n\ncommand showload not valid.\n\n");

  std::istringstream in("repair\nrepair x\nrepair -1\nrepair 2\nrepair 7\nshowload 1\nshowload\n");
  std::ostringstream out, err;
  Shell shell(device, Options(256, 128, 16, 16), in, out, err);
  std::vector<int> repaired;
  ShellHooks hooks;
  hooks.repair = [&](int server, std::ostream& o) -> Status {
    repaired.push_back(server);
    if (server == 7) return Status::Error(Code::kInvalidArgument, "no server 7");
    o << "repaired " << server << "\n";
    return Status::Ok();
  };
  hooks.show_load = [](std::ostream& o) { o << "load table\n"; };
  shell.set_hooks(hooks);
  device.ClearTrace();
  CHECK(shell.Run() == 0);
  CHECK(repaired == std::vector<int>{-1, 2, 7});  // the hook judges the id
  CHECK(Strip(out.str()) ==
        "Error: repair requires one argument\n"
        "Error: x not a valid Integer\n"
        "repaired -1\n"
        "repaired 2\n"
        "Error: INVALID_ARGUMENT: no server 7\n"
        "Error: showload do not require argument\n"
        "load table\n");
  // Each repair runs under the lock: RSM 0 before, release after.
  int locks = 0, releases = 0;
  for (const std::string& line : device.trace()) {
    locks += line == "RSM 0";
    releases += line == "Put 0 ";
  }
  CHECK(locks == 3);
  CHECK(releases == 3);
}

TEST_CASE("Shell: on an array, a command runs when the lock's server cannot be reached") {
  class NoRsm : public client::MemoryDevice {
   public:
    NoRsm() : client::MemoryDevice(256, 128) {}
    Result<Bytes> RSM(int) override { return Status::Error(Code::kUnavailable, "lock down"); }
  };
  NoRsm device;
  testing::ShellRun run = RunShell(device, Options(256, 128, 16, 16), "ls\n");
  CHECK(Strip(run.out) == "Error: UNAVAILABLE: lock down\n");

  std::istringstream in("create a\nls\n");
  std::ostringstream out, err;
  Shell shell(device, Options(256, 128, 16, 16), in, out, err);
  ShellHooks hooks;
  hooks.lock_server = 3;
  shell.set_hooks(hooks);
  device.ClearTrace();
  CHECK(shell.Run() == 0);
  CHECK(Strip(out.str()) == "[2]:.\0\0\0\0\0\0\0\0\0\0\0/\n[1]:a\0\0\0\0\0\0\0\0\0\0\0\n"s);
  for (const std::string& line : device.trace()) CHECK(line != "Put 0 ");
  CHECK(err.str() ==
        "WARNING: the lock (block 0 on server 3) is unavailable: UNAVAILABLE: lock down; "
        "continuing without it until 'repair 3'\n");
}

TEST_CASE("Shell: a stop while waiting for the lock abandons the command, once held, it runs") {
  // Block 0 is held by another client that never lets go.
  client::MemoryDevice device(256, 128);
  std::istringstream in("create a\n");
  std::ostringstream out, err;
  Shell shell(device, Options(256, 128, 16, 16), in, out, err);
  REQUIRE(shell.Start().ok());
  device.set_raw(0, Bytes(128, 1));
  int attempts = 0;
  ShellHooks hooks;
  hooks.stop_requested = [&] { return ++attempts > 3; };
  shell.set_hooks(hooks);
  device.ClearTrace();
  CHECK(shell.Execute("create a"));
  CHECK(device.trace() == std::vector<std::string>{"RSM 0", "RSM 0", "RSM 0"});  // no writes
  CHECK(device.raw(0) == Bytes(128, 1));  // still the other client's lock
  CHECK(Strip(out.str()).empty());

  // A stop requested after the lock was taken: the command completes and releases it.
  device.set_raw(0, Bytes(128, 0));
  bool stop = false;
  hooks.stop_requested = [&] { return std::exchange(stop, true); };
  shell.set_hooks(hooks);
  device.ClearTrace();
  CHECK(shell.Execute("create a"));
  CHECK(device.trace().front() == "RSM 0");
  CHECK(device.trace().back() == "Put 0 ");
  REQUIRE(shell.file_system().Lookup("a", 0).ok());
  CHECK(shell.file_system().Lookup("a", 0)->has_value());
}

TEST_CASE("Shell: a device whose geometry does not fit is refused at start-up") {
  client::MemoryDevice small(128, 128);
  testing::ShellRun run = RunShell(small, Options(256, 128, 16, 16), "ls\n");
  CHECK(run.exit_status == 1);
  CHECK(run.out ==
        "Error: INVALID_ARGUMENT: the device has 128 blocks of 128 bytes; the file system needs "
        "256 blocks of 128 bytes\n");
  CHECK(small.trace().empty());
}

}  // namespace
}  // namespace memoryfs::shell
