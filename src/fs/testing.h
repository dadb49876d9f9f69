// Test helpers of the fs layer (header-only, used by the fs and shell tests): a device that
// fails on demand, and a consistency check of a whole file system.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "client/block_device.h"
#include "client/memory_device.h"
#include "fs/directory.h"
#include "fs/filesystem.h"
#include "fs/geometry.h"

namespace memoryfs::fs {
namespace testing {

// Forwards to a MemoryDevice; call number `fail_at` (0-based, counted from Arm()) and, with
// `sticky`, every later call answer kUnavailable.
class FlakyDevice : public client::BlockDevice {
 public:
  explicit FlakyDevice(client::MemoryDevice& inner) : inner_(inner) {}

  void Arm(int fail_at, bool sticky) {
    calls_ = 0;
    fail_at_ = fail_at;
    sticky_ = sticky;
  }
  void Disarm() { fail_at_ = -1; }

  Result<Bytes> Get(int block) override {
    if (Fails()) return Down();
    return inner_.Get(block);
  }
  Status Put(int block, const Bytes& data) override {
    if (Fails()) return Down();
    return inner_.Put(block, data);
  }
  Result<Bytes> RSM(int block) override {
    if (Fails()) return Down();
    return inner_.RSM(block);
  }
  int num_blocks() const override { return inner_.num_blocks(); }
  int block_size() const override { return inner_.block_size(); }

 private:
  bool Fails() {
    if (fail_at_ < 0) return false;
    const int call = calls_++;
    return call == fail_at_ || (sticky_ && call > fail_at_);
  }
  static Status Down() { return Status::Error(Code::kUnavailable, "server down (test)"); }

  client::MemoryDevice& inner_;
  int calls_ = 0;
  int fail_at_ = -1;
  bool sticky_ = false;
};

// Every block of `device`, raw (no trace): to compare a whole disk before and after.
inline std::vector<Bytes> RawImage(const client::MemoryDevice& device) {
  std::vector<Bytes> blocks;
  for (int b = 0; b < device.num_blocks(); ++b) blocks.push_back(device.raw(b));
  return blocks;
}

// Every inode of the table, read raw; those outside it (Geometry::InodeFits) as free ones.
inline std::vector<Inode> LoadInodes(const client::MemoryDevice& device, const Geometry& g) {
  std::vector<Inode> inodes;
  for (int i = 0; i < g.max_inodes(); ++i) {
    if (!g.InodeFits(i)) {  // never used (ERROR_INODE_BEYOND_TABLE): counted as free
      inodes.push_back(Inode::Empty(g.max_blocks_per_file()));
      continue;
    }
    const Bytes& block = device.raw(g.InodeBlock(i));
    inodes.push_back(Inode::Decode(block.data() + g.InodeOffset(i), g.inode_size(),
                                   g.max_blocks_per_file(), g.inode_layout()));
  }
  return inodes;
}

// Reads the raw images of `device` (no trace) and returns the broken invariants, if any:
// - an inode in use has a valid type, a size within bounds, and for each block it uses a data
//   block number, marked in the bitmap, used by no other inode or slot;
// - inodes outside the table (Geometry::InodeFits) are never used;
// - a free inode is all zeros;
// - every entry within a directory's size names an inode in use;
// - a file's or symlink's refcnt equals the number of entries naming it.
inline std::vector<std::string> CheckConsistency(const client::MemoryDevice& device,
                                                 const Geometry& g) {
  std::vector<std::string> problems;
  const auto complain = [&](const std::string& what) { problems.push_back(what); };
  const int bs = g.block_size();
  const auto bitmap_byte = [&](int64_t b) {
    return device.raw(g.BitmapBlock(b))[g.BitmapOffset(b)];
  };
  const std::vector<Inode> inodes = LoadInodes(device, g);
  std::set<uint32_t> used_blocks;
  std::map<uint32_t, int> names;  // inode -> number of entries naming it
  for (int i = 0; i < g.max_inodes(); ++i) {
    const Inode& inode = inodes[i];
    const std::string who = "inode " + std::to_string(i) + ": ";
    if (inode.type == InodeType::kInvalid) {
      if (!(inode == Inode::Empty(g.max_blocks_per_file()))) complain(who + "free but not zero");
      continue;
    }
    if (inode.type != InodeType::kFile && inode.type != InodeType::kDirectory &&
        inode.type != InodeType::kSymlink) {
      complain(who + "bad type");
      continue;
    }
    if (inode.size > g.max_file_size()) complain(who + "size beyond the maximum");
    const int64_t needed = (int64_t{inode.size} + bs - 1) / bs;
    for (size_t k = 0; k < inode.blocks.size(); ++k) {
      const uint32_t b = inode.blocks[k];
      if (b == 0) {
        if (static_cast<int64_t>(k) < needed) complain(who + "missing block for its size");
        continue;
      }
      if (b < static_cast<uint32_t>(g.data_offset()) ||
          b >= static_cast<uint32_t>(g.num_blocks())) {
        complain(who + "block " + std::to_string(b) + " is not a data block");
        continue;
      }
      if (b >= g.bitmap_capacity()) {
        complain(who + "block " + std::to_string(b) + " has no bitmap byte");
        continue;
      }
      if (bitmap_byte(b) != 1) complain(who + "block " + std::to_string(b) + " not marked used");
      if (!used_blocks.insert(b).second) complain(who + "block " + std::to_string(b) + " shared");
    }
    if (inode.type == InodeType::kDirectory) {
      if (inode.size % kDirEntrySize != 0) complain(who + "directory size not a multiple of 16");
      for (int64_t offset = 0; offset < inode.size; offset += kDirEntrySize) {
        const uint32_t b = inode.blocks[offset / bs];
        if (b == 0 || b >= static_cast<uint32_t>(g.num_blocks())) break;
        const DirEntry entry = DecodeDirEntry(device.raw(b), static_cast<int>(offset % bs));
        if (entry.inode >= static_cast<uint32_t>(g.max_inodes()) ||
            inodes[entry.inode].type == InodeType::kInvalid) {
          complain(who + "entry at " + std::to_string(offset) + " names a free inode");
        } else {
          names[entry.inode] += 1;
        }
      }
    }
    if (inode.type == InodeType::kSymlink &&
        (inode.blocks[0] == 0 || inode.size > static_cast<uint32_t>(bs))) {
      complain(who + "bad symlink");
    }
  }
  for (int i = 0; i < g.max_inodes(); ++i) {
    const Inode& inode = inodes[i];
    if (inode.type == InodeType::kFile || inode.type == InodeType::kSymlink) {
      if (inode.refcnt != names[i]) {
        complain("inode " + std::to_string(i) + ": refcnt " + std::to_string(inode.refcnt) +
                 " but " + std::to_string(names[i]) + " names");
      }
    }
  }
  return problems;
}

}  // namespace testing
}  // namespace memoryfs::fs
