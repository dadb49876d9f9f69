#include "fs/filesystem.h"

#include <algorithm>

#include "fs/fs_error.h"

namespace memoryfs::fs {
namespace {

bool NameTooLong(std::string_view name) { return name.size() > static_cast<size_t>(kMaxFileName); }

// The number `found` holds, or the file-system error `missing` when there is none.
Result<uint32_t> Existing(Result<std::optional<uint32_t>> found, Code code, FsErrorCode missing) {
  ASSIGN_OR_RETURN(const std::optional<uint32_t> number, std::move(found));
  if (!number.has_value()) return FsError(code, missing);
  return *number;
}

}  // namespace

FileSystem::FileSystem(client::BlockDevice& device, const Geometry& geometry, std::ostream& log)
    : geometry_(geometry),
      rules_(Rules::For(geometry.edition())),
      disk_(device, geometry_),
      inodes_(disk_, geometry_),
      allocator_(disk_, geometry_),
      directory_(disk_, geometry_, inodes_, allocator_, log),
      paths_(disk_, inodes_, directory_, rules_.resolve_loads_inode) {}

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
  return Transact<bool>([&]() -> Result<bool> {
           RETURN_IF_ERROR(operation());
           return true;
         })
      .status();
}

Status FileSystem::CheckDevice() const { return disk_.CheckDevice(); }

