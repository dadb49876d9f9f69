#include "server/block_store.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <string>

namespace memoryfs::server {

namespace {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

BlockStore::BlockStore(BlockStoreOptions options)
    : options_(options),
      zero_digest_(Md5(Bytes(options.block_size, 0))),
      locked_digest_(Md5(Bytes(options.block_size, 1))),
      data_(size_t(options.num_blocks) * options.block_size, 0),
      checksums_(options.num_blocks, zero_digest_) {
  // Random first epochs (MetaTable::SeedEpochs): 2^40 values, each incarnation's grants
  // counting up from its own.
  std::random_device random;
  meta_.SeedEpochs(((int64_t{random()} << 32) | random()) & ((int64_t{1} << 40) - 1));
}

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
  std::lock_guard<std::mutex> lock(mu_);
  return meta_.Get(key);
}

Result<Bytes> BlockStore::PutMeta(const std::string& key, const Bytes& expected,
                                  const Bytes& value) {
  ++meta_calls_;
  std::lock_guard<std::mutex> lock(mu_);
  return meta_.Put(key, expected, value, NowMs());
}

Result<LockOutcome> BlockStore::Lock(int block, const Bytes& holder, int64_t lease_ms) {
  ++meta_calls_;
  RETURN_IF_ERROR(MetaTable::CheckLock(holder, lease_ms));
  RETURN_IF_ERROR(CheckRange(block));
  std::unique_lock<std::shared_mutex> fence(fence_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  const Bytes released(options_.block_size, 0);
  Result<Bytes> old = RsmLocked(block);
  if (old.ok()) return meta_.Lock(std::move(old).value(), holder, lease_ms, released, NowMs());
  if (old.status().code() != Code::kChecksumError) return old.status();
  // A corrupt lock block: its record decides, if it can (core/meta_table.h).
  std::optional<LockAnswer> answer =
      meta_.LockUnreadable(holder, lease_ms, Bytes(options_.block_size, 1), released, NowMs());
  if (!answer) return old.status();
  if (answer->broken) {
    std::fill_n(BlockData(block), options_.block_size, 1);
    checksums_[block] = locked_digest_;
  }
  return *answer;
}

Status BlockStore::Unlock(int block, const Bytes& holder, const Bytes& note) {
  ++meta_calls_;
  RETURN_IF_ERROR(MetaTable::CheckUnlock(holder, note));
  RETURN_IF_ERROR(CheckRange(block));
  std::unique_lock<std::shared_mutex> fence(fence_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(meta_.Unlock(block, holder, note, NowMs()));
  std::fill_n(BlockData(block), options_.block_size, 0);
  checksums_[block] = zero_digest_;
  return Status::Ok();
}

Result<LockOutcome> BlockStore::Claim(const Bytes& holder, int64_t lease_ms,
                                      const std::string& read_key, bool take_over) {
  ++meta_calls_;
  RETURN_IF_ERROR(MetaTable::CheckLock(holder, lease_ms));
  if (!read_key.empty()) RETURN_IF_ERROR(MetaTable::CheckKey(read_key));
  std::unique_lock<std::shared_mutex> fence(fence_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  LockOutcome answer = meta_.Claim(holder, lease_ms, take_over, NowMs());
  if (!read_key.empty()) answer.read = meta_.Get(read_key).value();
  return answer;
}

Status BlockStore::Release(const Bytes& holder, const Bytes& note) {
  ++meta_calls_;
  RETURN_IF_ERROR(MetaTable::CheckUnlock(holder, note));
  std::unique_lock<std::shared_mutex> fence(fence_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  return meta_.Release(holder, note, NowMs());
}

Result<BlockStore::FenceGuard> BlockStore::EnterFence(int64_t epoch) {
  FenceGuard guard(fence_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(meta_.CheckEpoch(epoch));
  return guard;
}

RequestCounts BlockStore::stats() const {
  return RequestCounts{gets_.load(), puts_.load(), rsms_.load(), checksum_errors_.load(),
                       meta_calls_.load()};
}

}  // namespace memoryfs::server
