// LockConvention: how the clients of one course edition serialise their commands on a shared
// device, as one value. Everything that depends on the lock consults this value and nothing
// else: the shell's DiskLock (which block, when it is held, how it is released), the file
// system's Geometry (which block is not file-system data, e.g. saved as released), and the
// RAID-5 array (which virtual block is kept out of parity and sent to one server only).
//
// The one mechanism, read-and-set-memory (BlockDevice::RSM), is the same in every edition: it
// returns the block's old contents and sets every byte to kLockedByte. A client holds the lock
// when the old contents it got back were not locked; it releases it with a Put of
// Released(block_size).
//
// The lock block is excluded from RAID-5 parity: RSM rewrites it on one server without the
// parity update a Put would make, so covering it would break its stripe on every lock.
#pragma once

#include <cstdint>

#include "core/bytes.h"
#include "core/edition.h"

namespace memoryfs::client {

struct LockConvention {
  enum class Placement {
    kFirstBlock,  // 2022 (memoryfs_shell_rpc.py): block 0, the boot block
    kLastBlock,   // 2023 (fsmain.py): block nb-1
  };
  static constexpr uint8_t kLockedByte = 1;  // what RSM writes into every byte

  Placement placement = Placement::kFirstBlock;

  // The lock's block number on a device of num_blocks blocks.
  constexpr int Block(int num_blocks) const {
    return placement == Placement::kFirstBlock ? 0 : num_blocks - 1;
  }
  // Whether the old contents that RSM returned show the lock already taken by someone.
  static bool HeldByOther(const Bytes& old) { return !old.empty() && old[0] == kLockedByte; }
  // The contents that release the lock (and what a rebuilt or saved lock block holds).
  static Bytes Released(int block_size) { return Bytes(block_size, 0); }
  // The lock block as its holder sees it: what RSM left there.
  static Bytes Held(int block_size) { return Bytes(block_size, kLockedByte); }

  constexpr bool operator==(const LockConvention&) const = default;

  // The edition's convention: the one place that says which block each edition locks.
  static constexpr LockConvention For(Edition edition) {
    return {edition == Edition::k2022 ? Placement::kFirstBlock : Placement::kLastBlock};
  }
};

// The 2022 edition's convention.
inline constexpr LockConvention kLock2022 = LockConvention::For(Edition::k2022);

}  // namespace memoryfs::client
