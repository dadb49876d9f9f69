// Directories: a directory's data is a table of 16-byte entries, a 12-byte zero-padded name
// followed by the inode number (u32 big-endian); bs/16 entries per block; the directory's size
// is 16 * the number of entries. Names are compared as raw bytes, padded to 12 with zeros; a
// longer name matches nothing.
//
// Every function makes the same device calls, in the same order, as the reference's code for
// it (FileName.Lookup, InsertFilenameInodeNumber, the scans of ls and Unlink).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "fs/allocator.h"
#include "fs/disk.h"
#include "fs/geometry.h"
#include "fs/inode.h"
#include "fs/inode_table.h"

namespace memoryfs::fs {

struct DirEntry {
  Bytes name;  // the 12 stored bytes, padding included
  uint32_t inode = 0;
};

// The entry at byte `offset` of a directory block; writes one there.
DirEntry DecodeDirEntry(const Bytes& block, int offset);
void EncodeDirEntry(Bytes& block, int offset, std::string_view name, uint32_t inode);
// Whether the 12 stored bytes at `stored` equal `name` padded with zeros.
bool DirNameMatches(const uint8_t* stored, std::string_view name);

class Directory {
 public:
  // `log` receives the reference's logging.error lines (the shell passes its stderr).
  Directory(Disk& disk, const Geometry& geometry, InodeTable& inodes, BlockAllocator& allocator,
            std::ostream& log)
      : disk_(disk), geometry_(geometry), inodes_(inodes), allocator_(allocator), log_(log) {}

  // The inode number bound to `name` in directory `dir`, or nullopt. When `dir` is not a
  // directory, logs "Lookup: not a directory inode: <dir> , <type>" and returns nullopt.
  Result<std::optional<uint32_t>> Lookup(std::string_view name, int64_t dir);

  // The reference's FindAvailableFileEntry: loads `dir` again; false when it is full.
  Result<bool> HasRoom(int64_t dir);

  // Appends (name, number) at offset dir.size, allocating a new block when the size is a
  // non-zero multiple of bs; updates `dir` (size, blocks) and stores it. kNoSpace
  // ERROR_ENTRY_STRADDLES_BLOCK, before any RPC, when the entry would cross the block's end
  // (bs not a multiple of 16; Geometry::EntryFits).
  Status Insert(int64_t dir_number, Inode& dir, std::string_view name, uint32_t number);

  // Removes the first entry called `name`: the directory's last entry moves into the hole,
  // size -= 16, refcnt -= 1, and `dir` is stored. Reproduces the reference's block writes,
  // including its quirk that a hole and last entry in the same block leave a stale copy of
  // the last entry past the end. Fixed on purpose (deviation 1): when the size is a multiple of
  // bs the last entry is taken from the last real block, not from block_numbers[size/bs].
  // Returns false when no entry matched.
  Result<bool> Remove(int64_t dir_number, Inode& dir, std::string_view name);

  // The 2023 edition's rm (Rules::Removal::kCompact): Gets every block of the directory
  // (those covering its size), removes the first entry called `name` by moving everything
  // after it up by 16 bytes (the last 16 bytes of the last block become zeros), Puts every one
  // of those blocks back, and stores `dir` with size -= 16, refcnt -= 1. A block left without
  // entries stays allocated, as in Remove. Returns false, having written nothing, when no
  // entry matched.
  Result<bool> RemoveCompacting(int64_t dir_number, Inode& dir, std::string_view name);

  // Visits the entries in order, reading blocks the way the reference's ls does: blocks
  // 0..size/bs (so the block after a full last block is read too, with no entry in it).
  Status ForEach(const Inode& dir, const std::function<Status(const DirEntry&)>& visit);

 private:
  Disk& disk_;
  const Geometry& geometry_;
  InodeTable& inodes_;
  BlockAllocator& allocator_;
  std::ostream& log_;
};

}  // namespace memoryfs::fs
