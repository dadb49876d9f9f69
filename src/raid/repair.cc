// Array::Repair: regenerates every physical block of one server from the others.
#include <algorithm>
#include <optional>
#include <string>

#include "raid/array.h"

namespace memoryfs::raid {

Status Array::CheckRepairable(int server) {
  const std::string id = std::to_string(server);
  if (server < 0 || server >= num_servers()) {
    return Status::Error(Code::kInvalidArgument, "server id " + id + " not in valid range [0, " +
                                                     std::to_string(num_servers() - 1) + "]");
  }
  // Reconnect and check the geometry: its last block must exist and be block_size long. A
  // server not marked failed is asked before anything else: nobody may have contacted it
  // since it went away. One that does not answer is marked failed here (and reported), then
  // refused below as unreachable; once it is back, the next repair rebuilds it.
  std::optional<Result<Bytes>> asked;
  const auto probe_server = [&] { return servers_[server]->Get(server_blocks_ - 1); };
  if (!failed_[server]) {
    asked = probe_server();
    if (asked->ok() || !IsServerFailure(asked->status())) {
      return Status::Error(Code::kInvalidArgument,
                           "server " + id + " is not failed: nothing to repair");
    }
    MarkFailed(server, "GET");
  }
  for (int other = 0; other < num_servers(); ++other) {
    if (other != server && failed_[other]) {
      return Status::Error(Code::kUnavailable, "server " + std::to_string(other) +
                                                   " is failed too: nothing to rebuild from");
    }
  }
  const Result<Bytes> probe = asked ? std::move(*asked) : probe_server();
  if (probe.ok() && static_cast<int>(probe->size()) != block_size_) {
    return Status::Error(Code::kInvalidArgument,
                         "server " + id + " has blocks of " + std::to_string(probe->size()) +
                             " bytes, this array " + std::to_string(block_size_));
  }
  if (probe.ok() || probe.status().code() == Code::kChecksumError) return Status::Ok();
  if (probe.status().code() == Code::kOutOfRange) {
    return Status::Error(Code::kInvalidArgument, "server " + id + " has fewer than the " +
                                                     std::to_string(server_blocks_) +
                                                     " blocks this array needs");
  }
  return Status::Error(Code::kUnavailable,
                       "server " + id + " is unreachable: " + probe.status().message());
}

Status Array::Repair(int server, const Progress& progress) {
  RETURN_IF_ERROR(CheckRepairable(server));
  const std::string id = std::to_string(server);
  client::BlockDevice* target = servers_[server];

  // Stripes are rebuilt in batches: every other server reads its blocks of the batch in
  // sequence while the servers work in parallel, then the target writes the batch.
  constexpr int kBatch = 32;
  for (int first = 0; first < server_blocks_; first += kBatch) {
    const int count = std::min(kBatch, server_blocks_ - first);
    std::vector<Location> targets;
    for (int stripe = first; stripe < first + count; ++stripe) targets.push_back({server, stripe});
    Result<std::vector<Bytes>> rebuilt = RebuildMany(targets, "server " + id + " is being rebuilt");
    if (!rebuilt.ok()) {
      return Status::Error(rebuilt.status().code(), "repair of server " + id +
                                                        " stopped: " + rebuilt.status().message() +
                                                        "; it stays failed");
    }
    // The target is still marked failed, so it is written directly, not through ServerPut.
    for (int i = 0; i < count; ++i) {
      Status put = target->Put(targets[i].block, (*rebuilt)[i]);
      if (!put.ok()) {
        return Status::Error(Code::kUnavailable, "repair of server " + id +
                                                     " stopped: writing block " +
                                                     std::to_string(targets[i].block) + ": " +
                                                     put.message() + "; it stays failed");
      }
    }
    if (progress) progress(first + count, server_blocks_);
  }
  std::lock_guard<std::mutex> lock(mu_);
  failed_[server] = false;
  return Status::Ok();
}

}  // namespace memoryfs::raid
