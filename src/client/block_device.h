// BlockDevice: the one interface for "a device of blocks". Implemented by one remote server
// (RemoteDevice), the RAID-5 array (raid::Array) and an in-memory store for unit tests
// (MemoryDevice). The file system above never knows which one it talks to.
//
// Contract for every implementation:
// - Blocks are numbered 0..num_blocks()-1 and are exactly block_size() bytes long.
// - Get returns the block's bytes (always block_size() long).
// - Put stores data zero-padded to block_size(); data longer than block_size() is refused
//   with kInvalidArgument and nothing is written.
// - RSM (read-and-set-memory) returns the old contents and sets the block to block_size()
//   bytes of 0x01, atomically with respect to every other client.
// - Failures are values: kOutOfRange for a bad number, kChecksumError for a corrupt block that
//   could not be recovered, kUnavailable for an unreachable device.
//
// Optional capabilities (docs/protocol.md, "Metadata and the recorded lock"): a device may keep
// small named records beside its blocks, and a lock whose holder is recorded beside it. The
// defaults answer kUnimplemented, which is what a peer without them (the course's Python
// server) amounts to; callers then fall back to Get/Put/RSM alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/meta_table.h"
#include "core/status.h"

namespace memoryfs::client {

// The answer to Lock: RSM's answer plus what was recorded beside the lock (core/meta_table.h).
using LockReply = LockAnswer;

class BlockDevice {
 public:
  virtual ~BlockDevice() = default;

  virtual Result<Bytes> Get(int block) = 0;
  virtual Status Put(int block, const Bytes& data) = 0;
  virtual Result<Bytes> RSM(int block) = 0;

  virtual int num_blocks() const = 0;
  virtual int block_size() const = 0;

  // The record stored under `key` (1..64 characters of [A-Za-z0-9_.-]); empty when none.
  virtual Result<Bytes> GetMeta(const std::string& key);
  // Compare-and-set: stores `value` under `key` only if the record there equals `expected`
  // (empty: none), and returns the record found there before the call either way, so the
  // caller knows it won when that equals `expected`. An empty `value` deletes the record.
  // Values are at most 4096 bytes.
  virtual Result<Bytes> PutMeta(const std::string& key, const Bytes& expected, const Bytes& value);
  // RSM(block) and, atomically with it, the holder's record beside the lock (meta key "lock",
  // with a lease of lease_ms): recorded when the lock was free, or when it was held under a
  // record whose lease had expired (the lock is then broken: the caller holds it, and `old`
  // reads as released). A PutMeta("lock", holder, holder') renews the lease.
  virtual Result<LockReply> Lock(int block, const Bytes& holder, int lease_ms);
  // Releases the lock (a Put of the released block) and replaces the record by `note` (kept
  // without a lease; empty: deleted), atomically, only when the record is still `holder`;
  // otherwise kAborted and nothing changes (the lock was broken and belongs to someone else
  // now). The next Lock returns the note as the previous record.
  virtual Status Unlock(int block, const Bytes& holder, const Bytes& note = {});
  // The lock without a block, for the members of an array whose lock is held on a majority of
  // them: the same rule as Lock with the "lock" record alone saying whether it is held (a
  // record with a lease). The reply has no `old`; its epoch is > 0 exactly when the caller got
  // the lock; `read` is the record under read_key (none when read_key is empty), read in the
  // same step. take_over: granted whoever holds it (MetaTable::Claim: for a member the caller
  // repairs while it holds the array's lock).
  virtual Result<LockReply> Claim(const Bytes& holder, int lease_ms, const std::string& read_key,
                                  bool take_over = false);
  // Unlock without a block: kAborted unless the record is still `holder`.
  virtual Status Release(const Bytes& holder, const Bytes& note);
  // Fencing: every later request carries this lock grant's epoch (from the Lock or Claim
  // reply), and the device serves it only while the grant is current there (kFenced
  // otherwise, nothing done); 0: requests carry none (always served). Devices that cannot
  // fence ignore it.
  virtual void set_epoch(int64_t) {}

  // Batched block calls (docs/protocol.md, "Batched block calls"): the blocks [first, first +
  // count), each its bytes or its own error (kChecksumError...), and the blocks written from
  // `first` on. A device that offers them (batch_limit() > 1) sends one request per
  // batch_limit() blocks; the defaults make one Get or Put per block, in order. An error of
  // the transport (kUnavailable...) fails the whole call; PutBlocks may then have written
  // some of the blocks.
  virtual Result<std::vector<Result<Bytes>>> GetBlocks(int first, int count);
  virtual Status PutBlocks(int first, const std::vector<Bytes>& blocks);
  virtual int batch_limit() const { return 1; }

  // A count that changes when the device may have restarted (and lost what it held): the
  // restarts its replies revealed (our server's incarnation, any proxy between), else the
  // connections opened to it. A change between two calls means it may have restarted in
  // between. 0 for devices that never restart.
  virtual uint64_t sessions() const { return 0; }
};

}  // namespace memoryfs::client
