#include "fs/geometry.h"

namespace memoryfs::fs {
namespace {

Status Invalid(const std::string& why) {
  return Status::Error(Code::kInvalidArgument, "invalid file system geometry: " + why);
}

}  // namespace

Result<Geometry> Geometry::Create(int64_t nb, int64_t bs, int64_t ni, int64_t is, Edition edition) {
  const int64_t header = InodeLayout::For(edition).blocks_offset();
  constexpr int64_t kMaxBlocks = int64_t{1} << 30;  // block numbers travel as int32
  constexpr int64_t kMaxBlockSize = int64_t{1} << 20;
  if (bs < 2 * kDirEntrySize || bs > kMaxBlockSize || bs % kDirEntrySize != 0) {
    return Invalid("the block size must be a multiple of 16 between 32 and 1048576");
  }
  if (nb < bs || nb > kMaxBlocks || nb % bs != 0) {
    return Invalid("the number of blocks must be a multiple of the block size, at most 2^30");
  }
  if (is < header + 4 || is > bs || bs % is != 0) {
    return Invalid("the inode size must be at least " + std::to_string(header + 4) +
                   " and divide the block size");
  }
  if (ni < 1 || ni > (int64_t{1} << 24) || (ni * is) % bs != 0) {
    return Invalid("the inode table (max inodes * inode size) must fill whole blocks");
  }
  const int64_t data_offset = kFreeBitmapOffset + nb / bs + ni * is / bs;
  if (data_offset >= nb) return Invalid("no room left for data blocks");
  if ((is - header) / 4 * bs > int64_t{0xFFFFFFFF}) {
    return Invalid("the maximum file size must fit in 32 bits");
  }
  return Geometry(static_cast<int>(nb), static_cast<int>(bs), static_cast<int>(ni),
                  static_cast<int>(is), edition);
}

int Geometry::InodeBlock(int64_t number) const {
  return inode_table_offset() + static_cast<int>(number * inode_size_ / block_size_);
}

int Geometry::InodeOffset(int64_t number) const {
  return static_cast<int>(number * inode_size_ % block_size_);
}

std::string Geometry::ConstantsString() const {
  return "BS_" + std::to_string(block_size_) + "_NB_" + std::to_string(num_blocks_) + "_IS_" +
         std::to_string(inode_size_) + "_MI_" + std::to_string(max_inodes_) + "_MF_" +
         std::to_string(kMaxFileName) + "_IDS_" + std::to_string(kInodeNumberSize);
}

}  // namespace memoryfs::fs
