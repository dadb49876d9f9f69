#include "fs/disk.h"

#include <doctest/doctest.h>

#include "client/memory_device.h"
#include "fs/fs_error.h"

namespace memoryfs::fs {
namespace {

using Trace = std::vector<std::string>;

TEST_CASE("Disk: whole blocks, range checked before any call") {
  client::MemoryDevice device(64, 32);
  const Geometry g = *Geometry::Create(64, 32, 16, 16);
  Disk disk(device, g);
  REQUIRE(disk.Put(5, Bytes{1, 2, 3}).ok());
  Result<Bytes> block = disk.Get(5);
  REQUIRE(block.ok());
  CHECK(block->size() == 32);
  CHECK((*block)[2] == 3);
  CHECK(device.raw(5).size() == 32);

  device.ClearTrace();
  CHECK(FsErrorOf(disk.Get(64).status()) == FsErrorCode::kBlockNumberOutOfRange);
  CHECK(disk.Get(-1).status().code() == Code::kOutOfRange);
  CHECK(disk.Put(1LL << 33, Bytes{}).code() == Code::kOutOfRange);
  CHECK(disk.Put(3, Bytes(33, 1)).code() == Code::kInvalidArgument);
  CHECK(device.trace().empty());
}

TEST_CASE("Disk: CheckDevice compares the device's geometry with the file system's") {
  const Geometry g = *Geometry::Create(64, 32, 16, 16);
  client::MemoryDevice same(64, 32), larger(80, 32), smaller(63, 32), other_size(64, 64);
  CHECK(Disk(same, g).CheckDevice().ok());
  CHECK(Disk(larger, g).CheckDevice().ok());
  CHECK(Disk(smaller, g).CheckDevice().code() == Code::kInvalidArgument);
  const Status wrong = Disk(other_size, g).CheckDevice();
  CHECK(wrong.code() == Code::kInvalidArgument);
  CHECK(wrong.message() ==
        "the device has 64 blocks of 64 bytes; the file system needs 64 blocks of 32 bytes");
}

TEST_CASE("Disk: a rollback puts back what the transaction overwrote, newest first") {
  client::MemoryDevice device(64, 32);
  device.set_raw(3, Bytes(32, 3));
  device.set_raw(4, Bytes(32, 4));
  const Geometry g = *Geometry::Create(64, 32, 16, 16);
  Disk disk(device, g);

  disk.Begin();
  REQUIRE(disk.Get(3).ok());
  REQUIRE(disk.Put(3, Bytes(32, 30)).ok());
  REQUIRE(disk.Get(4).ok());
  REQUIRE(disk.Put(4, Bytes(32, 40)).ok());
  REQUIRE(disk.Get(3).ok());
  REQUIRE(disk.Put(3, Bytes(32, 31)).ok());
  device.ClearTrace();
  REQUIRE(disk.Rollback().ok());
  CHECK(device.raw(3) == Bytes(32, 3));
  CHECK(device.raw(4) == Bytes(32, 4));
  CHECK(device.trace() ==
        Trace{client::TracePutLine(4, Bytes(32, 4)), client::TracePutLine(3, Bytes(32, 3))});
  CHECK_FALSE(disk.in_transaction());
}

TEST_CASE("Disk: a committed transaction is left alone, and outside one nothing is kept") {
  client::MemoryDevice device(64, 32);
  const Geometry g = *Geometry::Create(64, 32, 16, 16);
  Disk disk(device, g);
  disk.Begin();
  REQUIRE(disk.Get(2).ok());
  REQUIRE(disk.Put(2, Bytes(32, 9)).ok());
  disk.Commit();
  device.ClearTrace();
  REQUIRE(disk.Rollback().ok());  // nothing to undo
  CHECK(device.trace().empty());
  CHECK(device.raw(2) == Bytes(32, 9));
}

TEST_CASE("Disk: a Put of a block never read in the transaction reads it first") {
  client::MemoryDevice device(64, 32);
  device.set_raw(7, Bytes(32, 7));
  const Geometry g = *Geometry::Create(64, 32, 16, 16);
  Disk disk(device, g);
  disk.Begin();
  REQUIRE(disk.Put(7, Bytes(32, 70)).ok());
  CHECK(device.trace() == Trace{"Get 7", client::TracePutLine(7, Bytes(32, 70))});
  REQUIRE(disk.Rollback().ok());
  CHECK(device.raw(7) == Bytes(32, 7));
}

}  // namespace
}  // namespace memoryfs::fs
