// DiskLock: the shell's lock on a shared device, by the edition's client::LockConvention
// (lock_convention.h): Acquire is RSM(block) until the old contents it returns show the lock
// free; Release is a Put of the released contents. Busy-spins like the reference; every
// attempt is one RPC.
#pragma once

#include <functional>

#include "client/block_device.h"
#include "client/lock_convention.h"
#include "core/status.h"

namespace memoryfs::shell {

class DiskLock {
 public:
  // block: the lock's block on `device`, LockConvention::Block(num_blocks). `device` must
  // outlive the lock.
  DiskLock(client::BlockDevice& device, int block) : device_(device), block_(block) {}

  // Fails when the device does, or with kCancelled when `cancelled` (checked before every
  // attempt; may be empty) says the user asked to stop while waiting. The lock is then not
  // held.
  Status Acquire(const std::function<bool()>& cancelled = nullptr);
  Status Release();

  int block() const { return block_; }

 private:
  client::BlockDevice& device_;
  const int block_;
};

}  // namespace memoryfs::shell
