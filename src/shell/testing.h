// Helpers for the shell's tests: run a Shell over a MemoryDevice on a given input, and render
// a device the way the golden files do.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "core/bytes.h"
#include "fs/geometry.h"
#include "shell/shell.h"

namespace memoryfs::shell {
namespace testing {

struct ShellRun {
  std::string out;
  std::string err;
  int exit_status = 0;
};

inline ShellRun RunShell(client::BlockDevice& device, const ShellOptions& options,
                         const std::string& input) {
  std::istringstream in(input);
  std::ostringstream out, err;
  Shell shell(device, options, in, out, err);
  ShellRun run;
  run.exit_status = shell.Run();
  run.out = out.str();
  run.err = err.str();
  return run;
}

inline ShellOptions Options(int nb, int bs, int ni, int is, bool root_init = true,
                            Edition edition = Edition::k2022) {
  ShellOptions options;
  options.geometry = *fs::Geometry::Create(nb, bs, ni, is, edition);
  options.root_init = root_init;
  return options;
}

// "n HEX" for every block that is not all zeros (trailing zeros stripped), one per line.
inline std::string Image(const client::MemoryDevice& device) {
  std::string image;
  for (int b = 0; b < device.num_blocks(); ++b) {
    const Bytes& data = device.raw(b);
    size_t end = data.size();
    while (end > 0 && data[end - 1] == 0) --end;
    if (end == 0) continue;
    image += std::to_string(b) + " " + HexEncode(Bytes(data.begin(), data.begin() + end)) + "\n";
  }
  return image;
}

inline std::string Trace(const client::MemoryDevice& device) {
  std::string trace;
  for (const std::string& line : device.trace()) trace += line + "\n";
  return trace;
}

// The whole file, bytes as they are ("" when it cannot be read).
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// Fails the check with the first differing line, far more useful than two huge strings.
inline void CheckSame(const std::string& what, const std::string& expected,
                      const std::string& actual) {
  if (expected == actual) return;
  std::istringstream e(expected), a(actual);
  std::string el, al;
  for (int line = 1;; ++line) {
    const bool he = static_cast<bool>(std::getline(e, el));
    const bool ha = static_cast<bool>(std::getline(a, al));
    if (!he && !ha) break;
    if (!he || !ha || el != al) {
      FAIL_CHECK(what << " differs at line " << line << "\n  expected: " << (he ? el : "<end>")
                      << "\n  actual:   " << (ha ? al : "<end>"));
      return;
    }
  }
  FAIL_CHECK(what << " differs (line endings)");
}

}  // namespace testing
}  // namespace memoryfs::shell
