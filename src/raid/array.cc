#include "raid/array.h"

#include "core/xor.h"

namespace memoryfs::raid {

namespace {

bool IsServerFailure(const Status& s) {
  return s.code() == Code::kUnavailable || s.code() == Code::kProtocolError;
}

Status TwoFailures(int stripe, const std::string& why) {
  return Status::Error(Code::kUnavailable, "stripe " + std::to_string(stripe) +
                                               " has two unavailable blocks (" + why + ")");
}

}  // namespace

std::string ArrayEvent::ToString() const {
  if (kind == Kind::kServerDisconnected) {
    return "SERVER_DISCONNECTED " + op + " " + std::to_string(server);
  }
  if (block >= 0) return "CORRUPTED_BLOCK " + std::to_string(block);
  return "CORRUPTED_BLOCK parity " + std::to_string(stripe) + " server " + std::to_string(server);
}

Array::Array(std::vector<client::BlockDevice*> servers, int num_blocks, int block_size,
             EventSink sink)
    : layout_(static_cast<int>(servers.size())),
      servers_(std::move(servers)),
      num_blocks_(num_blocks),
      block_size_(block_size),
      server_blocks_(layout_.ServerBlocksFor(num_blocks)),
      sink_(std::move(sink)),
      failed_(servers_.size()),
      fanout_(static_cast<int>(servers_.size())) {
  for (auto& f : failed_) f = false;
}

void Array::Report(const ArrayEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sink_) sink_(event);
}

void Array::MarkFailed(int server, const char* op) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_[server]) return;
  failed_[server] = true;
  ArrayEvent e;
  e.kind = ArrayEvent::Kind::kServerDisconnected;
  e.op = op;
  e.server = server;
  if (sink_) sink_(e);
}

Result<Bytes> Array::ServerGet(Location at) {
  if (failed_[at.server]) {
    return Status::Error(Code::kUnavailable, "server " + std::to_string(at.server) + " failed");
  }
  Result<Bytes> r = servers_[at.server]->Get(at.block);
  if (!r.ok() && IsServerFailure(r.status())) MarkFailed(at.server, "GET");
  return r;
}

Status Array::ServerPut(Location at, const Bytes& data) {
  if (failed_[at.server]) {
    return Status::Error(Code::kUnavailable, "server " + std::to_string(at.server) + " failed");
  }
  Status s = servers_[at.server]->Put(at.block, data);
  if (!s.ok() && IsServerFailure(s)) MarkFailed(at.server, "PUT");
  return s;
}

std::vector<Result<Bytes>> Array::GetMany(const std::vector<Location>& at) {
  std::vector<Result<Bytes>> results(at.size(), Status::Error(Code::kUnavailable, "not run"));
  std::vector<Fanout::Task> tasks;
  for (size_t i = 0; i < at.size(); ++i) {
    tasks.push_back({at[i].server, [this, &at, &results, i] { results[i] = ServerGet(at[i]); }});
  }
  fanout_.RunAll(std::move(tasks));
  return results;
}

