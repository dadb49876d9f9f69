// Runs every golden case of the Python reference (compat_tests/golden/g22) in-process over a
// MemoryDevice and compares stdout, stderr, the RPC trace and the final image byte for byte.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "shell/flags.h"
#include "shell/testing.h"
#include "shell/text.h"

namespace memoryfs::shell {
namespace {

using testing::CheckSame;
using testing::ReadFile;

void RunCase(const std::string& name) {
  const std::filesystem::path dir = MEMORYFS_GOLDEN_DIR;
  // The reference ran as `memoryfs_shell_rpc -ns 1 -startport P <cmdline>`.
  std::vector<std::string> words = {"memoryfs_shell_rpc", "-ns", "1", "-startport", "8000"};
  for (const std::string& word : PySplit(ReadFile(dir / (name + ".cmdline")))) {
    words.push_back(word);
  }
  std::vector<const char*> argv;
  for (const std::string& word : words) argv.push_back(word.c_str());
  const ParsedShellFlags parsed = ParseShellFlags(static_cast<int>(argv.size()), argv.data());
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  const fs::Geometry& geometry = parsed.flags.geometry;

  client::MemoryDevice device(geometry.num_blocks(), geometry.block_size());
  const testing::ShellRun run =
      testing::RunShell(device, parsed.flags.shell_options(), ReadFile(dir / (name + ".in")));
  CHECK(run.exit_status == 0);
  CheckSame(name + ".stdout", ReadFile(dir / (name + ".stdout")), run.out);
  CheckSame(name + ".stderr", ReadFile(dir / (name + ".stderr")), run.err);
  CheckSame(name + ".trace", ReadFile(dir / (name + ".trace")), testing::Trace(device));
  CheckSame(name + ".image", ReadFile(dir / (name + ".image")), testing::Image(device));
}

TEST_CASE("golden g01_basic") { RunCase("g01_basic"); }
TEST_CASE("golden g02_errors") { RunCase("g02_errors"); }
TEST_CASE("golden g03_growth") { RunCase("g03_growth"); }
TEST_CASE("golden g04_paths") { RunCase("g04_paths"); }
TEST_CASE("golden g05_default") { RunCase("g05_default"); }
TEST_CASE("golden g06_paths_bs512") { RunCase("g06_paths_bs512"); }

TEST_CASE("golden: every case in the directory is covered") {
  std::vector<std::string> cases;
  for (const auto& entry : std::filesystem::directory_iterator(MEMORYFS_GOLDEN_DIR)) {
    if (entry.path().extension() == ".in") cases.push_back(entry.path().stem().string());
  }
  std::sort(cases.begin(), cases.end());
  CHECK(cases == std::vector<std::string>{"g01_basic", "g02_errors", "g03_growth", "g04_paths",
                                          "g05_default", "g06_paths_bs512"});
}

}  // namespace
}  // namespace memoryfs::shell
