// The geometries the reference accepts although its layout overlaps itself (fs/geometry.h):
// the file system behaves as the reference up to the step that would corrupt, refuses that
// step with its own error, and leaves every block as it was before the operation.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "fs/filesystem.h"
#include "fs/fs_error.h"
#include "fs/testing.h"

namespace memoryfs::fs {
namespace {

struct OddFixture {
  explicit OddFixture(Geometry geometry)
      : g(geometry), device(g.num_blocks(), g.block_size()), fs(device, g, log) {}

  std::vector<Bytes> Snapshot() const { return testing::RawImage(device); }

  Geometry g;
  client::MemoryDevice device;
  std::ostringstream log;
  FileSystem fs;
};

TEST_CASE("Odd geometry: nb not a multiple of bs allocates up to the bitmap's capacity") {
  // -nb 300 -bs 128: 2 bitmap blocks hold the bytes of blocks 0..255; the byte of block 256
  // would be byte 0 of block 4, the first inode-table block (inode 0, the root).
  OddFixture f(*Geometry::Create(300, 128, 16, 32));
  REQUIRE(f.g.data_offset() == 8);
  REQUIRE(f.fs.InitRoot().ok());
  // 10 files of 5 blocks each: blocks 9..58 (the root's block is 8).
  for (int i = 0; i < 10; ++i) {
    Result<uint32_t> file = f.fs.Create(0, "f" + std::to_string(i), InodeType::kFile);
    REQUIRE(file.ok());
    REQUIRE(f.fs.Write(*file, 0, Bytes(5 * 128, 'a')).ok());
  }
  CHECK(testing::CheckConsistency(f.device, f.g).empty());
  // Use up every block below 256 through the bitmap, as a long run of writes would.
  Bytes bitmap2(128, 1), bitmap3(128, 1);
  f.device.set_raw(2, bitmap2);
  f.device.set_raw(3, bitmap3);
  const std::vector<Bytes> before = f.Snapshot();
  f.device.ClearTrace();
  Result<uint32_t> dir = f.fs.Create(0, "d", InodeType::kDirectory);
  CHECK(FsErrorOf(dir.status()) == FsErrorCode::kBlockBeyondBitmap);
  CHECK(f.Snapshot() == before);  // undone, and no byte of the inode table set
  for (const std::string& line : f.device.trace()) CHECK(line.rfind("Put 4 ", 0) != 0);
}

TEST_CASE("Odd geometry: -nb 768 -bs 512 (the RAID demo at bs 512) is Python's layout") {
  OddFixture f(*Geometry::Create(768, 512, 32, 64));
  REQUIRE(f.fs.InitRoot().ok());
  CHECK(f.device.raw(2)[7] == 1);  // the root's block: the first data block, 7
  Result<uint32_t> file = f.fs.Create(0, "big", InodeType::kFile);
  REQUIRE(file.ok());
  REQUIRE(f.fs.Write(*file, 0, Bytes(13 * 512, 'x')).ok());
  CHECK(testing::CheckConsistency(f.device, f.g).empty());
}

TEST_CASE("Odd geometry: an inode table shorter than ni inodes stops at its end") {
  // -ni 10 -is 16 -bs 128: one table block of 8 inodes; inodes 8 and 9 would be in block 5,
  // the first data block (the root directory's).
  OddFixture f(*Geometry::Create(256, 128, 10, 16));
  REQUIRE(f.fs.InitRoot().ok());
  for (int i = 1; i < 8; ++i)
    REQUIRE(f.fs.Create(0, "f" + std::to_string(i), InodeType::kFile).ok());
  const std::vector<Bytes> before = f.Snapshot();
  Result<uint32_t> more = f.fs.Create(0, "f8", InodeType::kFile);
  CHECK(FsErrorOf(more.status()) == FsErrorCode::kInodeBeyondTable);
  CHECK(f.Snapshot() == before);
  CHECK(FsErrorOf(f.fs.ReadInode(9).status()) == FsErrorCode::kInodeBeyondTable);
  CHECK(testing::CheckConsistency(f.device, f.g).empty());
}

TEST_CASE("Odd geometry: an inode across two blocks is refused, the ones before it work") {
  // -is 48 -bs 128: inodes 0 and 1 fit in block 0 of the table, inode 2 spans bytes 96..143.
  OddFixture f(*Geometry::Create(256, 128, 8, 48));
  REQUIRE(f.fs.InitRoot().ok());
  REQUIRE(f.fs.Create(0, "a", InodeType::kFile).ok());
  const std::vector<Bytes> before = f.Snapshot();
  CHECK(FsErrorOf(f.fs.Create(0, "b", InodeType::kFile).status()) ==
        FsErrorCode::kInodeBeyondTable);
  CHECK(f.Snapshot() == before);
}

TEST_CASE("Odd geometry: a directory entry across a block end is refused") {
  // -bs 40: entries at 0 and 16 fit, one at 32 would end at 48.
  OddFixture f(*Geometry::Create(256, 40, 16, 20));
  REQUIRE(f.fs.InitRoot().ok());                        // "." at 0
  REQUIRE(f.fs.Create(0, "a", InodeType::kFile).ok());  // at 16
  const std::vector<Bytes> before = f.Snapshot();
  CHECK(FsErrorOf(f.fs.Create(0, "b", InodeType::kFile).status()) ==
        FsErrorCode::kEntryStraddlesBlock);
  CHECK(f.Snapshot() == before);
  CHECK(testing::CheckConsistency(f.device, f.g).empty());
  // mkdir writes "." and ".." into a block of its own: ".." would cross a block end at bs 20.
  OddFixture tiny(*Geometry::Create(256, 20, 8, 20));
  REQUIRE(tiny.fs.InitRoot().ok());
  const std::vector<Bytes> empty = tiny.Snapshot();
  CHECK(FsErrorOf(tiny.fs.Create(0, "d", InodeType::kDirectory).status()) ==
        FsErrorCode::kEntryStraddlesBlock);
  CHECK(tiny.Snapshot() == empty);
}

TEST_CASE("Odd geometry: a layout with no room for the root fails at InitRoot, changing nothing") {
  OddFixture no_bitmap(*Geometry::Create(64, 128, 16, 16));  // nb < bs: no bitmap block
  CHECK(FsErrorOf(no_bitmap.fs.InitRoot()) == FsErrorCode::kBlockBeyondBitmap);
  OddFixture no_table(*Geometry::Create(256, 128, 4, 16));  // ni*is < bs: no table block
  CHECK(FsErrorOf(no_table.fs.InitRoot()) == FsErrorCode::kInodeBeyondTable);
  for (const OddFixture* f : {&no_bitmap, &no_table}) {
    for (int b = 0; b < f->g.num_blocks(); ++b)
      CHECK(f->device.raw(b) == Bytes(f->g.block_size(), 0));
  }
}

}  // namespace
}  // namespace memoryfs::fs
