#include "core/meta_table.h"

#include <algorithm>

namespace memoryfs {

namespace {

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, std::move(message));
}

bool IsKeyCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

Status MetaTable::CheckKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxMetaKeyLength) {
    return Invalid("metadata key of " + std::to_string(key.size()) + " characters (expected 1.." +
                   std::to_string(kMaxMetaKeyLength) + ")");
  }
  if (!std::all_of(key.begin(), key.end(), IsKeyCharacter)) {
    return Invalid("metadata key '" + key + "' has a character outside [A-Za-z0-9_.-]");
  }
  return Status::Ok();
}

Status MetaTable::CheckValue(const char* what, const Bytes& value, bool may_be_empty) {
  if (value.size() > kMaxMetaValueBytes) {
    return Invalid(std::string(what) + " longer than " + std::to_string(kMaxMetaValueBytes) +
                   " bytes (" + std::to_string(value.size()) + ")");
  }
  if (value.empty() && !may_be_empty) return Invalid(std::string(what) + " is empty");
  return Status::Ok();
}

Status MetaTable::CheckLock(const Bytes& holder, int64_t lease_ms) {
  RETURN_IF_ERROR(CheckValue("holder", holder, false));
  if (lease_ms < 1 || lease_ms > kMaxLeaseMs) {
    return Invalid("lease_ms " + std::to_string(lease_ms) + " out of range (expected 1.." +
                   std::to_string(kMaxLeaseMs) + ")");
  }
  return Status::Ok();
}

Status MetaTable::CheckUnlock(const Bytes& holder, const Bytes& note) {
  RETURN_IF_ERROR(CheckValue("holder", holder, false));
  return CheckValue("note", note, true);
}

Result<Bytes> MetaTable::Get(const std::string& key) const {
  RETURN_IF_ERROR(CheckKey(key));
  const auto it = records_.find(key);
  return it == records_.end() ? Bytes() : it->second.value;
}

Result<Bytes> MetaTable::Put(const std::string& key, const Bytes& expected, const Bytes& value,
                             int64_t now_ms) {
  RETURN_IF_ERROR(CheckKey(key));
  RETURN_IF_ERROR(CheckValue("value", value, true));
  const auto it = records_.find(key);
  Bytes previous = it == records_.end() ? Bytes() : it->second.value;
  if (previous != expected) return previous;
  if (value.empty()) {
    if (it != records_.end()) records_.erase(it);
  } else if (it != records_.end()) {
    it->second.value = value;
    it->second.written_ms = now_ms;
  } else {
    const size_t others = records_.size() - records_.count(kLockMetaKey);
    if (key != kLockMetaKey && others >= kMaxMetaKeys) {
      return Invalid("too many metadata keys (at most " + std::to_string(kMaxMetaKeys) + ")");
    }
    records_[key] = Record{value, now_ms, 0};
  }
  return previous;
}

LockAnswer MetaTable::Previous(int64_t now_ms) const {
  LockAnswer answer;
  if (const auto it = records_.find(kLockMetaKey); it != records_.end()) {
    answer.holder = it->second.value;
    answer.age_ms = now_ms - it->second.written_ms;
    answer.lease_ms = it->second.lease_ms;
  }
  return answer;
}

int64_t MetaTable::Grant(const Bytes& holder, int64_t lease_ms, int64_t now_ms) {
  records_[kLockMetaKey] = Record{holder, now_ms, lease_ms, ++last_epoch_};
  return last_epoch_;
}

LockAnswer MetaTable::Lock(Bytes old, const Bytes& holder, int64_t lease_ms, const Bytes& released,
                           int64_t now_ms) {
  LockAnswer answer = Previous(now_ms);
  const bool was_locked = !old.empty() && old[0] == 1;
  const bool expired = answer.lease_ms > 0 && answer.age_ms > answer.lease_ms;
  if (!was_locked || expired) {
    answer.epoch = Grant(holder, lease_ms, now_ms);
    if (was_locked) {
      old = released;
      answer.broken = true;
    }
  }
  answer.old = std::move(old);
  return answer;
}

std::optional<LockAnswer> MetaTable::LockUnreadable(const Bytes& holder, int64_t lease_ms,
                                                    const Bytes& held, const Bytes& released,
                                                    int64_t now_ms) {
  const auto it = records_.find(kLockMetaKey);
  if (it == records_.end() || it->second.lease_ms == 0) return std::nullopt;
  return Lock(held, holder, lease_ms, released, now_ms);
}

Status MetaTable::Unlock(int block, const Bytes& holder, const Bytes& note, int64_t now_ms) {
  const auto it = records_.find(kLockMetaKey);
  if (it == records_.end() || it->second.value != holder) {
    return Status::Error(Code::kAborted, "LOCK_NOT_HELD " + std::to_string(block));
  }
  if (note.empty()) {
    records_.erase(it);
  } else {
    it->second = Record{note, now_ms, 0, 0};
  }
  return Status::Ok();
}

LockAnswer MetaTable::Claim(const Bytes& holder, int64_t lease_ms, bool take_over, int64_t now_ms) {
  LockAnswer answer = Previous(now_ms);
  const bool held = answer.lease_ms > 0;
  const bool expired = held && answer.age_ms > answer.lease_ms;
  if (!held || expired || take_over) {
    answer.epoch = Grant(holder, lease_ms, now_ms);
    answer.broken = held;
  }
  return answer;
}

Status MetaTable::Release(const Bytes& holder, const Bytes& note, int64_t now_ms) {
  Status released = Unlock(0, holder, note, now_ms);
  if (released.code() == Code::kAborted) {
    return Status::Error(Code::kAborted, "LOCK_NOT_HELD claim");
  }
  return released;
}

Status MetaTable::CheckEpoch(int64_t epoch) const {
  if (epoch == 0) return Status::Ok();
  const auto it = records_.find(kLockMetaKey);
  const int64_t current = it == records_.end() ? 0 : it->second.epoch;
  if (current == epoch) return Status::Ok();
  return Status::Error(Code::kFenced, "FENCED " + std::to_string(epoch) +
                                          ": the lock was taken over since (epoch now " +
                                          std::to_string(current) + ")");
}

}  // namespace memoryfs
