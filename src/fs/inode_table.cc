#include "fs/inode_table.h"

#include <algorithm>

#include "fs/fs_error.h"

namespace memoryfs::fs {

Status InodeTable::CheckNumber(int64_t number) const {
  if (number < 0 || number >= geometry_.max_inodes()) {
    return FsError(Code::kOutOfRange, FsErrorCode::kInodeNumberOutOfRange);
  }
  if (!geometry_.InodeFits(number)) {
    return FsError(Code::kOutOfRange, FsErrorCode::kInodeBeyondTable);
  }
  return Status::Ok();
}

Result<Inode> InodeTable::Load(int64_t number) {
  RETURN_IF_ERROR(CheckNumber(number));
  ASSIGN_OR_RETURN(Bytes block, disk_.Get(geometry_.InodeBlock(number)));
  const int start = geometry_.InodeOffset(number);
  return Inode::Decode(block.data() + start, geometry_.inode_size(),
                       geometry_.max_blocks_per_file(), geometry_.inode_layout());
}

Status InodeTable::Store(int64_t number, const Inode& inode) {
  RETURN_IF_ERROR(CheckNumber(number));
  const int block_number = geometry_.InodeBlock(number);
  ASSIGN_OR_RETURN(Bytes block, disk_.Get(block_number));
  const Bytes encoded = inode.Encode(geometry_.inode_size(), geometry_.inode_layout());
  std::copy(encoded.begin(), encoded.end(), block.begin() + geometry_.InodeOffset(number));
  return disk_.Put(block_number, block);
}

Result<Inode> InodeTable::LoadNotFoundSentinel() {
  // -1 * is // bs == -1 and -is % bs == bs - is, since 0 < is <= bs (with is > bs no inode
  // fits, and there is no root directory to look a name up in).
  if (geometry_.inode_size() > geometry_.block_size()) return CheckNumber(0);
  const int block_number = geometry_.inode_table_offset() - 1;
  const int start = (geometry_.block_size() - geometry_.inode_size()) % geometry_.block_size();
  ASSIGN_OR_RETURN(Bytes block, disk_.Get(block_number));
  return Inode::Decode(block.data() + start, geometry_.inode_size(),
                       geometry_.max_blocks_per_file(), geometry_.inode_layout());
}

Result<std::optional<uint32_t>> InodeTable::FindFree() {
  for (int i = 0; i < geometry_.max_inodes(); ++i) {
    // The reference's scan would go on to inodes outside the table or across two blocks.
    if (!geometry_.InodeFits(i)) return CheckNumber(i);
    ASSIGN_OR_RETURN(Inode inode, Load(i));
    if (inode.type == InodeType::kInvalid) return std::optional<uint32_t>(i);
  }
  return std::optional<uint32_t>();
}

}  // namespace memoryfs::fs
