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

Result<LockReply> BlockDevice::Claim(const Bytes&, int, const std::string&, bool) {
  return NoMetadata();
}

Status BlockDevice::Release(const Bytes&, const Bytes&) { return NoMetadata(); }

Result<std::vector<Result<Bytes>>> BlockDevice::GetBlocks(int first, int count) {
  std::vector<Result<Bytes>> blocks;
  for (int block = first; block < first + count; ++block) {
    Result<Bytes> data = Get(block);
    const Code code = data.status().code();
    if (!data.ok() && code != Code::kChecksumError && code != Code::kOutOfRange) {
      return data.status();
    }
    blocks.push_back(std::move(data));
  }
  return blocks;
}

Status BlockDevice::PutBlocks(int first, const std::vector<Bytes>& blocks) {
  for (size_t i = 0; i < blocks.size(); ++i) {
    const int block = first + static_cast<int>(i);
    Status put = Put(block, blocks[i]);
    if (!put.ok()) {
      return Status::Error(put.code(),
                           "writing block " + std::to_string(block) + ": " + put.message());
    }
  }
  return Status::Ok();
}

}  // namespace memoryfs::client
