#include "client/block_device.h"

namespace memoryfs::client {

namespace {
Status NoMetadata() { return Status::Error(Code::kUnimplemented, "this device keeps no metadata"); }
}  // namespace

Result<Bytes> BlockDevice::GetMeta(const std::string&) { return NoMetadata(); }

Result<Bytes> BlockDevice::PutMeta(const std::string&, const Bytes&, const Bytes&) {
  return NoMetadata();
}

Result<LockReply> BlockDevice::Lock(int, const Bytes&, int) { return NoMetadata(); }

Status BlockDevice::Unlock(int, const Bytes&, const Bytes&) { return NoMetadata(); }

}  // namespace memoryfs::client