std::vector<Status> Array::PutMany(const std::vector<std::pair<Location, Bytes>>& writes) {
  std::vector<Status> results(writes.size());
  std::vector<Fanout::Task> tasks;
  for (size_t i = 0; i < writes.size(); ++i) {
    tasks.push_back({writes[i].first.server, [this, &writes, &results, i] {
                       results[i] = ServerPut(writes[i].first, writes[i].second);
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  return results;
}

std::vector<Location> Array::CoveredSlots(int stripe, Location except) const {
  std::vector<Location> slots;
  for (int server = 0; server < num_servers(); ++server) {
    Location at{server, stripe};
    if (at == except || IsLockSlot(at)) continue;
    slots.push_back(at);
  }
  return slots;
}

Result<Bytes> Array::XorAll(Bytes base, const std::vector<Result<Bytes>>& reads, int stripe) const {
  for (const Result<Bytes>& r : reads) {
    if (!r.ok()) return TwoFailures(stripe, r.status().message());
    XorInto(base, *r);
  }
  return base;
}

Result<Bytes> Array::Rebuild(Location at) {
  Result<std::vector<Bytes>> rebuilt = RebuildMany({at});
  if (!rebuilt.ok()) return rebuilt.status();
  return std::move(rebuilt->front());
}

Result<std::vector<Bytes>> Array::RebuildMany(const std::vector<Location>& targets) {
  std::vector<Location> slots;
  std::vector<size_t> owner;  // slots[i] contributes to targets[owner[i]]
  for (size_t t = 0; t < targets.size(); ++t) {
    if (IsLockSlot(targets[t])) continue;
    for (Location at : CoveredSlots(targets[t].block, targets[t])) {
      slots.push_back(at);
      owner.push_back(t);
    }
  }
  std::vector<Result<Bytes>> reads = GetMany(slots);
  std::vector<Bytes> rebuilt(targets.size(), Bytes(block_size_, 0));
  for (size_t i = 0; i < slots.size(); ++i) {
    if (!reads[i].ok()) return TwoFailures(slots[i].block, reads[i].status().message());
    XorInto(rebuilt[owner[i]], *reads[i]);
  }
  return rebuilt;
}

Result<Bytes> Array::Get(int block) {
  if (block < 0 || block >= num_blocks_) {
    return Status::Error(Code::kOutOfRange, "block " + std::to_string(block) + " out of range");
  }
  const Location at = layout_.DataLocation(block);
  if (IsLockSlot(at)) return ServerGet(at);  // the lock: not covered by parity
  if (!failed_[at.server]) {
    Result<Bytes> r = ServerGet(at);
    if (r.ok()) return r;
    if (r.status().code() == Code::kChecksumError) {
      ArrayEvent e;
      e.kind = ArrayEvent::Kind::kCorruptedBlock;
      e.server = at.server;
      e.block = block;
      Report(e);
      Result<Bytes> rebuilt = Rebuild(at);
      if (rebuilt.ok()) (void)ServerPut(at, *rebuilt);  // heal the server's copy
      return rebuilt;
    }
    if (!IsServerFailure(r.status())) return r;
  }
  return Rebuild(at);  // degraded read: the data server is failed
}

Result<Bytes> Array::RSM(int block) {
  if (block != 0) {
    return Status::Error(Code::kInvalidArgument, "RSM is only valid on the lock block 0 in RAID-5");
  }
  if (failed_[0]) return Status::Error(Code::kUnavailable, "server 0 (the lock) failed");
  Result<Bytes> r = servers_[0]->RSM(0);
  if (!r.ok() && IsServerFailure(r.status())) MarkFailed(0, "RSM");
  return r;
}

Status Array::WriteDataAndParity(Location data_at, const Bytes& data, Location parity_at,
                                 const Bytes& parity) {
  std::vector<Status> done = PutMany({{data_at, data}, {parity_at, parity}});
  // One acknowledgement is enough: the other server is now failed and its block can be
  // rebuilt (or is parity that a repair regenerates).
  if (done[0].ok() || done[1].ok()) return Status::Ok();
  return done[0];
}

// Parity from the new data and every other covered data block of the stripe.
Status Array::ReconstructWrite(Location data_at, const Bytes& data, bool write_data) {
  const int stripe = data_at.block;
  const Location parity_at = layout_.ParityLocation(stripe);
  std::vector<Location> others = CoveredSlots(stripe, data_at);
  std::erase(others, parity_at);
  Result<Bytes> parity = XorAll(data, GetMany(others), stripe);
  if (!parity.ok()) return parity.status();
  if (!write_data) return ServerPut(parity_at, *parity);
  return WriteDataAndParity(data_at, data, parity_at, *parity);
}

Status Array::Put(int block, const Bytes& data) {
  if (block < 0 || block >= num_blocks_) {
    return Status::Error(Code::kOutOfRange, "block " + std::to_string(block) + " out of range");
  }
  if (static_cast<int>(data.size()) > block_size_) {
    return Status::Error(Code::kInvalidArgument, "data longer than the block size");
  }
  const Bytes padded = PadTo(data, block_size_);
  const Location data_at = layout_.DataLocation(block);
  if (IsLockSlot(data_at)) {
    if (failed_[0]) return Status::Ok();  // no lock to release while server 0 is down
    return ServerPut(data_at, padded);
  }
  const int stripe = data_at.block;
  const Location parity_at = layout_.ParityLocation(stripe);
  const bool data_failed = failed_[data_at.server];
  const bool parity_failed = failed_[parity_at.server];
  if (data_failed && parity_failed) return TwoFailures(stripe, "data and parity servers failed");
  if (parity_failed) return ServerPut(data_at, padded);
  if (data_failed) return ReconstructWrite(data_at, padded, /*write_data=*/false);

  // Both healthy. Reconstruct-write when it reads fewer blocks than read-modify-write's two.
  const std::vector<Location> covered = CoveredSlots(stripe, data_at);  // parity included
  const size_t other_data = covered.size() - 1;
  bool others_healthy = true;
  for (Location at : covered) others_healthy &= !failed_[at.server];
  if (others_healthy && other_data < 2) {
    Status s = ReconstructWrite(data_at, padded, /*write_data=*/true);
    if (s.ok() || failed_[data_at.server] || failed_[parity_at.server]) return s;
    // A corrupt other block: fall through to read-modify-write, which does not need it.
  }

  std::vector<Result<Bytes>> old = GetMany({data_at, parity_at});
  if (old[0].ok() && old[1].ok()) {
    Bytes parity = *old[1];
    XorInto(parity, *old[0]);
    XorInto(parity, padded);
    return WriteDataAndParity(data_at, padded, parity_at, parity);
  }
  for (int i = 0; i < 2; ++i) {
    if (!old[i].ok() && old[i].status().code() == Code::kChecksumError) {
      ArrayEvent e;
      e.kind = ArrayEvent::Kind::kCorruptedBlock;
      e.server = i == 0 ? data_at.server : parity_at.server;
      e.block = i == 0 ? block : -1;
      e.stripe = stripe;
      Report(e);
    }
  }
  const bool data_lost = failed_[data_at.server];
  const bool parity_lost = failed_[parity_at.server];
  if (data_lost && parity_lost) return TwoFailures(stripe, "data and parity servers failed");
  if (parity_lost) return ServerPut(data_at, padded);
  if (data_lost) return ReconstructWrite(data_at, padded, /*write_data=*/false);
  for (const auto& r : old) {
    if (!r.ok() && r.status().code() != Code::kChecksumError) return r.status();
  }
  // Old data or old parity is corrupt: the parity must come from the other data blocks.
  return ReconstructWrite(data_at, padded, /*write_data=*/true);
}

}  // namespace memoryfs::raid
