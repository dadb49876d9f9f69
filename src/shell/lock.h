// DiskLock: the 2022 reference's client lock on block 0 (protocol.md, "Lock convention").
//   Acquire: RSM(0) until the first byte of the returned (old) contents is not 1.
//   Release: Put(0, block_size zero bytes).
// Busy-spins like the reference; every attempt is one RPC.
#pragma once

#include "client/block_device.h"
#include "core/status.h"

namespace memoryfs::shell {

inline constexpr int kLockBlock = 0;

class DiskLock {
 public:
  DiskLock(client::BlockDevice& device, int block_size)
      : device_(device), block_size_(block_size) {}

  // Fails only when the device does (the lock is then not held).
  Status Acquire();
  Status Release();

 private:
  client::BlockDevice& device_;
  const int block_size_;
};

}  // namespace memoryfs::shell
