// Inode: the on-disk inode record, big-endian:
//   size u32 | type u16 | refcnt u16 | gencnt u32 | block numbers u32 each, (is-12)/4 of them.
// Block number 0 means "no block".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/bytes.h"

namespace memoryfs::fs {

// The stored type field. It can hold any 16-bit value read from a damaged disk.
enum class InodeType : uint16_t {
  kInvalid = 0,  // a free inode
  kFile = 1,
  kDirectory = 2,
  kSymlink = 3,
};

struct Inode {
  uint32_t size = 0;
  InodeType type = InodeType::kInvalid;
  uint16_t refcnt = 0;
  uint32_t gencnt = 0;
  std::vector<uint32_t> blocks;  // always block_count entries

  // A free inode with `block_count` zero block numbers.
  static Inode Empty(int block_count);

  // Decodes `len` bytes at `data`. Like the reference's slicing, fields that lie beyond `len`
  // read as zero.
  static Inode Decode(const uint8_t* data, size_t len, int block_count);

  // The `inode_size` bytes of this inode (unused tail bytes are zero).
  Bytes Encode(int inode_size) const;

  bool operator==(const Inode&) const = default;
};

}  // namespace memoryfs::fs
