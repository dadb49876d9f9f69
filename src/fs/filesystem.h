// FileSystem: the course file system over any BlockDevice, in the edition of its Geometry: the
// inode layout is the geometry's, the algorithms that differ are fs::Rules (rules.h).
//
// Each operation makes the same device calls, in the same order, with the same block contents
// as the Python reference (2022: memoryfs_client.py's FileName class; 2023: fsmain.py's), so
// that RPC traces and disk images match the reference byte for byte. Differences are the
// deliberate deviations of the spec, all about failures:
// - Where the reference quit()s (name longer than 12 bytes, no free data block, an inode number
//   out of range, a damaged inode) the operation returns an error Status instead.
// - Every mutating operation is all-or-nothing: what can be checked without extra device calls
//   (name length, free inode, room in the directory) is checked before the first Put, and an
//   error after the first Put (disk full half-way through a write, a device error) rolls the
//   written blocks back (see Disk). A successful operation's calls are untouched.
//
// Errors: file-system errors carry the reference's code as message (see fs_error.h); anything
// else is the device's Status, passed through unchanged.
//
// Inode numbers are uint32_t (what a directory entry holds); names and paths are raw bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "client/block_device.h"
#include "core/bytes.h"
#include "core/status.h"
#include "fs/allocator.h"
#include "fs/directory.h"
#include "fs/disk.h"
#include "fs/fs_error.h"
#include "fs/geometry.h"
#include "fs/inode.h"
#include "fs/inode_table.h"
#include "fs/paths.h"
#include "fs/rules.h"

namespace memoryfs::fs {

// One line of `ls`: an entry of a directory with what ls shows about its inode.
struct ListEntry {
  Bytes name;  // the 12 stored bytes
  uint32_t inode = 0;
  InodeType type = InodeType::kInvalid;
  uint16_t refcnt = 0;
  Bytes symlink_target;  // for a symlink: its target (the first `size` bytes of its block)
};

class FileSystem {
 public:
  // `log` receives the reference's logging.error lines (e.g. a lookup in a non-directory).
  FileSystem(client::BlockDevice& device, const Geometry& geometry, std::ostream& log);

  FileSystem(const FileSystem&) = delete;
  FileSystem& operator=(const FileSystem&) = delete;

  const Geometry& geometry() const { return geometry_; }
  const Rules& rules() const { return rules_; }

  // kInvalidArgument unless the device's block size and count fit the geometry (Disk).
  Status CheckDevice() const;

  // Makes inode 0 a directory with a new data block and the entry "." (the reference's
  // InitRootInode: run at every shell start unless -rootinit 0).
  Status InitRoot();

  // Paths (see paths.h). nullopt: not found.
  Result<std::optional<uint32_t>> Resolve(std::string_view path, uint32_t cwd);
  Result<std::optional<uint32_t>> ResolveFollow(std::string_view path, uint32_t cwd);
  Result<std::optional<uint32_t>> Lookup(std::string_view name, uint32_t dir);

  Result<Inode> ReadInode(int64_t number);

  // Creates a file or directory `name` in `dir`; returns its inode number.
  Result<uint32_t> Create(uint32_t dir, std::string_view name, InodeType type);
  // Writes `data` at `offset` (<= size) of a file; returns the bytes written.
  Result<uint32_t> Write(uint32_t inode, uint64_t offset, const Bytes& data);
  // Reads up to `count` bytes from `offset` of a file.
  Result<Bytes> Read(uint32_t inode, uint64_t offset, uint64_t count);
  // slice (2023): bytes [offset, offset+count) of a file become its whole contents. The file's
  // inode is loaded and checked (ERROR_SLICE_NOT_FILE; ERROR_SLICE_COUNT_OUT_BOUNDS unless
  // 0 <= offset and offset+count <= size), the bytes Read, then written at offset 0 and the
  // size set to count. Bytes past the new size stay in their blocks, as in the reference.
  Status Slice(uint32_t inode, int64_t offset, int64_t count);
  // mirror (2023): a file's bytes in reverse order (ERROR_MIRROR_NOT_FILE), with the calls of
  // Slice(inode, 0, size).
  Status Mirror(uint32_t inode);
  // lnh: hard link `name` in `cwd` to the file `target` (a path).
  Status Link(std::string_view target, std::string_view name, uint32_t cwd);
  // lns: symbolic link `name` in `cwd` whose content is `target` (which must resolve). With
  // Rules::symlink_counts_in_directory, the directory's refcnt grows by one at the end.
  Status Symlink(std::string_view target, std::string_view name, uint32_t cwd);
  // rm: removes `name` (a file or symlink; a file only with Rules::unlink_files_only) from
  // `dir`, the Rules' way; frees the inode and its blocks when its refcnt drops to 0.
  Status Unlink(uint32_t dir, std::string_view name);
  // ls of directory `dir`: each entry is passed to `visit` as soon as it is read (the reference
  // prints it then, between its reads); the vector form collects them.
  Status List(uint32_t dir, const std::function<void(const ListEntry&)>& visit);
  Result<std::vector<ListEntry>> List(uint32_t dir);

  // Raw block access for the inspection commands, and for load/save.
  Result<Bytes> ReadBlock(int64_t block);
  Status WriteBlock(int64_t block, const Bytes& data);

  // Lower layers, for tests and consistency checks.
  Disk& disk() { return disk_; }
  InodeTable& inodes() { return inodes_; }
  BlockAllocator& allocator() { return allocator_; }

 private:
  // Runs `operation` as one transaction (see Disk): committed on success, rolled back on error.
  template <typename T>
  Result<T> Transact(const std::function<Result<T>()>& operation);
  Status TransactStatus(const std::function<Status()>& operation);

  // The body of Write, inside a transaction. The size afterwards: grown by the bytes written
  // (the reference's write), or offset + written (slice and mirror, which rewrite from 0).
  enum class SizeAfter { kGrown, kEndOfWrite };
  Result<uint32_t> WriteAt(uint32_t inode, uint64_t offset, const Bytes& data, SizeAfter size);
  // Slice's and Mirror's common body, a transaction: load and check the inode, read
  // [offset, offset+count) (count: nullopt for the rest of the file), `edit` the bytes, write
  // them from 0.
  Status Rewrite(uint32_t inode, int64_t offset, std::optional<int64_t> count, FsErrorCode not_file,
                 const std::function<void(Bytes&)>& edit);

  // The file-system error of each check of PrepareEntry.
  struct EntryErrors {
    FsErrorCode not_directory;  // kInvalidArgument
    FsErrorCode no_room;        // kNoSpace
    FsErrorCode exists;         // kInvalidArgument
  };
  // The preamble of every operation that adds an entry `name` to directory `dir` (create,
  // lnh, lns), with the reference's calls in its order: loads `dir` and checks that it is a
  // directory, that it has room (HasRoom) and that `name` is not in it yet. Returns `dir`.
  Result<Inode> PrepareEntry(uint32_t dir, std::string_view name, const EntryErrors& errors);

  Geometry geometry_;
  const Rules rules_;
  Disk disk_;
  InodeTable inodes_;
  BlockAllocator allocator_;
  Directory directory_;
  PathResolver paths_;
};

}  // namespace memoryfs::fs
