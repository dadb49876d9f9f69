// Rules: the file system's algorithms that differ between the course editions, as data.
// Rules::For is the one place that maps an edition to them; FileSystem and Directory consult
// these fields, never the edition. (The on-disk layout differences are the Geometry's: the
// inode layout, the blocks the allocator may use, the lock block.)
#pragma once

#include "core/edition.h"

namespace memoryfs::fs {

struct Rules {
  // How rm takes an entry out of its directory.
  enum class Removal {
    kMoveLast,  // 2022: the directory's last entry moves into the hole (Directory::Remove)
    kCompact,   // 2023: the entries after it move up by one; every block of the directory is
                // read, then written back (Directory::RemoveCompacting)
  };
  Removal removal = Removal::kMoveLast;
  // 2023: rm refuses symbolic links too (ERROR_UNLINK_NOT_FILE); 2022 only directories.
  bool unlink_files_only = false;
  // 2023: lns increments the directory's refcnt, as lnh and create do; 2022 does not.
  bool symlink_counts_in_directory = false;
  // 2023: every path resolution loads the inode the path names (fs/paths.h); in 2022 only the
  // one that follows a final symlink does.
  bool resolve_loads_inode = false;

  static constexpr Rules For(Edition edition) {
    if (edition == Edition::k2022) return {};
    return {Removal::kCompact, true, true, true};
  }
};

}  // namespace memoryfs::fs
