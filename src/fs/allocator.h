// BlockAllocator: the free bitmap, one byte per block number (1 = used), in the blocks from 2.
//
// Allocate is the reference's scan, RPC for RPC: for b = data_offset .. allocation_end-1 (see
// Geometry) it Gets the bitmap block holding b's byte (one Get per candidate, even when it is
// the same block as for the previous candidate), takes the first zero byte, sets it and Puts
// the block back.
// Only data blocks are ever marked; freed blocks are not zeroed.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "fs/disk.h"
#include "fs/geometry.h"

namespace memoryfs::fs {

class BlockAllocator {
 public:
  BlockAllocator(Disk& disk, const Geometry& geometry) : disk_(disk), geometry_(geometry) {}

  // A newly marked block; kNoSpace ERROR_NO_FREE_BLOCKS when every data block is used, or
  // ERROR_BLOCK_BEYOND_BITMAP when every block with a bitmap byte is (the scan stops at
  // Geometry::bitmap_capacity(), where the reference's would start setting inode-table bytes).
  Result<uint32_t> Allocate();

  // Clears the byte of `block` (Get bitmap block, Put). Numbers without a bitmap byte are
  // ignored: they only come from a damaged inode, and their "byte" would be in another structure.
  Status Free(int64_t block);

  // Whether `block` is marked used (one Get). For checks and tests.
  Result<bool> IsUsed(int64_t block);

 private:
  Disk& disk_;
  const Geometry& geometry_;
};

}  // namespace memoryfs::fs
