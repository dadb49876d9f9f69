#include "fs/paths.h"

#include <doctest/doctest.h>

#include <sstream>

#include "client/memory_device.h"
#include "fs/filesystem.h"

namespace memoryfs::fs {
namespace {

using Trace = std::vector<std::string>;

// /a/b/deep (file), /a/b/here -> "up" (symlink created in /a/b), /top -> "a/b/deep".
struct PathFixture {
  Geometry g = *Geometry::Create(256, 128, 32, 64);
  client::MemoryDevice device{256, 128};
  std::ostringstream log;
  FileSystem fs{device, g, log};
  uint32_t a = 0, b = 0, deep = 0;

  PathFixture() {
    REQUIRE(fs.InitRoot().ok());
    a = *fs.Create(0, "a", InodeType::kDirectory);
    b = *fs.Create(a, "b", InodeType::kDirectory);
    deep = *fs.Create(b, "deep", InodeType::kFile);
    REQUIRE(fs.Create(0, "up", InodeType::kFile).ok());
    REQUIRE(fs.Symlink("a/b/deep", "top", 0).ok());
  }

  std::optional<uint32_t> Resolve(const std::string& path, uint32_t cwd) {
    Result<std::optional<uint32_t>> r = fs.Resolve(path, cwd);
    REQUIRE(r.ok());
    return *r;
  }
};

TEST_CASE("Paths: absolute, relative, '.', '..' and the root") {
  PathFixture f;
  f.device.ClearTrace();
  CHECK(f.Resolve("/", 2) == std::optional<uint32_t>(0));
  CHECK(f.device.trace().empty());  // "/" needs no device call
  CHECK(f.Resolve("/a/b/deep", f.b) == f.deep);
  CHECK(f.Resolve("a/b/deep", 0) == f.deep);
  CHECK(f.Resolve("deep", f.b) == f.deep);
  CHECK(f.Resolve("..", f.b) == f.a);
  CHECK(f.Resolve("../..", f.b) == std::optional<uint32_t>(0));
  CHECK(f.Resolve("./b/../b/./deep", f.a) == f.deep);
  CHECK(f.Resolve("/a/b/..", 0) == f.a);
}

TEST_CASE("Paths: what the reference does not find") {
  PathFixture f;
  CHECK(f.Resolve("nope", 0) == std::nullopt);
  CHECK(f.Resolve("/nope/nothing", 0) == std::nullopt);
  CHECK(f.Resolve("a/", 0) == std::nullopt);    // empty last component
  CHECK(f.Resolve("a//b", 0) == std::nullopt);  // empty middle component
  CHECK(f.Resolve("//", 0) == std::nullopt);
  CHECK(f.log.str().empty());
  // A component under a file: the reference logs its error and finds nothing.
  CHECK(f.Resolve("a/b/deep/x", 0) == std::nullopt);
  CHECK(f.log.str() == "Lookup: not a directory inode: " + std::to_string(f.deep) + " , 1\n");
}

TEST_CASE("Paths: ResolveFollow follows one symlink, relative to cwd") {
  PathFixture f;
  Result<std::optional<uint32_t>> top = f.fs.Resolve("top", 0);
  REQUIRE(top.ok());
  CHECK(*top != f.deep);  // Resolve does not follow
  CHECK(*f.fs.ResolveFollow("top", 0) == f.deep);
  CHECK(*f.fs.ResolveFollow("/top", 0) == f.deep);
  // The target "a/b/deep" is resolved from cwd: from /a it does not exist.
  CHECK(*f.fs.ResolveFollow("/top", f.a) == std::nullopt);
  CHECK(*f.fs.ResolveFollow("a/b/deep", 0) == f.deep);
}

TEST_CASE("Paths: ResolveFollow of a missing name reads 'inode -1' like the reference") {
  PathFixture f;
  f.device.ClearTrace();
  CHECK(*f.fs.ResolveFollow("nope", 0) == std::nullopt);
  // Lookup (Get 4, Get 4, Get 20), then the read of inode -1: last bitmap block.
  CHECK(f.device.trace() == Trace{"Get 4", "Get 4", "Get 20", "Get 3"});
}

}  // namespace
}  // namespace memoryfs::fs
