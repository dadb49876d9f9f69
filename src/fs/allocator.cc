#include "fs/allocator.h"

#include <algorithm>

#include "fs/fs_error.h"

namespace memoryfs::fs {

Result<uint32_t> BlockAllocator::Allocate() {
  const int64_t end = std::min<int64_t>(geometry_.allocation_end(), geometry_.bitmap_capacity());
  for (int b = geometry_.data_offset(); b < end; ++b) {
    const int bitmap_block = geometry_.BitmapBlock(b);
    ASSIGN_OR_RETURN(Bytes bitmap, disk_.Get(bitmap_block));
    uint8_t& byte = bitmap[geometry_.BitmapOffset(b)];
    if (byte == 0) {
      byte = 1;
      RETURN_IF_ERROR(disk_.Put(bitmap_block, bitmap));
      return static_cast<uint32_t>(b);
    }
  }
  // The reference's scan would go on into bytes of the inode table, and set one.
  if (end < geometry_.allocation_end()) {
    return FsError(Code::kNoSpace, FsErrorCode::kBlockBeyondBitmap);
  }
  return FsError(Code::kNoSpace, FsErrorCode::kNoFreeBlocks);
}

Status BlockAllocator::Free(int64_t block) {
  if (block <= 0 || block >= geometry_.bitmap_capacity()) return Status::Ok();
  const int bitmap_block = geometry_.BitmapBlock(block);
  ASSIGN_OR_RETURN(Bytes bitmap, disk_.Get(bitmap_block));
  bitmap[geometry_.BitmapOffset(block)] = 0;
  return disk_.Put(bitmap_block, bitmap);
}

Result<bool> BlockAllocator::IsUsed(int64_t block) {
  if (block < 0 || block >= geometry_.num_blocks()) {
    return FsError(Code::kOutOfRange, FsErrorCode::kBlockNumberOutOfRange);
  }
  if (block >= geometry_.bitmap_capacity()) {
    return FsError(Code::kOutOfRange, FsErrorCode::kBlockBeyondBitmap);
  }
  ASSIGN_OR_RETURN(Bytes bitmap, disk_.Get(geometry_.BitmapBlock(block)));
  return bitmap[geometry_.BitmapOffset(block)] != 0;
}

}  // namespace memoryfs::fs
