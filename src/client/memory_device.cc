#include "client/memory_device.h"

#include "client/lock_convention.h"

namespace memoryfs::client {

MemoryDevice::MemoryDevice(int num_blocks, int block_size)
    : block_size_(block_size), blocks_(num_blocks, Bytes(block_size, 0)) {}

std::string TracePutLine(int block, const Bytes& data) {
  size_t end = data.size();
  while (end > 0 && data[end - 1] == 0) --end;
  return "Put " + std::to_string(block) + " " + HexEncode(Bytes(data.begin(), data.begin() + end));
}

Status MemoryDevice::Check(int block) {
  if (fail_after_ == 0) failed_ = true;
  if (fail_after_ > 0) --fail_after_;
  if (failed_) return Status::Error(Code::kUnavailable, "memory device failed");
  if (block < 0 || block >= num_blocks()) {
    return Status::Error(Code::kOutOfRange, "block " + std::to_string(block) + " out of range");
  }
  return Status::Ok();
}

Result<Bytes> MemoryDevice::Read(const char* op, int block) {
  trace_.push_back(std::string(op) + " " + std::to_string(block));
  RETURN_IF_ERROR(Check(block));
  if (corrupt_.count(block)) {
    return Status::Error(Code::kChecksumError, "CHECKSUM_ERROR " + std::to_string(block));
  }
  return blocks_[block];
}

Result<Bytes> MemoryDevice::Get(int block) { return Read("Get", block); }

Status MemoryDevice::Put(int block, const Bytes& data) {
  trace_.push_back(TracePutLine(block, data));
  RETURN_IF_ERROR(Check(block));
  if (static_cast<int>(data.size()) > block_size_) {
    return Status::Error(Code::kInvalidArgument, "data longer than the block size");
  }
  blocks_[block] = PadTo(data, block_size_);
  corrupt_.erase(block);
  return Status::Ok();
}

Result<Bytes> MemoryDevice::RSM(int block) {
  ASSIGN_OR_RETURN(Bytes old, Read("RSM", block));
  blocks_[block] = Bytes(block_size_, LockConvention::kLockedByte);
  return old;
}

void MemoryDevice::SetCorrupt(int block, bool corrupt) {
  if (corrupt) {
    corrupt_.insert(block);
  } else {
    corrupt_.erase(block);
  }
}

}  // namespace memoryfs::client
