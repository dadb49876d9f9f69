// MemoryDevice: a BlockDevice held in memory, for unit tests. It can record every call
// ("Get n", "RSM n", "Put n HEX" with trailing zero bytes stripped, as in the golden traces;
// "GetMeta key", "PutMeta key", "Lock n", "Unlock n" for the metadata calls) and can be told
// to fail chosen blocks.
//
// The metadata calls follow our server exactly (server/block_store.h, docs/protocol.md,
// "Metadata and the recorded lock"), with the same limits and codes, on a fake clock of the
// device's own (AdvanceClockMs) instead of the steady clock. SetNoMetadata turns them into
// the Python server's kUnimplemented.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "client/block_device.h"
#include "core/meta_table.h"

namespace memoryfs::client {

class MemoryDevice : public BlockDevice {
 public:
  MemoryDevice(int num_blocks, int block_size);

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override;
  int num_blocks() const override { return static_cast<int>(blocks_.size()); }
  int block_size() const override { return block_size_; }

  // As BlockStore's: kInvalidArgument for a bad key, value, holder or lease; Lock answers
  // RSM's errors (kOutOfRange, kChecksumError for a SetCorrupt block) and changes nothing;
  // Unlock by another holder is kAborted "LOCK_NOT_HELD <block>". Each call is traced and
  // counts as a call for FailAfterCalls; a failed device answers kUnavailable, then
  // SetNoMetadata(true) answers kUnimplemented.
  Result<Bytes> GetMeta(const std::string& key) override;
  Result<Bytes> PutMeta(const std::string& key, const Bytes& expected, const Bytes& value) override;
  Result<LockReply> Lock(int block, const Bytes& holder, int lease_ms) override;
  Status Unlock(int block, const Bytes& holder, const Bytes& note = {}) override;
  // Claim and Release as BlockStore's; traced as "Claim" and "Release".
  Result<LockReply> Claim(const Bytes& holder, int lease_ms, const std::string& read_key,
                          bool take_over = false) override;
  Status Release(const Bytes& holder, const Bytes& note) override;
  // Fenced as our server: every call but the four lock calls answers kFenced while `epoch`
  // is not the current grant's (core/meta_table.h).
  void set_epoch(int64_t epoch) override { epoch_ = epoch; }
  // 0, then one more on every Restart().
  uint64_t sessions() const override { return sessions_; }

  // The calls made so far, one line each, in the golden trace format.
  const std::vector<std::string>& trace() const { return trace_; }
  void ClearTrace() { trace_.clear(); }

  // Test controls: Get/RSM of a corrupt block answers kChecksumError; every call to a failed
  // device answers kUnavailable.
  void SetCorrupt(int block, bool corrupt);
  // SetFailed(false) also cancels a FailAfterCalls countdown.
  void SetFailed(bool failed) {
    failed_ = failed;
    if (!failed) fail_after_ = -1;
  }
  // The device fails (as SetFailed(true)) once `calls` more calls have been answered.
  void FailAfterCalls(int calls) { fail_after_ = calls; }
  // The device's clock (ms, starting at 0), by which metadata records age.
  void AdvanceClockMs(int64_t ms) { now_ms_ += ms; }
  // true: the four metadata calls answer kUnimplemented, as the Python server does.
  void SetNoMetadata(bool no_metadata) { no_metadata_ = no_metadata; }
  // A blank restart: every block zeros, no metadata records, no corrupt blocks, and
  // sessions() one more. Failure controls, the clock and the trace are kept.
  void Restart();

  // Direct access to the stored bytes, bypassing the trace.
  const Bytes& raw(int block) const { return blocks_[block]; }
  void set_raw(int block, Bytes data) { blocks_[block] = std::move(data); }
  // Direct access to a metadata record (empty when none), bypassing the trace.
  Bytes raw_meta(const std::string& key) const;

 private:
  // Counts the call for FailAfterCalls; kUnavailable when the device is failed.
  Status CheckUp();
  Status CheckRange(int block) const;
  // CheckUp, then CheckRange.
  Status Check(int block);
  // The metadata calls' common start: CheckUp, then kUnimplemented under SetNoMetadata.
  Status CheckMeta();
  // MetaTable::CheckEpoch of the epoch set (none under SetNoMetadata).
  Status CheckFence() const;
  // Get and RSM's common part: the trace line, the checks, the stored bytes.
  Result<Bytes> Read(const char* op, int block);

  int block_size_;
  std::vector<Bytes> blocks_;
  std::vector<std::string> trace_;
  std::set<int> corrupt_;
  MetaTable meta_;  // the same rules as our server's (core/meta_table.h)
  bool failed_ = false;
  int fail_after_ = -1;  // calls still answered before failing; -1: never
  bool no_metadata_ = false;
  int64_t now_ms_ = 0;
  uint64_t sessions_ = 0;
  int64_t epoch_ = 0;
};

// "Put n HEX" trace line of the golden format: HEX is data without its trailing zero bytes.
std::string TracePutLine(int block, const Bytes& data);

}  // namespace memoryfs::client
