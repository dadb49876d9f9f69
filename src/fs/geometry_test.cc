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

TEST_CASE("Geometry: every layout the reference can start with is accepted") {
  // nb not a multiple of bs: nb//bs bitmap blocks, covering the blocks below their capacity.
  const Geometry odd = *Geometry::Create(768, 512, 32, 64);
  CHECK(odd.bitmap_blocks() == 1);
  CHECK(odd.bitmap_capacity() == 512);
  CHECK(odd.inode_table_offset() == 3);
  CHECK(odd.data_offset() == 7);
  CHECK(odd.data_blocks() == 761);
  const Geometry small = *Geometry::Create(64, 128, 16, 16);  // no bitmap block at all
  CHECK(small.bitmap_blocks() == 0);
  CHECK(small.bitmap_capacity() == 0);
  CHECK(small.inode_table_offset() == 2);
  // Entries that straddle (bs 100), inodes that straddle (is 24), a table that ends inside an
  // inode (ni 10): accepted, their overlaps refused where they would happen.
  CHECK(Geometry::Create(256, 100, 16, 16).ok());
  CHECK(Geometry::Create(256, 128, 16, 24).ok());
  CHECK(Geometry::Create(256, 128, 10, 16).ok());
  CHECK(Geometry::Create(300, 128, 16, 16, Edition::k2023).ok());
}

TEST_CASE("Geometry: InodeFits is true exactly for inodes inside one table block") {
  const Geometry g = *Geometry::Create(256, 128, 16, 16);
  for (int i = 0; i < 16; ++i) CHECK(g.InodeFits(i));
  CHECK_FALSE(g.InodeFits(16));
  CHECK_FALSE(g.InodeFits(-1));
  // ni 10 * is 16 = 160 bytes: one table block of 8 inodes; inodes 8 and 9 would be in data.
  const Geometry partial = *Geometry::Create(256, 128, 10, 16);
  CHECK(partial.inode_table_blocks() == 1);
  CHECK(partial.InodeFits(7));
  CHECK_FALSE(partial.InodeFits(8));
  // is 48 in bs 128: inode 2 spans bytes 96..143 (two blocks), inode 3 is 16..63 of block 1.
  const Geometry straddle = *Geometry::Create(256, 128, 8, 48);
  CHECK(straddle.inode_table_blocks() == 3);
  CHECK(straddle.InodeFits(0));
  CHECK(straddle.InodeFits(1));
  CHECK_FALSE(straddle.InodeFits(2));
  CHECK(straddle.InodeFits(3));
  // ni * is below one block: no table block, no inode.
  CHECK_FALSE(Geometry::Create(256, 128, 4, 16)->InodeFits(0));
  // is > bs: every inode crosses a block end.
  CHECK_FALSE(Geometry::Create(256, 16, 16, 32)->InodeFits(0));
}

TEST_CASE("Geometry: EntryFits is false where an entry would cross a block end") {
  const Geometry g = *Geometry::Create(256, 100, 16, 16);
  CHECK(g.entries_per_block() == 6);
  CHECK(g.EntryFits(0));
  CHECK(g.EntryFits(80));
  CHECK_FALSE(g.EntryFits(96));
  CHECK(Geometry().EntryFits(112));
  CHECK(Geometry().EntryFits(128));
}

TEST_CASE("Geometry: what the reference cannot start with is refused, naming the flag") {
  const auto message = [](int64_t nb, int64_t bs, int64_t ni, int64_t is) {
    return Geometry::Create(nb, bs, ni, is).status().message();
  };
  CHECK(message(256, 0, 16, 16).find("-bs 0") != std::string::npos);
  CHECK(message(-256, 128, 16, 16).find("-nb -256") != std::string::npos);
  CHECK(message(int64_t{1} << 40, 128, 16, 16).find("-nb") != std::string::npos);
  CHECK(message(256, 128, 16, 12).find("-is 12") != std::string::npos);  // no block number
  CHECK(message(256, 128, 0, 16).find("-ni 0") != std::string::npos);
  CHECK(message(256, 128, 256, 128).find("no room left for data blocks") != std::string::npos);
  CHECK(message(4, 128, 16, 16).find("no room left for data blocks") != std::string::npos);
  const Result<Geometry> bad = Geometry::Create(256, 0, 16, 16);
  CHECK(bad.status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace memoryfs::fs
