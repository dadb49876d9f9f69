#include "fs/paths.h"

#include <algorithm>
#include <string>

namespace memoryfs::fs {

Result<std::optional<uint32_t>> PathResolver::Resolve(std::string_view path, uint32_t cwd) {
  if (!load_named_) return Walk(path, cwd);
  Inode unused;
  return WalkAndLoad(path, cwd, &unused);
}

Result<std::optional<uint32_t>> PathResolver::WalkAndLoad(std::string_view path, uint32_t cwd,
                                                          Inode* inode) {
  ASSIGN_OR_RETURN(std::optional<uint32_t> found, Walk(path, cwd));
  // The reference loads the inode even when the path was not found (as inode -1).
  ASSIGN_OR_RETURN(*inode,
                   found.has_value() ? inodes_.Load(*found) : inodes_.LoadNotFoundSentinel());
  return found;
}

Result<std::optional<uint32_t>> PathResolver::Walk(std::string_view path, uint32_t cwd) {
  if (path.empty()) return std::optional<uint32_t>();  // the reference would crash
  int64_t dir = cwd;
  if (path[0] == '/') {
    if (path.size() == 1) return std::optional<uint32_t>(0);
    path.remove_prefix(1);
    dir = 0;
  }
  while (true) {
    const size_t slash = path.find('/');
    Result<std::optional<uint32_t>> found = directory_.Lookup(path.substr(0, slash), dir);
    if (!found.ok() || !found->has_value() || slash == std::string_view::npos) return found;
    dir = **found;
    path.remove_prefix(slash + 1);
  }
}

Result<std::optional<uint32_t>> PathResolver::ResolveFollow(std::string_view path, uint32_t cwd) {
  Inode inode;
  ASSIGN_OR_RETURN(std::optional<uint32_t> found, WalkAndLoad(path, cwd, &inode));
  if (inode.type != InodeType::kSymlink) return found;
  if (inode.blocks.empty()) return found;
  ASSIGN_OR_RETURN(Bytes block, disk_.Get(inode.blocks[0]));
  const size_t length = std::min<size_t>(inode.size, block.size());
  const std::string target(block.begin(), block.begin() + length);
  return Walk(target, cwd);  // the target is not loaded, in either edition
}

}  // namespace memoryfs::fs
