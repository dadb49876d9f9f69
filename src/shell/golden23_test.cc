// Runs every golden case of the 2023 edition (compat_tests/golden/g23, recorded from fsmain.py
// and blockserver.py) in-process over a MemoryDevice, with the flags parsed as fsmain parses
// them, and compares stdout, stderr, the RPC trace and the final image byte for byte. The
// two-client case runs two shells on one device, each line given to its shell after that
// shell's previous prompt, as the recording did.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "shell/flags.h"
#include "shell/testing.h"
#include "shell/text.h"

namespace memoryfs::shell {
namespace {

const std::filesystem::path kDir = MEMORYFS_GOLDEN23_DIR;

std::string Golden(const std::string& file) { return testing::ReadFile(kDir / file); }

// The flags of a case: `fsmain -port 8000 <cmdline>`, the cmdline's words up to a '(' note.
ShellFlags FlagsOf(const std::string& name, int cid = -1) {
  std::vector<std::string> words = {"fsmain", "-port", "8000"};
  for (const std::string& word : PySplit(Golden(name + ".cmdline"))) {
    if (word.front() == '(') break;
    words.push_back(word);
  }
  if (cid >= 0) words.insert(words.end(), {"-cid", std::to_string(cid)});
  std::vector<const char*> argv;
  for (const std::string& word : words) argv.push_back(word.c_str());
  const ParsedShellFlags parsed =
      ParseShellFlags(static_cast<int>(argv.size()), argv.data(), Program::kFsmain);
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  REQUIRE(parsed.flags.geometry.edition() == Edition::k2023);
  return parsed.flags;
}

void RunCase(const std::string& name) {
  const ShellFlags flags = FlagsOf(name);
  client::MemoryDevice device(flags.geometry.num_blocks(), flags.geometry.block_size());
  const testing::ShellRun run =
      testing::RunShell(device, flags.shell_options(), Golden(name + ".in"));
  CHECK(run.exit_status == 0);
  testing::CheckSame(name + ".stdout", Golden(name + ".stdout"), run.out);
  testing::CheckSame(name + ".stderr", Golden(name + ".stderr"), run.err);
  testing::CheckSame(name + ".trace", Golden(name + ".trace"), testing::Trace(device));
  testing::CheckSame(name + ".image", Golden(name + ".image"), testing::Image(device));
}

TEST_CASE("golden 2023 g01_basic") { RunCase("g01_basic"); }
TEST_CASE("golden 2023 g02_errors") { RunCase("g02_errors"); }
TEST_CASE("golden 2023 g03_growth") { RunCase("g03_growth"); }
TEST_CASE("golden 2023 g04_paths") { RunCase("g04_paths"); }
TEST_CASE("golden 2023 g05_default") { RunCase("g05_default"); }
TEST_CASE("golden 2023 g06_paths_bs512") { RunCase("g06_paths_bs512"); }
TEST_CASE("golden 2023 g07_slice_mirror") { RunCase("g07_slice_mirror"); }

TEST_CASE("golden 2023 g08_two_clients: two shells, one device") {
  const std::string name = "g08_two_clients";
  const ShellFlags flags[2] = {FlagsOf(name, 0), FlagsOf(name, 1)};
  client::MemoryDevice device(flags[0].geometry.num_blocks(), flags[0].geometry.block_size());
  std::istringstream no_input;
  std::array<std::ostringstream, 2> out, err;
  std::vector<std::unique_ptr<Shell>> shells;
  for (int cid = 0; cid < 2; ++cid) {  // client 0 starts (and prompts) first
    shells.push_back(
        std::make_unique<Shell>(device, flags[cid].shell_options(), no_input, out[cid], err[cid]));
    REQUIRE(shells.back()->Start().ok());
    shells.back()->Prompt();
  }
  std::istringstream lines(Golden(name + ".in"));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const int cid = line[0] - '0';
    REQUIRE((cid == 0 || cid == 1));
    if (shells[cid]->Execute(line.substr(2))) shells[cid]->Prompt();
  }
  for (int cid = 0; cid < 2; ++cid) {
    const std::string file = name + ".c" + std::to_string(cid) + ".stdout";
    testing::CheckSame(file, Golden(file), out[cid].str());
    CHECK(err[cid].str().empty());
  }
  testing::CheckSame(name + ".image", Golden(name + ".image"), testing::Image(device));
}

TEST_CASE("golden 2023: every case in the directory is covered") {
  std::vector<std::string> cases;
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    if (entry.path().extension() == ".in") cases.push_back(entry.path().stem().string());
  }
  std::sort(cases.begin(), cases.end());
  CHECK(cases == std::vector<std::string>{"g01_basic", "g02_errors", "g03_growth", "g04_paths",
                                          "g05_default", "g06_paths_bs512", "g07_slice_mirror",
                                          "g08_two_clients"});
}

}  // namespace
}  // namespace memoryfs::shell
