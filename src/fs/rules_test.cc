// The 2023 edition's file system (fs::Rules::For(k2023), its Geometry) beside the 2022 one's,
// for what the golden cases do not reach.
#include "fs/rules.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "client/memory_device.h"
#include "fs/filesystem.h"
#include "fs/fs_error.h"
#include "fs/testing.h"

namespace memoryfs::fs {
namespace {

struct Fs {
  explicit Fs(Edition edition, int nb = 256, int bs = 128, int ni = 16, int is = 32)
      : g(*Geometry::Create(nb, bs, ni, is, edition)),
        device(g.num_blocks(), g.block_size()),
        fs(device, g, log) {
    REQUIRE(fs.InitRoot().ok());
  }
  uint32_t Create(const std::string& name, InodeType type = InodeType::kFile) {
    Result<uint32_t> made = fs.Create(0, name, type);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    return *made;
  }
  std::vector<std::string> Names() {
    std::vector<std::string> names;
    const Result<std::vector<ListEntry>> entries = fs.List(0);
    REQUIRE(entries.ok());
    for (const ListEntry& entry : *entries) {
      names.emplace_back(entry.name.begin(),
                         std::find(entry.name.begin(), entry.name.end(), uint8_t{0}));
    }
    return names;
  }
  std::vector<std::string> Problems() { return testing::CheckConsistency(device, g); }
  std::string Contents(uint32_t file) {
    const Bytes data = *fs.Read(file, 0, g.max_file_size());
    return std::string(data.begin(), data.end());
  }

