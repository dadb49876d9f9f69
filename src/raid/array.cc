#include "raid/array.h"

#include <cassert>

#include "core/xor.h"

namespace memoryfs::raid {

namespace {

std::string ServerFailed(int server) { return "server " + std::to_string(server) + " failed"; }

Status OutOfRange(int block) {
  return Status::Error(Code::kOutOfRange, "block " + std::to_string(block) + " out of range");
}

}  // namespace

bool Array::IsServerFailure(const Status& s) {
  return s.code() == Code::kUnavailable || s.code() == Code::kProtocolError;
}

std::string ArrayEvent::ToString(bool name_blocks) const {
  if (kind == Kind::kServerDisconnected) {
    if (!name_blocks) return "SERVER_DISCONNECTED " + op + " " + std::to_string(server);
    if (request_block >= 0)
      return "SERVER_DISCONNECTED " + op + " " + std::to_string(request_block);
    return "SERVER_DISCONNECTED " + op + " server " + std::to_string(server);
  }
  if (kind == Kind::kNotice) return text;
  if (kind == Kind::kMemberRejected) {
    const std::string id = std::to_string(server);
    return "server " + id + " " + text + ": treated as failed until 'repair " + id + "'";
  }
  if (block >= 0) return "CORRUPTED_BLOCK " + std::to_string(block);
  return "CORRUPTED_BLOCK parity " + std::to_string(stripe) + " server " + std::to_string(server);
}

Array::Array(std::vector<client::BlockDevice*> servers, int num_blocks, int block_size,
             EventSink sink, ArrayOptions options)
    : layout_(static_cast<int>(servers.size())),
      servers_(std::move(servers)),
      num_blocks_(num_blocks),
      block_size_(block_size),
      server_blocks_(layout_.ServerBlocksFor(num_blocks)),
      sink_(std::move(sink)),
      force_(options.force),
      options_(options),
      lock_block_(options.lock.Block(num_blocks)),
      lock_at_(layout_.DataLocation(lock_block_)),
      errors_(servers_.size()),
      failure_(servers_.size()),
      failed_(servers_.size()),
      rebuilt_(servers_.size()),
      checkable_(servers_.size(), false),
      seen_(servers_.size()),
      sessions_(servers_.size(), 0),
      grants_(servers_.size()),
      fanout_(static_cast<int>(servers_.size())) {
  for (auto& f : failed_) f = false;
  for (auto& r : rebuilt_) r = 0;
  for ([[maybe_unused]] const client::BlockDevice* server : servers_) {
    assert(server->block_size() == block_size && server->num_blocks() >= server_blocks_);
  }
}

void Array::Report(const ArrayEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sink_) sink_(event);
}

void Array::ReportCorrupt(Location at) {
  ArrayEvent e;
  e.kind = ArrayEvent::Kind::kCorruptedBlock;
  e.server = at.server;
  e.stripe = at.block;
  e.block = layout_.VirtualAt(at.server, at.block).value_or(-1);
  Report(e);
}

void Array::CountError(int server, ErrorKind kind) {
  std::lock_guard<std::mutex> lock(mu_);
  MemberErrors& e = errors_[server];
  (kind == ErrorKind::kRead ? e.read : kind == ErrorKind::kWrite ? e.write : e.checksum) += 1;
}

MemberErrors Array::errors(int server) const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_[server];
}

std::string Array::failure(int server) const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_[server] ? failure_[server] : "";
}

void Array::Fail(int server, ArrayEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  rebuilt_[server] = 0;  // what a partial repair wrote may be lost with it
  if (failed_[server]) return;
  failed_[server] = true;
  failure_[server] = event.kind == ArrayEvent::Kind::kServerDisconnected
                         ? "no answer to a " + event.op
                         : event.text;
  publish_pending_ = true;
  event.server = server;
  if (sink_) sink_(event);
}

