// BlockStore: the blocks of one server, with a dedicated per-block MD5 checksum structure,
// emulated decay of one block (-cblk) and request counters. Thread-safe; RSM is atomic.
// Knows nothing of XML-RPC.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/md5.h"
#include "core/request_counts.h"
#include "core/status.h"

namespace memoryfs::server {

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

  // Test-only: flips the first stored byte without updating the checksum (real corruption).
  Status CorruptForTest(int block);

  RequestCounts stats() const;
  const BlockStoreOptions& options() const { return options_; }

 private:
  Status CheckRange(int block) const;
  // Verifies bytes against the block's checksum and decay; counts a failure.
  Status Verify(int block, const Bytes& data, const Md5Digest& digest);

  const BlockStoreOptions options_;
  std::mutex mu_;
  uint8_t* BlockData(int block) { return data_.data() + size_t(block) * options_.block_size; }

  std::vector<uint8_t> data_;         // all blocks back to back; guarded by mu_
  std::vector<Md5Digest> checksums_;  // guarded by mu_
  std::atomic<int64_t> gets_{0}, puts_{0}, rsms_{0}, checksum_errors_{0};
};

}  // namespace memoryfs::server