  Geometry g;
  client::MemoryDevice device;
  std::ostringstream log;
  FileSystem fs;
};

TEST_CASE("Rules: what each edition does") {
  CHECK(Rules::For(Edition::k2022).removal == Rules::Removal::kMoveLast);
  CHECK_FALSE(Rules::For(Edition::k2022).unlink_files_only);
  CHECK_FALSE(Rules::For(Edition::k2022).symlink_counts_in_directory);
  CHECK_FALSE(Rules::For(Edition::k2022).resolve_loads_inode);
  CHECK(Rules::For(Edition::k2023).removal == Rules::Removal::kCompact);
  CHECK(Rules::For(Edition::k2023).unlink_files_only);
  CHECK(Rules::For(Edition::k2023).symlink_counts_in_directory);
  CHECK(Rules::For(Edition::k2023).resolve_loads_inode);
}

TEST_CASE("Rules 2023: the geometry has one more block per file and keeps its last two") {
  const Geometry g = *Geometry::Create(256, 128, 16, 32, Edition::k2023);
  CHECK(g.max_blocks_per_file() == 6);  // (32 - 8) / 4; 5 in 2022
  CHECK(g.data_blocks() == 248);        // as showfsconfig shows it
  CHECK(g.allocation_end() == 254);
  CHECK(g.lock_block() == 255);
  CHECK(Geometry::Create(256, 128, 16, 32).value().allocation_end() == 256);
  // A full disk never hands out the last-writer block or the lock.
  Fs f(Edition::k2023, 256, 128, 16, 16);
  BlockAllocator& allocator = f.fs.allocator();
  Result<uint32_t> block = allocator.Allocate();
  uint32_t last = 0;
  for (; block.ok(); block = allocator.Allocate()) last = *block;
  CHECK(last == 253);
  CHECK(FsErrorOf(block.status()) == FsErrorCode::kNoFreeBlocks);
}

TEST_CASE("Rules 2023: rm keeps the order of the other entries and rewrites every block") {
  Fs f(Edition::k2023);
  for (const char* name : {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}) f.Create(name);
  const Inode before = *f.fs.ReadInode(0);
  f.device.ClearTrace();
  REQUIRE(f.fs.Unlink(0, "c").ok());
  CHECK(f.Names() == std::vector<std::string>{".", "a", "b", "d", "e", "f", "g", "h", "i", "j"});
  // Both directory blocks were written back, in order, before the directory's inode.
  std::vector<std::string> puts;
  for (const std::string& line : f.device.trace()) {
    if (line.rfind("Put", 0) == 0) puts.push_back(line.substr(0, line.find(' ', 4)));
  }
  REQUIRE(puts.size() >= 3);
  CHECK(puts[0] == "Put " + std::to_string(before.blocks[0]));
  CHECK(puts[1] == "Put " + std::to_string(before.blocks[1]));
  CHECK(puts[2] == "Put " + std::to_string(f.g.InodeBlock(0)));
  const Inode root = *f.fs.ReadInode(0);
  CHECK(root.size == before.size - 16);
  CHECK(root.refcnt == before.refcnt - 1);
  CHECK(f.Problems().empty());
}

TEST_CASE("Rules 2023: rm down to a whole block zeroes the emptied block and keeps it") {
  Fs f(Edition::k2023);  // 8 entries per block
  for (const char* name : {"a", "b", "c", "d", "e", "f", "g", "h"}) f.Create(name);
  const Inode before = *f.fs.ReadInode(0);  // ".", a..h: 9 entries, two blocks
  REQUIRE(before.size == 144);
  REQUIRE(f.fs.Unlink(0, "a").ok());
  CHECK(f.Names() == std::vector<std::string>{".", "b", "c", "d", "e", "f", "g", "h"});
  CHECK(f.device.raw(before.blocks[1]) == Bytes(128, 0));
  CHECK(*f.fs.allocator().IsUsed(before.blocks[1]));
  f.Create("z");  // the next entry starts a block again: a new one, as the reference does
  CHECK(f.Names().back() == "z");
  CHECK(f.Problems().empty());
}

TEST_CASE("Rules: rm of a symlink, refused in 2023 only") {
  for (Edition edition : {Edition::k2022, Edition::k2023}) {
    Fs f(edition);
    f.Create("file");
    REQUIRE(f.fs.Symlink("file", "link", 0).ok());
    const Status removed = f.fs.Unlink(0, "link");
    if (edition == Edition::k2023) {
      CHECK(FsErrorOf(removed) == FsErrorCode::kUnlinkNotFile);
      CHECK(f.Names() == std::vector<std::string>{".", "file", "link"});
    } else {
      CHECK(removed.ok());
      CHECK(f.Names() == std::vector<std::string>{".", "file"});
    }
  }
}

TEST_CASE("Rules: lns counts in the directory's refcnt in 2023 only") {
  for (Edition edition : {Edition::k2022, Edition::k2023}) {
    Fs f(edition);
    f.Create("file");
    const uint16_t before = f.fs.ReadInode(0)->refcnt;
    REQUIRE(f.fs.Symlink("file", "link", 0).ok());
    CHECK(f.fs.ReadInode(0)->refcnt == before + (edition == Edition::k2023 ? 1 : 0));
  }
}

TEST_CASE("Rules: a path resolution loads the inode it names in 2023") {
  for (Edition edition : {Edition::k2022, Edition::k2023}) {
    Fs f(edition);
    f.Create("file");
    f.device.ClearTrace();
    REQUIRE(*f.fs.Resolve("file", 0) == std::optional<uint32_t>(1));
    REQUIRE(*f.fs.Resolve("nothing", 0) == std::nullopt);
    // Lookup: the directory's inode twice and its block; then, in 2023, the named inode (and
    // inode -1, in the last bitmap block, for a missing name).
    std::vector<std::string> expected = {"Get 4", "Get 4", "Get 8"};
    if (edition == Edition::k2023) expected.push_back("Get 4");
    expected.insert(expected.end(), {"Get 4", "Get 4", "Get 8"});
    if (edition == Edition::k2023) expected.push_back("Get 3");
    CHECK(f.device.trace() == expected);
  }
}

TEST_CASE("FileSystem: slice keeps count bytes from offset, mirror reverses") {
  Fs f(Edition::k2023, 256, 128, 16, 32);
  const uint32_t file = f.Create("f");
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>('a' + i % 26));
  REQUIRE(f.fs.Write(file, 0, ToBytes(data)).ok());
  REQUIRE(f.fs.Slice(file, 100, 150).ok());  // across a block boundary
  CHECK(f.Contents(file) == data.substr(100, 150));
  REQUIRE(f.fs.Mirror(file).ok());
  CHECK(f.Contents(file) == std::string(data.rbegin() + 50, data.rbegin() + 200));
  REQUIRE(f.fs.Slice(file, 150, 0).ok());  // all of it, and nothing
  CHECK(f.fs.ReadInode(file)->size == 0);
  REQUIRE(f.fs.Mirror(file).ok());
  CHECK(f.Problems().empty());
}

TEST_CASE("FileSystem: slice out of bounds, or not of a file, writes nothing") {
  Fs f(Edition::k2023);
  const uint32_t file = f.Create("f");
  const uint32_t dir = f.Create("d", InodeType::kDirectory);
  REQUIRE(f.fs.Write(file, 0, ToBytes("0123456789")).ok());
  f.device.ClearTrace();
  for (const auto& [offset, count] : std::vector<std::pair<int64_t, int64_t>>{
           {0, 11}, {11, 0}, {5, 6}, {-1, 2}, {2, -1}, {INT64_MAX, INT64_MAX}}) {
    CHECK(FsErrorOf(f.fs.Slice(file, offset, count)) == FsErrorCode::kSliceCountOutOfBounds);
  }
  CHECK(FsErrorOf(f.fs.Slice(dir, 0, 0)) == FsErrorCode::kSliceNotFile);
  CHECK(FsErrorOf(f.fs.Mirror(dir)) == FsErrorCode::kMirrorNotFile);
  for (const std::string& line : f.device.trace()) CHECK(line.rfind("Get", 0) == 0);
  CHECK(f.Contents(file) == "0123456789");
}

}  // namespace
}  // namespace memoryfs::fs
