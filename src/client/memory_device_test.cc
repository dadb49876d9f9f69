#include "client/memory_device.h"

#include <doctest/doctest.h>

namespace memoryfs::client {

TEST_CASE("MemoryDevice: the BlockDevice contract and the golden trace format") {
  MemoryDevice dev(4, 8);
  CHECK(*dev.Get(1) == Bytes(8, 0));
  REQUIRE(dev.Put(1, ToBytes("ab")).ok());
  CHECK(*dev.Get(1) == PadTo(ToBytes("ab"), 8));
  CHECK(*dev.RSM(0) == Bytes(8, 0));
  CHECK(*dev.RSM(0) == Bytes(8, 1));
  CHECK(dev.Put(0, Bytes(8, 0)).ok());
  CHECK(dev.Get(4).status().code() == Code::kOutOfRange);
  CHECK(dev.Put(2, Bytes(9, 0)).code() == Code::kInvalidArgument);
  const std::vector<std::string> want = {"Get 1", "Put 1 6162", "Get 1", "RSM 0",
                                         "RSM 0", "Put 0 ",     "Get 4", "Put 2 "};
  CHECK(dev.trace() == want);
}

TEST_CASE("MemoryDevice: injected corruption and failure") {
  MemoryDevice dev(4, 8);
  dev.SetCorrupt(2, true);
  CHECK(dev.Get(2).status().code() == Code::kChecksumError);
  REQUIRE(dev.Put(2, Bytes(8, 3)).ok());
  CHECK(dev.Get(2).ok());
  dev.SetFailed(true);
  CHECK(dev.Get(1).status().code() == Code::kUnavailable);
}

// ----- metadata, the recorded lock, restarts -------------------------------------------------

TEST_CASE("MemoryDevice: PutMeta is a compare-and-set, GetMeta reads it, blocks are untouched") {
  MemoryDevice dev(4, 8);
  CHECK(*dev.GetMeta("epoch") == Bytes());
  CHECK(*dev.PutMeta("epoch", {}, ToBytes("1")) == Bytes());
  CHECK(*dev.PutMeta("epoch", {}, ToBytes("2")) == ToBytes("1"));  // lost: nothing written
  CHECK(*dev.GetMeta("epoch") == ToBytes("1"));
  CHECK(*dev.PutMeta("epoch", ToBytes("1"), ToBytes("2")) == ToBytes("1"));
  CHECK(*dev.GetMeta("epoch") == ToBytes("2"));
  CHECK(*dev.PutMeta("epoch", ToBytes("2"), {}) == ToBytes("2"));  // deleted
  CHECK(dev.raw_meta("epoch").empty());
  for (int b = 0; b < 4; ++b) CHECK(dev.raw(b) == Bytes(8, 0));
  const std::vector<std::string> want = {"GetMeta epoch", "PutMeta epoch", "PutMeta epoch",
                                         "GetMeta epoch", "PutMeta epoch", "GetMeta epoch",
                                         "PutMeta epoch"};
  CHECK(dev.trace() == want);
}

TEST_CASE("MemoryDevice: metadata limits as the server's") {
  MemoryDevice dev(4, 8);
  CHECK(dev.GetMeta("").status().code() == Code::kInvalidArgument);
  CHECK(dev.GetMeta(std::string(65, 'a')).status().code() == Code::kInvalidArgument);
  CHECK(dev.GetMeta("a:b").status().code() == Code::kInvalidArgument);
  CHECK(dev.GetMeta(std::string(64, 'a')).ok());
  CHECK(dev.PutMeta("k", {}, Bytes(4097, 1)).status().code() == Code::kInvalidArgument);
  CHECK(dev.PutMeta("k", {}, Bytes(4096, 1)).ok());
  for (int i = 1; i < 32; ++i) REQUIRE(dev.PutMeta("k" + std::to_string(i), {}, {1}).ok());
  CHECK(dev.PutMeta("k32", {}, {1}).status().code() == Code::kInvalidArgument);
  CHECK(dev.Lock(0, ToBytes("me"), 100).ok());  // the lock record always has room
  CHECK(dev.Lock(0, {}, 100).status().code() == Code::kInvalidArgument);
  CHECK(dev.Lock(0, ToBytes("me"), 0).status().code() == Code::kInvalidArgument);
  CHECK(dev.Lock(0, ToBytes("me"), 86400001).status().code() == Code::kInvalidArgument);
  CHECK(dev.Lock(4, ToBytes("me"), 100).status().code() == Code::kOutOfRange);
  CHECK(dev.Unlock(-1, ToBytes("me")).code() == Code::kOutOfRange);
}

TEST_CASE("MemoryDevice: Lock free, held, broken after the lease, Unlock by the holder only") {
  MemoryDevice dev(4, 8);
  Result<LockReply> r = dev.Lock(0, ToBytes("a"), 100);
  REQUIRE(r.ok());
  CHECK(r->old == Bytes(8, 0));
  CHECK(r->holder.empty());
  CHECK(r->age_ms == -1);
  CHECK_FALSE(r->broken);
  CHECK(dev.raw(0) == Bytes(8, 1));
  CHECK(dev.raw_meta("lock") == ToBytes("a"));
  dev.AdvanceClockMs(100);  // age == lease: still held
  r = dev.Lock(0, ToBytes("b"), 100);
  REQUIRE(r.ok());
  CHECK(r->old == Bytes(8, 1));
  CHECK(r->holder == ToBytes("a"));
  CHECK(r->age_ms == 100);
  CHECK(r->lease_ms == 100);
  CHECK_FALSE(r->broken);
  // Renewed by a PutMeta of the same holder: the lease is kept, the age restarts.
  REQUIRE(*dev.PutMeta("lock", ToBytes("a"), ToBytes("a")) == ToBytes("a"));
  dev.AdvanceClockMs(60);
  CHECK_FALSE(dev.Lock(0, ToBytes("b"), 100)->broken);
  dev.AdvanceClockMs(41);
  r = dev.Lock(0, ToBytes("b"), 500);
  REQUIRE(r.ok());
  CHECK(r->broken);
  CHECK(r->old == Bytes(8, 0));
  CHECK(r->holder == ToBytes("a"));
  CHECK(r->age_ms == 101);
  CHECK(dev.raw_meta("lock") == ToBytes("b"));
  Status late = dev.Unlock(0, ToBytes("a"));
  CHECK(late.code() == Code::kAborted);
  CHECK(late.message() == "LOCK_NOT_HELD 0");
  CHECK(dev.raw(0) == Bytes(8, 1));
  REQUIRE(dev.Unlock(0, ToBytes("b")).ok());
  CHECK(dev.raw(0) == Bytes(8, 0));
  CHECK(dev.raw_meta("lock").empty());
  // A plain RSM holder has no record: Lock waits forever, Unlock is refused.
  REQUIRE(dev.RSM(0).ok());
  dev.AdvanceClockMs(1000000);
  r = dev.Lock(0, ToBytes("c"), 1);
  REQUIRE(r.ok());
  CHECK(r->old == Bytes(8, 1));
  CHECK_FALSE(r->broken);
  CHECK(dev.Unlock(0, ToBytes("c")).code() == Code::kAborted);
  CHECK(dev.trace().back() == "Unlock 0");
  CHECK(dev.trace()[0] == "Lock 0");
}

TEST_CASE("MemoryDevice: a lock record PutMeta wrote has no lease and is never broken") {
  MemoryDevice dev(4, 8);
  REQUIRE(dev.RSM(0).ok());
  REQUIRE(dev.PutMeta("lock", {}, ToBytes("note")).ok());
  dev.AdvanceClockMs(1000000);
  Result<LockReply> r = dev.Lock(0, ToBytes("me"), 1);
  REQUIRE(r.ok());
  CHECK_FALSE(r->broken);
  CHECK(r->holder == ToBytes("note"));
  CHECK(r->age_ms == 1000000);
  CHECK(r->lease_ms == 0);
  CHECK(dev.raw_meta("lock") == ToBytes("note"));
}

TEST_CASE("MemoryDevice: Lock of a corrupt block is RSM's checksum error and changes nothing") {
  MemoryDevice dev(4, 8);
  dev.SetCorrupt(1, true);
  CHECK(dev.Lock(1, ToBytes("a"), 100).status().code() == Code::kChecksumError);
  CHECK(dev.raw(1) == Bytes(8, 0));
  CHECK(dev.raw_meta("lock").empty());
}

TEST_CASE("MemoryDevice: SetNoMetadata, SetFailed and FailAfterCalls cover the new calls") {
  MemoryDevice dev(4, 8);
  dev.SetNoMetadata(true);
  CHECK(dev.GetMeta("k").status().code() == Code::kUnimplemented);
  CHECK(dev.PutMeta("k", {}, {1}).status().code() == Code::kUnimplemented);
  CHECK(dev.Lock(0, ToBytes("a"), 100).status().code() == Code::kUnimplemented);
  CHECK(dev.Unlock(0, ToBytes("a")).code() == Code::kUnimplemented);
  CHECK(dev.raw(0) == Bytes(8, 0));  // Lock did no RSM
  CHECK(dev.RSM(0).ok());            // the blocks still work
  CHECK(dev.trace().size() == 5);
  dev.SetNoMetadata(false);
  dev.SetFailed(true);
  CHECK(dev.GetMeta("k").status().code() == Code::kUnavailable);
  CHECK(dev.Lock(0, ToBytes("a"), 100).status().code() == Code::kUnavailable);
  dev.SetFailed(false);
  dev.FailAfterCalls(1);
  CHECK(dev.GetMeta("k").ok());
  CHECK(dev.Unlock(0, ToBytes("a")).code() == Code::kUnavailable);
}

TEST_CASE("MemoryDevice: Restart wipes blocks and records and counts a session") {
  MemoryDevice dev(4, 8);
  CHECK(dev.sessions() == 0);
  REQUIRE(dev.Put(2, Bytes(8, 9)).ok());
  REQUIRE(dev.Lock(0, ToBytes("a"), 100).ok());
  REQUIRE(dev.PutMeta("epoch", {}, ToBytes("7")).ok());
  dev.SetCorrupt(3, true);
  dev.Restart();
  CHECK(dev.sessions() == 1);
  for (int b = 0; b < 4; ++b) CHECK(*dev.Get(b) == Bytes(8, 0));
  CHECK(*dev.GetMeta("epoch") == Bytes());
  CHECK(*dev.GetMeta("lock") == Bytes());
  dev.Restart();
  CHECK(dev.sessions() == 2);
}

}  // namespace memoryfs::client
