#include "fs/inode.h"

#include <doctest/doctest.h>

namespace memoryfs::fs {
namespace {

constexpr InodeLayout k2022 = InodeLayout::For(Edition::k2022);
constexpr InodeLayout k2023 = InodeLayout::For(Edition::k2023);

TEST_CASE("Inode: big-endian encoding, as in the golden images") {
  // The root of g01 (is 32): size 16, directory, refcnt 1, block 8.
  Inode root = Inode::Empty(5);
  root.size = 16;
  root.type = InodeType::kDirectory;
  root.refcnt = 1;
  root.blocks[0] = 8;
  const Bytes encoded = root.Encode(32, k2022);
  CHECK(encoded.size() == 32);
  CHECK(HexEncode(encoded) == "00000010000200010000000000000008" + std::string(32, '0'));
}

TEST_CASE("Inode: decode is the inverse of encode, for any field values") {
  Inode inode = Inode::Empty(13);
  inode.size = 0x0102A3B4;
  inode.type = static_cast<InodeType>(0xBEEF);  // a damaged type survives the round trip
  inode.refcnt = 65535;
  inode.gencnt = 7;
  for (int i = 0; i < 13; ++i) inode.blocks[i] = 0xFFFFFF00u + i;
  const Bytes encoded = inode.Encode(64, k2022);
  CHECK(Inode::Decode(encoded.data(), encoded.size(), 13, k2022) == inode);
}

TEST_CASE("Inode: a short slice decodes with the missing bytes dropped, like Python") {
  const Bytes bytes = HexDecode("0000002a0001");  // size 42, type 1, nothing else
  const Inode inode = Inode::Decode(bytes.data(), bytes.size(), 2, k2022);
  CHECK(inode.size == 42);
  CHECK(inode.type == InodeType::kFile);
  CHECK(inode.refcnt == 0);
  CHECK(inode.blocks == std::vector<uint32_t>{0, 0});
}

TEST_CASE("Inode: unused tail bytes of an odd inode size are zero") {
  Inode inode = Inode::Empty(1);
  inode.blocks[0] = 0x01020304;
  const Bytes encoded = inode.Encode(18, k2022);
  CHECK(HexEncode(encoded) == "000000000000000000000000010203040000");
}

TEST_CASE("Inode: the 2023 layout has no gencnt and its block numbers start at byte 8") {
  // The root of the 2023 g01 (is 32): size 16, directory, refcnt 1, block 8.
  Inode root = Inode::Empty(6);
  root.size = 16;
  root.type = InodeType::kDirectory;
  root.refcnt = 1;
  root.blocks[0] = 8;
  root.blocks[5] = 9;
  const Bytes encoded = root.Encode(32, k2023);
  CHECK(HexEncode(encoded) == "000000100002000100000008" + std::string(32, '0') + "00000009");
  CHECK(Inode::Decode(encoded.data(), encoded.size(), 6, k2023) == root);
  root.gencnt = 7;  // not stored
  CHECK(root.Encode(32, k2023) == encoded);
  CHECK(k2023.blocks_offset() == 8);
  CHECK(k2022.blocks_offset() == 12);
}

}  // namespace
}  // namespace memoryfs::fs