Status FileSystem::InitRoot() {
  return TransactStatus([&]() -> Status {
    ASSIGN_OR_RETURN(Inode root, inodes_.Load(0));
    root.type = InodeType::kDirectory;
    root.size = 0;
    root.refcnt = 1;
    ASSIGN_OR_RETURN(root.blocks[0], allocator_.Allocate());
    RETURN_IF_ERROR(directory_.Insert(0, root, ".", 0));
    return inodes_.Store(0, root);
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

Result<Inode> FileSystem::PrepareEntry(uint32_t dir, std::string_view name,
                                       const EntryErrors& errors) {
  ASSIGN_OR_RETURN(Inode parent, inodes_.Load(dir));
  if (parent.type != InodeType::kDirectory) {
    return FsError(Code::kInvalidArgument, errors.not_directory);
  }
  ASSIGN_OR_RETURN(const bool room, directory_.HasRoom(dir));
  if (!room) return FsError(Code::kNoSpace, errors.no_room);
  ASSIGN_OR_RETURN(const std::optional<uint32_t> existing, directory_.Lookup(name, dir));
  if (existing.has_value()) return FsError(Code::kInvalidArgument, errors.exists);
  return parent;
}

Result<uint32_t> FileSystem::Create(uint32_t dir, std::string_view name, InodeType type) {
  return Transact<uint32_t>([&]() -> Result<uint32_t> {
    if (type != InodeType::kFile && type != InodeType::kDirectory) {
      return FsError(Code::kInvalidArgument, FsErrorCode::kCreateInvalidType);
    }
    ASSIGN_OR_RETURN(const uint32_t position, Existing(inodes_.FindFree(), Code::kNoSpace,
                                                       FsErrorCode::kCreateInodeNotAvailable));
    ASSIGN_OR_RETURN(Inode parent, PrepareEntry(dir, name,
                                                {FsErrorCode::kCreateInvalidDir,
                                                 FsErrorCode::kCreateDataBlockNotAvailable,
                                                 FsErrorCode::kCreateAlreadyExists}));
    if (NameTooLong(name)) return FsError(Code::kInvalidArgument, FsErrorCode::kFilenameTooLong);

    ASSIGN_OR_RETURN(Inode node, inodes_.Load(position));
    node.type = type;
    node.size = 0;
    node.refcnt = 1;
    if (type == InodeType::kDirectory) {
      ASSIGN_OR_RETURN(node.blocks[0], allocator_.Allocate());
      RETURN_IF_ERROR(inodes_.Store(position, node));
      RETURN_IF_ERROR(directory_.Insert(dir, parent, name, position));
      RETURN_IF_ERROR(directory_.Insert(position, node, ".", position));
      RETURN_IF_ERROR(directory_.Insert(position, node, "..", dir));
    } else {
      // New files get no block; Write allocates them.
      RETURN_IF_ERROR(inodes_.Store(position, node));
      RETURN_IF_ERROR(directory_.Insert(dir, parent, name, position));
    }
    parent.refcnt += 1;
    RETURN_IF_ERROR(inodes_.Store(dir, parent));
    return position;
  });
}

Result<uint32_t> FileSystem::Write(uint32_t number, uint64_t offset, const Bytes& data) {
  return Transact<uint32_t>([&] { return WriteAt(number, offset, data, SizeAfter::kGrown); });
}

Result<uint32_t> FileSystem::WriteAt(uint32_t number, uint64_t offset, const Bytes& data,
                                     SizeAfter size) {
  ASSIGN_OR_RETURN(Inode inode, inodes_.Load(number));
  if (inode.type != InodeType::kFile) {
    return FsError(Code::kInvalidArgument, FsErrorCode::kWriteNotFile);
  }
  if (offset > inode.size) {
    return FsError(Code::kInvalidArgument, FsErrorCode::kWriteOffsetLargerThanSize);
  }
  const uint64_t end_offset = offset + data.size();
  if (end_offset > static_cast<uint64_t>(geometry_.max_file_size())) {
    return FsError(Code::kInvalidArgument, FsErrorCode::kWriteExceedsFileSize);
  }
  const uint64_t bs = geometry_.block_size();
  uint64_t current = offset;
  uint64_t written = 0;
  while (written < data.size()) {
    const uint64_t index = current / bs;
    const uint64_t next_boundary = (index + 1) * bs;
    const uint64_t start = current % bs;
    const uint64_t end = end_offset >= next_boundary ? bs : end_offset % bs;
    if (inode.blocks[index] == 0) {
      ASSIGN_OR_RETURN(inode.blocks[index], allocator_.Allocate());
    }
    const uint32_t block_number = inode.blocks[index];
    ASSIGN_OR_RETURN(Bytes block, disk_.Get(block_number));
    std::copy_n(data.begin() + written, end - start, block.begin() + start);
    RETURN_IF_ERROR(disk_.Put(block_number, block));
    current += end - start;
    written += end - start;
  }
  inode.size = static_cast<uint32_t>(size == SizeAfter::kGrown ? inode.size + written : current);
  RETURN_IF_ERROR(inodes_.Store(number, inode));
  return static_cast<uint32_t>(written);
}

Status FileSystem::Rewrite(uint32_t number, int64_t offset, std::optional<int64_t> count,
                           FsErrorCode not_file, const std::function<void(Bytes&)>& edit) {
  return TransactStatus([&]() -> Status {
    ASSIGN_OR_RETURN(const Inode inode, inodes_.Load(number));
    if (inode.type != InodeType::kFile) return FsError(Code::kInvalidArgument, not_file);
    const int64_t size = inode.size;
    const int64_t length = count.value_or(size - offset);
    if (offset < 0 || length < 0 || offset > size || length > size - offset) {
      return FsError(Code::kInvalidArgument, FsErrorCode::kSliceCountOutOfBounds);
    }
    ASSIGN_OR_RETURN(Bytes data, Read(number, offset, length));
    edit(data);
    return WriteAt(number, 0, data, SizeAfter::kEndOfWrite).status();
  });
}

Status FileSystem::Slice(uint32_t number, int64_t offset, int64_t count) {
  return Rewrite(number, offset, count, FsErrorCode::kSliceNotFile, [](Bytes&) {});
}

Status FileSystem::Mirror(uint32_t number) {
  return Rewrite(number, 0, std::nullopt, FsErrorCode::kMirrorNotFile,
                 [](Bytes& data) { std::reverse(data.begin(), data.end()); });
}

Result<Bytes> FileSystem::Read(uint32_t number, uint64_t offset, uint64_t count) {
  ASSIGN_OR_RETURN(const Inode inode, inodes_.Load(number));
  if (inode.type != InodeType::kFile) {
    return FsError(Code::kInvalidArgument, FsErrorCode::kReadNotFile);
  }
  if (offset > inode.size) {
    return FsError(Code::kInvalidArgument, FsErrorCode::kReadOffsetLargerThanSize);
  }
  const uint64_t to_read = offset + count > inode.size ? inode.size - offset : count;
  if (offset + to_read > static_cast<uint64_t>(geometry_.max_file_size())) {
    // The size goes beyond the block list: a damaged inode.
    return FsError(Code::kInvalidArgument, FsErrorCode::kCorruptInode);
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
    ASSIGN_OR_RETURN(const Bytes block, disk_.Get(inode.blocks[index]));
    std::copy(block.begin() + start, block.begin() + end, out.begin() + done);
    done += end - start;
    current += end - start;
  }
  return out;
}

Status FileSystem::Link(std::string_view target, std::string_view name, uint32_t cwd) {
  return TransactStatus([&]() -> Status {
    ASSIGN_OR_RETURN(const uint32_t linked, Existing(paths_.Resolve(target, cwd), Code::kNotFound,
                                                     FsErrorCode::kLinkTargetDoesNotExist));
    ASSIGN_OR_RETURN(Inode dir, PrepareEntry(cwd, name,
                                             {FsErrorCode::kLinkNotDirectory,
                                              FsErrorCode::kLinkDataBlockNotAvailable,
                                              FsErrorCode::kLinkAlreadyExists}));
    ASSIGN_OR_RETURN(const Inode target_inode, inodes_.Load(linked));
    if (target_inode.type != InodeType::kFile) {
      return FsError(Code::kInvalidArgument, FsErrorCode::kLinkTargetNotFile);
    }
    if (NameTooLong(name)) return FsError(Code::kInvalidArgument, FsErrorCode::kFilenameTooLong);

    RETURN_IF_ERROR(directory_.Insert(cwd, dir, name, linked));
    ASSIGN_OR_RETURN(Inode fresh, inodes_.Load(linked));
    fresh.refcnt += 1;
    RETURN_IF_ERROR(inodes_.Store(linked, fresh));
    dir.refcnt += 1;
    return inodes_.Store(cwd, dir);
  });
}

Status FileSystem::Symlink(std::string_view target, std::string_view name, uint32_t cwd) {
  return TransactStatus([&]() -> Status {
    RETURN_IF_ERROR(Existing(paths_.Resolve(target, cwd), Code::kNotFound,
                             FsErrorCode::kSymlinkTargetDoesNotExist));
    ASSIGN_OR_RETURN(Inode dir, PrepareEntry(cwd, name,
                                             {FsErrorCode::kSymlinkNotDirectory,
                                              FsErrorCode::kSymlinkDataBlockNotAvailable,
                                              FsErrorCode::kSymlinkAlreadyExists}));
    ASSIGN_OR_RETURN(const uint32_t position, Existing(inodes_.FindFree(), Code::kNoSpace,
                                                       FsErrorCode::kSymlinkInodeNotAvailable));
    if (target.size() > static_cast<size_t>(geometry_.block_size())) {
      return FsError(Code::kInvalidArgument, FsErrorCode::kSymlinkTargetExceedsBlockSize);
    }
    if (NameTooLong(name)) return FsError(Code::kInvalidArgument, FsErrorCode::kFilenameTooLong);

    ASSIGN_OR_RETURN(Inode link, inodes_.Load(position));
    link.type = InodeType::kSymlink;
    link.size = static_cast<uint32_t>(target.size());
    link.refcnt = 1;
    ASSIGN_OR_RETURN(const uint32_t block_number, allocator_.Allocate());
    link.blocks[0] = block_number;
    RETURN_IF_ERROR(inodes_.Store(position, link));
    RETURN_IF_ERROR(directory_.Insert(cwd, dir, name, position));
    ASSIGN_OR_RETURN(Bytes block, disk_.Get(block_number));
    std::copy(target.begin(), target.end(), block.begin());
    RETURN_IF_ERROR(disk_.Put(block_number, block));
    if (!rules_.symlink_counts_in_directory) return Status::Ok();
    dir.refcnt += 1;
    return inodes_.Store(cwd, dir);
  });
}

Status FileSystem::Unlink(uint32_t dir, std::string_view name) {
  return TransactStatus([&]() -> Status {
    ASSIGN_OR_RETURN(Inode dir_inode, inodes_.Load(dir));
    if (dir_inode.type != InodeType::kDirectory) {
      return FsError(Code::kInvalidArgument, FsErrorCode::kUnlinkInvalidDir);
    }
    ASSIGN_OR_RETURN(const uint32_t number, Existing(directory_.Lookup(name, dir), Code::kNotFound,
                                                     FsErrorCode::kUnlinkDoesNotExist));
    ASSIGN_OR_RETURN(Inode file, inodes_.Load(number));
    if (file.type == InodeType::kDirectory ||
        (rules_.unlink_files_only && file.type != InodeType::kFile)) {
      return FsError(Code::kInvalidArgument, FsErrorCode::kUnlinkNotFile);
    }
    if (rules_.removal == Rules::Removal::kCompact) {
      RETURN_IF_ERROR(directory_.RemoveCompacting(dir, dir_inode, name));
    } else {
      RETURN_IF_ERROR(directory_.Remove(dir, dir_inode, name));
    }

    if (file.refcnt > 0) file.refcnt -= 1;
    RETURN_IF_ERROR(inodes_.Store(number, file));
    if (file.refcnt == 0) {
      for (uint32_t block : file.blocks) {
        if (block != 0) RETURN_IF_ERROR(allocator_.Free(block));
      }
      RETURN_IF_ERROR(inodes_.Store(number, inodes_.Empty()));
    }
    return Status::Ok();
  });
}

Status FileSystem::List(uint32_t dir, const std::function<void(const ListEntry&)>& visit) {
  ASSIGN_OR_RETURN(const Inode inode, inodes_.Load(dir));
  return directory_.ForEach(inode, [&](const DirEntry& entry) -> Status {
    ASSIGN_OR_RETURN(const Inode child, inodes_.Load(entry.inode));
    ListEntry line;
    line.name = entry.name;
    line.inode = entry.inode;
    line.type = child.type;
    line.refcnt = child.refcnt;
    if (child.type == InodeType::kSymlink && !child.blocks.empty()) {
      ASSIGN_OR_RETURN(const Bytes block, disk_.Get(child.blocks[0]));
      const size_t length = std::min<size_t>(child.size, block.size());
      line.symlink_target.assign(block.begin(), block.begin() + length);
    }
    visit(line);
    return Status::Ok();
  });
}

Result<std::vector<ListEntry>> FileSystem::List(uint32_t dir) {
  std::vector<ListEntry> entries;
  RETURN_IF_ERROR(List(dir, [&](const ListEntry& entry) { entries.push_back(entry); }));
  return entries;
}

Result<Bytes> FileSystem::ReadBlock(int64_t block) { return disk_.Get(block); }

Status FileSystem::WriteBlock(int64_t block, const Bytes& data) { return disk_.Put(block, data); }

}  // namespace memoryfs::fs
