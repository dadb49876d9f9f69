// Geometry: the layout constants of the file system, derived from the four numbers the shell is
// given (-nb -bs -ni -is) with the reference's integer divisions, and the course edition they
// are laid out for (core/edition.h: the one value every edition-dependent concern consults).
//
//   block 0                 boot block, which the 2022 edition's lock convention
//                           (client::kLock2022, see lock()) uses as the lock block
//   block 1                 superblock (unused, zero)
//   blocks 2 ..             free bitmap, nb/bs blocks, one BYTE per block number (1 = used)
//   inode_table_offset ..   inode table, ni*is/bs blocks; inode i is at block
//                           inode_table_offset + i*is/bs, offset i*is % bs
//   data_offset .. nb-1     data blocks; in the 2023 edition the last two are not file-system
//                           data: nb-2 records the last writer, nb-1 is the lock
//
// Geometries the reference accepts. The Python shell takes any -nb/-bs/-is/-ni and lays them
// out with the same integer divisions, even where the layout then overlaps itself. So does
// Geometry::Create, which refuses only what the reference cannot start with (a non-positive
// number, no room for one block number in an inode, no data block at all) or what does not
// fit our integers. The overlaps are refused where the reference would corrupt itself, by the
// step that would (the file system undoes the operation and reports the error):
//   - nb not a multiple of bs: the bitmap's nb//bs blocks hold bytes for the blocks below
//     bitmap_capacity() only; the byte of a block above it would be in the inode table
//     (ERROR_BLOCK_BEYOND_BITMAP when the allocator's scan reaches it);
//   - ni*is not a multiple of bs, or is not dividing bs: an inode outside the table's
//     ni*is//bs blocks, or across two blocks (InodeFits(); ERROR_INODE_BEYOND_TABLE);
//   - bs not a multiple of 16: a directory entry across a block end (EntryFits();
//     ERROR_ENTRY_STRADDLES_BLOCK).
// Up to that step every RPC and every byte are the reference's.
#pragma once

#include <cstdint>
#include <string>

#include "client/lock_convention.h"
#include "core/edition.h"
#include "core/status.h"
#include "fs/fs_error.h"
#include "fs/inode.h"

namespace memoryfs::fs {

inline constexpr int kMaxFileName = 12;     // bytes of a name in a directory entry
inline constexpr int kInodeNumberSize = 4;  // bytes of the inode number in an entry
inline constexpr int kDirEntrySize = kMaxFileName + kInodeNumberSize;
inline constexpr int kFreeBitmapOffset = 2;

class Geometry {
 public:
  // The reference's defaults: -nb 256 -bs 128 -ni 16 -is 16, 2022 edition.
  Geometry() = default;

  // Validates and builds a geometry; kInvalidArgument with an explanation otherwise.
  static Result<Geometry> Create(int64_t num_blocks, int64_t block_size, int64_t max_inodes,
                                 int64_t inode_size, Edition edition = Edition::k2022);

  Edition edition() const { return edition_; }
  int num_blocks() const { return num_blocks_; }
  // The edition's lock convention, and the block it locks (not file-system data).
  client::LockConvention lock() const { return client::LockConvention::For(edition_); }
  int lock_block() const { return lock().Block(num_blocks_); }
  int block_size() const { return block_size_; }
  int max_inodes() const { return max_inodes_; }
  int inode_size() const { return inode_size_; }

  int inodes_per_block() const { return block_size_ / inode_size_; }
  int bitmap_offset() const { return kFreeBitmapOffset; }
  int bitmap_blocks() const { return num_blocks_ / block_size_; }
  // The block numbers whose bitmap byte lies in the bitmap: those below this (<= nb).
  int64_t bitmap_capacity() const { return int64_t{bitmap_blocks()} * block_size_; }
  int inode_table_offset() const { return kFreeBitmapOffset + bitmap_blocks(); }
  int inode_table_blocks() const {
    return static_cast<int>(int64_t{max_inodes_} * inode_size_ / block_size_);
  }
  // The edition's inode layout, and the block numbers it leaves room for.
  InodeLayout inode_layout() const { return InodeLayout::For(edition_); }
  int max_blocks_per_file() const { return (inode_size_ - inode_layout().blocks_offset()) / 4; }
  int64_t max_file_size() const { return int64_t{max_blocks_per_file()} * block_size_; }
  int data_offset() const { return inode_table_offset() + inode_table_blocks(); }
  int data_blocks() const { return num_blocks_ - data_offset(); }
  // One past the last block the allocator may hand out: nb, or nb-2 in the 2023 edition, whose
  // last two blocks (the last writer, the lock) must never become file data. (The reference
  // allocates them when the disk fills: see docs/edition2023.md.)
  int allocation_end() const { return num_blocks_ - (edition_ == Edition::k2023 ? 2 : 0); }
  int entries_per_block() const { return block_size_ / kDirEntrySize; }
  // Whether inode `number` lies wholly inside one block of the inode table.
  bool InodeFits(int64_t number) const;
  // Whether a directory entry at byte `offset` of a directory ends inside its block.
  bool EntryFits(int64_t offset) const {
    return offset % block_size_ + kDirEntrySize <= block_size_;
  }

  // Where inode `number` (0 <= number < max_inodes) lives.
  int InodeBlock(int64_t number) const;
  int InodeOffset(int64_t number) const;
  // The bitmap block holding the byte of block `block`, and that byte's offset.
  int BitmapBlock(int64_t block) const {
    return kFreeBitmapOffset + static_cast<int>(block / block_size_);
  }
  int BitmapOffset(int64_t block) const { return static_cast<int>(block % block_size_); }

  // "BS_<bs>_NB_<nb>_IS_<is>_MI_<ni>_MF_12_IDS_4": the header of a dump file.
  std::string ConstantsString() const;

  bool operator==(const Geometry&) const = default;

 private:
  Geometry(int nb, int bs, int ni, int is, Edition edition)
      : num_blocks_(nb), block_size_(bs), max_inodes_(ni), inode_size_(is), edition_(edition) {}

  int num_blocks_ = 256;
  int block_size_ = 128;
  int max_inodes_ = 16;
  int inode_size_ = 16;
  Edition edition_ = Edition::k2022;
};

// For people: why `error` (one of the three overlap errors above) happens at geometry `g`,
// and what to choose instead; "" for every other error.
std::string ExplainLimit(const Geometry& g, FsErrorCode error);

}  // namespace memoryfs::fs
