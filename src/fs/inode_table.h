// InodeTable: loads and stores inodes by number, the reference's way: Load is one Get of the
// inode's table block; Store is a Get of that block, the inode's slice replaced, and a Put.
#pragma once

#include <cstdint>
#include <optional>

#include "core/status.h"
#include "fs/disk.h"
#include "fs/geometry.h"
#include "fs/inode.h"

namespace memoryfs::fs {

class InodeTable {
 public:
  InodeTable(Disk& disk, const Geometry& geometry) : disk_(disk), geometry_(geometry) {}

  // Inode `number`; kOutOfRange ERROR_INODE_NUMBER_OUT_OF_RANGE unless 0 <= number < ni
  // (the reference quit()s on such numbers; it only sees them on a damaged disk), and
  // kOutOfRange ERROR_INODE_BEYOND_TABLE for an inode outside the table (Geometry::InodeFits).
  Result<Inode> Load(int64_t number);
  Status Store(int64_t number, const Inode& inode);

  // The reference's read of inode -1 ("not found" passed on as an inode number): Python's
  // floor division puts it in the last bitmap block, at offset bs-is. Kept because it is one
  // more Get in the RPC trace of `cat` of a missing name.
  Result<Inode> LoadNotFoundSentinel();

  // First free inode (type 0), scanning 0..ni-1 with one Load each; nullopt when none.
  // ERROR_INODE_BEYOND_TABLE when the scan reaches an inode that does not fit first.
  Result<std::optional<uint32_t>> FindFree();

  Inode Empty() const { return Inode::Empty(geometry_.max_blocks_per_file()); }

 private:
  Status CheckNumber(int64_t number) const;

  Disk& disk_;
  const Geometry& geometry_;
};

}  // namespace memoryfs::fs
