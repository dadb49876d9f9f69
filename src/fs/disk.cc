#include "fs/disk.h"

#include "fs/fs_error.h"

namespace memoryfs::fs {

Disk::Disk(client::BlockDevice& device, const Geometry& geometry)
    : device_(device), geometry_(geometry) {}

Status Disk::CheckDevice() const {
  if (device_.block_size() != block_size() || device_.num_blocks() < num_blocks()) {
    return Status::Error(Code::kInvalidArgument,
                         "the device has " + std::to_string(device_.num_blocks()) + " blocks of " +
                             std::to_string(device_.block_size()) +
                             " bytes; the file system needs " + std::to_string(num_blocks()) +
                             " blocks of " + std::to_string(block_size()) + " bytes");
  }
  return Status::Ok();
}

Status Disk::CheckRange(int64_t block) const {
  if (block < 0 || block >= num_blocks()) {
    return FsError(Code::kOutOfRange, FsErrorCode::kBlockNumberOutOfRange);
  }
  return Status::Ok();
}

Result<Bytes> Disk::Get(int64_t block) {
  RETURN_IF_ERROR(CheckRange(block));
  ASSIGN_OR_RETURN(Bytes bytes, device_.Get(static_cast<int>(block)));
  bytes.resize(block_size(), 0);
  if (in_transaction_) last_read_[static_cast<int>(block)] = bytes;
  return bytes;
}

Status Disk::Put(int64_t block, const Bytes& data) {
  RETURN_IF_ERROR(CheckRange(block));
  if (static_cast<int>(data.size()) > block_size()) {
    return Status::Error(Code::kInvalidArgument, "Put: block larger than the block size");
  }
  const int b = static_cast<int>(block);
  if (in_transaction_ && undo_.count(b) == 0) {
    auto seen = last_read_.find(b);
    if (seen == last_read_.end()) {
      // Never happens in the file system's own paths (each Put follows a Get of its block),
      // but keeps the journal correct for any other caller.
      RETURN_IF_ERROR(Get(block));
      seen = last_read_.find(b);
    }
    undo_[b] = seen->second;
    undo_order_.push_back(b);
  }
  Bytes padded = PadTo(data, block_size());
  Status status = device_.Put(b, padded);
  if (status.ok() && in_transaction_) last_read_[b] = std::move(padded);
  return status;
}

void Disk::Begin() {
  in_transaction_ = true;
  last_read_.clear();
  undo_.clear();
  undo_order_.clear();
}

void Disk::Commit() {
  in_transaction_ = false;
  last_read_.clear();
  undo_.clear();
  undo_order_.clear();
}

Status Disk::Rollback() {
  in_transaction_ = false;
  Status first;
  for (auto it = undo_order_.rbegin(); it != undo_order_.rend(); ++it) {
    Status status = device_.Put(*it, undo_[*it]);
    if (!status.ok() && first.ok()) first = status;
  }
  Commit();
  return first;
}

}  // namespace memoryfs::fs
