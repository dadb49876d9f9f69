#include "client/memory_device.h"

#include <algorithm>

#include "client/lock_convention.h"

namespace memoryfs::client {

MemoryDevice::MemoryDevice(int num_blocks, int block_size)
    : block_size_(block_size), blocks_(num_blocks, Bytes(block_size, 0)) {}

std::string TracePutLine(int block, const Bytes& data) {
  size_t end = data.size();
  while (end > 0 && data[end - 1] == 0) --end;
  return "Put " + std::to_string(block) + " " + HexEncode(Bytes(data.begin(), data.begin() + end));
}

Status MemoryDevice::CheckUp() {
  if (fail_after_ == 0) failed_ = true;
  if (fail_after_ > 0) --fail_after_;
  if (failed_) return Status::Error(Code::kUnavailable, "memory device failed");
  return Status::Ok();
}

Status MemoryDevice::CheckMeta() {
  RETURN_IF_ERROR(CheckUp());
  if (no_metadata_) return Status::Error(Code::kUnimplemented, "this device keeps no metadata");
  return Status::Ok();
}

Status MemoryDevice::CheckRange(int block) const {
  if (block < 0 || block >= num_blocks()) {
    return Status::Error(Code::kOutOfRange, "block " + std::to_string(block) + " out of range");
  }
  return Status::Ok();
}

Status MemoryDevice::CheckFence() const {
  return no_metadata_ ? Status::Ok() : meta_.CheckEpoch(epoch_);
}

Status MemoryDevice::Check(int block) {
  RETURN_IF_ERROR(CheckUp());
  RETURN_IF_ERROR(CheckFence());
  return CheckRange(block);
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

Result<Bytes> MemoryDevice::GetMeta(const std::string& key) {
  trace_.push_back("GetMeta " + key);
  RETURN_IF_ERROR(CheckMeta());
  RETURN_IF_ERROR(CheckFence());
  return meta_.Get(key);
}

Result<Bytes> MemoryDevice::PutMeta(const std::string& key, const Bytes& expected,
                                    const Bytes& value) {
  trace_.push_back("PutMeta " + key);
  RETURN_IF_ERROR(CheckMeta());
  RETURN_IF_ERROR(CheckFence());
  return meta_.Put(key, expected, value, now_ms_);
}

Result<LockReply> MemoryDevice::Lock(int block, const Bytes& holder, int lease_ms) {
  trace_.push_back("Lock " + std::to_string(block));
  RETURN_IF_ERROR(CheckMeta());
  RETURN_IF_ERROR(MetaTable::CheckLock(holder, lease_ms));
  RETURN_IF_ERROR(CheckRange(block));
  const Bytes released = LockConvention::Released(block_size_);
  if (corrupt_.count(block)) {  // its record decides, if it can, as on our server
    std::optional<LockAnswer> answer = meta_.LockUnreadable(
        holder, lease_ms, LockConvention::Held(block_size_), released, now_ms_);
    if (!answer) {
      return Status::Error(Code::kChecksumError, "CHECKSUM_ERROR " + std::to_string(block));
    }
    if (answer->broken) {
      blocks_[block] = LockConvention::Held(block_size_);
      corrupt_.erase(block);
    }
    return *answer;
  }
  Bytes old = blocks_[block];
  blocks_[block] = LockConvention::Held(block_size_);
  return meta_.Lock(std::move(old), holder, lease_ms, released, now_ms_);
}

Status MemoryDevice::Unlock(int block, const Bytes& holder, const Bytes& note) {
  trace_.push_back("Unlock " + std::to_string(block));
  RETURN_IF_ERROR(CheckMeta());
  RETURN_IF_ERROR(MetaTable::CheckUnlock(holder, note));
  RETURN_IF_ERROR(CheckRange(block));
  RETURN_IF_ERROR(meta_.Unlock(block, holder, note, now_ms_));
  blocks_[block] = LockConvention::Released(block_size_);
  corrupt_.erase(block);
  return Status::Ok();
}

Result<LockReply> MemoryDevice::Claim(const Bytes& holder, int lease_ms,
                                      const std::string& read_key, bool take_over) {
  trace_.push_back("Claim");
  RETURN_IF_ERROR(CheckMeta());
  RETURN_IF_ERROR(MetaTable::CheckLock(holder, lease_ms));
  if (!read_key.empty()) RETURN_IF_ERROR(MetaTable::CheckKey(read_key));
  LockReply answer = meta_.Claim(holder, lease_ms, take_over, now_ms_);
  if (!read_key.empty()) answer.read = raw_meta(read_key);
  return answer;
}

Status MemoryDevice::Release(const Bytes& holder, const Bytes& note) {
  trace_.push_back("Release");
  RETURN_IF_ERROR(CheckMeta());
  RETURN_IF_ERROR(MetaTable::CheckUnlock(holder, note));
  return meta_.Release(holder, note, now_ms_);
}

Bytes MemoryDevice::raw_meta(const std::string& key) const {
  Result<Bytes> value = meta_.Get(key);
  return value.ok() ? *value : Bytes();
}

void MemoryDevice::Restart() {
  for (Bytes& block : blocks_) block.assign(block_size_, 0);
  meta_.Clear();
  corrupt_.clear();
  ++sessions_;
}

}  // namespace memoryfs::client
