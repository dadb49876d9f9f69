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

// The answer to Lock and Claim: RSM's answer (Lock) plus the "lock" record as it was before
// the call, and the epoch of the grant.
struct LockAnswer {
  Bytes old;             // Lock: RSM's old contents; the released block when the lock was broken
  Bytes holder;          // the record's value before the call; empty when none
  int64_t age_ms = -1;   // ms since that record was last written; -1 when none
  int64_t lease_ms = 0;  // that record's lease (0: none; it never expires)
  bool broken = false;   // the record's lease had expired: the caller holds the lock now
  // The grant's epoch when the caller got the lock (> 0), else 0. Epochs grow with every
  // grant on this table; requests sent under the grant carry it (CheckEpoch).
  int64_t epoch = 0;
  Bytes read;  // Claim: the record under its read_key (empty when none or not asked)
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

  // The lock without a block (a member of an array whose lock is held on a majority of its
  // members): the record alone says whether it is held, by having a lease (a note or no record:
  // free). Granted, as Lock, when free or when the holder's lease expired (broken), or with
  // take_over whoever holds it (broken: the caller holds the array's lock, on a majority of
  // its members, and repairs this one, so any holder here is stale); the answer carries the
  // record as it was and, when granted, the new epoch.
  LockAnswer Claim(const Bytes& holder, int64_t lease_ms, bool take_over, int64_t now_ms);
  // Unlock without a block: kAborted "LOCK_NOT_HELD claim" unless the record is `holder`.
  Status Release(const Bytes& holder, const Bytes& note, int64_t now_ms);

  // Fencing: a request sent under a grant carries its epoch, and is served only while the
  // "lock" record is still that grant's (not released, not broken by another client, not
  // lost in a restart). kFenced "FENCED <epoch> ..." otherwise; epoch 0 (a request sent without
  // one: the course's clients, our reads outside the lock) is always served.
  Status CheckEpoch(int64_t epoch) const;

  // Every record, as after a blank restart. The epochs go on from where they were.
  void Clear() { records_.clear(); }
  // Epochs of later grants start after `epoch`. A server seeds them at random, so that a
  // client holding a grant of an earlier incarnation of the server is not mistaken for the
  // holder of a new grant of the same number.
  void SeedEpochs(int64_t epoch) { last_epoch_ = epoch; }

 private:
  struct Record {
    Bytes value;  // never empty
    int64_t written_ms = 0;
    int64_t lease_ms = 0;  // 0: written by Put or Unlock, never expires
    int64_t epoch = 0;     // "lock": the grant's epoch (kept by Put); 0 for a note
  };
  // The "lock" record before a grant, in an answer.
  LockAnswer Previous(int64_t now_ms) const;
  // Records a grant to `holder`; returns its epoch.
  int64_t Grant(const Bytes& holder, int64_t lease_ms, int64_t now_ms);

  std::map<std::string, Record> records_;
  int64_t last_epoch_ = 0;  // of the latest grant
};

}  // namespace memoryfs