void Array::MarkFailed(int server, const char* op, std::optional<Location> at) {
  CountError(server, std::string_view(op) == "PUT" ? ErrorKind::kWrite : ErrorKind::kRead);
  ArrayEvent e;
  e.kind = ArrayEvent::Kind::kServerDisconnected;
  e.op = op;
  if (at) e.request_block = layout_.VirtualAt(at->server, at->block).value_or(-1);
  grants_[server].kind = GrantKind::kNone;  // its lock went with it: nothing to give back
  Fail(server, std::move(e));
}

void Array::Reject(int server, const std::string& why) {
  ArrayEvent e;
  e.kind = ArrayEvent::Kind::kMemberRejected;
  e.text = why;
  Fail(server, std::move(e));
}

Result<Bytes> Array::ServerGet(Location at) {
  if (Down(at)) return Status::Error(Code::kUnavailable, ServerFailed(at.server));
  Result<Bytes> r = servers_[at.server]->Get(at.block);
  if (!r.ok() && IsServerFailure(r.status())) {
    MarkFailed(at.server, "GET", at);
    return r;
  }
  if (!r.ok() && r.status().code() == Code::kChecksumError) {
    CountError(at.server, ErrorKind::kChecksum);
  }
  RETURN_IF_ERROR(CheckSession(at.server));  // a restarted server's answer is not used
  return r;
}

Status Array::ServerPut(Location at, const Bytes& data) {
  if (Down(at)) return Status::Error(Code::kUnavailable, ServerFailed(at.server));
  Status s = servers_[at.server]->Put(at.block, data);
  if (!s.ok() && IsServerFailure(s)) {
    MarkFailed(at.server, "PUT", at);
    return s;
  }
  RETURN_IF_ERROR(CheckSession(at.server));
  return s;
}

