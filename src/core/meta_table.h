// MetaTable: the named records a block device keeps beside its blocks, and the rules of the
// recorded lock (docs/protocol.md, "Metadata and the recorded lock"), as one value shared by our
// server (server::BlockStore) and the in-memory device for tests (client::MemoryDevice), so the
// two cannot drift apart.
//
// It holds no blocks: the lock's block stays with the caller, which does RSM itself and passes
// what RSM found, and releases the block when Unlock says so. Time is the caller's
// (milliseconds on any monotonic clock). Not thread-safe: the caller serialises the calls
// (BlockStore under the mutex that also makes RSM atomic).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/status.h"

namespace memoryfs {

inline constexpr size_t kMaxMetaKeyLength = 64;     // keys: 1..64 of [A-Za-z0-9_.-]
inline constexpr size_t kMaxMetaValueBytes = 4096;  // values, lock holders and notes
inline constexpr size_t kMaxMetaKeys = 32;          // records besides "lock"
inline constexpr int64_t kMaxLeaseMs = 86'400'000;  // one day
inline constexpr char kLockMetaKey[] = "lock";      // the record Lock and Unlock keep

// The answer to Lock: RSM's answer plus the "lock" record as it was before the call.
struct LockAnswer {
  Bytes old;             // RSM's old contents; the released block when the lock was broken
  Bytes holder;          // the record's value before the call; empty when none
  int64_t age_ms = -1;   // ms since that record was last written; -1 when none
  int64_t lease_ms = 0;  // that record's lease (0: none; it never expires)
  bool broken = false;   // the record's lease had expired: the caller holds the lock now
};

class MetaTable {
 public:
  // The checks every operation makes first; kInvalidArgument naming what is wrong.
  static Status CheckKey(const std::string& key);
  // what: the parameter's name, for the message.
  static Status CheckValue(const char* what, const Bytes& value, bool may_be_empty);
  // Lock's parameters: holder 1..kMaxMetaValueBytes bytes, lease 1..kMaxLeaseMs.
  static Status CheckLock(const Bytes& holder, int64_t lease_ms);
  // Unlock's: holder non-empty, note at most kMaxMetaValueBytes.
  static Status CheckUnlock(const Bytes& holder, const Bytes& note);

  // The record under `key`; empty when there is none.
  Result<Bytes> Get(const std::string& key) const;
  // Compare-and-set: returns the record found under `key`; only when it equals `expected` is
  // `value` stored (the time refreshed, a lease kept), or the record deleted when `value` is
  // empty. A new key beyond kMaxMetaKeys records other than "lock" is kInvalidArgument.
  Result<Bytes> Put(const std::string& key, const Bytes& expected, const Bytes& value,
                    int64_t now_ms);
  // The lock's rule, once RSM found `old` (the caller has set the block locked). The record
  // becomes `holder` with `lease_ms` when the block was free, or when it was held under a
  // record whose lease (> 0) has expired: then the lock is broken and `old` reads as released
  // (`released`). Otherwise nothing changes. The answer carries the record as it was.
  LockAnswer Lock(Bytes old, const Bytes& holder, int64_t lease_ms, const Bytes& released,
                  int64_t now_ms);
  // The same rule when the lock's block failed its checksum, so what it holds is unknown: a
  // recorded holder whose lease runs still holds it (the answer reads as held); one whose
  // lease expired loses it to the caller (broken: the caller sets the block locked, which
  // heals it); with no running lease (a note, or no record) nothing is decided: nullopt, and
  // the caller answers the checksum error.
  std::optional<LockAnswer> LockUnreadable(const Bytes& holder, int64_t lease_ms, const Bytes& held,
                                           const Bytes& released, int64_t now_ms);
  // When the "lock" record is `holder`: replaced by `note` without a lease (deleted when
  // `note` is empty), and the caller must release the block. Otherwise kAborted
  // "LOCK_NOT_HELD <block>" and nothing changes.
  Status Unlock(int block, const Bytes& holder, const Bytes& note, int64_t now_ms);

  // Every record, as after a blank restart.
  void Clear() { records_.clear(); }

 private:
  struct Record {
    Bytes value;  // never empty
    int64_t written_ms = 0;
    int64_t lease_ms = 0;  // 0: written by Put or Unlock, never expires
  };
  std::map<std::string, Record> records_;
};

}  // namespace memoryfs
