#include "fs/directory.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "fs/fs_error.h"

namespace memoryfs::fs {
namespace {

using Trace = std::vector<std::string>;

// g01's geometry: inode table at blocks 4..7, data from block 8, 8 entries per block.
struct DirFixture {
  Geometry g = *Geometry::Create(256, 128, 16, 32);
  client::MemoryDevice device{256, 128};
  Disk disk{device, g};
  InodeTable inodes{disk, g};
  BlockAllocator allocator{disk, g};
  std::ostringstream log;
  Directory directory{disk, g, inodes, allocator, log};
  Inode root;

  DirFixture() {
    root = inodes.Empty();
    root.type = InodeType::kDirectory;
    root.refcnt = 1;
    root.blocks[0] = *allocator.Allocate();
    REQUIRE(directory.Insert(0, root, ".", 0).ok());
  }

  // Adds entries "f1".."fN" bound to inodes 1..N (the inodes themselves stay free).
  void AddEntries(int n) {
    for (int i = 1; i <= n; ++i) {
      REQUIRE(directory.Insert(0, root, "f" + std::to_string(i), i).ok());
      root.refcnt += 1;
    }
  }

  std::vector<std::string> Names() {
    std::vector<std::string> names;
    REQUIRE(directory
                .ForEach(*inodes.Load(0),
                         [&](const DirEntry& e) {
                           names.push_back(std::string(e.name.begin(), e.name.end()).c_str());
                           return Status::Ok();
                         })
                .ok());
    return names;
  }
};

TEST_CASE("Directory entries: 12-byte zero-padded name, big-endian inode number") {
  Bytes block(64, 0xEE);
  EncodeDirEntry(block, 16, "dir1", 0x01020304);
  CHECK(HexEncode(Bytes(block.begin() + 16, block.begin() + 32)) ==
        "6469723100000000000000000102030"
        "4");
  const DirEntry entry = DecodeDirEntry(block, 16);
  CHECK(entry.inode == 0x01020304);
  CHECK(entry.name == Bytes{'d', 'i', 'r', '1', 0, 0, 0, 0, 0, 0, 0, 0});
  CHECK(DirNameMatches(block.data() + 16, "dir1"));
  CHECK_FALSE(DirNameMatches(block.data() + 16, "dir"));
  CHECK_FALSE(DirNameMatches(block.data() + 16, "dir12"));
  CHECK(DirNameMatches(block.data() + 16, std::string("dir1\0", 5)));  // padding is padding
  Bytes twelve(16, 0);
  EncodeDirEntry(twelve, 0, "abcdefghijkl", 7);
  CHECK(DirNameMatches(twelve.data(), "abcdefghijkl"));
  CHECK_FALSE(DirNameMatches(twelve.data(), "abcdefghijklm"));  // longer names match nothing
}

TEST_CASE("Directory: Insert appends at the size, Lookup's device calls") {
  DirFixture f;
  f.AddEntries(2);
  CHECK(f.root.size == 48);
  CHECK(f.Names() == std::vector<std::string>{".", "f1", "f2"});

  f.device.ClearTrace();
  Result<std::optional<uint32_t>> found = f.directory.Lookup("f2", 0);
  REQUIRE(found.ok());
  CHECK(*found == std::optional<uint32_t>(2));
  CHECK(f.device.trace() == Trace{"Get 4", "Get 4", "Get 8"});
  CHECK(*f.directory.Lookup("nope", 0) == std::nullopt);
}

TEST_CASE("Directory: a new block is allocated when the size reaches a multiple of bs") {
  DirFixture f;
  f.AddEntries(7);  // 8 entries: block 8 is full
  CHECK(f.root.size == 128);
  CHECK(f.root.blocks[1] == 0);
  f.device.ClearTrace();
  REQUIRE(f.directory.Insert(0, f.root, "f8", 8).ok());
  CHECK(f.root.blocks[1] == 9);
  CHECK(f.device.trace().front() == "Get 2");  // the allocation scan comes first
  f.device.ClearTrace();
  CHECK(*f.directory.Lookup("f8", 0) == std::optional<uint32_t>(8));
  CHECK(f.device.trace() == Trace{"Get 4", "Get 4", "Get 8", "Get 4", "Get 9"});
}

TEST_CASE("Directory: Lookup in a file logs the reference's error line") {
  DirFixture f;
  Inode file = f.inodes.Empty();
  file.type = InodeType::kFile;
  REQUIRE(f.inodes.Store(3, file).ok());
  CHECK(*f.directory.Lookup("x", 3) == std::nullopt);
  CHECK(f.log.str() == "Lookup: not a directory inode: 3 , 1\n");
}

TEST_CASE("Directory: Remove moves the last entry into the hole (same block quirk kept)") {
  DirFixture f;
  f.AddEntries(4);  // . f1 f2 f3 f4
  REQUIRE(*f.directory.Remove(0, f.root, "f2"));
  CHECK(f.root.size == 64);
  CHECK(f.Names() == std::vector<std::string>{".", "f1", "f4", "f3"});
  // Like the reference: the old last slot keeps a stale copy past the end.
  const DirEntry stale = DecodeDirEntry(f.device.raw(8), 64);
  CHECK(stale.inode == 4);
  // Removing the last entry just clears it.
  REQUIRE(*f.directory.Remove(0, f.root, "f3"));
  CHECK(f.Names() == std::vector<std::string>{".", "f1", "f4"});
  CHECK(DecodeDirEntry(f.device.raw(8), 48).inode == 0);
  CHECK_FALSE(*f.directory.Remove(0, f.root, "f3"));
}

TEST_CASE("Directory: Remove across blocks clears the last slot") {
  DirFixture f;
  f.AddEntries(9);  // 10 entries: f8 and f9 in the second block
  REQUIRE(*f.directory.Remove(0, f.root, "f1"));
  CHECK(f.Names() == std::vector<std::string>{".", "f9", "f2", "f3", "f4", "f5", "f6", "f7", "f8"});
  CHECK(DecodeDirEntry(f.device.raw(9), 16).inode == 0);
  CHECK(DecodeDirEntry(f.device.raw(9), 0).inode == 8);
}

TEST_CASE("Directory: Remove when the size is a multiple of bs (deviation 1)") {
  DirFixture f;
  f.AddEntries(7);  // exactly one full block
  f.device.ClearTrace();
  REQUIRE(*f.directory.Remove(0, f.root, "f3"));
  CHECK(f.root.size == 112);
  CHECK(f.Names() == std::vector<std::string>{".", "f1", "f2", "f7", "f4", "f5", "f6"});
  // The lock block (block 0) is neither read nor written: the reference took its "last entry"
  // from block_numbers[1] == 0.
  for (const std::string& line : f.device.trace()) {
    CHECK(line != "Get 0");
    CHECK(line.rfind("Put 0 ", 0) != 0);
  }
  CHECK(f.device.raw(0) == Bytes(128, 0));
}

}  // namespace
}  // namespace memoryfs::fs
