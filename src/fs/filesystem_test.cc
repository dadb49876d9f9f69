#include "fs/filesystem.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "client/memory_device.h"
#include "fs/fs_error.h"
#include "fs/testing.h"

namespace memoryfs::fs {
namespace {

struct FsFixture {
  explicit FsFixture(Geometry geometry = *Geometry::Create(256, 128, 16, 32))
      : g(geometry), device(g.num_blocks(), g.block_size()), fs(device, g, log) {
    REQUIRE(fs.InitRoot().ok());
  }

  std::vector<std::string> Problems() { return testing::CheckConsistency(device, g); }

  std::vector<Bytes> Snapshot() const { return testing::RawImage(device); }

  Geometry g;
  client::MemoryDevice device;
  std::ostringstream log;
  FileSystem fs;
};

TEST_CASE("FileSystem: the root after InitRoot, as in every golden image") {
  FsFixture f;
  Result<Inode> root = f.fs.ReadInode(0);
  REQUIRE(root.ok());
  CHECK(root->type == InodeType::kDirectory);
  CHECK(root->size == 16);
  CHECK(root->refcnt == 1);
  CHECK(root->blocks[0] == 8);
  CHECK(HexEncode(f.device.raw(4)).substr(0, 32) == "00000010000200010000000000000008");
  CHECK(f.Problems().empty());
}

TEST_CASE("FileSystem: create, write across blocks, read back") {
  FsFixture f;
  Result<uint32_t> file = f.fs.Create(0, "f", InodeType::kFile);
  REQUIRE(file.ok());
  CHECK(*file == 1);
  Bytes data(300);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  CHECK(*f.fs.Write(*file, 0, data) == 300);
  CHECK(*f.fs.Write(*file, 300, ToBytes("tail")) == 4);
  Result<Bytes> back = f.fs.Read(*file, 0, 10000);
  REQUIRE(back.ok());
  Bytes expected = data;
  for (char c : std::string("tail")) expected.push_back(static_cast<uint8_t>(c));
  CHECK(*back == expected);
  CHECK(*f.fs.Read(*file, 298, 4) == Bytes{42, 43, 't', 'a'});
  // Overwrite in the middle (offset <= size is allowed).
  CHECK(*f.fs.Write(*file, 1, ToBytes("XY")) == 2);
  CHECK((*f.fs.Read(*file, 0, 4)) == Bytes{0, 'X', 'Y', 3});
  CHECK(f.fs.ReadInode(*file)->size == 306);  // the reference adds the bytes written
  CHECK(f.Problems().empty());
}

TEST_CASE("FileSystem: the reference's error codes") {
  FsFixture f;
  REQUIRE(f.fs.Create(0, "f", InodeType::kFile).ok());
  REQUIRE(f.fs.Create(0, "d", InodeType::kDirectory).ok());
  CHECK(FsErrorOf(f.fs.Create(0, "f", InodeType::kDirectory).status()) ==
        FsErrorCode::kCreateAlreadyExists);
  CHECK(FsErrorOf(f.fs.Create(1, "x", InodeType::kFile).status()) ==
        FsErrorCode::kCreateInvalidDir);
  CHECK(FsErrorOf(f.fs.Create(0, "x", InodeType::kSymlink).status()) ==
        FsErrorCode::kCreateInvalidType);
  CHECK(FsErrorOf(f.fs.Write(2, 0, ToBytes("a")).status()) == FsErrorCode::kWriteNotFile);
  CHECK(FsErrorOf(f.fs.Write(1, 5, ToBytes("a")).status()) ==
        FsErrorCode::kWriteOffsetLargerThanSize);
  CHECK(FsErrorOf(f.fs.Write(1, 0, Bytes(641, 1)).status()) == FsErrorCode::kWriteExceedsFileSize);
  CHECK(FsErrorOf(f.fs.Read(2, 0, 1).status()) == FsErrorCode::kReadNotFile);
  CHECK(FsErrorOf(f.fs.Read(1, 1, 1).status()) == FsErrorCode::kReadOffsetLargerThanSize);
  CHECK(FsErrorOf(f.fs.Unlink(0, "nope")) == FsErrorCode::kUnlinkDoesNotExist);
  CHECK(FsErrorOf(f.fs.Unlink(0, "d")) == FsErrorCode::kUnlinkNotFile);
  CHECK(FsErrorOf(f.fs.Unlink(1, "f")) == FsErrorCode::kUnlinkInvalidDir);
  CHECK(FsErrorOf(f.fs.Link("nope", "x", 0)) == FsErrorCode::kLinkTargetDoesNotExist);
  CHECK(FsErrorOf(f.fs.Link("d", "x", 0)) == FsErrorCode::kLinkTargetNotFile);
  CHECK(FsErrorOf(f.fs.Link("f", "d", 0)) == FsErrorCode::kLinkAlreadyExists);
  CHECK(FsErrorOf(f.fs.Link("/f", "x", 1)) == FsErrorCode::kLinkNotDirectory);
  CHECK(FsErrorOf(f.fs.Symlink("nope", "x", 0)) == FsErrorCode::kSymlinkTargetDoesNotExist);
  CHECK(FsErrorOf(f.fs.Symlink("f", "d", 0)) == FsErrorCode::kSymlinkAlreadyExists);
  CHECK(FsErrorOf(f.fs.Symlink("/f", "x", 1)) == FsErrorCode::kSymlinkNotDirectory);
  CHECK(FsErrorOf(f.fs.ReadInode(16).status()) == FsErrorCode::kInodeNumberOutOfRange);
  CHECK(f.Problems().empty());
}

TEST_CASE("FileSystem: hard links count references, the last rm frees everything") {
  FsFixture f;
  const uint32_t file = *f.fs.Create(0, "f", InodeType::kFile);
  REQUIRE(f.fs.Write(file, 0, Bytes(200, 'a')).ok());
  REQUIRE(f.fs.Link("f", "g", 0).ok());
  CHECK(f.fs.ReadInode(file)->refcnt == 2);
  CHECK(f.fs.ReadInode(0)->refcnt == 3);
  REQUIRE(f.fs.Unlink(0, "f").ok());
  CHECK(f.fs.ReadInode(file)->refcnt == 1);
  CHECK(*f.fs.allocator().IsUsed(9));
  REQUIRE(f.fs.Unlink(0, "g").ok());
  CHECK(f.fs.ReadInode(file)->type == InodeType::kInvalid);
  CHECK_FALSE(*f.fs.allocator().IsUsed(9));
  CHECK_FALSE(*f.fs.allocator().IsUsed(10));
  CHECK(f.fs.ReadInode(0)->refcnt == 1);
  CHECK(f.Problems().empty());
  // The freed inode and blocks are reused.
  CHECK(*f.fs.Create(0, "h", InodeType::kFile) == file);
  REQUIRE(f.fs.Write(file, 0, ToBytes("x")).ok());
  CHECK(f.fs.ReadInode(file)->blocks[0] == 9);
}

TEST_CASE("FileSystem: symlinks hold their target, ls shows them") {
  FsFixture f;
  REQUIRE(f.fs.Create(0, "f", InodeType::kFile).ok());
  REQUIRE(f.fs.Symlink("/f", "s", 0).ok());
  Result<std::vector<ListEntry>> entries = f.fs.List(0);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 3);
  const ListEntry& link = (*entries)[2];
  CHECK(link.type == InodeType::kSymlink);
  CHECK(link.symlink_target == ToBytes("/f"));
  CHECK(link.refcnt == 1);
  CHECK(*f.fs.ResolveFollow("s", 0) == std::optional<uint32_t>(1));
  REQUIRE(f.fs.Unlink(0, "s").ok());
  CHECK(f.Problems().empty());
}

TEST_CASE("FileSystem: a name longer than 12 bytes is refused before any write") {
  FsFixture f;
  REQUIRE(f.fs.Create(0, "f", InodeType::kFile).ok());
  const std::vector<Bytes> before = f.Snapshot();
  f.device.ClearTrace();
  CHECK(FsErrorOf(f.fs.Create(0, "abcdefghijklm", InodeType::kDirectory).status()) ==
        FsErrorCode::kFilenameTooLong);
  CHECK(FsErrorOf(f.fs.Create(0, "abcdefghijklm", InodeType::kFile).status()) ==
        FsErrorCode::kFilenameTooLong);
  CHECK(FsErrorOf(f.fs.Link("f", "abcdefghijklm", 0)) == FsErrorCode::kFilenameTooLong);
  CHECK(FsErrorOf(f.fs.Symlink("f", "abcdefghijklm", 0)) == FsErrorCode::kFilenameTooLong);
  for (const std::string& line : f.device.trace()) CHECK(line.rfind("Put", 0) != 0);
  CHECK(f.Snapshot() == before);
  // 12 bytes is fine.
  CHECK(f.fs.Create(0, "abcdefghijkl", InodeType::kFile).ok());
}

TEST_CASE("FileSystem: running out of blocks half-way through a write undoes it") {
  FsFixture f;
  const uint32_t file = *f.fs.Create(0, "f", InodeType::kFile);
  // Leave exactly 3 free data blocks: 9, 10 and 11.
  Bytes bitmap0(128, 1), bitmap1(128, 1);
  for (int b = 0; b < 8; ++b) bitmap0[b] = 0;
  bitmap0[9] = bitmap0[10] = bitmap0[11] = 0;
  f.device.set_raw(2, bitmap0);
  f.device.set_raw(3, bitmap1);
  const std::vector<Bytes> before = f.Snapshot();
  Result<uint32_t> written = f.fs.Write(file, 0, Bytes(4 * 128, 'z'));
  CHECK(written.status().code() == Code::kNoSpace);
  CHECK(FsErrorOf(written.status()) == FsErrorCode::kNoFreeBlocks);
  CHECK(f.Snapshot() == before);
  // Three blocks' worth still fits.
  CHECK(*f.fs.Write(file, 0, Bytes(3 * 128, 'z')) == 384);
  // And a directory needing a block fails cleanly too.
  CHECK(FsErrorOf(f.fs.Create(0, "d", InodeType::kDirectory).status()) ==
        FsErrorCode::kNoFreeBlocks);
  CHECK(f.fs.Lookup("d", 0)->has_value() == false);
}

TEST_CASE("FileSystem: a device error in the middle of an operation is rolled back") {
  client::MemoryDevice memory(256, 128);
  testing::FlakyDevice flaky(memory);
  std::ostringstream log;
  const Geometry g = *Geometry::Create(256, 128, 16, 32);
  FileSystem fs(flaky, g, log);
  REQUIRE(fs.InitRoot().ok());
  std::vector<Bytes> before;
  for (int b = 0; b < 256; ++b) before.push_back(memory.raw(b));
  // mkdir makes ~30 calls; fail each one in turn (once), and check nothing is left behind.
  for (int fail_at = 0; fail_at < 40; ++fail_at) {
    CAPTURE(fail_at);
    flaky.Arm(fail_at, /*sticky=*/false);
    Result<uint32_t> made = fs.Create(0, "d", InodeType::kDirectory);
    flaky.Disarm();
    if (made.ok()) {
      CHECK(fail_at > 25);
      break;
    }
    CHECK(made.status().code() == Code::kUnavailable);
    for (int b = 0; b < 256; ++b) CHECK(memory.raw(b) == before[b]);
  }
  CHECK(testing::CheckConsistency(memory, g).empty());
}

}  // namespace
}  // namespace memoryfs::fs
