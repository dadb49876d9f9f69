// Array: RAID-5 over N >= 3 block devices, itself a client::BlockDevice of num_blocks virtual
// blocks. The file system above cannot tell it from one server. Knows stripes, servers and their
// health; nothing about files.
//
// Contract (see docs and ../shared/spec/raid5.md):
// - Layout: raid::Layout (left-asymmetric). Virtual block 0 is the lock block: it lives on
//   server 0, physical block 0, and is excluded from parity; RSM is only valid on it and goes
//   to server 0 only, as does its Put (the lock release).
// - Get: one Get when healthy. A checksum error reports kCorruptedBlock, rebuilds the block
//   from the other N-1 of its stripe, writes it back to heal, and returns the right bytes. A
//   failed data server: the block is rebuilt without contacting it.
// - Put: read-modify-write (old data and old parity read in parallel, then data and parity
//   written in parallel, 4 RPCs), or reconstruct-write where that needs fewer reads or where
//   old data/parity is corrupt. Degraded: data server failed -> parity only; parity server
//   failed -> data only. A write that cannot be done safely is refused before any server is
//   modified.
// - Failure detection: kUnavailable or kProtocolError from a server marks it failed at once
//   and reports kServerDisconnected once; a failed server is never contacted again until
//   Repair succeeds. Two unavailable blocks in a stripe: a clear error, never wrong bytes.
// - Not thread-safe: one caller at a time (requests to different servers run in parallel
//   inside).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/block_device.h"
#include "raid/fanout.h"
#include "raid/layout.h"

namespace memoryfs::raid {

struct ArrayEvent {
  enum class Kind { kServerDisconnected, kCorruptedBlock };
  Kind kind = Kind::kServerDisconnected;
  std::string op;  // kServerDisconnected: "GET", "PUT" or "RSM"
  int server = -1;
  int block = -1;   // kCorruptedBlock: the virtual block, or -1 for a parity block
  int stripe = -1;  // kCorruptedBlock of a parity block: its stripe
  // "SERVER_DISCONNECTED PUT 2", "CORRUPTED_BLOCK 17", "CORRUPTED_BLOCK parity 5 server 2".
  std::string ToString() const;
};

class Array : public client::BlockDevice {
 public:
  using EventSink = std::function<void(const ArrayEvent&)>;
  // Progress of a repair: stripes done out of total.
  using Progress = std::function<void(int done, int total)>;

  // servers: N >= 3 devices of at least Layout(N).ServerBlocksFor(num_blocks) blocks each,
  // all of block_size bytes; not owned, used only by this array. sink: called on every event,
  // from any of the array's threads, one call at a time.
  Array(std::vector<client::BlockDevice*> servers, int num_blocks, int block_size, EventSink sink);

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override;
  int num_blocks() const override { return num_blocks_; }
  int block_size() const override { return block_size_; }

  const Layout& layout() const { return layout_; }
  int num_servers() const { return layout_.num_servers(); }
  int server_blocks() const { return server_blocks_; }
  bool failed(int server) const { return failed_[server]; }

  // Rebuilds every physical block of a failed server that has come back (blank or not) from
  // the others, then marks it healthy. Refuses (kInvalidArgument / kUnavailable, nothing
  // changed) when the id is out of range, the server is not failed, another server is failed,
  // or the server is unreachable or has the wrong geometry. If anything fails midway the
  // server stays failed. Defined in repair.cc.
  Status Repair(int server, const Progress& progress);

 private:
  // One request to one server; a failed server is not contacted (kUnavailable); a
  // transport failure marks it failed.
  Result<Bytes> ServerGet(Location at);
  Status ServerPut(Location at, const Bytes& data);
  // Several requests, in parallel across servers; results in the order asked.
  std::vector<Result<Bytes>> GetMany(const std::vector<Location>& at);
  std::vector<Status> PutMany(const std::vector<std::pair<Location, Bytes>>& writes);

  void MarkFailed(int server, const char* op);
  void Report(const ArrayEvent& event);
  bool IsLockSlot(Location at) const { return at.server == 0 && at.block == 0; }
  // The other slots of stripe that parity covers, without `except` (and never the lock slot).
  std::vector<Location> CoveredSlots(int stripe, Location except) const;
  // The bytes of slot `at` rebuilt as the XOR of the other covered slots of its stripe.
  Result<Bytes> Rebuild(Location at);
  // The same for many slots, all their reads in one parallel round. The lock slot is not
  // covered by parity: it rebuilds as zeros (unlocked), without any read.
  Result<std::vector<Bytes>> RebuildMany(const std::vector<Location>& targets);
  // XOR of base and every read; fails with the first read's error.
  Result<Bytes> XorAll(Bytes base, const std::vector<Result<Bytes>>& reads, int stripe) const;

  Status WriteDataAndParity(Location data_at, const Bytes& data, Location parity_at,
                            const Bytes& parity);
  Status ReconstructWrite(Location data_at, const Bytes& data, bool write_data);

  Layout layout_;
  std::vector<client::BlockDevice*> servers_;
  int num_blocks_;
  int block_size_;
  int server_blocks_;
  EventSink sink_;
  std::mutex mu_;                          // serialises failure marking and events
  std::vector<std::atomic<bool>> failed_;  // written under mu_
  Fanout fanout_;
};

}  // namespace memoryfs::raid
