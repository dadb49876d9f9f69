// One test per deliberate deviation from the reference (spec: filesystem.md, "Deliberate
// deviations"). Flags-related deviations (5, 6) are in flags_test.cc.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "fs/dump.h"
#include "fs/testing.h"
#include "shell/shell.h"
#include "shell/testing.h"

namespace memoryfs::shell {
namespace {

using namespace std::string_literals;
using testing::Options;
using testing::RunShell;

// Runs lines one by one on a shell and checks, after each, that the lock is released and the
// file system consistent.
struct Session {
  Session(int nb, int bs, int ni, int is)
      : options(Options(nb, bs, ni, is)), device(nb, bs), shell(device, options, in, out, err) {
    REQUIRE(shell.Start().ok());
  }

  std::string Run(const std::string& line) {
    out.str("");
    device.ClearTrace();
    shell.Execute(line);
    CHECK_MESSAGE(device.raw(0) == Bytes(options.geometry.block_size(), 0),
                  "lock held after: " << line);
    const std::vector<std::string> problems =
        fs::testing::CheckConsistency(device, options.geometry);
    CHECK_MESSAGE(problems.empty(), line << ": " << (problems.empty() ? "" : problems[0]));
    return out.str();
  }

  std::vector<Bytes> Snapshot() const {
    std::vector<Bytes> blocks;
    for (int b = 0; b < device.num_blocks(); ++b) blocks.push_back(device.raw(b));
    return blocks;
  }

  bool OnlyReadsAndLock() const {
    for (const std::string& line : device.trace()) {
      if (line.rfind("Put ", 0) == 0 && line != "Put 0 ") return false;
    }
    return true;
  }

