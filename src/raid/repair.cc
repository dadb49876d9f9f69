// Array::Repair: regenerates every physical block of one server from the others.
#include "core/xor.h"
#include "raid/array.h"

namespace memoryfs::raid {

Status Array::Repair(int server, const Progress& progress) {
  const std::string id = std::to_string(server);
  if (server < 0 || server >= num_servers()) {
    return Status::Error(Code::kInvalidArgument, "server id " + id + " not in valid range [0, " +
                                                     std::to_string(num_servers() - 1) + "]");
  }
  if (!failed_[server]) {
    return Status::Error(Code::kInvalidArgument,
                         "server " + id + " is not failed: nothing to repair");
  }
  for (int other = 0; other < num_servers(); ++other) {
    if (other != server && failed_[other]) {
      return Status::Error(Code::kUnavailable, "server " + std::to_string(other) +
                                                   " is failed too: nothing to rebuild from");
    }
  }
  // Reconnect and check the geometry: its last block must exist and be block_size long.
  BlockDevice* target = servers_[server];
  Result<Bytes> probe = target->Get(server_blocks_ - 1);
  if (!probe.ok() && probe.status().code() != Code::kChecksumError) {
    if (probe.status().code() == Code::kOutOfRange) {
      return Status::Error(Code::kInvalidArgument,
                           "server " + id + " has fewer than the " +
                               std::to_string(server_blocks_) + " blocks this array needs");
    }
    return Status::Error(Code::kUnavailable,
                         "server " + id + " is unreachable: " + probe.status().message());
  }

  for (int stripe = 0; stripe < server_blocks_; ++stripe) {
    const Location at{server, stripe};
    Bytes rebuilt(block_size_, 0);  // the lock slot comes back unlocked
    if (!IsLockSlot(at)) {
      Result<Bytes> r = Rebuild(at);
      if (!r.ok()) {
        return Status::Error(r.status().code(), "repair of server " + id + " stopped at block " +
                                                    std::to_string(stripe) + ": " +
                                                    r.status().message() +
                                                    "; it stays failed");
      }
      rebuilt = std::move(*r);
    }
    Status put = target->Put(stripe, rebuilt);
    if (!put.ok()) {
      return Status::Error(Code::kUnavailable, "repair of server " + id +
                                                   " stopped: writing block " +
                                                   std::to_string(stripe) + ": " + put.message() +
                                                   "; it stays failed");
    }
    if (progress) progress(stripe + 1, server_blocks_);
  }
  std::lock_guard<std::mutex> lock(mu_);
  failed_[server] = false;
  return Status::Ok();
}

}  // namespace memoryfs::raid
