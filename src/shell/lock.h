// DiskLock: the shell's lock on a shared device, by the edition's client::LockConvention
// (lock_convention.h).
//
// Plain (the course's protocol, what the single-server golden traces show): Acquire is RSM(block)
// until the old contents it returns show the lock free; Release is a Put of the released
// contents.
//
// Recorded (LockOptions::recorded, the RAID-5 array): Acquire is BlockDevice::Lock, which is
// the same RSM on the lock's server plus this client's holder record beside it with a lease
// (docs/protocol.md). A device that cannot record (kUnimplemented: a Python lock server) falls
// back to the plain lock for good. While the lock is held by someone else, the waiting shell
// says once per holder who holds it and how long ago its lease was renewed; a holder whose
// lease ran out (a client that died or was stopped for longer than its lease) loses the lock to
// the waiter, which says so. The rule is the server's: the lock is broken only when its record
// was last written more than the record's own lease ago. A holder never renews during an
// ordinary command; long commands (repair, scrub) renew through raid::Array::RenewLease.
//
// Waiting spins like the reference for the first attempts, then sleeps up to 10 ms between
// attempts; every attempt is one RPC.
#pragma once

#include <functional>
#include <string>

#include "client/block_device.h"
#include "client/lock_convention.h"
#include "core/status.h"

namespace memoryfs::shell {

struct LockOptions {
  bool recorded = false;
  std::string who;       // recorded: this client, e.g. "pid 4242 on host, cid 0"
  int lease_ms = 10000;  // recorded: the lease asked for
  // recorded: where the waiting and breaking notices go (one line each, no newline); may be
  // empty.
  std::function<void(const std::string&)> notice;
};

class DiskLock {
 public:
  // block: the lock's block on `device`, LockConvention::Block(num_blocks). `device` must
  // outlive the lock.
  DiskLock(client::BlockDevice& device, int block, LockOptions options = {})
      : device_(device), block_(block), options_(std::move(options)) {}

  // Fails when the device does, or with kCancelled when `cancelled` (checked before every
  // attempt; may be empty) says the user asked to stop while waiting. The lock is then not
  // held.
  Status Acquire(const std::function<bool()>& cancelled = nullptr);
  Status Release();

  int block() const { return block_; }
  void set_options(LockOptions options) { options_ = std::move(options); }

 private:
  // One attempt of the recorded lock: true when acquired.
  Result<bool> TryRecorded(std::string* last_waiting);

  client::BlockDevice& device_;
  const int block_;
  LockOptions options_;
  Bytes holder_;                // the record sent with the last Lock
  bool held_recorded_ = false;  // the lock now held was taken with Lock
};

}  // namespace memoryfs::shell
