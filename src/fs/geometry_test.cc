#include "fs/geometry.h"

#include <doctest/doctest.h>

namespace memoryfs::fs {
namespace {

TEST_CASE("Geometry: the reference's defaults") {
  const Geometry g;
  CHECK(g.num_blocks() == 256);
  CHECK(g.block_size() == 128);
  CHECK(g.max_inodes() == 16);
  CHECK(g.inode_size() == 16);
  CHECK(g.bitmap_blocks() == 2);
  CHECK(g.inode_table_offset() == 4);
  CHECK(g.inode_table_blocks() == 2);
  CHECK(g.data_offset() == 6);
  CHECK(g.max_blocks_per_file() == 1);
  CHECK(g.max_file_size() == 128);
  CHECK(g.ConstantsString() == "BS_128_NB_256_IS_16_MI_16_MF_12_IDS_4");
  CHECK(*Geometry::Create(256, 128, 16, 16) == g);
}

TEST_CASE("Geometry: derived constants of the golden cases (showfsconfig of g01)") {
  const Geometry g = *Geometry::Create(256, 128, 16, 32);
  CHECK(g.inodes_per_block() == 4);
  CHECK(g.bitmap_offset() == 2);
  CHECK(g.bitmap_blocks() == 2);
  CHECK(g.inode_table_offset() == 4);
  CHECK(g.inode_table_blocks() == 4);
  CHECK(g.max_blocks_per_file() == 5);
  CHECK(g.data_offset() == 8);
  CHECK(g.data_blocks() == 248);
  CHECK(g.entries_per_block() == 8);
  CHECK(g.InodeBlock(0) == 4);
  CHECK(g.InodeBlock(5) == 5);
  CHECK(g.InodeOffset(5) == 32);
  CHECK(g.BitmapBlock(200) == 3);
  CHECK(g.BitmapOffset(200) == 72);

  const Geometry big = *Geometry::Create(1024, 512, 32, 64);
  CHECK(big.bitmap_blocks() == 2);
  CHECK(big.inode_table_blocks() == 4);
  CHECK(big.data_offset() == 8);
  CHECK(big.max_file_size() == 13 * 512);
}

TEST_CASE("Geometry: layouts that would overlap themselves are refused") {
  CHECK_FALSE(Geometry::Create(256, 100, 16, 16).ok());  // entries straddle blocks
  CHECK_FALSE(Geometry::Create(300, 128, 16, 16).ok());  // bitmap misses blocks 256..299
  CHECK_FALSE(Geometry::Create(64, 128, 16, 16).ok());   // no bitmap block at all
  CHECK_FALSE(Geometry::Create(256, 128, 16, 24).ok());  // inodes straddle blocks
  CHECK_FALSE(Geometry::Create(256, 128, 16, 12).ok());  // no block number in an inode
  CHECK_FALSE(Geometry::Create(256, 128, 10, 16).ok());  // inode table overlaps data
  CHECK_FALSE(Geometry::Create(256, 128, 0, 16).ok());
  CHECK_FALSE(Geometry::Create(256, 128, 256, 128).ok());  // no data block left
  CHECK_FALSE(Geometry::Create(-256, 128, 16, 16).ok());
  CHECK_FALSE(Geometry::Create(int64_t{1} << 40, 128, 16, 16).ok());
  const Result<Geometry> bad = Geometry::Create(256, 100, 16, 16);
  CHECK(bad.status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace memoryfs::fs