  ShellOptions options;
  client::MemoryDevice device;
  std::istringstream in;
  std::ostringstream out, err;
  Shell shell;
};

TEST_CASE("Deviation 1: rm in a directory whose size is a multiple of bs") {
  // -is 16: one block per directory, 8 entries; "." + 7 files fill the root exactly.
  Session s(256, 128, 16, 16);
  for (int i = 1; i <= 7; ++i) s.Run("create f" + std::to_string(i));
  CHECK(s.Run("ls").find("f7") != std::string::npos);  // the reference crashes on this ls
  CHECK(s.Run("rm f3").empty());
  for (const std::string& line : s.device.trace()) CHECK(line != "Get 0");
  const std::string listing = s.Run("ls");
  CHECK(listing ==
        "[7]:.\0\0\0\0\0\0\0\0\0\0\0/\n"
        "[1]:f1\0\0\0\0\0\0\0\0\0\0\n"
        "[1]:f2\0\0\0\0\0\0\0\0\0\0\n"
        "[1]:f7\0\0\0\0\0\0\0\0\0\0\n"
        "[1]:f4\0\0\0\0\0\0\0\0\0\0\n"
        "[1]:f5\0\0\0\0\0\0\0\0\0\0\n"
        "[1]:f6\0\0\0\0\0\0\0\0\0\0\n"s);
  // Every remaining file is still reachable.
  for (const char* name : {"f1", "f2", "f4", "f5", "f6", "f7"}) {
    CHECK(s.Run(std::string("append ") + name + " x") == "Successfully appended 1 bytes.\n");
  }
}

TEST_CASE("Deviation 2: names longer than 12 characters") {
  Session s(256, 128, 16, 32);
  s.Run("create f");
  const std::vector<Bytes> before = s.Snapshot();
  CHECK(s.Run("mkdir abcdefghijklm") == "Error: ERROR_FILENAME_TOO_LONG\n\n");
  CHECK(s.OnlyReadsAndLock());
  CHECK(s.Run("create abcdefghijklm") == "Error: ERROR_FILENAME_TOO_LONG\n\n");
  CHECK(s.Run("lnh f abcdefghijklm") == "Error: ERROR_FILENAME_TOO_LONG\n");
  CHECK(s.Run("lns f abcdefghijklm") == "Error: ERROR_FILENAME_TOO_LONG\n");
  CHECK(s.OnlyReadsAndLock());
  CHECK(s.Snapshot() == before);
  CHECK(s.Run("mkdir abcdefghijkl").empty());
}

TEST_CASE("Deviation 2: disk full half-way leaves nothing half-written") {
  // nb 128, bs 64, is 64: 108 data blocks, files of at most 13 blocks (832 bytes).
  Session s(128, 64, 16, 64);
  const std::string full(832, 'x');
  std::string last;
  int i = 0;
  for (; i < 16; ++i) {
    const std::string name = "f" + std::to_string(i);
    REQUIRE(s.Run("create " + name).empty());
    const std::vector<Bytes> before = s.Snapshot();
    last = s.Run("append " + name + " " + full);
    if (last != "Successfully appended 832 bytes.\n") {
      CHECK(s.Snapshot() == before);  // no bitmap byte, data block or inode changed
      break;
    }
  }
  REQUIRE(last == "Error: ERROR_NO_FREE_BLOCKS\n");
  // Fill what is left, block by block, then a directory cannot get its block.
  const std::string chunk(64, 'y');
  const std::string name = "f" + std::to_string(i);
  while (s.Run("append " + name + " " + chunk) == "Successfully appended 64 bytes.\n") {
  }
  const std::vector<Bytes> before = s.Snapshot();
  CHECK(s.Run("mkdir d") == "Error: ERROR_NO_FREE_BLOCKS\n\n");
  CHECK(s.Snapshot() == before);
  CHECK(s.Run("ls").find("[1]:f0") != std::string::npos);
}

TEST_CASE("Deviation 2: a bad inode number on disk is an error, not an exit") {
  Session s(256, 128, 16, 32);
  s.Run("mkdir d");
  // Damage the entry of "d" in the root (second entry of block 8): inode 9999.
  Bytes root_block = s.device.raw(8);
  root_block[16 + 12] = 0;
  root_block[16 + 13] = 0;
  root_block[16 + 14] = 0x27;
  root_block[16 + 15] = 0x0f;
  s.device.set_raw(8, root_block);
  s.out.str("");
  s.shell.Execute("ls");
  CHECK(s.out.str() == "Error: ERROR_INODE_NUMBER_OUT_OF_RANGE\n");
  s.out.str("");
  s.shell.Execute("cd d");
  CHECK(s.out.str() == "Error: ERROR_INODE_NUMBER_OUT_OF_RANGE\n");
  CHECK(s.device.raw(0) == Bytes(128, 0));
  CHECK(s.shell.cwd() == 0);
}

TEST_CASE("Deviation 3: end of input exits cleanly with status 0") {
  client::MemoryDevice device(256, 128);
  testing::ShellRun run = RunShell(device, Options(256, 128, 16, 16), "create a\nls");
  CHECK(run.exit_status == 0);
  CHECK(run.out ==
        "[cwd=0]%[cwd=0]%[2]:.\0\0\0\0\0\0\0\0\0\0\0/\n[1]:a\0\0\0\0\0\0\0\0\0\0\0\n[cwd=0]%"s);
  run = RunShell(device, Options(256, 128, 16, 16), "");
  CHECK(run.exit_status == 0);
  CHECK(run.out == "[cwd=0]%");
}

TEST_CASE("Deviation 4: save writes a dump that load (and Python's pickle) read back") {
  const std::string path = "/tmp/memoryfs_save_test_" + std::to_string(::getpid()) + ".dump";
  client::MemoryDevice device(256, 128);
  const ShellOptions options = Options(256, 128, 16, 32);
  testing::ShellRun run = RunShell(
      device, options, "mkdir d\ncreate f\nappend f hello\nlns f s\nsave " + path + "\nexit\n");
  CHECK(run.err == "Dumping pickled blocks to file " + path + "\n");
  std::ifstream file(path, std::ios::binary);
  const Bytes dump((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<Bytes> blocks;
  for (int b = 0; b < 256; ++b) blocks.push_back(device.raw(b));
  CHECK(dump == fs::SerializeDump(options.geometry, blocks));  // CPython's exact bytes

  client::MemoryDevice fresh(256, 128);
  ShellOptions no_root = options;
  no_root.root_init = false;
  run = RunShell(fresh, no_root, "load " + path + "\ncat s\nls\nexit\n");
  CHECK(run.err == "Reading blocks from pickled file " + path + "\n");
  CHECK(run.out.find("hello\n") != std::string::npos);
  CHECK(testing::Image(fresh) == testing::Image(device));
  std::remove(path.c_str());
}

TEST_CASE("A device error in the middle of a command: Error line, lock released, no damage") {
  client::MemoryDevice memory(256, 128);
  fs::testing::FlakyDevice flaky(memory);
  const ShellOptions options = Options(256, 128, 16, 32);
  std::istringstream in;
  std::ostringstream out, err;
  Shell shell(flaky, options, in, out, err);
  REQUIRE(shell.Start().ok());
  shell.Execute("create f");
  std::vector<Bytes> before;
  for (int b = 0; b < 256; ++b) before.push_back(memory.raw(b));
  // Fail call 16 of `mkdir d` once: the Put of the root's directory block, after the bitmap
  // and the new inode were written.
  out.str("");
  flaky.Arm(16, /*sticky=*/false);
  shell.Execute("mkdir d");
  flaky.Disarm();
  CHECK(out.str() == "Error: UNAVAILABLE: server down (test)\n\n");
  for (int b = 0; b < 256; ++b) CHECK(memory.raw(b) == before[b]);  // lock released too
  // A server that stays down: the lock cannot even be taken; nothing crashes.
  out.str("");
  flaky.Arm(0, /*sticky=*/true);
  shell.Execute("ls");
  shell.Execute("showblock 3");
  flaky.Disarm();
  CHECK(out.str() ==
        "Error: UNAVAILABLE: server down (test)\nError: UNAVAILABLE: server down (test)\n");
  // Down at start-up: Run() reports it and returns 1.
  client::MemoryDevice other(256, 128);
  fs::testing::FlakyDevice dead(other);
  dead.Arm(0, true);
  testing::ShellRun run = RunShell(dead, options, "ls\n");
  CHECK(run.exit_status == 1);
  CHECK(run.out == "Error: UNAVAILABLE: server down (test)\n");
}

}  // namespace
}  // namespace memoryfs::shell
