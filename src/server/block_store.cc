#include "server/block_store.h"

#include <algorithm>
#include <string>

namespace memoryfs::server {

namespace {

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

bool IsKeyCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

Status CheckKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxMetaKeyLength) {
    return Invalid("metadata key of " + std::to_string(key.size()) + " characters (expected 1.." +
                   std::to_string(kMaxMetaKeyLength) + ")");
  }
  if (!std::all_of(key.begin(), key.end(), IsKeyCharacter)) {
    return Invalid("metadata key '" + key + "' has a character outside [A-Za-z0-9_.-]");
  }
  return Status::Ok();
}

// what: the parameter's name, for the message.
Status CheckValue(const char* what, const Bytes& value, bool may_be_empty) {
  if (value.size() > kMaxMetaValueBytes) {
    return Invalid(std::string(what) + " longer than " + std::to_string(kMaxMetaValueBytes) +
                   " bytes (" + std::to_string(value.size()) + ")");
  }
  if (value.empty() && !may_be_empty) return Invalid(std::string(what) + " is empty");
  return Status::Ok();
}

Status CheckLease(int64_t lease_ms) {
  if (lease_ms < 1 || lease_ms > kMaxLeaseMs) {
    return Invalid("lease_ms " + std::to_string(lease_ms) + " out of range (expected 1.." +
                   std::to_string(kMaxLeaseMs) + ")");
  }
  return Status::Ok();
}

}  // namespace

BlockStore::BlockStore(BlockStoreOptions options)
    : options_(options),
      zero_digest_(Md5(Bytes(options.block_size, 0))),
      locked_digest_(Md5(Bytes(options.block_size, 1))),
      data_(size_t(options.num_blocks) * options.block_size, 0),
      checksums_(options.num_blocks, zero_digest_) {}

Result<std::unique_ptr<BlockStore>> BlockStore::Create(BlockStoreOptions options) {
  try {
    return std::make_unique<BlockStore>(options);
  } catch (const std::bad_alloc&) {
    return Status::Error(Code::kNoSpace, "cannot allocate " + std::to_string(options.num_blocks) +
                                             " blocks of " + std::to_string(options.block_size) +
                                             " bytes: out of memory");
  }
}

Status BlockStore::CheckRange(int block) const {
  if (block < 0 || block >= options_.num_blocks) {
    return Status::Error(Code::kOutOfRange, "block " + std::to_string(block) + " out of range");
  }
  return Status::Ok();
}

Status BlockStore::Verify(int block, const Bytes& data, const Md5Digest& digest) {
  if (options_.decayed_block == block || Md5(data) != digest) {
    ++checksum_errors_;
    return Status::Error(Code::kChecksumError, "CHECKSUM_ERROR " + std::to_string(block));
  }
  return Status::Ok();
}

Result<Bytes> BlockStore::Get(int block) {
  ++gets_;
  RETURN_IF_ERROR(CheckRange(block));
  Bytes data;
  Md5Digest digest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    data.assign(BlockData(block), BlockData(block) + options_.block_size);
    digest = checksums_[block];
  }
  RETURN_IF_ERROR(Verify(block, data, digest));
  return data;
}

Result<Bytes> BlockStore::RSM(int block) {
  ++rsms_;
  RETURN_IF_ERROR(CheckRange(block));
  std::lock_guard<std::mutex> lock(mu_);
  return RsmLocked(block);
}

Result<Bytes> BlockStore::RsmLocked(int block) {
  Bytes old(BlockData(block), BlockData(block) + options_.block_size);
  RETURN_IF_ERROR(Verify(block, old, checksums_[block]));
  std::fill_n(BlockData(block), options_.block_size, 1);
  checksums_[block] = locked_digest_;
  return old;
}

Status BlockStore::Put(int block, const Bytes& data) {
  ++puts_;
  RETURN_IF_ERROR(CheckRange(block));
  if (static_cast<int>(data.size()) > options_.block_size) {
    return Status::Error(Code::kInvalidArgument,
                         "data longer than block size (" + std::to_string(data.size()) + " > " +
                             std::to_string(options_.block_size) + " bytes)");
  }
  Bytes padded = PadTo(data, options_.block_size);
  Md5Digest digest = Md5(padded);  // outside the lock: MD5 is the expensive part
  std::lock_guard<std::mutex> lock(mu_);
  std::copy(padded.begin(), padded.end(), BlockData(block));
  checksums_[block] = digest;
  return Status::Ok();
}

