// Inode: the on-disk inode record, big-endian, in the edition's layout (InodeLayout):
//   2022: size u32 | type u16 | refcnt u16 | gencnt u32 | block numbers u32 each, (is-12)/4
//   2023: size u32 | type u16 | refcnt u16 | block numbers u32 each, (is-8)/4 (no gencnt)
// Block number 0 means "no block".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/bytes.h"
#include "core/edition.h"

namespace memoryfs::fs {

// The stored type field. It can hold any 16-bit value read from a damaged disk.
enum class InodeType : uint16_t {
  kInvalid = 0,  // a free inode
  kFile = 1,
  kDirectory = 2,
  kSymlink = 3,
};

// Where an edition's inode keeps its fields: the one place that knows the layouts.
struct InodeLayout {
  bool has_gencnt = true;  // 2022: a u32 gencnt (always 0) at byte 8

  // The byte where the block numbers start: 12 or 8.
  constexpr int blocks_offset() const { return has_gencnt ? 12 : 8; }
  static constexpr InodeLayout For(Edition edition) { return {edition == Edition::k2022}; }
  constexpr bool operator==(const InodeLayout&) const = default;
};

struct Inode {
  uint32_t size = 0;
  InodeType type = InodeType::kInvalid;
  uint16_t refcnt = 0;
  uint32_t gencnt = 0;           // stored only by layouts that have it (0 otherwise)
  std::vector<uint32_t> blocks;  // always block_count entries

  // A free inode with `block_count` zero block numbers.
  static Inode Empty(int block_count);

  // Decodes `len` bytes at `data`. Like the reference's slicing, fields that lie beyond `len`
  // read as zero.
  static Inode Decode(const uint8_t* data, size_t len, int block_count, InodeLayout layout);

  // The `inode_size` bytes of this inode (unused tail bytes are zero). A layout without gencnt
  // does not store it.
  Bytes Encode(int inode_size, InodeLayout layout) const;

  bool operator==(const Inode&) const = default;
};

}  // namespace memoryfs::fs
