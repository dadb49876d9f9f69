// CacheDevice: the 2023 edition's client block layer (block.py of fsmain.py) as a decorator of
// any BlockDevice: this client's write-through block cache, the last-writer record, and the
// invalidation that keeps the caches of several clients coherent under the lock.
//
// With nb = num_blocks(), the lock block L = nb-1 (client::LockConvention::For(k2023)) and the
// last-writer block W = nb-2, whose byte 0 holds the id of the client that wrote last:
//
// - Get(b): when b < nb-2 and b is cached, prints "CACHE_HIT b" and answers from the cache
//   without a call; otherwise prints "CACHE_MISS b", Gets b from the inner device and caches it.
// - Put(b, data): Puts b on the inner device, then prints "CACHE_WRITE_THROUGH b" and caches
//   the zero-padded block; then, unless b is L (the lock's release), Puts W = [cid, 0...] on
//   the inner device, unprinted.
// - RSM(b): the inner RSM, unprinted. When b is L and the answer shows the lock free, this
//   client has just taken the lock, and the cache is revalidated before RSM returns: Get(W)
//   (printed, as above); if its byte 0 is not cid, "CACHE_INVALIDATED" is printed, the cache
//   emptied, and Put(W, [cid, 0...]) made (printed, as above, and followed by its own unprinted
//   last-writer Put, as every Put is). So another client's writes are never read stale.
//
// The lines go to `log` (one per line, flushed with the caller's stream); a null log prints
// nothing and changes nothing else (the 2023 RAID project's -logcache 0).
//
// Errors: an inner error is returned unchanged. A failed Put drops b from the cache (whether
// the server applied it is unknown). A revalidation that fails after the lock was taken empties
// the cache, puts the lock's old (free) contents back (best effort) and returns the error: the
// RSM then failed and left nothing held.
//
// Not thread-safe, like the client it stands for: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>

#include "client/block_device.h"
#include "core/bytes.h"
#include "core/status.h"

namespace memoryfs::client {

struct CacheOptions {
  int client_id = 0;            // -cid: what byte 0 of the last-writer block records (0..255)
  std::ostream* log = nullptr;  // where the CACHE_* lines go; null: not printed
  // How this client learns, when it takes the lock, that another client wrote meanwhile.
  enum class Coherence {
    // fsmain.py's protocol (2023): block nb-2 records the last writer, as described above.
    kLastWriterBlock,
    // memoryfs_shell_rpc -cache (2022): the server's own count of Puts (our server's Stats,
    // `server_puts`). When it grew by more than this client's own Puts since its last check,
    // someone else wrote: the cache is emptied. No block is touched (the lock is block 0 and
    // every other block is cacheable), so Python shells on the same server are unaffected,
    // and their writes are seen too. A server that cannot say (the Python one) empties the
    // cache at every lock: correct, caching within a command only.
    kServerPutCount,
  };
  Coherence coherence = Coherence::kLastWriterBlock;
  std::function<Result<int64_t>()> server_puts;  // kServerPutCount
};

class CacheDevice : public BlockDevice {
 public:
  // `inner` must outlive the CacheDevice and have at least 3 blocks.
  CacheDevice(BlockDevice& inner, CacheOptions options);

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override;
  // The recorded lock of the inner device (a RAID-5 array), with what RSM and the release
  // Put do here: Lock revalidates as RSM does when it takes the lock; Unlock prints and caches
  // as the release Put does.
  Result<LockReply> Lock(int block, const Bytes& holder, int lease_ms) override;
  Status Unlock(int block, const Bytes& holder, const Bytes& note) override;
  int num_blocks() const override { return inner_.num_blocks(); }
  int block_size() const override { return inner_.block_size(); }
  uint64_t sessions() const override { return inner_.sessions(); }

  // kLastWriterBlock: nb-1 and nb-2 (2023); kServerPutCount: block 0 (2022), and no
  // last-writer block (-1).
  int lock_block() const { return by_put_count() ? 0 : num_blocks() - 1; }
  int last_writer_block() const { return by_put_count() ? -1 : num_blocks() - 2; }
  // How many blocks are cached now (for tests).
  size_t cached() const { return cache_.size(); }

 private:
  bool by_put_count() const {
    return options_.coherence == CacheOptions::Coherence::kServerPutCount;
  }
  // Blocks served from the cache: 2023, b < nb-2; 2022 -cache, all but the lock.
  bool Cacheable(int block) const {
    return by_put_count() ? block != lock_block() : block < last_writer_block();
  }
  // After this client took the lock: the coherence check and, if needed, the invalidation.
  Status Revalidate();
  Status RevalidateByPutCount();
  void Invalidate();
  void Print(const char* what, int block);

  BlockDevice& inner_;
  const CacheOptions options_;
  std::map<int, Bytes> cache_;
  // kServerPutCount: the server's count at the last check (-1: none yet), and this client's
  // Puts since.
  int64_t server_puts_seen_ = -1;
  int64_t own_puts_ = 0;
};

}  // namespace memoryfs::client
