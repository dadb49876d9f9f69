// Path resolution, the reference's GeneralPathToInodeNumber and its _Soft variant.
//
// "/" is inode 0 (no device call). A path starting with "/" is resolved from the root, any
// other from `cwd`. The path is split on every "/" and each component is looked up in turn, so
// "a//b" looks up an empty name and "dir/" fails, exactly like the reference.
// ResolveFollow additionally follows ONE symbolic link at the end of the path; the link's
// target is resolved relative to `cwd` (not to the link's directory), as the reference does.
// To see whether it is a link, it loads the inode the path names, inode -1 when there is none
// (InodeTable::LoadNotFoundSentinel). With `load_named` (Rules::resolve_loads_inode, 2023)
// Resolve loads it too, without following it; ResolveFollow then loads it once.
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
  PathResolver(Disk& disk, InodeTable& inodes, Directory& directory, bool load_named)
      : disk_(disk), inodes_(inodes), directory_(directory), load_named_(load_named) {}

  // The inode a path names, or nullopt when some component does not exist.
  Result<std::optional<uint32_t>> Resolve(std::string_view path, uint32_t cwd);
  Result<std::optional<uint32_t>> ResolveFollow(std::string_view path, uint32_t cwd);

 private:
  // The components looked up one by one, nothing loaded after the last.
  Result<std::optional<uint32_t>> Walk(std::string_view path, uint32_t cwd);
  // Walk, then the named inode (or inode -1's sentinel) loaded into *inode.
  Result<std::optional<uint32_t>> WalkAndLoad(std::string_view path, uint32_t cwd, Inode* inode);

  Disk& disk_;
  InodeTable& inodes_;
  Directory& directory_;
  const bool load_named_;
};

}  // namespace memoryfs::fs
