// Array: RAID-5 over N >= 3 block devices, itself a BlockDevice of num_blocks virtual blocks.
// The file system above cannot tell it from one server. Knows stripes, servers and their
// health; nothing about files.
//
// Contract (see docs and ../shared/spec/raid5.md):
// - Layout: raid::Layout (left-asymmetric). The lock block (client::LockConvention: virtual
//   block 0 in the 2022 edition, i.e. server 0, physical block 0) is excluded from parity; RSM
//   is only valid on it and goes to its server only, as does its Put (the lock release). While
//   its server is failed (or answers a checksum error for it), a Get of the lock block answers
//   LockConvention::Held: what the reference's algorithm sees there during a locked command
//   (the file system reads it only by the reference's quirk of reading "block 0" past a
//   directory's last block), so such a read never fails a command.
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
//   Repair succeeds.
// - Double faults: a block whose own copy is unusable (server failed, or corrupt) and that
//   cannot be rebuilt because another block of its stripe is unusable too is kDataLoss, never
//   wrong bytes. The message names the lost block and both causes, e.g. "block 17 is lost:
//   server 2 failed, and block 18 on server 3 is corrupt". A corrupt block met on the way is
//   reported (kCorruptedBlock) like any other.
// - Threads: not thread-safe, one caller at a time. Requests to different servers run in
//   parallel inside (Fanout); each device is still used by one thread at a time (fanout.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/block_device.h"
#include "client/lock_convention.h"
#include "raid/fanout.h"
#include "raid/layout.h"
#include "raid/scrub.h"

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
  // all of block_size bytes (checked in debug builds); not owned, used only by this array.
  // sink: called on every event, from any of the array's threads, one call at a time.
  // lock: the edition's lock convention (which virtual block is the lock).
  Array(std::vector<client::BlockDevice*> servers, int num_blocks, int block_size, EventSink sink,
        client::LockConvention lock);

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override;
  int num_blocks() const override { return num_blocks_; }
  int block_size() const override { return block_size_; }

  const Layout& layout() const { return layout_; }
  int num_servers() const { return layout_.num_servers(); }
  int server_blocks() const { return server_blocks_; }
  bool failed(int server) const { return failed_[server]; }
  // Where the lock lives: its virtual block, and the server holding it.
  int lock_block() const { return lock_block_; }
  int lock_server() const { return lock_at_.server; }

  // Rebuilds every physical block of a failed server that has come back (blank or not) from
  // the others, then marks it healthy. Refuses (kInvalidArgument / kUnavailable, nothing
  // written) when the id is out of range, the server is not failed, another server is
  // failed, or the server is unreachable or has the wrong geometry. A server not marked
  // failed is asked first (one Get): if it does not answer it is marked failed and reported
  // (kServerDisconnected), then refused as unreachable. If anything fails midway the server
  // stays failed. Defined in repair.cc.
  Status Repair(int server, const Progress& progress);

  // Reads every stripe (all N servers, in batches read in parallel) and checks each block's
  // checksum and each stripe's parity; the lock block is not file-system data and is skipped.
  // With `repair`: a stripe with one block failing its checksum gets that block rebuilt from
  // the others; a stripe whose blocks all pass their checksums but whose parity does not match
  // gets its parity recomputed from the (checksum-verified) data; a stripe with two failing
  // blocks is reported and left alone. Nothing is written without `repair`, nor for a clean
  // stripe. Refuses (kUnavailable, nothing read) while a server is failed; a server failing
  // during the scrub stops it with that error. Defined in scrub.cc.
  Result<ScrubReport> Scrub(bool repair, const Progress& progress);

 private:
  // One request to one server; a failed server is not contacted (kUnavailable); a
  // transport failure marks it failed.
  Result<Bytes> ServerGet(Location at);
  Status ServerPut(Location at, const Bytes& data);
  // Several requests, in parallel across servers; results in the order asked.
  std::vector<Result<Bytes>> GetMany(const std::vector<Location>& at);
  std::vector<Status> PutMany(const std::vector<std::pair<Location, Bytes>>& writes);

  // What marks a server failed: kUnavailable or kProtocolError from it.
  static bool IsServerFailure(const Status& s);
  void MarkFailed(int server, const char* op);
  void Report(const ArrayEvent& event);
  void ReportCorrupt(Location at);
  bool IsLockSlot(Location at) const { return at == lock_at_; }
  // A Get of the lock block (see the contract above).
  Result<Bytes> GetLock(Location at);
  // The other slots of stripe that parity covers, without `except` (and never the lock slot).
  std::vector<Location> CoveredSlots(int stripe, Location except) const;

  // Texts of double-fault errors. Describe: "block 17" or "the parity of stripe 5".
  std::string Describe(Location at) const;
  // Why the read of `at` failed ("server 3 failed", "block 18 on server 3 is corrupt"...);
  // reports a checksum error as kCorruptedBlock.
  std::string ReadFailure(Location at, const Status& error);
  // kDataLoss: "<Describe(target)> <what>: <cause>, and <ReadFailure(other, error)>".
  Status Lost(Location target, const char* what, const std::string& cause, Location other,
              const Status& error);

  // The bytes of slot `at` rebuilt as the XOR of the other covered slots of its stripe; the
  // target's own copy is unusable for `cause` (for the error text). kDataLoss when another
  // read fails.
  Result<Bytes> Rebuild(Location at, const std::string& cause);
  // The same for many slots, all their reads in one parallel round. The lock slot is not
  // covered by parity: it rebuilds as the released lock, without any read.
  Result<std::vector<Bytes>> RebuildMany(const std::vector<Location>& targets,
                                         const std::string& cause);

  // Repair's refusals (see Repair), checked before anything is written.
  Status CheckRepairable(int server);
  // Scrub of stripes [first, first + count): its findings appended to *report.
  Status ScrubBatch(int first, int count, bool repair, ScrubReport* report);
  // One stripe whose reads are `reads` (one per server, the lock slot's unused).
  Status ScrubStripe(int stripe, std::vector<Result<Bytes>>& reads, bool repair,
                     ScrubReport* report);

  Status PutCovered(int block, Location data_at, const Bytes& data);
  Status ReadModifyWrite(int block, Location data_at, const Bytes& data);
  Status WriteDataAndParity(Location data_at, const Bytes& data, Location parity_at,
                            const Bytes& parity);
  // Parity from the new data and every other covered data block of the stripe, then the
  // parity alone (the data server failed: write_data false) or both. cause: why the old data
  // or parity cannot be used, for the error text ("" when both are fine).
  Status ReconstructWrite(Location data_at, const Bytes& data, bool write_data,
                          const std::string& cause);

  Layout layout_;
  std::vector<client::BlockDevice*> servers_;
  int num_blocks_;
  int block_size_;
  int server_blocks_;
  EventSink sink_;
  int lock_block_;  // from the lock convention given at construction
  Location lock_at_;
  std::mutex mu_;                          // serialises failure marking and events
  std::vector<std::atomic<bool>> failed_;  // written under mu_
  Fanout fanout_;
};

}  // namespace memoryfs::raid
