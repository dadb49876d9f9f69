// The 2023 edition's shell (Dialect::For(k2023)) beyond the golden cases: the commands it adds,
// load and save through the block cache, -logcache 0.
#include "shell/dialect.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "fs/dump.h"
#include "shell/testing.h"

namespace memoryfs::shell {
namespace {

using testing::RunShell;

ShellOptions Options2023(bool root_init = true) {
  return testing::Options(256, 128, 16, 32, root_init, Edition::k2023);
}

// The output of the commands alone: prompts and CACHE_* lines removed.
std::string Plain(const std::string& out) {
  std::string plain;
  size_t at = 0;
  while (at < out.size()) {
    if (out.compare(at, 5, "[cwd=") == 0) {
      at = out.find("]%", at) + 2;
      continue;
    }
    const size_t end = std::min(out.find('\n', at), out.size() - 1) + 1;
    if (out.compare(at, 6, "CACHE_") != 0) plain += out.substr(at, end - at);
    at = end;
  }
  return plain;
}

TEST_CASE("Dialect: the 2022 values are the defaults, 2023 differs where the goldens do") {
  constexpr Dialect d22 = Dialect::For(Edition::k2022), d23 = Dialect::For(Edition::k2023);
  CHECK(d22.startup_dump_blocks == 16);
  CHECK_FALSE(d22.slice_and_mirror);
  CHECK_FALSE(d22.client_cache);
  CHECK(d23.startup_dump_blocks == 0);
  CHECK(d23.inspection_on_stdout);
  CHECK(d23.ls_streams);
  CHECK_FALSE(d23.show_gencnt);
  CHECK(d23.slice_and_mirror);
  CHECK(d23.client_cache);
}

TEST_CASE("Dialect: slice and mirror are 2023 commands") {
  client::MemoryDevice device(256, 128);
  testing::ShellRun run =
      RunShell(device, testing::Options(256, 128, 16, 32), "slice f 0 1\nmirror f\n");
  CHECK(Plain(run.out) == "command slice not valid.\n\ncommand mirror not valid.\n\n");
  client::MemoryDevice device23(256, 128);
  run = RunShell(device23, Options2023(),
                 "slice f\nmirror\nslice f 1 x\ncreate f\nappend f abc\nslice f 1 1\ncat f\n"
                 "mirror f x\nmirror f\ncat f\nslice f 0 2\n");
  CHECK(Plain(run.out) ==
        "Error: slice requires three arguments\n"
        "Error: mirror requires one argument\n"
        "Error: x not a valid Integer\n"  // checked under the lock
        "Successfully appended 3 bytes.\n"
        "b\n"
        "Error: mirror requires one argument\n"
        "b\n"
        "Error: ERROR_SLICE_COUNT_OUT_BOUNDS\n");
  CHECK(device23.raw(255) == Bytes(128, 0));  // every lock released
}

TEST_CASE("Dialect: -logcache 0 prints no CACHE_* line and makes the same calls") {
  client::MemoryDevice logged(256, 128), quiet(256, 128);
  const std::string input = "mkdir d\ncreate d/f\nappend d/f xyz\nls\ncat d/f\n";
  ShellOptions options = Options2023();
  const testing::ShellRun a = RunShell(logged, options, input);
  options.log_cache = false;
  const testing::ShellRun b = RunShell(quiet, options, input);
  CHECK(a.out.find("CACHE_") != std::string::npos);
  CHECK(b.out.find("CACHE_") == std::string::npos);
  CHECK(Plain(a.out) == Plain(b.out));
  CHECK(testing::Trace(logged) == testing::Trace(quiet));
}

TEST_CASE("Dialect: 2023 save works, and load writes every block through the cache") {
  const std::string path = "/tmp/memoryfs_save23_test_" + std::to_string(::getpid()) + ".dump";
  client::MemoryDevice device(256, 128);
  const ShellOptions options = Options2023();
  testing::ShellRun run =
      RunShell(device, options, "mkdir d\ncreate f\nappend f hello\nsave " + path + "\n");
  CHECK(run.err == "DiskBlocks::DumpToDisk: Dumping pickled blocks to file " + path + "\n");
  std::ifstream file(path, std::ios::binary);
  const Bytes dump((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<Bytes> blocks;
  for (int b = 0; b < 256; ++b) blocks.push_back(device.raw(b));
  CHECK(dump == fs::SerializeDump(options.geometry, blocks));  // the lock (255) is free there

  client::MemoryDevice fresh(256, 128);
  run = RunShell(fresh, Options2023(/*root_init=*/false), "load " + path + "\ncat f\n");
  std::remove(path.c_str());
  CHECK(run.err == "DiskBlocks::LoadFromDump: Reading blocks from pickled file " + path + "\n");
  std::string expected;
  for (int b = 0; b < 256; ++b) expected += "CACHE_WRITE_THROUGH " + std::to_string(b) + "\n";
  CHECK(run.out.substr(0, 8 + expected.size()) == "[cwd=0]%" + expected);
  CHECK(Plain(run.out) == "hello\n");
  // Each block but the lock is followed by the last-writer mark.
  const std::vector<std::string>& trace = fresh.trace();
  REQUIRE(trace.size() > 2 * 255);
  CHECK(trace[0].rfind("Put 0", 0) == 0);
  CHECK(trace[1] == "Put 254 ");
  CHECK(trace[2 * 255 - 1] == "Put 254 ");
  CHECK(trace[2 * 255] == "Put 255 ");
  CHECK(testing::Image(fresh) == testing::Image(device));
}

}  // namespace
}  // namespace memoryfs::shell
