#include "shell/lock.h"

namespace memoryfs::shell {

Status DiskLock::Acquire(const std::function<bool()>& cancelled) {
  while (true) {
    if (cancelled && cancelled()) {
      return Status::Error(Code::kCancelled, "stopped while waiting for the lock");
    }
    ASSIGN_OR_RETURN(const Bytes old, device_.RSM(block_));
    if (!client::LockConvention::HeldByOther(old)) return Status::Ok();
  }
}

Status DiskLock::Release() {
  return device_.Put(block_, client::LockConvention::Released(device_.block_size()));
}

}  // namespace memoryfs::shell
