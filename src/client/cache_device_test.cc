#include "client/cache_device.h"

#include <doctest/doctest.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "client/lock_convention.h"
#include "client/memory_device.h"

namespace memoryfs::client {
namespace {

using Trace = std::vector<std::string>;

// A cache of client `cid` over a 16-block device of 8-byte blocks (lock 15, last writer 14).
struct Rig {
  explicit Rig(int cid = 0, bool logged = true)
      : inner(16, 8), cache(inner, Options(cid, logged ? &log : nullptr)) {}
  static CacheOptions Options(int cid, std::ostream* log) {
    CacheOptions options;
    options.client_id = cid;
    options.log = log;
    return options;
  }
  // The log so far, then forgotten; likewise the inner device's trace.
  std::string TakeLog() {
    std::string text = log.str();
    log.str("");
    return text;
  }
  Trace TakeTrace() {
    Trace trace = inner.trace();
    inner.ClearTrace();
    return trace;
  }

  MemoryDevice inner;
  std::ostringstream log;
  CacheDevice cache;
};

Bytes Block(std::initializer_list<uint8_t> bytes) {
  Bytes block(bytes);
  block.resize(8, 0);
  return block;
}

TEST_CASE("CacheDevice: a miss reads the device and caches, a hit makes no call") {
  Rig rig;
  rig.inner.set_raw(3, Block({7}));
  CHECK(*rig.cache.Get(3) == Block({7}));
  CHECK(*rig.cache.Get(3) == Block({7}));
  CHECK(rig.TakeLog() == "CACHE_MISS 3\nCACHE_HIT 3\n");
  CHECK(rig.TakeTrace() == Trace{"Get 3"});
}

TEST_CASE("CacheDevice: the lock and last-writer blocks are never served from the cache") {
  Rig rig;
  for (int i = 0; i < 2; ++i) {
    REQUIRE(rig.cache.Get(14).ok());
    REQUIRE(rig.cache.Get(15).ok());
  }
  CHECK(rig.TakeLog() == "CACHE_MISS 14\nCACHE_MISS 15\nCACHE_MISS 14\nCACHE_MISS 15\n");
  CHECK(rig.TakeTrace() == Trace{"Get 14", "Get 15", "Get 14", "Get 15"});
}

TEST_CASE("CacheDevice: a Put writes through, caches the padded block, then marks the writer") {
  Rig rig(/*cid=*/5);
  REQUIRE(rig.cache.Put(3, Bytes{1, 2}).ok());
  CHECK(rig.TakeLog() == "CACHE_WRITE_THROUGH 3\n");
  CHECK(rig.TakeTrace() == Trace{"Put 3 0102", "Put 14 05"});
  CHECK(*rig.cache.Get(3) == Block({1, 2}));
  CHECK(rig.TakeLog() == "CACHE_HIT 3\n");
  CHECK(rig.TakeTrace().empty());
}

TEST_CASE("CacheDevice: the lock's release is written through without a writer mark") {
  Rig rig(/*cid=*/5);
  REQUIRE(rig.cache.Put(15, Bytes(8, 0)).ok());
  CHECK(rig.TakeLog() == "CACHE_WRITE_THROUGH 15\n");
  CHECK(rig.TakeTrace() == Trace{"Put 15 "});
}

TEST_CASE("CacheDevice: taking the lock when this client wrote last keeps the cache") {
  Rig rig(/*cid=*/0);
  REQUIRE(rig.cache.Get(3).ok());
  rig.TakeLog();
  rig.TakeTrace();
  CHECK(*rig.cache.RSM(15) == Bytes(8, 0));  // free: taken
  CHECK(rig.TakeLog() == "CACHE_MISS 14\n");
  CHECK(rig.TakeTrace() == Trace{"RSM 15", "Get 14"});
  CHECK(rig.cache.cached() == 2);  // block 3 and the last-writer block
}

TEST_CASE("CacheDevice: taking the lock after another client wrote empties the cache") {
  Rig rig(/*cid=*/1);
  REQUIRE(rig.cache.Get(3).ok());
  rig.inner.set_raw(3, Block({9}));   // client 0 writes block 3 ...
  rig.inner.set_raw(14, Block({0}));  // ... and is the last writer
  rig.TakeLog();
  rig.TakeTrace();
  REQUIRE(rig.cache.RSM(15).ok());
  CHECK(rig.TakeLog() == "CACHE_MISS 14\nCACHE_INVALIDATED\nCACHE_WRITE_THROUGH 14\n");
  // The mark is a Put through the cache, so it is followed by the writer mark of every Put.
  CHECK(rig.TakeTrace() == Trace{"RSM 15", "Get 14", "Put 14 01", "Put 14 01"});
  CHECK(*rig.cache.Get(3) == Block({9}));  // not the stale copy
  CHECK(rig.TakeLog() == "CACHE_MISS 3\n");
}

TEST_CASE("CacheDevice: an RSM that finds the lock held changes nothing else") {
  Rig rig(/*cid=*/1);
  rig.inner.set_raw(15, Bytes(8, LockConvention::kLockedByte));
  REQUIRE(rig.cache.Get(3).ok());
  rig.TakeLog();
  rig.TakeTrace();
  CHECK(LockConvention::HeldByOther(*rig.cache.RSM(15)));
  CHECK(rig.TakeLog().empty());
  CHECK(rig.TakeTrace() == Trace{"RSM 15"});
  CHECK(rig.cache.cached() == 1);
}

TEST_CASE("CacheDevice: without a log nothing is printed and the calls are the same") {
  Rig rig(/*cid=*/1, /*logged=*/false);
  REQUIRE(rig.cache.Put(3, Bytes{1}).ok());
  REQUIRE(rig.cache.Get(3).ok());
  REQUIRE(rig.cache.RSM(15).ok());
  CHECK(rig.TakeLog().empty());
  CHECK(rig.TakeTrace() == Trace{"Put 3 01", "Put 14 01", "RSM 15", "Get 14"});
}

TEST_CASE("CacheDevice: a failed Put forgets the block and prints nothing") {
  Rig rig;
  REQUIRE(rig.cache.Get(3).ok());
  rig.TakeLog();
  rig.inner.SetFailed(true);
  CHECK(rig.cache.Put(3, Bytes{1}).code() == Code::kUnavailable);
  CHECK(rig.TakeLog().empty());
  rig.inner.SetFailed(false);
  REQUIRE(rig.cache.Get(3).ok());
  CHECK(rig.TakeLog() == "CACHE_MISS 3\n");
}

TEST_CASE("CacheDevice: a revalidation that fails leaves the lock free and the cache empty") {
  Rig rig(/*cid=*/1);
  REQUIRE(rig.cache.Get(3).ok());
  rig.TakeTrace();
  rig.inner.FailAfterCalls(1);  // the RSM is answered, the Get of the last writer is not
  CHECK(rig.cache.RSM(15).status().code() == Code::kUnavailable);
  rig.inner.SetFailed(false);
  CHECK(rig.inner.raw(15) == LockConvention::Held(8));  // the best-effort restore failed too
  rig.inner.set_raw(15, LockConvention::Released(8));
  CHECK(rig.cache.cached() == 0);

  // With only the Get failing, the restore goes through.
  REQUIRE(rig.cache.Get(3).ok());
  rig.inner.SetCorrupt(14, true);
  CHECK(rig.cache.RSM(15).status().code() == Code::kChecksumError);
  CHECK(rig.inner.raw(15) == LockConvention::Released(8));
  CHECK(rig.cache.cached() == 0);
}

TEST_CASE("CacheDevice: the recorded lock revalidates like RSM, its release prints like a Put") {
  Rig other(1);
  Rig rig;
  rig.inner.set_raw(14, Block({1}));  // client 1 wrote last
  Result<LockReply> taken = rig.cache.Lock(15, Bytes{'m', 'e'}, 1000);
  REQUIRE(taken.ok());
  CHECK_FALSE(LockConvention::HeldByOther(taken->old));
  CHECK(rig.TakeLog() == "CACHE_MISS 14\nCACHE_INVALIDATED\nCACHE_WRITE_THROUGH 14\n");
  CHECK(rig.TakeTrace() == Trace{"Lock 15", "Get 14", "Put 14 ", "Put 14 "});
  REQUIRE(rig.cache.Unlock(15, Bytes{'m', 'e'}, {}).ok());
  CHECK(rig.TakeLog() == "CACHE_WRITE_THROUGH 15\n");
  CHECK(rig.TakeTrace() == Trace{"Unlock 15"});
  CHECK(rig.inner.raw(15) == LockConvention::Released(8));
}

TEST_CASE("CacheDevice: 2022 -cache, kept coherent by the server's count of Puts") {
  MemoryDevice inner(16, 8);
  int64_t server_puts = 0;  // what the server's Stats would say
  std::ostringstream log;
  CacheOptions options;
  options.log = &log;
  options.coherence = CacheOptions::Coherence::kServerPutCount;
  options.server_puts = [&]() -> Result<int64_t> { return server_puts; };
  CacheDevice cache(inner, options);
  CHECK(cache.lock_block() == 0);
  const auto command = [&](const std::function<void()>& body) {
    REQUIRE(cache.RSM(0).ok());
    body();
    REQUIRE(cache.Put(0, Bytes(8, 0)).ok());  // the release
    ++server_puts;
  };
  command([&] {
    REQUIRE(cache.Put(5, Block({7})).ok());
    ++server_puts;
    REQUIRE(cache.Get(9).ok());
  });
  inner.ClearTrace();
  command([&] {  // nobody else wrote: 5, 9 and 14 (no last-writer block here) are served
    CHECK(*cache.Get(5) == Block({7}));
    REQUIRE(cache.Get(9).ok());
  });
  CHECK(inner.trace() == Trace{"RSM 0", "Put 0 "});
  inner.set_raw(5, Block({8}));  // another client (a Python shell) writes block 5
  server_puts += 2;              // its Put and its release
  log.str("");
  command([&] { CHECK(*cache.Get(5) == Block({8})); });
  CHECK(log.str().find("CACHE_INVALIDATED\n") == 0);
  // A server that cannot count (the Python one): the cache lasts one command.
  options.server_puts = [] { return Result<int64_t>(Status::Error(Code::kFault, "no Stats")); };
  CacheDevice blind(inner, options);
  REQUIRE(blind.RSM(0).ok());
  REQUIRE(blind.Get(5).ok());
  REQUIRE(blind.Put(0, Bytes(8, 0)).ok());
  inner.ClearTrace();
  REQUIRE(blind.RSM(0).ok());
  REQUIRE(blind.Get(5).ok());
  CHECK(inner.trace() == Trace{"RSM 0", "Get 5"});
}

}  // namespace
}  // namespace memoryfs::client