std::vector<Result<Bytes>> Array::GetMany(const std::vector<Location>& at) {
  std::vector<Result<Bytes>> results(at.size(), Status::Error(Code::kInternal, "not run"));
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

std::string Array::Describe(Location at) const {
  if (auto v = layout_.VirtualAt(at.server, at.block)) return "block " + std::to_string(*v);
  return "the parity of stripe " + std::to_string(at.block);
}

std::string Array::ReadFailure(Location at, const Status& error) {
  const std::string where = " on server " + std::to_string(at.server);
  if (error.code() == Code::kChecksumError) {
    ReportCorrupt(at);
    return Describe(at) + where + " is corrupt";
  }
  if (failed_[at.server]) return ServerFailed(at.server);
  return "reading " + Describe(at) + where + " failed (" + error.ToString() + ")";
}

Status Array::Lost(Location target, const char* what, const std::string& cause, Location other,
                   const Status& error) {
  std::string text = Describe(target) + " " + what + ": ";
  if (!cause.empty()) text += cause + ", and ";
  return Status::Error(Code::kDataLoss, text + ReadFailure(other, error));
}

Result<Bytes> Array::Rebuild(Location at, const std::string& cause) {
  ASSIGN_OR_RETURN(std::vector<Bytes> rebuilt, RebuildMany({at}, cause));
  return std::move(rebuilt.front());
}

Result<std::vector<Bytes>> Array::RebuildMany(const std::vector<Location>& targets,
                                              const std::string& cause) {
  if (dirty_ && !force_) {
    for (Location at : targets) {
      if (!IsLockSlot(at)) return Status::Error(Code::kDataLoss, DirtyRefusal(at));
    }
  }
  std::vector<Location> slots;
  std::vector<size_t> owner;  // slots[i] contributes to targets[owner[i]]
  std::vector<Bytes> rebuilt(targets.size(), Bytes(block_size_, 0));
  for (size_t t = 0; t < targets.size(); ++t) {
    if (IsLockSlot(targets[t])) {
      rebuilt[t] = client::LockConvention::Released(block_size_);
      continue;
    }
    for (Location at : CoveredSlots(targets[t].block, targets[t])) {
      slots.push_back(at);
      owner.push_back(t);
    }
  }
  std::vector<Result<Bytes>> reads = GetMany(slots);
  for (size_t i = 0; i < slots.size(); ++i) {
    if (!reads[i].ok()) {
      return Lost(targets[owner[i]], "is lost", cause, slots[i], reads[i].status());
    }
    XorInto(rebuilt[owner[i]], *reads[i]);
  }
  return rebuilt;
}

Result<Bytes> Array::Get(int block) {
  if (block < 0 || block >= num_blocks_) return OutOfRange(block);
  RETURN_IF_ERROR(RenewLease());  // a long command keeps its lock
  const Location at = layout_.DataLocation(block);
  if (IsLockSlot(at)) return GetLock(at);                     // the lock: not covered by parity
  if (Down(at)) return Rebuild(at, ServerFailed(at.server));  // degraded read
  Result<Bytes> r = ServerGet(at);
  if (r.ok()) return r;
  if (r.status().code() == Code::kChecksumError) {
    ReportCorrupt(at);
    ASSIGN_OR_RETURN(Bytes rebuilt, Rebuild(at, "its copy on server " + std::to_string(at.server) +
                                                    " is corrupt"));
    // Heal the server's copy; when that fails the block is still returned right, and the
    // failure (if the server is gone) is marked.
    (void)ServerPut(at, rebuilt);
    return rebuilt;
  }
  if (!IsServerFailure(r.status())) return r;
  return Rebuild(at, ServerFailed(at.server));  // it failed just now
}

Result<Bytes> Array::GetLock(Location at) {
  Result<Bytes> r = ServerGet(at);
  const bool unreadable =
      IsServerFailure(r.status()) || Down(at) || r.status().code() == Code::kChecksumError;
  if (r.ok() || !unreadable) return r;
  return client::LockConvention::Held(block_size_);
}

Result<Bytes> Array::RSM(int block) {
  if (block != lock_block_) {
    return Status::Error(Code::kInvalidArgument, "RSM is only valid on the lock block " +
                                                     std::to_string(lock_block_) + " in RAID-5");
  }
  if (failed_[lock_at_.server]) {
    return Status::Error(Code::kUnavailable,
                         "server " + std::to_string(lock_at_.server) + " (the lock) failed");
  }
  Result<Bytes> r = servers_[lock_at_.server]->RSM(lock_at_.block);
  if (!r.ok()) {
    if (IsServerFailure(r.status())) MarkFailed(lock_at_.server, "RSM", lock_at_);
    return r;
  }
  if (client::LockConvention::HeldByOther(*r)) return r;
  // Taken without a record beside it (a Python lock server): what changed is unknown.
  if (Status after = AfterLock(LockView{}); !after.ok()) {
    (void)ServerPut(lock_at_, client::LockConvention::Released(block_size_));  // not kept
    return after;
  }
  return r;
}

Status Array::WriteDataAndParity(Location data_at, const Bytes& data, Location parity_at,
                                 const Bytes& parity) {
  std::vector<Status> done = PutMany({{data_at, data}, {parity_at, parity}});
  // A write refused by a fence stops the command: another client holds the lock now.
  for (const Status& put : done) {
    if (put.code() == Code::kFenced) return put;
  }
  // One acknowledgement is enough: the other server is now failed and its block can be
  // rebuilt (or is parity that a repair regenerates).
  if (done[0].ok() || done[1].ok()) return Status::Ok();
  return done[0];
}

Status Array::ReconstructWrite(Location data_at, const Bytes& data, bool write_data,
                               const std::string& cause) {
  const int stripe = data_at.block;
  const Location parity_at = layout_.ParityLocation(stripe);
  std::vector<Location> others = CoveredSlots(stripe, data_at);
  std::erase(others, parity_at);
  const std::vector<Result<Bytes>> reads = GetMany(others);
  Bytes parity = data;
  for (size_t i = 0; i < others.size(); ++i) {
    if (!reads[i].ok())
      return Lost(data_at, "cannot be written", cause, others[i], reads[i].status());
    XorInto(parity, *reads[i]);
  }
  if (!write_data) return ServerPut(parity_at, parity);
  return WriteDataAndParity(data_at, data, parity_at, parity);
}

Status Array::Put(int block, const Bytes& data) {
  if (block < 0 || block >= num_blocks_) return OutOfRange(block);
  if (static_cast<int>(data.size()) > block_size_) {
    return Status::Error(Code::kInvalidArgument, "data longer than the block size");
  }
  const Bytes padded = PadTo(data, block_size_);
  const Location data_at = layout_.DataLocation(block);
  if (IsLockSlot(data_at)) {  // the lock's release by RSM's convention: the command ends
    Status published = PublishIfPending();
    if (Down(data_at)) return Status::Ok();  // no lock to release while it is down
    Status put = ServerPut(data_at, padded);
    if (!put.ok() && !IsServerFailure(put)) return put;
    // A lock server that failed just now took the lock with it: nothing left to release.
    return published;
  }
  RETURN_IF_ERROR(PublishIfPending());
  RETURN_IF_ERROR(RenewLease());  // a long command (load) keeps its lock
  RETURN_IF_ERROR(SetIntent());
  return PutCovered(block, data_at, padded);
}

// A block covered by parity, in whichever mode the servers' health allows.
Status Array::PutCovered(int block, Location data_at, const Bytes& data) {
  const Location parity_at = layout_.ParityLocation(data_at.block);
  const bool data_failed = Down(data_at);
  const bool parity_failed = Down(parity_at);
  if (data_failed && parity_failed) {
    return Status::Error(
        Code::kDataLoss,
        "block " + std::to_string(block) + " cannot be written: " + ServerFailed(data_at.server) +
            " (its data), and " + ServerFailed(parity_at.server) + " (its stripe's parity)");
  }
  if (parity_failed) return ServerPut(data_at, data);
  if (data_failed) {
    return ReconstructWrite(data_at, data, /*write_data=*/false, ServerFailed(data_at.server));
  }
  // Both healthy. Reconstruct-write when it reads fewer blocks than read-modify-write's two.
  const std::vector<Location> covered = CoveredSlots(data_at.block, data_at);  // parity included
  bool others_healthy = true;
  for (Location at : covered) others_healthy &= !Down(at);
  if (others_healthy && covered.size() - 1 < 2) {
    Status s = ReconstructWrite(data_at, data, /*write_data=*/true, "");
    if (s.ok() || Down(data_at) || Down(parity_at)) return s;
    // Another block is unusable: fall through to read-modify-write, which does not need it.
  }
  return ReadModifyWrite(block, data_at, data);
}

Status Array::ReadModifyWrite(int block, Location data_at, const Bytes& data) {
  const Location parity_at = layout_.ParityLocation(data_at.block);
  std::vector<Result<Bytes>> old = GetMany({data_at, parity_at});
  if (old[0].ok() && old[1].ok()) {
    Bytes parity = *old[1];
    XorInto(parity, *old[0]);
    XorInto(parity, data);
    return WriteDataAndParity(data_at, data, parity_at, parity);
  }
  // A failure just now, or a corrupt old copy: decide again with what is known.
  std::string corrupt;
  for (int i = 0; i < 2; ++i) {
    if (old[i].ok() || old[i].status().code() != Code::kChecksumError) continue;
    const Location at = i == 0 ? data_at : parity_at;
    ReportCorrupt(at);
    corrupt = Describe(at) + " on server " + std::to_string(at.server) + " is corrupt";
  }
  if (Down(data_at) || Down(parity_at)) {
    return PutCovered(block, data_at, data);
  }
  for (const auto& r : old) {
    if (!r.ok() && r.status().code() != Code::kChecksumError) return r.status();
  }
  // Old data or old parity is corrupt: the parity must come from the other data blocks.
  return ReconstructWrite(data_at, data, /*write_data=*/true, corrupt);
}

}  // namespace memoryfs::raid
