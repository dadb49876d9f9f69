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
  constexpr int64_t kMaxInodes = int64_t{1} << 24;
  if (bs < 1 || bs > kMaxBlockSize) {
    return Invalid("the block size (-bs " + std::to_string(bs) + ") must be 1 to 1048576");
  }
  if (nb < 1 || nb > kMaxBlocks) {
    return Invalid("the number of blocks (-nb " + std::to_string(nb) + ") must be 1 to 2^30");
  }
  if (is < header + 4 || is > kMaxBlockSize) {
    return Invalid("the inode size (-is " + std::to_string(is) + ") must be " +
                   std::to_string(header + 4) + " to 1048576: an inode holds a header of " +
                   std::to_string(header) +
                   " bytes and at least one 4-byte block number (the reference fails at start-up "
                   "without one)");
  }
  if (ni < 1 || ni > kMaxInodes) {
    return Invalid("the number of inodes (-ni " + std::to_string(ni) + ") must be 1 to 2^24");
  }
  const int64_t data_offset = kFreeBitmapOffset + nb / bs + ni * is / bs;
  if (data_offset >= nb) {
    return Invalid("no room left for data blocks: the bitmap and inode table end at block " +
                   std::to_string(data_offset) + ", and -nb is " + std::to_string(nb));
  }
  if ((is - header) / 4 * bs > int64_t{0xFFFFFFFF}) {
    return Invalid("the maximum file size ((-is - " + std::to_string(header) +
                   ") / 4 blocks of -bs bytes) must fit in 32 bits");
  }
  return Geometry(static_cast<int>(nb), static_cast<int>(bs), static_cast<int>(ni),
                  static_cast<int>(is), edition);
}

bool Geometry::InodeFits(int64_t number) const {
  const int64_t start = number * inode_size_;
  return number >= 0 && start / block_size_ < inode_table_blocks() &&
         start % block_size_ + inode_size_ <= block_size_;
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

std::string ExplainLimit(const Geometry& g, FsErrorCode error) {
  const std::string nb = std::to_string(g.num_blocks()), bs = std::to_string(g.block_size());
  switch (error) {
    case FsErrorCode::kBlockBeyondBitmap:
      return "every block below " + std::to_string(g.bitmap_capacity()) +
             " is in use, and the free bitmap (-nb " + nb + " // -bs " + bs + " = " +
             std::to_string(g.bitmap_blocks()) +
             " blocks) has no byte for the blocks above: the reference would mark them in the "
             "inode table. Use an -nb that is a multiple of -bs to use every block.";
    case FsErrorCode::kInodeBeyondTable:
      return "the inode table (-ni " + std::to_string(g.max_inodes()) + " * -is " +
             std::to_string(g.inode_size()) + " // -bs " + bs + " = " +
             std::to_string(g.inode_table_blocks()) +
             " blocks) has no room for the next inode, which the reference would write across "
             "a block end or into a data block. Use an -is that divides -bs and an -ni * -is "
             "that is a multiple of -bs.";
    case FsErrorCode::kEntryStraddlesBlock:
      return "the next directory entry (16 bytes) would cross the end of a block of -bs " + bs +
             ", which the reference would write past. Use a -bs that is a multiple of 16.";
    default:
      return "";
  }
}

}  // namespace memoryfs::fs
