// The shell's load and save commands (no lock, as in the reference): Python pickle dumps of
// every block (fs/dump.h), read or written through the file system's device, so in the 2023
// edition through the block cache.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "client/lock_convention.h"
#include "core/bytes.h"
#include "fs/dump.h"
#include "shell/shell.h"

namespace memoryfs::shell {

void Shell::Load(const Args& args) {
  if (args.size() != 2) return Usage("Error: load requires 1 argument");
  const std::string& path = args[1];
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return Fail("Error: Please provide valid file");
  }
  Log(dialect_.load_log + path);
  std::ifstream file(path, std::ios::binary);
  const Bytes contents((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (!file.good() && !file.eof()) {
    Fail("Error: cannot read file " + path);
  } else {
    Result<std::vector<Bytes>> blocks = fs::ParseDump(contents, fs_.geometry());
    if (!blocks.ok()) {
      Fail(blocks.status().message());
    } else {
      for (size_t i = 0; i < blocks->size(); ++i) {
        Status status = fs_.WriteBlock(static_cast<int64_t>(i), (*blocks)[i]);
        if (!status.ok()) {
          PrintError(status, false);
          break;
        }
      }
    }
  }
  cwd_ = 0;  // the reference resets cwd after any load attempt on an existing file
}

void Shell::Save(const Args& args) {
  if (args.size() != 2) return Usage("Error: save requires 1 argument");
  const std::string& path = args[1];
  Log(dialect_.save_log + path);
  // The lock block is not file-system data: it is saved released, so that loading the dump
  // can never leave the disk locked.
  const fs::Geometry& g = fs_.geometry();
  std::vector<Bytes> blocks;
  for (int i = 0; i < g.num_blocks(); ++i) {
    if (i == g.lock_block()) {
      blocks.push_back(client::LockConvention::Released(g.block_size()));
      continue;
    }
    Result<Bytes> block = fs_.ReadBlock(i);
    if (!block.ok()) return PrintError(block.status(), false);
    blocks.push_back(std::move(block).value());
  }
  const Bytes dump = fs::SerializeDump(fs_.geometry(), blocks);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(dump.data()), static_cast<std::streamsize>(dump.size()));
  file.close();
  if (!file) Fail("Error: cannot write file " + path);
}

}  // namespace memoryfs::shell
