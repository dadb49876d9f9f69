// BlockDevice: the one interface for "a device of blocks". Implemented by one remote server
// (RemoteDevice), the RAID-5 array (raid::Array) and an in-memory store for unit tests
// (MemoryDevice). The file system above never knows which one it talks to.
//
// Contract for every implementation:
// - Blocks are numbered 0..num_blocks()-1 and are exactly block_size() bytes long.
// - Get returns the block's bytes (always block_size() long).
// - Put stores data zero-padded to block_size(); data longer than block_size() is refused
//   with kInvalidArgument and nothing is written.
// - RSM (read-and-set-memory) returns the old contents and sets the block to block_size()
//   bytes of 0x01, atomically with respect to every other client.
// - Failures are values: kOutOfRange for a bad number, kChecksumError for a corrupt block that
//   could not be recovered, kUnavailable for an unreachable device.
#pragma once

#include "core/bytes.h"
#include "core/status.h"

namespace memoryfs::client {

class BlockDevice {
 public:
  virtual ~BlockDevice() = default;

  virtual Result<Bytes> Get(int block) = 0;
  virtual Status Put(int block, const Bytes& data) = 0;
  virtual Result<Bytes> RSM(int block) = 0;

  virtual int num_blocks() const = 0;
  virtual int block_size() const = 0;
};

}  // namespace memoryfs::client
