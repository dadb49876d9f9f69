// Feeds thousands of random command lines, valid and not, to a shell and checks after each
// one that it did not crash, released the lock and left a consistent file system.
#include <doctest/doctest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "fs/testing.h"
#include "shell/shell.h"
#include "shell/testing.h"

namespace memoryfs::shell {
namespace {

class LineGenerator {
 public:
  explicit LineGenerator(uint32_t seed) : rng_(seed) {}

  std::string Next() {
    const int kind = Pick(100);
    if (kind < 5) return RandomBytes(Pick(40));
    static const std::vector<std::string> kCommands = {
        "cd",           "cat",  "ls",   "mkdir",     "create",         "rm",
        "append",       "lnh",  "lns",  "showblock", "showblockslice", "showinode",
        "showfsconfig", "load", "save", "bogus"};
    // Weighted towards the commands that change the file system.
    static const std::vector<int> kWeights = {6, 6, 4, 6, 14, 6, 24, 6, 6, 3, 3, 3, 1, 1, 1, 1};
    std::discrete_distribution<int> which(kWeights.begin(), kWeights.end());
    const std::string& command = kCommands[which(rng_)];
    std::string line = command;
    int args = command == "append" || command == "lnh" || command == "lns" ? 2
               : command == "showblockslice"                               ? 3
               : command == "ls" || command == "showfsconfig"              ? 0
                                                                           : 1;
    if (Pick(10) == 0) args = Pick(5);  // wrong argument counts too
    for (int i = 0; i < args; ++i) {
      line += Pick(8) == 0 ? "\t " : " ";
      if (command == "append" && i == 1) {
        line += std::string(Pick(2) == 0 ? Pick(900) + 1 : Pick(60) + 1, "abcxyz"[Pick(6)]);
      } else if (command.rfind("show", 0) == 0) {
        line += Number();
      } else if (command == "cd" && Pick(10) < 6) {
        line += Pick(3) ? ".." : "/";
      } else if (command == "load" || command == "save") {
        line += Pick(2) ? "/nonexistent/dump" : "/proc";
      } else if (command == "mkdir" || command == "cd") {
        line += Path(Kind::kDir);
      } else if (command == "create" || command == "rm" || command == "lnh" || i == 0) {
        line += Path(Kind::kFile);
      } else {
        line += Path(Pick(2) ? Kind::kFile : Kind::kDir);
      }
    }
    return line;
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  enum class Kind { kFile, kDir };

  // Mostly names from a small pool per kind, so that commands meet existing objects.
  std::string Name(Kind kind) {
    static const std::vector<std::string> kFiles = {"f1", "f2", "f3", "f4", "f5", "f6"};
    static const std::vector<std::string> kDirs = {"d1", "d2", "d3"};
    static const std::vector<std::string> kOdd = {
        ".", "..", "abcdefghijkl", "abcdefghijklm", "\xc3\xa9t\xc3\xa9", "twelve_chars", ""};
    const int roll = Pick(100);
    if (roll < 80) {
      const auto& pool = kind == Kind::kFile ? kFiles : kDirs;
      return pool[Pick(static_cast<int>(pool.size()))];
    }
    if (roll < 88) return Name(kind == Kind::kFile ? Kind::kDir : Kind::kFile);
    return kOdd[Pick(static_cast<int>(kOdd.size()))];
  }

  std::string Path(Kind kind) {
    switch (Pick(16)) {
      case 0:
        return "/" + Name(kind);
      case 1:
        return Name(Kind::kDir) + "/" + Name(kind);
      case 2:
        return Pick(2) ? "/" : Name(kind) + "/";
      case 3:
        return "/" + Name(Kind::kDir) + "/../" + Name(kind);
      default:
        return Name(kind);
    }
  }

  std::string Number() {
    static const std::vector<std::string> kNumbers = {"0",
                                                      "1",
                                                      "7",
                                                      "15",
                                                      "31",
                                                      "63",
                                                      "64",
                                                      "127",
                                                      "128",
                                                      "255",
                                                      "-1",
                                                      "1_0",
                                                      "+3",
                                                      "99999999999999999999999999",
                                                      "-99999999999999999999",
                                                      "abc",
                                                      "",
                                                      "0x1f",
                                                      "1e3"};
    return kNumbers[Pick(static_cast<int>(kNumbers.size()))];
  }

  std::string RandomBytes(int n) {
    std::string bytes;
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>(Pick(256)));
    return bytes;
  }

  std::mt19937 rng_;
};

// What the fuzzed lines achieved, to check that they exercise the file system.
struct FuzzStats {
  int appended = 0, created = 0, removed = 0, no_space = 0, too_long = 0, not_found = 0;
};

FuzzStats Fuzz(const ShellOptions& options, uint32_t seed, int lines) {
  FuzzStats stats;
  const fs::Geometry& g = options.geometry;
  client::MemoryDevice device(g.num_blocks(), g.block_size());
  std::istringstream in;
  std::ostringstream out, err;
  Shell shell(device, options, in, out, err);
  REQUIRE(shell.Start().ok());
  LineGenerator generator(seed);
  for (int i = 0; i < lines; ++i) {
    const std::string line = generator.Next();
    device.ClearTrace();
    out.str("");
    shell.Execute(line);
    const std::string result = out.str();
    const bool quiet = result.empty();
    if (result.find("Successfully appended") != std::string::npos) ++stats.appended;
    if (quiet && (line.rfind("create", 0) == 0 || line.rfind("mkdir", 0) == 0)) ++stats.created;
    if (quiet && line.rfind("rm", 0) == 0) ++stats.removed;
    if (result.find("ERROR_NO_FREE_BLOCKS") != std::string::npos) ++stats.no_space;
    if (result.find("ERROR_FILENAME_TOO_LONG") != std::string::npos) ++stats.too_long;
    if (result.find("not found") != std::string::npos) ++stats.not_found;
    REQUIRE_MESSAGE(device.raw(0) == Bytes(g.block_size(), 0), "lock held after line " << i);
    const std::vector<std::string> problems = fs::testing::CheckConsistency(device, g);
    // (The message is also evaluated when the check passes, e.g. with -s.)
    const std::string first_problem = problems.empty() ? "" : problems.front();
    REQUIRE_MESSAGE(problems.empty(), "line " << i << " " << line << ": " << first_problem);
    REQUIRE_MESSAGE(shell.cwd() < static_cast<uint32_t>(g.max_inodes()), "line " << i);
    if (err.tellp() > (1 << 20)) err.str("");
  }
  MESSAGE("appended " << stats.appended << ", created " << stats.created << ", removed "
                      << stats.removed << ", no space " << stats.no_space << ", too long "
                      << stats.too_long << ", not found " << stats.not_found);
  CHECK(stats.appended > 15);
  CHECK(stats.created > 15);
  CHECK(stats.removed > 10);
  CHECK(stats.too_long > 0);
  CHECK(stats.not_found > 0);
  return stats;
}

TEST_CASE("Fuzz: small disk (blocks and inodes run out)") {
  CHECK(Fuzz(testing::Options(128, 64, 32, 64), 1, 4000).no_space > 0);
}

TEST_CASE("Fuzz: small blocks, two entries per block") {
  Fuzz(testing::Options(128, 32, 32, 32), 2, 4000);
}

TEST_CASE("Fuzz: the golden geometry") { Fuzz(testing::Options(256, 128, 32, 64), 3, 4000); }

TEST_CASE("Fuzz: the default geometry (one block per file)") {
  Fuzz(testing::Options(256, 128, 16, 16), 4, 3000);
}

}  // namespace
}  // namespace memoryfs::shell
