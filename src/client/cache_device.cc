#include "client/cache_device.h"

#include <cassert>

#include "client/lock_convention.h"

namespace memoryfs::client {

CacheDevice::CacheDevice(BlockDevice& inner, CacheOptions options)
    : inner_(inner), options_(options) {
  assert(inner.num_blocks() >= 3);
}

void CacheDevice::Print(const char* what, int block) {
  if (options_.log != nullptr) *options_.log << what << block << "\n";
}

Result<Bytes> CacheDevice::Get(int block) {
  if (Cacheable(block)) {
    auto cached = cache_.find(block);
    if (cached != cache_.end()) {
      Print("CACHE_HIT ", block);
      return cached->second;
    }
  }
  Print("CACHE_MISS ", block);
  ASSIGN_OR_RETURN(Bytes data, inner_.Get(block));
  cache_[block] = data;
  return data;
}

Status CacheDevice::Put(int block, const Bytes& data) {
  ++own_puts_;  // counted by the server whether or not it succeeds
  if (Status put = inner_.Put(block, data); !put.ok()) {
    cache_.erase(block);
    return put;
  }
  Print("CACHE_WRITE_THROUGH ", block);
  cache_[block] = PadTo(data, block_size());
  if (block == lock_block() || by_put_count()) return Status::Ok();
  Bytes mark(block_size(), 0);
  mark[0] = static_cast<uint8_t>(options_.client_id);
  return inner_.Put(last_writer_block(), mark);
}

Result<Bytes> CacheDevice::RSM(int block) {
  ASSIGN_OR_RETURN(Bytes old, inner_.RSM(block));
  if (block != lock_block() || LockConvention::HeldByOther(old)) return old;
  if (Status revalidated = Revalidate(); !revalidated.ok()) {
    cache_.clear();
    (void)inner_.Put(block, old);  // best effort: the error below is what matters
    return revalidated;
  }
  return old;
}

Result<LockReply> CacheDevice::Lock(int block, const Bytes& holder, int lease_ms) {
  ASSIGN_OR_RETURN(LockReply reply, inner_.Lock(block, holder, lease_ms));
  if (block != lock_block() || LockConvention::HeldByOther(reply.old)) return reply;
  if (Status revalidated = Revalidate(); !revalidated.ok()) {
    cache_.clear();
    (void)inner_.Unlock(block, holder);  // best effort: the error below is what matters
    return revalidated;
  }
  return reply;
}

Status CacheDevice::Unlock(int block, const Bytes& holder, const Bytes& note) {
  if (Status released = inner_.Unlock(block, holder, note); !released.ok()) {
    cache_.erase(block);
    return released;
  }
  // What the plain release (a Put through the cache) prints and caches.
  Print("CACHE_WRITE_THROUGH ", block);
  cache_[block] = LockConvention::Released(block_size());
  return Status::Ok();
}

void CacheDevice::Invalidate() {
  if (options_.log != nullptr) *options_.log << "CACHE_INVALIDATED\n";
  cache_.clear();
}

Status CacheDevice::RevalidateByPutCount() {
  Result<int64_t> now = options_.server_puts ? options_.server_puts()
                                             : Status::Error(Code::kUnimplemented, "no count");
  const bool unchanged =
      now.ok() && server_puts_seen_ >= 0 && *now == server_puts_seen_ + own_puts_;
  if (!unchanged && !cache_.empty()) Invalidate();
  if (!unchanged) cache_.clear();
  server_puts_seen_ = now.ok() ? *now : -1;
  own_puts_ = 0;
  if (!now.ok() && now.status().code() != Code::kUnimplemented &&
      now.status().code() != Code::kFault) {
    return now.status();
  }
  return Status::Ok();
}

Status CacheDevice::Revalidate() {
  if (by_put_count()) return RevalidateByPutCount();
  ASSIGN_OR_RETURN(const Bytes last, Get(last_writer_block()));
  if (!last.empty() && last[0] == options_.client_id) return Status::Ok();
  Invalidate();
  Bytes mark(block_size(), 0);
  mark[0] = static_cast<uint8_t>(options_.client_id);
  return Put(last_writer_block(), mark);
}

}  // namespace memoryfs::client
