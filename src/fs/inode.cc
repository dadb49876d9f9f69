#include "fs/inode.h"

namespace memoryfs::fs {
namespace {

// Big-endian integer of bytes [start, start+width) of data[0..len); missing bytes are
// dropped, as int.from_bytes of a short slice does.
uint32_t ReadBigEndian(const uint8_t* data, size_t len, size_t start, size_t width) {
  uint32_t value = 0;
  for (size_t i = start; i < start + width && i < len; ++i) value = (value << 8) | data[i];
  return value;
}

void WriteBigEndian(Bytes& out, size_t start, size_t width, uint32_t value) {
  for (size_t i = 0; i < width; ++i) {
    out[start + width - 1 - i] = static_cast<uint8_t>(value >> (8 * i));
  }
}

}  // namespace

Inode Inode::Empty(int block_count) {
  Inode inode;
  inode.blocks.assign(block_count, 0);
  return inode;
}

Inode Inode::Decode(const uint8_t* data, size_t len, int block_count, InodeLayout layout) {
  Inode inode = Empty(block_count);
  inode.size = ReadBigEndian(data, len, 0, 4);
  inode.type = static_cast<InodeType>(ReadBigEndian(data, len, 4, 2));
  inode.refcnt = static_cast<uint16_t>(ReadBigEndian(data, len, 6, 2));
  if (layout.has_gencnt) inode.gencnt = ReadBigEndian(data, len, 8, 4);
  const size_t first = layout.blocks_offset();
  for (int i = 0; i < block_count; ++i) {
    inode.blocks[i] = ReadBigEndian(data, len, first + 4 * static_cast<size_t>(i), 4);
  }
  return inode;
}

Bytes Inode::Encode(int inode_size, InodeLayout layout) const {
  Bytes out(inode_size, 0);
  WriteBigEndian(out, 0, 4, size);
  WriteBigEndian(out, 4, 2, static_cast<uint16_t>(type));
  WriteBigEndian(out, 6, 2, refcnt);
  if (layout.has_gencnt) WriteBigEndian(out, 8, 4, gencnt);
  const size_t first = layout.blocks_offset();
  for (size_t i = 0; i < blocks.size() && first + 4 * i + 4 <= out.size(); ++i) {
    WriteBigEndian(out, first + 4 * i, 4, blocks[i]);
  }
  return out;
}

}  // namespace memoryfs::fs
