// Array's lock: held on a majority of the members that keep records, with an epoch per member
// that fences a holder whose lock was taken over; the write intent in its records; the resync
// after a holder that died dirty. See array.h ("Lock, fencing and write intent").
#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "raid/array.h"

namespace memoryfs::raid {

namespace {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// A short random pause after giving back a minority of grants, so that two clients that split
// the members between them do not split them again at once.
void BackOff() {
  thread_local std::minstd_rand random(std::random_device{}());
  std::this_thread::sleep_for(std::chrono::microseconds(500 + random() % 4500));
}

}  // namespace

int64_t Array::EpochOf(int server) const {
  const Grant& grant = grants_[server];
  const bool fenced = grant.kind == GrantKind::kLock || grant.kind == GrantKind::kClaim;
  return fenced && grant.reply.ok() ? grant.reply->epoch : 0;
}

int Array::LockQuorum() const {
  int keepers = 0;
  for (int s = 0; s < num_servers(); ++s) keepers += checkable_[s] ? 1 : 0;
  return keepers / 2 + 1;
}

std::vector<int> Array::LockMembers() const {
  const int at = lock_at_.server;
  int live_keepers = 0;
  for (int s = 0; s < num_servers(); ++s) live_keepers += checkable_[s] && !failed_[s] ? 1 : 0;
  std::vector<int> members;
  if (live_keepers < LockQuorum()) {
    // No majority can be had (two members that keep records are lost): the lock's server
    // alone, while it lives, as before the majority lock.
    if (!failed_[at]) members.push_back(at);
    return members;
  }
  for (int s = 0; s < num_servers(); ++s) {
    if (!failed_[s] && (checkable_[s] || s == at)) members.push_back(s);
  }
  return members;
}

Array::Grant Array::AskLock(int server, const Bytes& mine, int lease_ms, bool record_only) {
  Grant grant;
  client::BlockDevice* device = servers_[server];
  device->set_epoch(0);
  if (server != lock_at_.server || record_only) {
    grant.kind = GrantKind::kClaim;
    grant.reply = device->Claim(mine, lease_ms, kMemberKey);
  } else if (checkable_[server]) {
    grant.kind = GrantKind::kLock;
    grant.reply = device->Lock(lock_at_.block, mine, lease_ms);
  } else {
    grant.kind = GrantKind::kPlain;  // a lock server without records: the course's RSM
    Result<Bytes> old = device->RSM(lock_at_.block);
    if (old.ok()) {
      client::LockReply reply;
      reply.old = *old;
      grant.reply = reply;
    } else {
      grant.reply = old.status();
    }
  }
  sessions_[server] = device->sessions();
  return grant;
}

bool Array::Granted(const Grant& grant) {
  if (!grant.reply.ok()) return false;
  if (grant.kind == GrantKind::kPlain)
    return !client::LockConvention::HeldByOther(grant.reply->old);
  return grant.reply->epoch > 0;
}

std::vector<Array::Grant> Array::LockRound(const std::vector<int>& members, const Bytes& mine,
                                           int lease_ms) {
  std::vector<Grant> grants(servers_.size());
  std::vector<Fanout::Task> tasks;
  for (int s : members) {
    if (grants_[s].kind != GrantKind::kNone) continue;  // held since an earlier attempt
    tasks.push_back(
        {s, [this, &grants, &mine, s, lease_ms] { grants[s] = AskLock(s, mine, lease_ms); }});
  }
  fanout_.RunAll(std::move(tasks));
  const int at = lock_at_.server;
  if (grants[at].kind == GrantKind::kLock &&
      grants[at].reply.status().code() == Code::kChecksumError && !lock_healed_) {
    // A corrupt lock block that no running lease explains (the server decided that much):
    // reported, written back as released, and asked once more.
    lock_healed_ = true;
    ReportCorrupt(lock_at_);
    if (ServerPut(lock_at_, client::LockConvention::Released(block_size_)).ok()) {
      grants[at] = AskLock(at, mine, lease_ms);
    }
  }
  if (grants[at].reply.status().code() == Code::kChecksumError) {
    // The lock block stays unreadable (decay, -cblk): its server's record alone, as on every
    // other member (the course's RSM lock cannot be had there by anyone).
    grants[at] = AskLock(at, mine, lease_ms, /*record_only=*/checkable_[at]);
    if (!checkable_[at] && grants[at].reply.status().code() == Code::kChecksumError) {
      client::LockReply released;  // a lock server without records: nothing to take there
      released.old = client::LockConvention::Released(block_size_);
      grants[at].reply = released;
    }
  }
  return grants;
}

void Array::TakeGrants(std::vector<Grant>& grants, LockView* view) {
  for (int s = 0; s < num_servers(); ++s) {
    Grant& grant = grants[s];
    if (grant.kind == GrantKind::kNone) continue;
    if (!grant.reply.ok()) {
      const Status& error = grant.reply.status();
      if (IsServerFailure(error)) {
        MarkFailed(s, grant.kind == GrantKind::kClaim ? "GET" : "RSM",
                   s == lock_at_.server ? std::optional<Location>(lock_at_) : std::nullopt);
      } else if (error.code() == Code::kUnimplemented) {
        checkable_[s] = false;  // no records there after all (a Python server)
      } else if (error.code() != Code::kChecksumError) {
        Reject(s, "cannot be locked: " + error.ToString());
      }
      continue;
    }
    if (grant.kind == GrantKind::kClaim) (void)CheckRecord(s, grant.reply->read);
    if (grant.kind == GrantKind::kLock) (void)CheckSession(s);
    if (failed_[s]) {  // rejected for its record: its grant is given back, not used
      if (Granted(grant) && grant.kind == GrantKind::kClaim) {
        (void)servers_[s]->Release(pending_bytes_, {});
      }
      servers_[s]->set_epoch(0);
      continue;
    }
    if (!Granted(grant)) {
      if (!view->holder || !grant.reply->holder.empty()) view->holder = HolderOf(*grant.reply);
      continue;
    }
    view->previous.push_back(*grant.reply);
    if (grant.kind != GrantKind::kPlain) servers_[s]->set_epoch(grant.reply->epoch);
    grants_[s] = std::move(grant);
  }
}

client::LockReply Array::HolderOf(const client::LockReply& reply) {
  client::LockReply holder = reply;
  Result<LockRecord> record = DecodeLock(reply.holder);
  holder.holder = record.ok() && record->kind == LockRecord::Kind::kHeld
                      ? ToBytes(record->holder)
                      : Bytes();  // a plain RSM holder, or a note
  return holder;
}

Result<client::LockReply> Array::Lock(int block, const Bytes& holder, int lease_ms) {
  if (block != lock_block_) {
    return Status::Error(Code::kInvalidArgument, "Lock is only valid on the lock block");
  }
  if (std::none_of(checkable_.begin(), checkable_.end(), [](bool c) { return c; })) {
    return Status::Error(Code::kUnimplemented, "no member keeps records");
  }
  LockRecord mine;
  mine.holder = ToString(holder);
  const Bytes mine_bytes = EncodeLock(mine);
  pending_bytes_ = mine_bytes;
  const std::vector<int> members = LockMembers();
  if (members.empty()) {
    return Status::Error(Code::kUnavailable,
                         "server " + std::to_string(lock_at_.server) +
                             " (the lock) failed, and no majority of the members that keep "
                             "records answers");
  }
  std::vector<Grant> grants = LockRound(members, mine_bytes, lease_ms);
  LockView view;
  TakeGrants(grants, &view);
  for (const client::LockReply& previous : view.previous) {
    if (previous.broken) view.broken = previous;
  }
  if (!HoldsAll(LockMembers()) && records_changed_ && KeepsMajority()) {
    // A member still refuses, and the others' records changed: it may be one that another
    // client failed (it went on without it): learn that before waiting for it.
    std::vector<MemberRead> reads = ReadRecords();
    RETURN_IF_ERROR(Reconcile(reads, /*initial=*/false));
    records_changed_ = false;
  }
  if (!HoldsAll(LockMembers())) return WaitForLock(std::move(view));
  held_ = mine;
  held_bytes_ = mine_bytes;
  lease_ms_ = lease_ms;
  renewed_at_ms_ = NowMs();
  // A later corruption of the lock block is healed again, once its RSM worked.
  if (grants_[lock_at_.server].kind == GrantKind::kLock) lock_healed_ = false;
  client::LockReply reply = view.broken ? HolderOf(*view.broken) : client::LockReply{};
  reply.old = client::LockConvention::Released(block_size_);
  reply.broken = view.broken.has_value();
  if (Status after = AfterLock(view); !after.ok()) {
    (void)Unlock(block, holder, {});  // the command will not run: do not keep the lock
    return after;
  }
  return reply;
}

bool Array::HoldsAll(const std::vector<int>& members) const {
  for (int s : members) {
    if (grants_[s].kind == GrantKind::kNone) return false;
  }
  return !members.empty();
}

bool Array::KeepsMajority() const {
  int keepers = 0;
  for (int s = 0; s < num_servers(); ++s) {
    keepers += grants_[s].kind != GrantKind::kNone && checkable_[s] ? 1 : 0;
  }
  return keepers >= LockQuorum();
}

client::LockReply Array::WaitForLock(LockView view) {
  if (!KeepsMajority()) {
    // Another client holds (or is taking) a majority: give ours back and try again later.
    (void)ReleaseGrants({});
    BackOff();
  }
  client::LockReply reply = view.holder.value_or(client::LockReply{});
  reply.old = client::LockConvention::Held(block_size_);
  reply.broken = false;
  return reply;
}

Status Array::ReleaseGrants(const Bytes& note) {
  std::vector<Status> results(servers_.size());
  std::vector<Fanout::Task> tasks;
  const Bytes mine = held_bytes_.empty() ? pending_bytes_ : held_bytes_;
  for (int s = 0; s < num_servers(); ++s) {
    const GrantKind kind = grants_[s].kind;
    if (kind == GrantKind::kNone) continue;  // a rejected member (alive) gives its grant back too
    tasks.push_back({s, [this, &results, &mine, &note, s, kind] {
                       client::BlockDevice* device = servers_[s];
                       if (kind == GrantKind::kLock) {
                         results[s] = device->Unlock(lock_at_.block, mine, note);
                       } else if (kind == GrantKind::kClaim) {
                         results[s] = device->Release(mine, note);
                       } else {
                         results[s] = device->Put(lock_at_.block,
                                                  client::LockConvention::Released(block_size_));
                       }
                       device->set_epoch(0);
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  Status released;
  for (int s = 0; s < num_servers(); ++s) {
    grants_[s] = Grant{};
    servers_[s]->set_epoch(0);
    if (results[s].ok()) continue;
    if (failed_[s]) continue;  // best effort there (a blank one has no record to release)
    if (IsServerFailure(results[s])) {
      MarkFailed(s, "PUT", s == lock_at_.server ? std::optional<Location>(lock_at_) : std::nullopt);
    } else if (released.ok()) {
      released = results[s];
    }
  }
  return released;
}

Status Array::Unlock(int block, const Bytes&, const Bytes&) {
  if (block != lock_block_ || !held_) {
    return Status::Error(Code::kInvalidArgument, "Unlock without the lock");
  }
  Status published = PublishIfPending();
  LockRecord note;
  note.kind = LockRecord::Kind::kReleased;
  note.generation = view_.generation;
  note.dirty = dirty_;
  Status released = ReleaseGrants(EncodeLock(note));
  held_.reset();
  held_bytes_.clear();
  intent_set_ = false;
  if (released.code() == Code::kAborted || released.code() == Code::kFenced) {
    return Status::Error(Code::kAborted,
                         "the lock was broken by another client while this command ran (its "
                         "lease of " +
                             std::to_string(lease_ms_) + " ms had expired)");
  }
  if (!published.ok()) return published;
  return released;
}

Status Array::OnEveryGrant(const Bytes& value, const char* what) {
  std::vector<Result<Bytes>> answers(servers_.size(), Status::Error(Code::kInternal, "not run"));
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < num_servers(); ++s) {
    // A failed member with a grant answers (a dead one's grant went with it): the member being
    // rebuilt, or one rejected for its record.
    const GrantKind kind = grants_[s].kind;
    if (kind != GrantKind::kLock && kind != GrantKind::kClaim) continue;
    tasks.push_back({s, [this, &answers, &value, s] {
                       answers[s] = servers_[s]->PutMeta(kLockKey, held_bytes_, value);
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  bool lost = false;
  for (int s = 0; s < num_servers(); ++s) {
    if (answers[s].status().code() == Code::kInternal) continue;
    if (answers[s].ok()) {
      lost |= *answers[s] != held_bytes_;
    } else if (IsServerFailure(answers[s].status())) {
      MarkFailed(s, "PUT");
    } else if (CheckSession(s).ok()) {
      lost = true;  // kFenced: another client holds the lock there now
    }               // else it restarted (blank): rejected, not a takeover
  }
  if (lost) {
    return Status::Error(Code::kFenced,
                         "this client's lock was taken over by another client (its "
                         "lease of " +
                             std::to_string(lease_ms_) + " ms had expired): " + what);
  }
  held_bytes_ = value;
  return Status::Ok();
}

Status Array::RenewLease() {
  if (!held_ || NowMs() - renewed_at_ms_ < lease_ms_ / 3) return Status::Ok();
  renewed_at_ms_ = NowMs();
  return OnEveryGrant(held_bytes_, "it stops here");
}

Status Array::SetIntent() {
  if (intent_set_ || !held_ || !assembled_) return PublishIfPending();
  LockRecord intent = *held_;
  intent.dirty = true;
  RETURN_IF_ERROR(OnEveryGrant(EncodeLock(intent), "nothing was written"));
  held_ = intent;
  intent_set_ = true;
  return PublishIfPending();
}

Status Array::Announce(const std::string& doing) {
  if (!held_) return Status::Ok();
  LockRecord record = *held_;
  record.doing = doing;
  RETURN_IF_ERROR(OnEveryGrant(EncodeLock(record), "it stops here"));
  held_ = record;
  return Status::Ok();
}

Status Array::ClaimTarget(int server) {
  if (!held_ || !checkable_[server] || grants_[server].kind != GrantKind::kNone) {
    return Status::Ok();
  }
  Grant grant;
  grant.kind = GrantKind::kClaim;
  grant.reply = servers_[server]->Claim(held_bytes_, lease_ms_, "", /*take_over=*/true);
  if (grant.reply.status().code() == Code::kUnimplemented) {
    checkable_[server] = false;  // replaced by a server without records: nothing to fence
    return Status::Ok();
  }
  if (!grant.reply.ok()) return grant.reply.status();
  if (!Granted(grant)) {
    return Status::Error(Code::kAborted, "server " + std::to_string(server) +
                                             " is locked by another client: " +
                                             ToString(HolderOf(*grant.reply).holder));
  }
  servers_[server]->set_epoch(grant.reply->epoch);
  grants_[server] = std::move(grant);
  return Status::Ok();
}

Status Array::Settle() { return PublishIfPending(); }  // under the lock only (Publish)

void Array::CheckMembers() {
  std::vector<Result<Bytes>> members(servers_.size(), Status::Error(Code::kInternal, "not run"));
  std::vector<Result<Bytes>> locks(servers_.size(), Status::Error(Code::kInternal, "not run"));
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < num_servers(); ++s) {
    if (failed_[s]) continue;
    if (!checkable_[s]) {
      tasks.push_back({s, [this, s] { (void)ServerGet({s, 0}); }});  // no records: any answer
      continue;
    }
    tasks.push_back({s, [this, &members, &locks, s] {
                       members[s] = ReadRecord(s, kMemberKey);
                       if (members[s].ok()) locks[s] = ReadRecord(s, kLockKey);
                       sessions_[s] = servers_[s]->sessions();
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  observed_ = Observed{};
  for (int s = 0; s < num_servers(); ++s) {
    if (members[s].status().code() == Code::kInternal) continue;
    (void)CheckRecord(s, members[s]);
    if (!members[s].ok()) continue;
    Result<MemberRecord> member = DecodeMember(*members[s]);
    if (member.ok() && (!observed_.newest || member->generation > observed_.newest->generation)) {
      observed_.newest = *member;
    }
    Result<LockRecord> lock = locks[s].ok() ? DecodeLock(*locks[s]) : locks[s].status();
    if (lock.ok() && lock->kind == LockRecord::Kind::kHeld) observed_.holder = *lock;
  }
}

void Array::RunWithMemberChecks(std::vector<Fanout::Task> tasks) {
  std::vector<bool> busy(servers_.size(), false);
  for (const Fanout::Task& task : tasks) busy[task.server] = true;
  std::vector<Result<Bytes>> records(servers_.size(), Status::Error(Code::kInternal, "not run"));
  for (int s = 0; s < num_servers(); ++s) {
    if (busy[s] || !checkable_[s] || failed_[s]) continue;
    tasks.push_back({s, [this, &records, s] {
                       records[s] = ReadRecord(s, kMemberKey);
                       sessions_[s] = servers_[s]->sessions();
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  for (int s = 0; s < num_servers(); ++s) {
    if (records[s].status().code() != Code::kInternal) (void)CheckRecord(s, records[s]);
  }
}

Status Array::AfterLock(const LockView& lock) {
  if (!assembled_) return Status::Ok();
  bool changed = records_changed_ || fresh_ || lock.previous.empty();
  std::string dead;  // the holder whose lock was broken, when it died inside a write
  for (const client::LockReply& previous : lock.previous) {
    Result<LockRecord> record = previous.holder.empty()
                                    ? Result<LockRecord>(Status::Error(Code::kNotFound, "none"))
                                    : DecodeLock(previous.holder);
    if (!record.ok()) {
      changed = true;  // no note: a member that restarted, or a new array
      continue;
    }
    changed |= record->kind == LockRecord::Kind::kHeld || record->generation != view_.generation;
    if (record->dirty && dead.empty()) {
      dead = record->kind == LockRecord::Kind::kHeld
                 ? "the lock's previous holder (" + record->holder + ") died inside a command"
                 : "a client died inside a command and its stripes are not resynced yet";
    }
  }
  if (changed) {
    std::vector<MemberRead> reads = ReadRecords();
    RETURN_IF_ERROR(Reconcile(reads, /*initial=*/false));
    records_changed_ = false;
  }
  RETURN_IF_ERROR(PublishIfPending());
  if (!dead.empty() && !dirty_) {
    dirty_ = true;
    dirty_why_ = dead;
  }
  return dirty_ ? Resync(dirty_why_) : Status::Ok();
}

Status Array::Resync(const std::string& why) {
  for (int s = 0; s < num_servers(); ++s) {
    if (failed_[s]) return Status::Ok();  // dirty and degraded: rebuilding is refused instead
  }
  ArrayEvent e;
  e.kind = ArrayEvent::Kind::kNotice;
  e.text = "resync: " + why + "; recomputing the parity of every stripe";
  Report(e);
  dirty_ = false;  // Scrub may rebuild a corrupt block: not from a stale stripe, it checks
  Result<ScrubReport> report = Scrub(/*repair=*/true, nullptr);
  if (!report.ok()) {
    dirty_ = true;
    return report.status();
  }
  e.text = "resync: " + report->Summary().substr(std::string("scrub: ").size());
  Report(e);
  return Status::Ok();
}

std::string Array::DirtyRefusal(Location at) const {
  return Describe(at) + " is not rebuilt: " + dirty_why_ +
         ", and with a server failed its stripe cannot be resynced, so its parity may be stale "
         "(start the shell with -force 1 to rebuild anyway)";
}

}  // namespace memoryfs::raid
