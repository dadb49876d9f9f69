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
