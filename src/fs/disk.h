// Disk: the file system's view of a BlockDevice.
//
// - Blocks are whole: Get results are normalised to the block size, Puts are zero-padded.
// - Block numbers are checked against the geometry BEFORE any call, as the reference client
//   does (it refuses out-of-range numbers itself, with no RPC): kOutOfRange
//   ERROR_BLOCK_NUMBER_OUT_OF_RANGE.
// - An undo journal makes an operation all-or-nothing without changing its calls: inside a
//   transaction, the first Put of each block remembers the block's previous contents (the last
//   Get of it, which every read-modify-write of the reference performs anyway). Rollback() puts
//   those images back, newest first. So a successful operation makes exactly the reference's
//   RPCs, and one that fails half-way (disk full, a device error) leaves nothing half-written.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "client/block_device.h"
#include "core/bytes.h"
#include "core/status.h"

namespace memoryfs::fs {

class Disk {
 public:
  Disk(client::BlockDevice& device, int num_blocks, int block_size);

  Disk(const Disk&) = delete;
  Disk& operator=(const Disk&) = delete;

  // Get: the block, exactly block_size() bytes long.
  Result<Bytes> Get(int64_t block);
  // Put: `data` (at most block_size() bytes) zero-padded to a whole block.
  Status Put(int64_t block, const Bytes& data);

  // Transactions do not nest. Commit forgets the undo images; Rollback writes them back
  // (best effort: it tries every block and returns the first error).
  void Begin();
  void Commit();
  Status Rollback();
  bool in_transaction() const { return in_transaction_; }

  client::BlockDevice& device() { return device_; }
  int num_blocks() const { return num_blocks_; }
  int block_size() const { return block_size_; }

 private:
  Status CheckRange(int64_t block) const;

  client::BlockDevice& device_;
  const int num_blocks_;
  const int block_size_;
  bool in_transaction_ = false;
  std::map<int, Bytes> last_read_;  // in a transaction: latest contents seen per block
  std::map<int, Bytes> undo_;       // in a transaction: contents before the first Put
  std::vector<int> undo_order_;     // blocks of undo_, in order of their first Put
};

}  // namespace memoryfs::fs