Status BlockStore::CorruptForTest(int block) {
  RETURN_IF_ERROR(CheckRange(block));
  std::lock_guard<std::mutex> lock(mu_);
  BlockData(block)[0] ^= 0xff;
  return Status::Ok();
}

Result<Bytes> BlockStore::GetMeta(const std::string& key) {
  ++meta_calls_;
  RETURN_IF_ERROR(CheckKey(key));
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = meta_.find(key);
  return it == meta_.end() ? Bytes() : it->second.value;
}

Result<Bytes> BlockStore::PutMeta(const std::string& key, const Bytes& expected,
                                  const Bytes& value) {
  ++meta_calls_;
  RETURN_IF_ERROR(CheckKey(key));
  RETURN_IF_ERROR(CheckValue("value", value, true));
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = meta_.find(key);
  Bytes previous = it == meta_.end() ? Bytes() : it->second.value;
  if (previous != expected) return previous;
  if (value.empty()) {
    if (it != meta_.end()) meta_.erase(it);
  } else if (it != meta_.end()) {
    it->second.value = value;
    it->second.written = Clock::now();
  } else {
    const size_t others = meta_.size() - meta_.count(kLockKey);
    if (key != kLockKey && others >= kMaxMetaKeys) {
      return Invalid("too many metadata keys (at most " + std::to_string(kMaxMetaKeys) + ")");
    }
    meta_[key] = MetaRecord{value, Clock::now(), 0};
  }
  return previous;
}

LockOutcome BlockStore::LockRecordLocked(Clock::time_point now) const {
  LockOutcome outcome;
  const auto it = meta_.find(kLockKey);
  if (it == meta_.end()) return outcome;
  outcome.holder = it->second.value;
  outcome.age_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second.written).count();
  outcome.lease_ms = it->second.lease_ms;
  return outcome;
}

Result<LockOutcome> BlockStore::Lock(int block, const Bytes& holder, int64_t lease_ms) {
  ++meta_calls_;
  RETURN_IF_ERROR(CheckValue("holder", holder, false));
  RETURN_IF_ERROR(CheckLease(lease_ms));
  RETURN_IF_ERROR(CheckRange(block));
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(Bytes old, RsmLocked(block));
  const Clock::time_point now = Clock::now();
  LockOutcome outcome = LockRecordLocked(now);
  const bool was_locked = !old.empty() && old[0] == 1;
  // A record without a lease (lease 0: written by PutMeta, not by Lock) never expires.
  const bool expired = outcome.lease_ms > 0 && outcome.age_ms > outcome.lease_ms;
  if (!was_locked || expired) {
    meta_[kLockKey] = MetaRecord{holder, now, lease_ms};
    if (was_locked) {
      old.assign(options_.block_size, 0);
      outcome.broken = true;
    }
  }
  outcome.old = std::move(old);
  return outcome;
}

Status BlockStore::Unlock(int block, const Bytes& holder, const Bytes& note) {
  ++meta_calls_;
  RETURN_IF_ERROR(CheckValue("holder", holder, false));
  RETURN_IF_ERROR(CheckValue("note", note, true));
  RETURN_IF_ERROR(CheckRange(block));
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = meta_.find(kLockKey);
  if (it == meta_.end() || it->second.value != holder) {
    return Status::Error(Code::kAborted, "LOCK_NOT_HELD " + std::to_string(block));
  }
  std::fill_n(BlockData(block), options_.block_size, 0);
  checksums_[block] = zero_digest_;
  if (note.empty()) {
    meta_.erase(it);
  } else {
    it->second = MetaRecord{note, Clock::now(), 0};  // lease 0: a note is never "broken"
  }
  return Status::Ok();
}

RequestCounts BlockStore::stats() const {
  return RequestCounts{gets_.load(), puts_.load(), rsms_.load(), checksum_errors_.load(),
                       meta_calls_.load()};
}

}  // namespace memoryfs::server
