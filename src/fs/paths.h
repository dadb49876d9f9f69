// Path resolution, the reference's GeneralPathToInodeNumber and its _Soft variant.
//
// "/" is inode 0 (no device call). A path starting with "/" is resolved from the root, any
// other from `cwd`. The path is split on every "/" and each component is looked up in turn, so
// "a//b" looks up an empty name and "dir/" fails, exactly like the reference.
// ResolveFollow additionally follows ONE symbolic link at the end of the path; the link's
// target is resolved relative to `cwd` (not to the link's directory), as the reference does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"
#include "fs/directory.h"
#include "fs/disk.h"
#include "fs/inode_table.h"

namespace memoryfs::fs {

class PathResolver {
 public:
  PathResolver(Disk& disk, InodeTable& inodes, Directory& directory)
      : disk_(disk), inodes_(inodes), directory_(directory) {}

  // The inode a path names, or nullopt when some component does not exist.
  Result<std::optional<uint32_t>> Resolve(std::string_view path, uint32_t cwd);
  Result<std::optional<uint32_t>> ResolveFollow(std::string_view path, uint32_t cwd);

 private:
  Disk& disk_;
  InodeTable& inodes_;
  Directory& directory_;
};

}  // namespace memoryfs::fs
