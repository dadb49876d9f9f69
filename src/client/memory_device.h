// MemoryDevice: a BlockDevice held in memory, for unit tests. It can record every call
// ("Get n", "RSM n", "Put n HEX" with trailing zero bytes stripped, as in the golden traces)
// and can be told to fail chosen blocks.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "client/block_device.h"

namespace memoryfs::client {

class MemoryDevice : public BlockDevice {
 public:
  MemoryDevice(int num_blocks, int block_size);

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override;
  int num_blocks() const override { return static_cast<int>(blocks_.size()); }
  int block_size() const override { return block_size_; }

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

  // Direct access to the stored bytes, bypassing the trace.
  const Bytes& raw(int block) const { return blocks_[block]; }
  void set_raw(int block, Bytes data) { blocks_[block] = std::move(data); }

 private:
  Status Check(int block);
  // Get and RSM's common part: the trace line, the checks, the stored bytes.
  Result<Bytes> Read(const char* op, int block);

  int block_size_;
  std::vector<Bytes> blocks_;
  std::vector<std::string> trace_;
  std::set<int> corrupt_;
  bool failed_ = false;
  int fail_after_ = -1;  // calls still answered before failing; -1: never
};

// "Put n HEX" trace line of the golden format: HEX is data without its trailing zero bytes.
std::string TracePutLine(int block, const Bytes& data);

}  // namespace memoryfs::client
