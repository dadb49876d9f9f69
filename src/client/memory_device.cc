#include "client/memory_device.h"

#include <algorithm>

#include "client/lock_convention.h"

namespace memoryfs::client {

namespace {

constexpr char kLockKey[] = "lock";

// The checks and texts of server/block_store.cc.
Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

bool IsKeyCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

Status CheckKey(const std::string& key) {
  if (key.empty() || key.size() > MemoryDevice::kMaxMetaKeyLength) {
    return Invalid("metadata key of " + std::to_string(key.size()) + " characters (expected 1.." +
                   std::to_string(MemoryDevice::kMaxMetaKeyLength) + ")");
  }
  if (!std::all_of(key.begin(), key.end(), IsKeyCharacter)) {
    return Invalid("metadata key '" + key + "' has a character outside [A-Za-z0-9_.-]");
  }
  return Status::Ok();
}

Status CheckValue(const char* what, const Bytes& value, bool may_be_empty) {
  if (value.size() > MemoryDevice::kMaxMetaValueBytes) {
    return Invalid(std::string(what) + " longer than " +
                   std::to_string(MemoryDevice::kMaxMetaValueBytes) + " bytes (" +
                   std::to_string(value.size()) + ")");
  }
  if (value.empty() && !may_be_empty) return Invalid(std::string(what) + " is empty");
  return Status::Ok();
}

Status CheckLease(int64_t lease_ms) {
  if (lease_ms < 1 || lease_ms > MemoryDevice::kMaxLeaseMs) {
    return Invalid("lease_ms " + std::to_string(lease_ms) + " out of range (expected 1.." +
                   std::to_string(MemoryDevice::kMaxLeaseMs) + ")");
  }
  return Status::Ok();
}

}  // namespace

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

Status MemoryDevice::Check(int block) {
  RETURN_IF_ERROR(CheckUp());
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
  RETURN_IF_ERROR(CheckKey(key));
  return raw_meta(key);
}

Result<Bytes> MemoryDevice::PutMeta(const std::string& key, const Bytes& expected,
                                    const Bytes& value) {
  trace_.push_back("PutMeta " + key);
  RETURN_IF_ERROR(CheckMeta());
  RETURN_IF_ERROR(CheckKey(key));
  RETURN_IF_ERROR(CheckValue("value", value, true));
  const auto it = meta_.find(key);
  Bytes previous = it == meta_.end() ? Bytes() : it->second.value;
  if (previous != expected) return previous;
  if (value.empty()) {
    if (it != meta_.end()) meta_.erase(it);
  } else if (it != meta_.end()) {
    it->second.value = value;
    it->second.written_ms = now_ms_;
  } else {
    const size_t others = meta_.size() - meta_.count(kLockKey);
    if (key != kLockKey && others >= kMaxMetaKeys) {
      return Invalid("too many metadata keys (at most " + std::to_string(kMaxMetaKeys) + ")");
    }
    meta_[key] = MetaRecord{value, now_ms_, 0};
  }
  return previous;
}

Result<LockReply> MemoryDevice::Lock(int block, const Bytes& holder, int lease_ms) {
  trace_.push_back("Lock " + std::to_string(block));
  RETURN_IF_ERROR(CheckMeta());
  RETURN_IF_ERROR(CheckValue("holder", holder, false));
  RETURN_IF_ERROR(CheckLease(lease_ms));
  RETURN_IF_ERROR(CheckRange(block));
  if (corrupt_.count(block)) {
    return Status::Error(Code::kChecksumError, "CHECKSUM_ERROR " + std::to_string(block));
  }
  LockReply reply;
  reply.old = blocks_[block];
  blocks_[block] = LockConvention::Held(block_size_);
  if (const auto it = meta_.find(kLockKey); it != meta_.end()) {
    reply.holder = it->second.value;
    reply.age_ms = now_ms_ - it->second.written_ms;
    reply.lease_ms = it->second.lease_ms;
  }
  const bool was_locked = LockConvention::HeldByOther(reply.old);
  // A record without a lease (lease 0: written by PutMeta, not by Lock) never expires.
  const bool expired = reply.lease_ms > 0 && reply.age_ms > reply.lease_ms;
  if (!was_locked || expired) {
    meta_[kLockKey] = MetaRecord{holder, now_ms_, lease_ms};
    if (was_locked) {
      reply.old = LockConvention::Released(block_size_);
      reply.broken = true;
    }
  }
  return reply;
}

Status MemoryDevice::Unlock(int block, const Bytes& holder, const Bytes& note) {
  trace_.push_back("Unlock " + std::to_string(block));
  RETURN_IF_ERROR(CheckMeta());
  RETURN_IF_ERROR(CheckValue("holder", holder, false));
  RETURN_IF_ERROR(CheckValue("note", note, true));
  RETURN_IF_ERROR(CheckRange(block));
  const auto it = meta_.find(kLockKey);
  if (it == meta_.end() || it->second.value != holder) {
    return Status::Error(Code::kAborted, "LOCK_NOT_HELD " + std::to_string(block));
  }
  blocks_[block] = LockConvention::Released(block_size_);
  corrupt_.erase(block);
  if (note.empty()) {
    meta_.erase(it);
  } else {
    it->second = MetaRecord{note, now_ms_, 0};
  }
  return Status::Ok();
}

Bytes MemoryDevice::raw_meta(const std::string& key) const {
  const auto it = meta_.find(key);
  return it == meta_.end() ? Bytes() : it->second.value;
}

void MemoryDevice::Restart() {
  for (Bytes& block : blocks_) block.assign(block_size_, 0);
  meta_.clear();
  corrupt_.clear();
  ++sessions_;
}

}  // namespace memoryfs::client
