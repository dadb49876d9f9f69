#include "shell/lock.h"

namespace memoryfs::shell {

Status DiskLock::Acquire() {
  while (true) {
    ASSIGN_OR_RETURN(const Bytes old, device_.RSM(block_));
    if (!client::LockConvention::HeldByOther(old)) return Status::Ok();
  }
}

Status DiskLock::Release() {
  return device_.Put(block_, client::LockConvention::Released(device_.block_size()));
}

}  // namespace memoryfs::shell
