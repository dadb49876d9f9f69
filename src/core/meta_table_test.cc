#include "core/meta_table.h"

#include <doctest/doctest.h>

#include <string>

namespace memoryfs {
namespace {

Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }
const Bytes kFree(4, 0), kHeld(4, 1);

TEST_CASE("MetaTable: compare-and-set, deletion by an empty value, key limits") {
  MetaTable t;
  CHECK(t.Get("k")->empty());
  CHECK(*t.Put("k", B("x"), B("1"), 0) == Bytes());  // expected "x", found none: not written
  CHECK(t.Get("k")->empty());
  CHECK(*t.Put("k", {}, B("1"), 0) == Bytes());
  CHECK(*t.Get("k") == B("1"));
  CHECK(*t.Put("k", B("1"), {}, 0) == B("1"));
  CHECK(t.Get("k")->empty());
  CHECK(t.Get("").status().code() == Code::kInvalidArgument);
  CHECK(t.Get("a b").status().message() ==
        "metadata key 'a b' has a character outside [A-Za-z0-9_.-]");
  for (size_t i = 0; i < kMaxMetaKeys; ++i)
    REQUIRE(t.Put("k" + std::to_string(i), {}, B("v"), 0).ok());
  CHECK(t.Put("one-more", {}, B("v"), 0).status().message() ==
        "too many metadata keys (at most 32)");
  CHECK(t.Put(kLockMetaKey, {}, B("v"), 0).ok());  // the lock always has room
}

TEST_CASE("MetaTable: the lock is recorded when free, broken only past a lease, never a note") {
  MetaTable t;
  LockAnswer a = t.Lock(kFree, B("a"), 100, kFree, 0);
  CHECK_FALSE(a.broken);
  CHECK(a.age_ms == -1);
  LockAnswer b = t.Lock(kHeld, B("b"), 100, kFree, 100);  // age 100: not past the lease
  CHECK(b.old == kHeld);
  CHECK(b.holder == B("a"));
  CHECK(b.age_ms == 100);
  b = t.Lock(kHeld, B("b"), 100, kFree, 101);
  CHECK(b.broken);
  CHECK(b.old == kFree);
  CHECK(t.Unlock(0, B("a"), {}, 102).code() == Code::kAborted);
  REQUIRE(t.Unlock(0, B("b"), B("note"), 102).ok());
  CHECK(*t.Get(kLockMetaKey) == B("note"));
  // A plain holder (RSM) with the note beside it: never broken, however long.
  LockAnswer c = t.Lock(kHeld, B("c"), 100, kFree, 1'000'000);
  CHECK_FALSE(c.broken);
  CHECK(c.holder == B("note"));
  CHECK(c.lease_ms == 0);
}

TEST_CASE("MetaTable: Claim is the lock without a block, and epochs grow with every grant") {
  MetaTable t;
  t.SeedEpochs(1000);
  LockAnswer a = t.Claim(B("a"), 100, /*take_over=*/false, 0);
  CHECK(a.epoch == 1001);
  CHECK_FALSE(a.broken);
  LockAnswer b = t.Claim(B("b"), 100, false, 100);  // a's lease runs: refused
  CHECK(b.epoch == 0);
  CHECK(b.holder == B("a"));
  b = t.Claim(B("b"), 100, false, 101);  // past it: broken
  CHECK(b.epoch == 1002);
  CHECK(b.broken);
  CHECK(t.Release(B("a"), {}, 102).message() == "LOCK_NOT_HELD claim");
  REQUIRE(t.Release(B("b"), B("note"), 102).ok());
  LockAnswer c = t.Claim(B("c"), 100, false, 103);  // a note leaves it free
  CHECK(c.epoch == 1003);
  CHECK_FALSE(c.broken);
  CHECK(c.holder == B("note"));
  LockAnswer d = t.Claim(B("d"), 100, /*take_over=*/true, 104);  // c's lease runs: taken over
  CHECK(d.epoch == 1004);
  CHECK(d.broken);
  CHECK(t.Lock(kFree, B("e"), 100, kFree, 300).epoch == 1005);  // Lock counts the same way
}

TEST_CASE("MetaTable: CheckEpoch serves the current grant only, and requests without one") {
  MetaTable t;
  CHECK(t.CheckEpoch(0).ok());
  CHECK(t.CheckEpoch(1).code() == Code::kFenced);  // no grant at all
  const int64_t first = t.Claim(B("a"), 100, false, 0).epoch;
  CHECK(t.CheckEpoch(first).ok());
  REQUIRE(*t.Put(kLockMetaKey, B("a"), B("a, dirty"), 10) == B("a"));  // the intent: same grant
  CHECK(t.CheckEpoch(first).ok());
  const int64_t second = t.Claim(B("b"), 100, false, 200).epoch;  // a's lease ran out
  const Status fenced = t.CheckEpoch(first);
  CHECK(fenced.code() == Code::kFenced);
  CHECK(fenced.message() == "FENCED " + std::to_string(first) +
                                ": the lock was taken over since (epoch now " +
                                std::to_string(second) + ")");
  CHECK(t.CheckEpoch(second).ok());
  REQUIRE(t.Release(B("b"), B("note"), 201).ok());
  CHECK(t.CheckEpoch(second).code() == Code::kFenced);  // released: nobody writes under it
  CHECK(t.CheckEpoch(0).ok());
}

TEST_CASE("MetaTable: an unreadable lock block is decided by a running lease only") {
  MetaTable t;
  CHECK_FALSE(t.LockUnreadable(B("b"), 100, kHeld, kFree, 0));  // no record: undecided
  (void)t.Lock(kFree, B("a"), 100, kFree, 0);
  std::optional<LockAnswer> held = t.LockUnreadable(B("b"), 100, kHeld, kFree, 50);
  REQUIRE(held);
  CHECK(held->old == kHeld);  // a still holds it
  CHECK(held->holder == B("a"));
  std::optional<LockAnswer> broken = t.LockUnreadable(B("b"), 100, kHeld, kFree, 101);
  REQUIRE(broken);
  CHECK(broken->broken);
  CHECK(broken->old == kFree);
  REQUIRE(t.Unlock(0, B("b"), B("note"), 102).ok());
  CHECK_FALSE(t.LockUnreadable(B("c"), 100, kHeld, kFree, 103));  // a note: undecided
}

}  // namespace
}  // namespace memoryfs
