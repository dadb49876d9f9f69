#include "fs/directory.h"

#include <algorithm>
#include <string>

#include "fs/fs_error.h"

namespace memoryfs::fs {

DirEntry DecodeDirEntry(const Bytes& block, int offset) {
  DirEntry entry;
  entry.name.assign(block.begin() + offset, block.begin() + offset + kMaxFileName);
  for (int i = 0; i < kInodeNumberSize; ++i) {
    entry.inode = (entry.inode << 8) | block[offset + kMaxFileName + i];
  }
  return entry;
}

void EncodeDirEntry(Bytes& block, int offset, std::string_view name, uint32_t inode) {
  for (int i = 0; i < kMaxFileName; ++i) {
    block[offset + i] = i < static_cast<int>(name.size()) ? static_cast<uint8_t>(name[i]) : 0;
  }
  for (int i = 0; i < kInodeNumberSize; ++i) {
    block[offset + kMaxFileName + i] = static_cast<uint8_t>(inode >> (8 * (3 - i)));
  }
}

bool DirNameMatches(const uint8_t* stored, std::string_view name) {
  if (name.size() > static_cast<size_t>(kMaxFileName)) return false;
  for (int i = 0; i < kMaxFileName; ++i) {
    const uint8_t want = i < static_cast<int>(name.size()) ? static_cast<uint8_t>(name[i]) : 0;
    if (stored[i] != want) return false;
  }
  return true;
}

Result<std::optional<uint32_t>> Directory::Lookup(std::string_view name, int64_t dir) {
  ASSIGN_OR_RETURN(Inode inode, inodes_.Load(dir));
  if (inode.type != InodeType::kDirectory) {
    log_ << "Lookup: not a directory inode: " << dir << " , " << static_cast<uint16_t>(inode.type)
         << "\n";
    return std::optional<uint32_t>();
  }
  const int bs = geometry_.block_size();
  int64_t offset = 0;
  int64_t scanned = 0;
  while (offset < inode.size) {
    // The reference's InodeNumberToBlock: reloads the inode, then Gets the data block.
    ASSIGN_OR_RETURN(Inode again, inodes_.Load(dir));
    inode = std::move(again);
    const int64_t index = offset / bs;
    if (index >= static_cast<int64_t>(inode.blocks.size())) {
      return FsError(Code::kInvalidArgument, FsErrorCode::kCorruptInode);
    }
    ASSIGN_OR_RETURN(Bytes block, disk_.Get(inode.blocks[index]));
    for (int i = 0; i < geometry_.entries_per_block(); ++i) {
      if (inode.size > scanned) {
        scanned += kDirEntrySize;
        if (DirNameMatches(block.data() + i * kDirEntrySize, name)) {
          return std::optional<uint32_t>(DecodeDirEntry(block, i * kDirEntrySize).inode);
        }
      }
    }
    offset += bs;
  }
  return std::optional<uint32_t>();
}

Result<bool> Directory::HasRoom(int64_t dir) {
  ASSIGN_OR_RETURN(Inode inode, inodes_.Load(dir));
  return inode.size < geometry_.max_file_size();
}

Status Directory::Insert(int64_t dir_number, Inode& dir, std::string_view name, uint32_t number) {
  if (name.size() > static_cast<size_t>(kMaxFileName)) {
    return FsError(Code::kInvalidArgument, FsErrorCode::kFilenameTooLong);
  }
  if (dir.type != InodeType::kDirectory) {
    return FsError(Code::kInvalidArgument, FsErrorCode::kCreateInvalidDir);
  }
  const int64_t index = dir.size;
  if (index >= geometry_.max_file_size())
    return FsError(Code::kNoSpace, FsErrorCode::kDirectoryFull);
  // The reference would write the entry past the block's end (its Put then carries more than
  // a block).
  if (!geometry_.EntryFits(index))
    return FsError(Code::kNoSpace, FsErrorCode::kEntryStraddlesBlock);
  const int bs = geometry_.block_size();
  const int64_t block_index = index / bs;
  if (index % bs == 0 && index != 0) {
    ASSIGN_OR_RETURN(uint32_t fresh, allocator_.Allocate());
    dir.blocks[block_index] = fresh;
  }
  const uint32_t block_number = dir.blocks[block_index];
  ASSIGN_OR_RETURN(Bytes block, disk_.Get(block_number));
  EncodeDirEntry(block, static_cast<int>(index % bs), name, number);
  RETURN_IF_ERROR(disk_.Put(block_number, block));
  dir.size += kDirEntrySize;
  return inodes_.Store(dir_number, dir);
}

Result<bool> Directory::Remove(int64_t dir_number, Inode& dir, std::string_view name) {
  const int bs = geometry_.block_size();
  const int64_t max_blocks = static_cast<int64_t>(dir.blocks.size());
  bool removed = false;
  // The loop bound is re-evaluated with the size as it shrinks, as in the reference.
  for (int64_t block_index = 0; block_index <= dir.size / bs && block_index < max_blocks;
       ++block_index) {
    const uint32_t block_number = dir.blocks[block_index];
    ASSIGN_OR_RETURN(Bytes block, disk_.Get(block_number));
    const int64_t end = block_index == dir.size / bs ? dir.size % bs : bs;
    for (int64_t position = 0; position + kDirEntrySize <= end; position += kDirEntrySize) {
      if (!DirNameMatches(block.data() + position, name)) continue;
      // Move the directory's last entry into the hole.
      const int64_t last_offset = int64_t{dir.size} - kDirEntrySize;
      const int64_t last_index = last_offset / bs;
      const int64_t last_position = last_offset % bs;
      const uint32_t last_number = dir.blocks[last_index];
      ASSIGN_OR_RETURN(Bytes last_block, disk_.Get(last_number));
      if (last_index == block_index && last_position == position) {
        std::fill_n(block.begin() + position, kDirEntrySize, 0);
      } else {
        std::copy_n(last_block.begin() + last_position, kDirEntrySize, block.begin() + position);
        std::fill_n(last_block.begin() + last_position, kDirEntrySize, 0);
        RETURN_IF_ERROR(disk_.Put(last_number, last_block));
      }
      RETURN_IF_ERROR(disk_.Put(block_number, block));
      dir.size -= kDirEntrySize;
      if (dir.refcnt > 0) dir.refcnt -= 1;
      RETURN_IF_ERROR(inodes_.Store(dir_number, dir));
      removed = true;
      break;
    }
  }
  return removed;
}

Result<bool> Directory::RemoveCompacting(int64_t dir_number, Inode& dir, std::string_view name) {
  const int bs = geometry_.block_size();
  const int64_t count = std::min<int64_t>((int64_t{dir.size} + bs - 1) / bs, dir.blocks.size());
  Bytes contents;
  for (int64_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(const Bytes block, disk_.Get(dir.blocks[i]));
    contents.insert(contents.end(), block.begin(), block.end());
  }
  const int64_t end = std::min<int64_t>(dir.size, static_cast<int64_t>(contents.size()));
  int64_t hole = 0;
  while (hole < end && !DirNameMatches(contents.data() + hole, name)) hole += kDirEntrySize;
  if (hole >= end) return false;
  contents.erase(contents.begin() + hole, contents.begin() + hole + kDirEntrySize);
  contents.insert(contents.end(), kDirEntrySize, 0);
  for (int64_t i = 0; i < count; ++i) {
    const Bytes block(contents.begin() + i * bs, contents.begin() + (i + 1) * bs);
    RETURN_IF_ERROR(disk_.Put(dir.blocks[i], block));
  }
  dir.size -= kDirEntrySize;
  if (dir.refcnt > 0) dir.refcnt -= 1;
  RETURN_IF_ERROR(inodes_.Store(dir_number, dir));
  return true;
}

Status Directory::ForEach(const Inode& dir, const std::function<Status(const DirEntry&)>& visit) {
  const int bs = geometry_.block_size();
  const int64_t max_blocks = static_cast<int64_t>(dir.blocks.size());
  for (int64_t block_index = 0; block_index <= dir.size / bs && block_index < max_blocks;
       ++block_index) {
    ASSIGN_OR_RETURN(Bytes block, disk_.Get(dir.blocks[block_index]));
    const int64_t end = block_index == dir.size / bs ? dir.size % bs : bs;
    for (int64_t position = 0; position + kDirEntrySize <= end; position += kDirEntrySize) {
      RETURN_IF_ERROR(visit(DecodeDirEntry(block, static_cast<int>(position))));
    }
  }
  return Status::Ok();
}

}  // namespace memoryfs::fs
