// BlockStore: the blocks of one server, with a dedicated per-block MD5 checksum structure,
// emulated decay of one block (-cblk), request counters, and a few named metadata records kept
// beside the blocks (never inside them). Thread-safe: every operation is atomic under one
// mutex. Knows nothing of XML-RPC.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/md5.h"
#include "core/meta_table.h"
#include "core/request_counts.h"
#include "core/status.h"

namespace memoryfs::server {

// The answer to Lock (core/meta_table.h): RSM's answer plus the "lock" record before the call.
using LockOutcome = LockAnswer;

struct BlockStoreOptions {
  int num_blocks = 0;
  int block_size = 0;
  std::optional<int> decayed_block;  // -cblk: Get/RSM of this block always fail the checksum
};

class BlockStore {
 public:
  // Allocates num_blocks * block_size bytes plus 16 per block, in two contiguous arrays.
  // Use Create() where the allocation may fail.
  explicit BlockStore(BlockStoreOptions options);
  // kNoSpace instead of an exception when the memory cannot be allocated.
  static Result<std::unique_ptr<BlockStore>> Create(BlockStoreOptions options);

  // Get/RSM: kOutOfRange for a number outside 0..num_blocks-1 (negative included),
  // kChecksumError when the stored bytes do not match their checksum or the block decays.
  // RSM on a corrupt block changes nothing.
  Result<Bytes> Get(int block);
  Result<Bytes> RSM(int block);
  // Put: kOutOfRange as above; kInvalidArgument for data longer than the block size (nothing
  // stored); shorter data is zero-padded. Sets the block's checksum.
  Status Put(int block, const Bytes& data);

  // Metadata. Every call below counts in stats().meta, and validates first: a key that is not
  // 1..kMaxMetaKeyLength characters of [A-Za-z0-9_.-], a value, holder or lease out of its
  // limits is kInvalidArgument and changes nothing.
  //
  // The record under `key`; empty when there is none.
  Result<Bytes> GetMeta(const std::string& key);
  // Compare-and-set. Returns the record found under `key` (empty: none); only when it equals
  // `expected`, stores `value` there (refreshing the record's write time, keeping its lease; a
  // new record has lease 0) or, when `value` is empty, deletes the record. Creating a record
  // when kMaxMetaKeys records other than "lock" exist is kInvalidArgument.
  Result<Bytes> PutMeta(const std::string& key, const Bytes& expected, const Bytes& value);
  // RSM(block) and, atomically with it, the "lock" record. Errors of RSM (kOutOfRange,
  // kChecksumError) are returned as RSM returns them, and nothing changes. Then:
  // - the old contents were not locked (first byte != 1): "lock" := holder with lease_ms;
  // - else the record exists, has a lease (> 0: it was written by Lock) and its age exceeds
  //   it: "lock" := holder with lease_ms, and the reply's old is bs zero bytes and broken is
  //   true (the caller holds the lock);
  // - else (held, under a live record or none) nothing changes.
  // The reply always carries the record as it was before. holder: 1..kMaxMetaValueBytes
  // bytes; lease_ms: 1..kMaxLeaseMs.
  Result<LockOutcome> Lock(int block, const Bytes& holder, int64_t lease_ms);
  // When the "lock" record equals `holder` (non-empty): Put(block, zeros) and replaces the
  // record by `note` (lease 0: it never expires), or deletes it when `note` is empty,
  // atomically. Otherwise kAborted "LOCK_NOT_HELD <block>" and nothing changes. kOutOfRange
  // for a bad block number.
  Status Unlock(int block, const Bytes& holder, const Bytes& note = {});
  // The lock without a block (MetaTable::Claim, Release): the record alone is the lock.
  // Claim also answers the record under read_key (none when empty), in the same step.
  Result<LockOutcome> Claim(const Bytes& holder, int64_t lease_ms, const std::string& read_key,
                            bool take_over = false);
  Status Release(const Bytes& holder, const Bytes& note);

  // Fencing (MetaTable::CheckEpoch): a request sent under the lock grant `epoch` (> 0) runs
  // while the returned guard lives, and no grant, release or break of the lock happens
  // meanwhile; kFenced when the grant is no longer current. The four lock calls above wait
  // for every guard to go, so they must not be called by a thread holding one.
  using FenceGuard = std::shared_lock<std::shared_mutex>;
  Result<FenceGuard> EnterFence(int64_t epoch);

  // Test-only: flips the first stored byte without updating the checksum (real corruption).
  Status CorruptForTest(int block);

  RequestCounts stats() const;
  const BlockStoreOptions& options() const { return options_; }

 private:
  Status CheckRange(int block) const;
  // Verifies bytes against the block's checksum and decay; counts a failure.
  Status Verify(int block, const Bytes& data, const Md5Digest& digest);
  // RSM's work once the range is checked; requires mu_.
  Result<Bytes> RsmLocked(int block);

  const BlockStoreOptions options_;
  std::shared_mutex fence_mu_;     // shared: a fenced request; exclusive: a lock call
  const Md5Digest zero_digest_;    // of bs zero bytes
  const Md5Digest locked_digest_;  // of bs bytes of 0x01
  std::mutex mu_;
  uint8_t* BlockData(int block) { return data_.data() + size_t(block) * options_.block_size; }

  std::vector<uint8_t> data_;         // all blocks back to back; guarded by mu_
  std::vector<Md5Digest> checksums_;  // guarded by mu_
  MetaTable meta_;                    // guarded by mu_
  std::atomic<int64_t> gets_{0}, puts_{0}, rsms_{0}, checksum_errors_{0}, meta_calls_{0};
};

}  // namespace memoryfs::server
