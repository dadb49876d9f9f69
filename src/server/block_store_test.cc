#include "server/block_store.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace memoryfs::server {

TEST_CASE("BlockStore: blocks start zeroed; Put pads; Get returns the block") {
  BlockStore store({8, 16, std::nullopt});
  CHECK(*store.Get(3) == Bytes(16, 0));
  REQUIRE(store.Put(3, ToBytes("abc")).ok());
  Bytes want = PadTo(ToBytes("abc"), 16);
  CHECK(*store.Get(3) == want);
}

TEST_CASE("BlockStore: bounds, negative numbers and over-long data") {
  BlockStore store({8, 16, std::nullopt});
  CHECK(store.Get(8).status().code() == Code::kOutOfRange);
  CHECK(store.Get(-1).status().code() == Code::kOutOfRange);
  CHECK(store.RSM(-8).status().code() == Code::kOutOfRange);
  CHECK(store.Put(8, Bytes(16, 1)).code() == Code::kOutOfRange);
  CHECK(store.Put(0, Bytes(17, 1)).code() == Code::kInvalidArgument);
  CHECK(*store.Get(0) == Bytes(16, 0));  // nothing written
  CHECK(store.Put(0, Bytes(16, 1)).ok());
}

TEST_CASE("BlockStore: RSM returns old contents and sets 0x01") {
  BlockStore store({4, 8, std::nullopt});
  CHECK(*store.RSM(0) == Bytes(8, 0));
  CHECK(*store.RSM(0) == Bytes(8, 1));
  CHECK(*store.Get(0) == Bytes(8, 1));  // checksum follows the RSM write
  REQUIRE(store.Put(0, Bytes(8, 0)).ok());
  CHECK(*store.RSM(0) == Bytes(8, 0));
}

TEST_CASE("BlockStore: -cblk decays one block, including block 0") {
  for (int decayed : {0, 2}) {
    BlockStore store({4, 8, decayed});
    CHECK(store.Get(decayed).status().code() == Code::kChecksumError);
    CHECK(store.Get(decayed).status().message() == "CHECKSUM_ERROR " + std::to_string(decayed));
    CHECK(store.RSM(decayed).status().code() == Code::kChecksumError);
    CHECK(store.Put(decayed, Bytes(8, 5)).ok());
    CHECK(store.Get(decayed).status().code() == Code::kChecksumError);  // keeps failing
    CHECK(store.Get(decayed == 0 ? 1 : 0).ok());
    CHECK(store.stats().checksum_errors == 4);
  }
}

TEST_CASE("BlockStore: real corruption is caught by the MD5 and healed by Put") {
  BlockStore store({4, 8, std::nullopt});
  REQUIRE(store.Put(1, Bytes(8, 7)).ok());
  REQUIRE(store.CorruptForTest(1).ok());
  CHECK(store.Get(1).status().code() == Code::kChecksumError);
  CHECK(store.RSM(1).status().code() == Code::kChecksumError);
  REQUIRE(store.Put(1, Bytes(8, 9)).ok());
  CHECK(*store.Get(1) == Bytes(8, 9));
}

TEST_CASE("BlockStore: counters") {
  BlockStore store({4, 8, std::nullopt});
  (void)store.Get(0);
  (void)store.Get(9);
  (void)store.Put(1, {});
  (void)store.RSM(2);
  RequestCounts s = store.stats();
  CHECK(s.gets == 2);
  CHECK(s.puts == 1);
  CHECK(s.rsms == 1);
  CHECK(s.checksum_errors == 0);
}

TEST_CASE("BlockStore: RSM is atomic under racing threads") {
  BlockStore store({2, 8, std::nullopt});
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      Result<Bytes> r = store.RSM(1);
      if (r.ok() && (*r)[0] != 1) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(winners == 1);
}

}  // namespace memoryfs::server
