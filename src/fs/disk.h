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
#include "fs/geometry.h"

namespace memoryfs::fs {

class Disk {
 public:
  // Sizes come from `geometry` (both must outlive the Disk); CheckDevice() compares them with
  // the device's own.
  Disk(client::BlockDevice& device, const Geometry& geometry);

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

  // kInvalidArgument unless the device has blocks of the geometry's size and at least its
  // number of them.
  Status CheckDevice() const;

  client::BlockDevice& device() { return device_; }
  int num_blocks() const { return geometry_.num_blocks(); }
  int block_size() const { return geometry_.block_size(); }

 private:
  Status CheckRange(int64_t block) const;

  client::BlockDevice& device_;
  const Geometry& geometry_;
  bool in_transaction_ = false;
  std::map<int, Bytes> last_read_;  // in a transaction: latest contents seen per block
  std::map<int, Bytes> undo_;       // in a transaction: contents before the first Put
  std::vector<int> undo_order_;     // blocks of undo_, in order of their first Put
};

}  // namespace memoryfs::fs
