#include "shell/lock.h"

namespace memoryfs::shell {

Status DiskLock::Acquire() {
  while (true) {
    Result<Bytes> old = device_.RSM(kLockBlock);
    if (!old.ok()) return old.status();
    if (old->empty() || (*old)[0] != 1) return Status::Ok();
  }
}

Status DiskLock::Release() { return device_.Put(kLockBlock, Bytes(block_size_, 0)); }

}  // namespace memoryfs::shell
