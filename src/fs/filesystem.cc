#include "fs/filesystem.h"

#include <algorithm>

#include "fs/fs_error.h"

namespace memoryfs::fs {
namespace {

bool NameTooLong(std::string_view name) { return name.size() > static_cast<size_t>(kMaxFileName); }

}  // namespace

FileSystem::FileSystem(client::BlockDevice& device, const Geometry& geometry, std::ostream& log)
    : geometry_(geometry),
      disk_(device, geometry_.num_blocks(), geometry_.block_size()),
      inodes_(disk_, geometry_),
      allocator_(disk_, geometry_),
      directory_(disk_, geometry_, inodes_, allocator_, log),
      paths_(disk_, inodes_, directory_) {}

template <typename T>
Result<T> FileSystem::Transact(const std::function<Result<T>()>& operation) {
  disk_.Begin();
  Result<T> result = operation();
  if (result.ok()) {
    disk_.Commit();
  } else {
    // Best effort: when the device itself failed, the undo may fail too; the operation's own
    // error is the one worth reporting.
    (void)disk_.Rollback();
  }
  return result;
}

Status FileSystem::TransactStatus(const std::function<Status()>& operation) {
  Result<bool> result = Transact<bool>([&]() -> Result<bool> {
    Status status = operation();
    if (!status.ok()) return status;
    return true;
  });
  return result.status();
}

Status FileSystem::InitRoot() {
  return TransactStatus([&]() -> Status {
    Result<Inode> root = inodes_.Load(0);
    if (!root.ok()) return root.status();
    root->type = InodeType::kDirectory;
    root->size = 0;
    root->refcnt = 1;
    Result<uint32_t> block = allocator_.Allocate();
    if (!block.ok()) return block.status();
    root->blocks[0] = *block;
    RETURN_IF_ERROR(directory_.Insert(0, *root, ".", 0));
    return inodes_.Store(0, *root);
  });
}

Result<std::optional<uint32_t>> FileSystem::Resolve(std::string_view path, uint32_t cwd) {
  return paths_.Resolve(path, cwd);
}

Result<std::optional<uint32_t>> FileSystem::ResolveFollow(std::string_view path, uint32_t cwd) {
  return paths_.ResolveFollow(path, cwd);
}

Result<std::optional<uint32_t>> FileSystem::Lookup(std::string_view name, uint32_t dir) {
  return directory_.Lookup(name, dir);
}

Result<Inode> FileSystem::ReadInode(int64_t number) { return inodes_.Load(number); }

Result<uint32_t> FileSystem::Create(uint32_t dir, std::string_view name, InodeType type) {
  return Transact<uint32_t>([&]() -> Result<uint32_t> {
    if (type != InodeType::kFile && type != InodeType::kDirectory) {
      return FsError(Code::kInvalidArgument, kErrCreateInvalidType);
    }
    Result<std::optional<uint32_t>> free_inode = inodes_.FindFree();
    if (!free_inode.ok()) return free_inode.status();
    if (!free_inode->has_value()) return FsError(Code::kNoSpace, kErrCreateInodeNotAvailable);
    const uint32_t position = **free_inode;

    Result<Inode> parent = inodes_.Load(dir);
    if (!parent.ok()) return parent.status();
    if (parent->type != InodeType::kDirectory) {
      return FsError(Code::kInvalidArgument, kErrCreateInvalidDir);
    }
    Result<bool> room = directory_.HasRoom(dir);
    if (!room.ok()) return room.status();
    if (!*room) return FsError(Code::kNoSpace, kErrCreateDataBlockNotAvailable);
    Result<std::optional<uint32_t>> existing = directory_.Lookup(name, dir);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return FsError(Code::kInvalidArgument, kErrCreateAlreadyExists);
    if (NameTooLong(name)) return FsError(Code::kInvalidArgument, kErrFilenameTooLong);

    Result<Inode> node = inodes_.Load(position);
    if (!node.ok()) return node.status();
    node->type = type;
    node->size = 0;
    node->refcnt = 1;
    if (type == InodeType::kDirectory) {
      Result<uint32_t> block = allocator_.Allocate();
      if (!block.ok()) return block.status();
      node->blocks[0] = *block;
      RETURN_IF_ERROR(inodes_.Store(position, *node));
      RETURN_IF_ERROR(directory_.Insert(dir, *parent, name, position));
      RETURN_IF_ERROR(directory_.Insert(position, *node, ".", position));
      RETURN_IF_ERROR(directory_.Insert(position, *node, "..", dir));
    } else {
      // New files get no block; Write allocates them.
      RETURN_IF_ERROR(inodes_.Store(position, *node));
      RETURN_IF_ERROR(directory_.Insert(dir, *parent, name, position));
    }
    parent->refcnt += 1;
    RETURN_IF_ERROR(inodes_.Store(dir, *parent));
    return position;
  });
}

Result<uint32_t> FileSystem::Write(uint32_t number, uint64_t offset, const Bytes& data) {
  return Transact<uint32_t>([&]() -> Result<uint32_t> {
    Result<Inode> inode = inodes_.Load(number);
    if (!inode.ok()) return inode.status();
    if (inode->type != InodeType::kFile) return FsError(Code::kInvalidArgument, kErrWriteNotFile);
    if (offset > inode->size) {
      return FsError(Code::kInvalidArgument, kErrWriteOffsetLargerThanSize);
    }
    const uint64_t end_offset = offset + data.size();
    if (end_offset > static_cast<uint64_t>(geometry_.max_file_size())) {
      return FsError(Code::kInvalidArgument, kErrWriteExceedsFileSize);
    }
    const uint64_t bs = geometry_.block_size();
    uint64_t current = offset;
    uint64_t written = 0;
    while (written < data.size()) {
      const uint64_t index = current / bs;
      const uint64_t next_boundary = (index + 1) * bs;
      const uint64_t start = current % bs;
      const uint64_t end = end_offset >= next_boundary ? bs : end_offset % bs;
      uint32_t block_number = inode->blocks[index];
      if (block_number == 0) {
        Result<uint32_t> fresh = allocator_.Allocate();
        if (!fresh.ok()) return fresh.status();
        block_number = *fresh;
        inode->blocks[index] = block_number;
      }
      Result<Bytes> block = disk_.Get(block_number);
      if (!block.ok()) return block.status();
      std::copy_n(data.begin() + written, end - start, block->begin() + start);
      RETURN_IF_ERROR(disk_.Put(block_number, *block));
      current += end - start;
      written += end - start;
    }
    inode->size += static_cast<uint32_t>(written);
    RETURN_IF_ERROR(inodes_.Store(number, *inode));
    return static_cast<uint32_t>(written);
  });
}

Result<Bytes> FileSystem::Read(uint32_t number, uint64_t offset, uint64_t count) {
  Result<Inode> inode = inodes_.Load(number);
  if (!inode.ok()) return inode.status();
  if (inode->type != InodeType::kFile) return FsError(Code::kInvalidArgument, kErrReadNotFile);
  if (offset > inode->size) return FsError(Code::kInvalidArgument, kErrReadOffsetLargerThanSize);
  const uint64_t to_read = offset + count > inode->size ? inode->size - offset : count;
  if (offset + to_read > static_cast<uint64_t>(geometry_.max_file_size())) {
    return FsError(Code::kInvalidArgument, kErrCorruptInode);  // size beyond the block list
  }
  const uint64_t bs = geometry_.block_size();
  Bytes out(to_read, 0);
  uint64_t current = offset;
  uint64_t done = 0;
  while (done < to_read) {
    const uint64_t index = current / bs;
    const uint64_t next_boundary = (index + 1) * bs;
    const uint64_t start = current % bs;
    const uint64_t end = offset + to_read >= next_boundary ? bs : (offset + to_read) % bs;
    Result<Bytes> block = disk_.Get(inode->blocks[index]);
    if (!block.ok()) return block.status();
    std::copy(block->begin() + start, block->begin() + end, out.begin() + done);
    done += end - start;
    current += end - start;
  }
  return out;
}

Status FileSystem::Link(std::string_view target, std::string_view name, uint32_t cwd) {
  return TransactStatus([&]() -> Status {
    Result<std::optional<uint32_t>> target_number = paths_.Resolve(target, cwd);
    if (!target_number.ok()) return target_number.status();
    if (!target_number->has_value()) return FsError(Code::kNotFound, kErrLinkTargetDoesNotExist);
    const uint32_t linked = **target_number;

    Result<Inode> dir = inodes_.Load(cwd);
    if (!dir.ok()) return dir.status();
    if (dir->type != InodeType::kDirectory) {
      return FsError(Code::kInvalidArgument, kErrLinkNotDirectory);
    }
    Result<bool> room = directory_.HasRoom(cwd);
    if (!room.ok()) return room.status();
    if (!*room) return FsError(Code::kNoSpace, kErrLinkDataBlockNotAvailable);
    Result<std::optional<uint32_t>> existing = directory_.Lookup(name, cwd);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return FsError(Code::kInvalidArgument, kErrLinkAlreadyExists);
    Result<Inode> target_inode = inodes_.Load(linked);
    if (!target_inode.ok()) return target_inode.status();
    if (target_inode->type != InodeType::kFile) {
      return FsError(Code::kInvalidArgument, kErrLinkTargetNotFile);
    }
    if (NameTooLong(name)) return FsError(Code::kInvalidArgument, kErrFilenameTooLong);

    RETURN_IF_ERROR(directory_.Insert(cwd, *dir, name, linked));
    Result<Inode> fresh = inodes_.Load(linked);
    if (!fresh.ok()) return fresh.status();
    fresh->refcnt += 1;
    RETURN_IF_ERROR(inodes_.Store(linked, *fresh));
    dir->refcnt += 1;
    return inodes_.Store(cwd, *dir);
  });
}

Status FileSystem::Symlink(std::string_view target, std::string_view name, uint32_t cwd) {
  return TransactStatus([&]() -> Status {
    Result<std::optional<uint32_t>> target_number = paths_.Resolve(target, cwd);
    if (!target_number.ok()) return target_number.status();
    if (!target_number->has_value()) {
      return FsError(Code::kNotFound, kErrSymlinkTargetDoesNotExist);
    }
    Result<Inode> dir = inodes_.Load(cwd);
    if (!dir.ok()) return dir.status();
    if (dir->type != InodeType::kDirectory) {
      return FsError(Code::kInvalidArgument, kErrSymlinkNotDirectory);
    }
    Result<bool> room = directory_.HasRoom(cwd);
    if (!room.ok()) return room.status();
    if (!*room) return FsError(Code::kNoSpace, kErrSymlinkDataBlockNotAvailable);
    Result<std::optional<uint32_t>> existing = directory_.Lookup(name, cwd);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return FsError(Code::kInvalidArgument, kErrSymlinkAlreadyExists);
    Result<std::optional<uint32_t>> free_inode = inodes_.FindFree();
    if (!free_inode.ok()) return free_inode.status();
    if (!free_inode->has_value()) return FsError(Code::kNoSpace, kErrSymlinkInodeNotAvailable);
    const uint32_t position = **free_inode;
    if (target.size() > static_cast<size_t>(geometry_.block_size())) {
      return FsError(Code::kInvalidArgument, kErrSymlinkTargetExceedsBlockSize);
    }
    if (NameTooLong(name)) return FsError(Code::kInvalidArgument, kErrFilenameTooLong);

    Result<Inode> link = inodes_.Load(position);
    if (!link.ok()) return link.status();
    link->type = InodeType::kSymlink;
    link->size = static_cast<uint32_t>(target.size());
    link->refcnt = 1;
    Result<uint32_t> block_number = allocator_.Allocate();
    if (!block_number.ok()) return block_number.status();
    link->blocks[0] = *block_number;
    RETURN_IF_ERROR(inodes_.Store(position, *link));
    RETURN_IF_ERROR(directory_.Insert(cwd, *dir, name, position));
    Result<Bytes> block = disk_.Get(*block_number);
    if (!block.ok()) return block.status();
    std::copy(target.begin(), target.end(), block->begin());
    return disk_.Put(*block_number, *block);
  });
}

Status FileSystem::Unlink(uint32_t dir, std::string_view name) {
  return TransactStatus([&]() -> Status {
    Result<Inode> dir_inode = inodes_.Load(dir);
    if (!dir_inode.ok()) return dir_inode.status();
    if (dir_inode->type != InodeType::kDirectory) {
      return FsError(Code::kInvalidArgument, kErrUnlinkInvalidDir);
    }
    Result<std::optional<uint32_t>> found = directory_.Lookup(name, dir);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return FsError(Code::kNotFound, kErrUnlinkDoesNotExist);
    const uint32_t number = **found;
    Result<Inode> file = inodes_.Load(number);
    if (!file.ok()) return file.status();
    if (file->type == InodeType::kDirectory) {
      return FsError(Code::kInvalidArgument, kErrUnlinkNotFile);
    }
    Result<bool> removed = directory_.Remove(dir, *dir_inode, name);
    if (!removed.ok()) return removed.status();

    if (file->refcnt > 0) file->refcnt -= 1;
    RETURN_IF_ERROR(inodes_.Store(number, *file));
    if (file->refcnt == 0) {
      for (uint32_t block : file->blocks) {
        if (block != 0) RETURN_IF_ERROR(allocator_.Free(block));
      }
      RETURN_IF_ERROR(inodes_.Store(number, inodes_.Empty()));
    }
    return Status::Ok();
  });
}

Result<std::vector<ListEntry>> FileSystem::List(uint32_t dir) {
  Result<Inode> inode = inodes_.Load(dir);
  if (!inode.ok()) return inode.status();
  std::vector<ListEntry> entries;
  Status status = directory_.ForEach(*inode, [&](const DirEntry& entry) -> Status {
    Result<Inode> child = inodes_.Load(entry.inode);
    if (!child.ok()) return child.status();
    ListEntry line;
    line.name = entry.name;
    line.inode = entry.inode;
    line.type = child->type;
    line.refcnt = child->refcnt;
    if (child->type == InodeType::kSymlink && !child->blocks.empty()) {
      Result<Bytes> block = disk_.Get(child->blocks[0]);
      if (!block.ok()) return block.status();
      const size_t length = std::min<size_t>(child->size, block->size());
      line.symlink_target.assign(block->begin(), block->begin() + length);
    }
    entries.push_back(std::move(line));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return entries;
}

Result<Bytes> FileSystem::ReadBlock(int64_t block) { return disk_.Get(block); }

Status FileSystem::WriteBlock(int64_t block, const Bytes& data) { return disk_.Put(block, data); }

}  // namespace memoryfs::fs
