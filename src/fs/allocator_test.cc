#include "fs/allocator.h"

#include <doctest/doctest.h>

#include "client/memory_device.h"
#include "fs/fs_error.h"

namespace memoryfs::fs {
namespace {

using Trace = std::vector<std::string>;

TEST_CASE("BlockAllocator: the reference's scan, one Get per candidate block") {
  const Geometry g = *Geometry::Create(256, 128, 16, 32);  // data from block 8
  client::MemoryDevice device(256, 128);
  Disk disk(device, g);
  BlockAllocator allocator(disk, g);

  Result<uint32_t> first = allocator.Allocate();
  REQUIRE(first.ok());
  CHECK(*first == 8);
  Bytes bitmap(128, 0);
  bitmap[8] = 1;
  CHECK(device.trace() == Trace{"Get 2", client::TracePutLine(2, bitmap)});

  device.ClearTrace();
  REQUIRE(*allocator.Allocate() == 9);
  bitmap[9] = 1;
  CHECK(device.trace() == Trace{"Get 2", "Get 2", client::TracePutLine(2, bitmap)});
  CHECK(*allocator.IsUsed(9));
  CHECK_FALSE(*allocator.IsUsed(10));
}

TEST_CASE("BlockAllocator: blocks past the first bitmap block are in the next one") {
  const Geometry g = *Geometry::Create(256, 128, 16, 32);
  client::MemoryDevice device(256, 128);
  device.set_raw(2, Bytes(128, 1));  // blocks 0..127 used
  Disk disk(device, g);
  BlockAllocator allocator(disk, g);
  Result<uint32_t> block = allocator.Allocate();
  REQUIRE(block.ok());
  CHECK(*block == 128);
  CHECK(device.raw(3)[0] == 1);
  CHECK(device.trace().size() == 120 + 1 + 1);  // 120 Gets of block 2, Get 3, Put 3
}

TEST_CASE("BlockAllocator: a full disk is an error, not a crash, Free clears the byte") {
  const Geometry g = *Geometry::Create(256, 128, 16, 32);
  client::MemoryDevice device(256, 128);
  device.set_raw(2, Bytes(128, 1));
  device.set_raw(3, Bytes(128, 1));
  Disk disk(device, g);
  BlockAllocator allocator(disk, g);
  Result<uint32_t> none = allocator.Allocate();
  CHECK(none.status().code() == Code::kNoSpace);
  CHECK(FsErrorOf(none.status()) == FsErrorCode::kNoFreeBlocks);

  REQUIRE(allocator.Free(200).ok());
  CHECK(device.raw(3)[72] == 0);
  CHECK(*allocator.Allocate() == 200);
  device.ClearTrace();
  REQUIRE(allocator.Free(0).ok());     // "no block"
  REQUIRE(allocator.Free(9999).ok());  // outside the disk: ignored
  CHECK(device.trace().empty());
}

}  // namespace
}  // namespace memoryfs::fs
