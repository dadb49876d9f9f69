#include "server/block_store.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace memoryfs::server {

TEST_CASE("BlockStore: blocks start zeroed, Put pads, Get returns the block") {
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

// ----- metadata ------------------------------------------------------------------------------

TEST_CASE("BlockStore: GetMeta/PutMeta are a compare-and-set beside the blocks") {
  BlockStore store({4, 8, std::nullopt});
  CHECK(*store.GetMeta("epoch") == Bytes());
  // Creating: expected empty.
  CHECK(*store.PutMeta("epoch", {}, ToBytes("1")) == Bytes());
  CHECK(*store.GetMeta("epoch") == ToBytes("1"));
  // A stale expectation writes nothing and answers what is there.
  CHECK(*store.PutMeta("epoch", ToBytes("0"), ToBytes("2")) == ToBytes("1"));
  CHECK(*store.PutMeta("epoch", {}, ToBytes("2")) == ToBytes("1"));
  CHECK(*store.GetMeta("epoch") == ToBytes("1"));
  // The right one wins.
  CHECK(*store.PutMeta("epoch", ToBytes("1"), ToBytes("2")) == ToBytes("1"));
  CHECK(*store.GetMeta("epoch") == ToBytes("2"));
  // An empty value deletes; deleting nothing is a no-op.
  CHECK(*store.PutMeta("epoch", ToBytes("2"), {}) == ToBytes("2"));
  CHECK(*store.GetMeta("epoch") == Bytes());
  CHECK(*store.PutMeta("epoch", {}, {}) == Bytes());
  // Keys are independent, and the blocks never see any of it.
  REQUIRE(store.PutMeta("a", {}, Bytes(4096, 7)).ok());
  REQUIRE(store.PutMeta("b", {}, ToBytes("x")).ok());
  CHECK(*store.GetMeta("a") == Bytes(4096, 7));
  for (int b = 0; b < 4; ++b) CHECK(*store.Get(b) == Bytes(8, 0));
  CHECK(store.stats().meta == 14);
  CHECK(store.stats().gets == 4);
  CHECK(store.stats().puts == 0);
}

TEST_CASE("BlockStore: metadata limits are kInvalidArgument and change nothing") {
  BlockStore store({4, 8, std::nullopt});
  for (const std::string& key : {std::string(), std::string(65, 'k'), std::string("a b"),
                                 std::string("a/b"), std::string("\xc3\xa9")}) {
    CAPTURE(key);
    CHECK(store.GetMeta(key).status().code() == Code::kInvalidArgument);
    CHECK(store.PutMeta(key, {}, ToBytes("v")).status().code() == Code::kInvalidArgument);
  }
  CHECK(store.PutMeta(std::string(64, 'k'), {}, ToBytes("v")).ok());
  CHECK(store.PutMeta("Az09_.-", {}, ToBytes("v")).ok());
  Result<Bytes> big = store.PutMeta("big", {}, Bytes(4097, 1));
  CHECK(big.status().code() == Code::kInvalidArgument);
  CHECK(big.status().message() == "value longer than 4096 bytes (4097)");
  CHECK(*store.GetMeta("big") == Bytes());
  // 32 keys besides "lock"; a 33rd is refused, rewriting and deleting still work.
  for (int i = 2; i < 32; ++i) REQUIRE(store.PutMeta("k" + std::to_string(i), {}, {1}).ok());
  Result<Bytes> full = store.PutMeta("one_more", {}, ToBytes("v"));
  CHECK(full.status().code() == Code::kInvalidArgument);
  CHECK(full.status().message() == "too many metadata keys (at most 32)");
  CHECK(*store.PutMeta("k2", {1}, {2}) == Bytes{1});
  // The lock record always has room.
  REQUIRE(store.Lock(0, ToBytes("me"), 1000).ok());
  CHECK(*store.GetMeta("lock") == ToBytes("me"));
  CHECK(*store.PutMeta("k2", {2}, {}) == Bytes{2});
  CHECK(store.PutMeta("one_more", {}, ToBytes("v")).ok());
}

TEST_CASE("BlockStore: Lock on a free lock records the holder") {
  BlockStore store({4, 8, std::nullopt});
  Result<LockOutcome> r = store.Lock(0, ToBytes("client-1"), 5000);
  REQUIRE(r.ok());
  CHECK(r->old == Bytes(8, 0));
  CHECK(r->holder.empty());
  CHECK(r->age_ms == -1);
  CHECK(r->lease_ms == 0);
  CHECK_FALSE(r->broken);
  CHECK(*store.Get(0) == Bytes(8, 1));  // RSM's effect, checksum included
  CHECK(*store.GetMeta("lock") == ToBytes("client-1"));
  // Held: a second Lock changes nothing and sees the record.
  r = store.Lock(0, ToBytes("client-2"), 5000);
  REQUIRE(r.ok());
  CHECK(r->old == Bytes(8, 1));
  CHECK(r->holder == ToBytes("client-1"));
  CHECK(r->age_ms >= 0);
  CHECK(r->age_ms < 1000);
  CHECK(r->lease_ms == 5000);
  CHECK_FALSE(r->broken);
  CHECK(*store.GetMeta("lock") == ToBytes("client-1"));
  // The rest of the device is untouched.
  for (int b = 1; b < 4; ++b) CHECK(*store.Get(b) == Bytes(8, 0));
  CHECK(store.stats().rsms == 0);
  CHECK(store.stats().meta == 4);  // Lock, GetMeta, Lock, GetMeta
}

TEST_CASE("BlockStore: Unlock releases only for the recorded holder") {
  BlockStore store({4, 8, std::nullopt});
  REQUIRE(store.Lock(0, ToBytes("a"), 5000).ok());
  Status wrong = store.Unlock(0, ToBytes("b"));
  CHECK(wrong.code() == Code::kAborted);
  CHECK(wrong.message() == "LOCK_NOT_HELD 0");
  CHECK(*store.Get(0) == Bytes(8, 1));
  CHECK(*store.GetMeta("lock") == ToBytes("a"));
  CHECK(store.Unlock(0, {}).code() == Code::kInvalidArgument);
  CHECK(store.Unlock(4, ToBytes("a")).code() == Code::kOutOfRange);
  REQUIRE(store.Unlock(0, ToBytes("a")).ok());
  CHECK(*store.Get(0) == Bytes(8, 0));
  CHECK(*store.GetMeta("lock") == Bytes());
  // Nothing recorded any more: a second Unlock is refused.
  CHECK(store.Unlock(0, ToBytes("a")).code() == Code::kAborted);
  CHECK(*store.Get(0) == Bytes(8, 0));
  // A lock taken by plain RSM has no record: Unlock refuses it, Lock waits.
  REQUIRE(store.RSM(0).ok());
  CHECK(store.Unlock(0, ToBytes("a")).message() == "LOCK_NOT_HELD 0");
  Result<LockOutcome> r = store.Lock(0, ToBytes("a"), 1);
  REQUIRE(r.ok());
  CHECK(r->old == Bytes(8, 1));
  CHECK(r->age_ms == -1);
  CHECK_FALSE(r->broken);
  CHECK(*store.GetMeta("lock") == Bytes());
}

TEST_CASE("BlockStore: a lock held past its lease is broken by the next Lock") {
  BlockStore store({4, 8, std::nullopt});
  REQUIRE(store.Lock(0, ToBytes("old"), 50).ok());
  Result<LockOutcome> r = store.Lock(0, ToBytes("new"), 50);
  REQUIRE(r.ok());
  CHECK_FALSE(r->broken);  // within the lease
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  r = store.Lock(0, ToBytes("new"), 2000);
  REQUIRE(r.ok());
  CHECK(r->broken);
  CHECK(r->old == Bytes(8, 0));  // reads as released: the caller holds it
  CHECK(r->holder == ToBytes("old"));
  CHECK(r->age_ms > 50);
  CHECK(r->lease_ms == 50);
  CHECK(*store.Get(0) == Bytes(8, 1));
  CHECK(*store.GetMeta("lock") == ToBytes("new"));
  // The old holder's Unlock is refused; the new one's works.
  CHECK(store.Unlock(0, ToBytes("old")).code() == Code::kAborted);
  REQUIRE(store.Unlock(0, ToBytes("new")).ok());
  CHECK(*store.Get(0) == Bytes(8, 0));
}

TEST_CASE("BlockStore: a lock record PutMeta wrote has no lease and is never broken") {
  BlockStore store({4, 8, std::nullopt});
  REQUIRE(store.RSM(0).ok());  // a plain RSM holder
  REQUIRE(store.PutMeta("lock", {}, ToBytes("note")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Result<LockOutcome> r = store.Lock(0, ToBytes("me"), 1);
  REQUIRE(r.ok());
  CHECK_FALSE(r->broken);
  CHECK(r->old == Bytes(8, 1));
  CHECK(r->holder == ToBytes("note"));
  CHECK(r->lease_ms == 0);
  CHECK(r->age_ms >= 5);
  CHECK(*store.GetMeta("lock") == ToBytes("note"));
}

TEST_CASE("BlockStore: PutMeta renews the lock's lease") {
  BlockStore store({4, 8, std::nullopt});
  REQUIRE(store.Lock(0, ToBytes("me"), 60).ok());
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    REQUIRE(*store.PutMeta("lock", ToBytes("me"), ToBytes("me")) == ToBytes("me"));
  }
  Result<LockOutcome> r = store.Lock(0, ToBytes("other"), 60);
  REQUIRE(r.ok());
  CHECK_FALSE(r->broken);
  CHECK(r->lease_ms == 60);  // kept by the renewal
  CHECK(r->age_ms < 60);
}

TEST_CASE("BlockStore: a lock freed by a plain Put is retaken, reporting the stale record") {
  BlockStore store({4, 8, std::nullopt});
  REQUIRE(store.Lock(0, ToBytes("a"), 5000).ok());
  REQUIRE(store.Put(0, Bytes(8, 0)).ok());  // a Python shell's release
  Result<LockOutcome> r = store.Lock(0, ToBytes("b"), 5000);
  REQUIRE(r.ok());
  CHECK(r->old == Bytes(8, 0));
  CHECK(r->holder == ToBytes("a"));
  CHECK_FALSE(r->broken);
  CHECK(*store.GetMeta("lock") == ToBytes("b"));
}

TEST_CASE("BlockStore: Lock's argument, range and checksum errors change nothing") {
  BlockStore store({4, 8, 2});
  CHECK(store.Lock(0, {}, 100).status().code() == Code::kInvalidArgument);
  CHECK(store.Lock(0, Bytes(4097, 1), 100).status().code() == Code::kInvalidArgument);
  CHECK(store.Lock(0, ToBytes("h"), 0).status().code() == Code::kInvalidArgument);
  CHECK(store.Lock(0, ToBytes("h"), -5).status().code() == Code::kInvalidArgument);
  CHECK(store.Lock(0, ToBytes("h"), 86400001).status().code() == Code::kInvalidArgument);
  CHECK(store.Lock(0, ToBytes("h"), 86400000).ok());
  REQUIRE(store.Unlock(0, ToBytes("h")).ok());
  CHECK(store.Lock(4, ToBytes("h"), 100).status().code() == Code::kOutOfRange);
  CHECK(store.Lock(-1, ToBytes("h"), 100).status().code() == Code::kOutOfRange);
  Result<LockOutcome> bad = store.Lock(2, ToBytes("h"), 100);
  CHECK(bad.status().code() == Code::kChecksumError);
  CHECK(bad.status().message() == "CHECKSUM_ERROR 2");
  CHECK(store.stats().checksum_errors == 1);
  REQUIRE(store.Put(1, Bytes(8, 3)).ok());
  REQUIRE(store.CorruptForTest(1).ok());
  CHECK(store.Lock(1, ToBytes("h"), 100).status().code() == Code::kChecksumError);
  CHECK(*store.GetMeta("lock") == Bytes());
  CHECK(*store.Get(0) == Bytes(8, 0));
}

TEST_CASE("BlockStore: Lock is atomic under racing threads") {
  BlockStore store({2, 8, std::nullopt});
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&store, &winners, i] {
      Result<LockOutcome> r = store.Lock(0, ToBytes("t" + std::to_string(i)), 10000);
      if (r.ok() && r->old[0] != 1) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(winners == 1);
  CHECK(store.GetMeta("lock")->size() >= 2);
}

TEST_CASE("BlockStore: a corrupt lock block is decided by a running lease, else the error") {
  BlockStore store({4, 4, std::nullopt});
  REQUIRE(store.CorruptForTest(0).ok());
  CHECK(store.Lock(0, ToBytes("a"), 60000).status().code() == Code::kChecksumError);
  REQUIRE(store.Put(0, Bytes(4, 0)).ok());  // healed by a client
  REQUIRE(store.Lock(0, ToBytes("a"), 60000).ok());
  REQUIRE(store.CorruptForTest(0).ok());  // decays while a holds it
  Result<LockOutcome> waiting = store.Lock(0, ToBytes("b"), 60000);
  REQUIRE(waiting.ok());
  CHECK(waiting->old == Bytes(4, 1));  // still a's
  CHECK(waiting->holder == ToBytes("a"));
  REQUIRE(store.Unlock(0, ToBytes("a")).ok());  // the release heals it
  CHECK(*store.Get(0) == Bytes(4, 0));
}

TEST_CASE("BlockStore: a corrupt lock block of an expired holder is broken and healed") {
  BlockStore store({4, 4, std::nullopt});
  REQUIRE(store.Lock(0, ToBytes("a"), 20).ok());
  REQUIRE(store.CorruptForTest(0).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  Result<LockOutcome> broken = store.Lock(0, ToBytes("b"), 60000);
  REQUIRE(broken.ok());
  CHECK(broken->broken);
  CHECK(*store.Get(0) == Bytes(4, 1));  // held by b, with a good checksum again
}

}  // namespace memoryfs::server
