// Array's member records, recorded lock and write intent (see array.h and member_record.h).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "core/xor.h"
#include "raid/array.h"

namespace memoryfs::raid {

namespace {

constexpr char kBlankWhy[] = "is blank: it restarted and lost its blocks";

std::string RandomId() {
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(random()));
    id += hex;
  }
  return id;
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::set<int> Keys(const std::map<int, int>& m) {
  std::set<int> keys;
  for (const auto& [k, v] : m) keys.insert(k);
  return keys;
}

}  // namespace

MemberRecord Array::RecordFor(int server) const {
  MemberRecord r = view_;
  r.index = server;
  return r;
}

std::vector<Array::MemberRead> Array::ReadRecords(bool intents) {
  std::vector<MemberRead> reads(servers_.size());
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < num_servers(); ++s) {
    if (assembled_ && (failed_[s] || !checkable_[s])) continue;
    tasks.push_back({s, [this, &reads, s, intents] {
                       reads[s].member = servers_[s]->GetMeta(kMemberKey);
                       if (intents && reads[s].member.ok()) {
                         reads[s].intent = servers_[s]->GetMeta(kIntentKey);
                       }
                       sessions_[s] = servers_[s]->sessions();
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  return reads;
}

Status Array::Assemble() {
  std::vector<MemberRead> reads = ReadRecords(/*intents=*/true);
  std::vector<int> unchecked;
  for (int s = 0; s < num_servers(); ++s) {
    checkable_[s] = reads[s].member.status().code() != Code::kUnimplemented;
    if (!checkable_[s]) unchecked.push_back(s);
  }
  RETURN_IF_ERROR(Reconcile(reads, /*initial=*/true));
  assembled_ = true;
  if (!unchecked.empty()) {
    std::string list;
    for (int s : unchecked) list += (list.empty() ? "" : ", ") + std::to_string(s);
    ArrayEvent e;
    e.kind = ArrayEvent::Kind::kNotice;
    e.text = "NOTE: server" + std::string(unchecked.size() > 1 ? "s " : " ") + list + " keep" +
             (unchecked.size() > 1 ? "" : "s") +
             " no array records (a Python server?): a blank restart there is seen only at "
             "start-up, a failure seen by another client not at all";
    Report(e);
    CheckUnrecordedBlank(unchecked);
  }
  // Write intent left without a lock record to decide it (the lock's server is not usable).
  const bool lock_decides = checkable_[lock_at_.server] && !failed_[lock_at_.server];
  for (int s = 0; s < num_servers(); ++s) {
    if (!reads[s].intent.ok()) continue;
    intent_seen_[s] = *reads[s].intent;
    if (!lock_decides && !intent_seen_[s].empty() && !dirty_) {
      dirty_ = true;
      dirty_why_ = "server " + std::to_string(s) +
                   " holds the write intent of a client that did not finish its command";
    }
  }
  return Publish();  // a dirty array is resynced once the lock is taken (AfterLock)
}

void Array::CheckUnrecordedBlank(const std::vector<int>& unchecked) {
  // The first stripes hold the file system's own blocks (superblock, bitmap, inodes): once
  // anything was written, a member reading zeros there while the stripes do not add up is
  // blank.
  constexpr int kStripes = 8;
  const int stripes = std::min(kStripes, server_blocks_);
  std::vector<Location> slots;
  for (int stripe = 0; stripe < stripes; ++stripe) {
    for (int s = 0; s < num_servers(); ++s) {
      if (!IsLockSlot({s, stripe}) && !failed_[s]) slots.push_back({s, stripe});
    }
  }
  const std::vector<Result<Bytes>> reads = GetMany(slots);
  std::vector<bool> zeros(servers_.size(), true);
  bool inconsistent = false;
  for (size_t i = 0; i < slots.size();) {
    Bytes sum(block_size_, 0);
    bool complete = true;
    const int stripe = slots[i].block;
    for (; i < slots.size() && slots[i].block == stripe; ++i) {
      if (!reads[i].ok()) {
        complete = false;
        continue;
      }
      XorInto(sum, *reads[i]);
      if (!IsAllZero(*reads[i])) zeros[slots[i].server] = false;
    }
    inconsistent |= complete && !IsAllZero(sum);
  }
  if (!inconsistent) return;
  for (int s : unchecked) {
    if (!failed_[s] && zeros[s]) {
      Reject(s, "reads as blank: zeros where its stripes' parity says otherwise (restarted?)");
    }
  }
}

Status Array::Reconcile(std::vector<MemberRead>& reads, bool initial) {
  std::optional<MemberRecord> truth;
  std::vector<std::optional<MemberRecord>> records(servers_.size());
  for (int s = 0; s < num_servers(); ++s) {
    const Result<Bytes>& read = reads[s].member;
    if (!read.ok()) {
      const Code code = read.status().code();
      if (code == Code::kUnimplemented) {
        checkable_[s] = false;  // a server without records (it was unreachable before)
      } else if (IsServerFailure(read.status())) {
        MarkFailed(s, "GET");
      } else if (code != Code::kInternal) {  // kInternal: not read (failed, or no records)
        Reject(s, "cannot be checked: " + read.status().ToString());
      }
      continue;
    }
    seen_[s] = *read;
    if (read->empty()) continue;
    Result<MemberRecord> record = DecodeMember(*read);
    if (!record.ok()) {
      Reject(s,
             "holds something else than this array's record (" + record.status().message() + ")");
      continue;
    }
    records[s] = *record;
    if (!truth || record->generation > truth->generation) truth = *record;
  }
  if (!truth) {
    if (!initial) return Status::Ok();
    view_ = MemberRecord{};
    view_.array_id = RandomId();
    view_.num_blocks = num_blocks_;
    view_.block_size = block_size_;
    view_.members = num_servers();
    view_.generation = 1;
    for (int s = 0; s < num_servers(); ++s) {
      if (failed_[s]) view_.failed[s] = 0;
    }
    publish_pending_ = true;
    return Status::Ok();
  }
  if (initial && (truth->members != num_servers() || truth->num_blocks != num_blocks_ ||
                  truth->block_size != block_size_)) {
    return Status::Error(Code::kInvalidArgument,
                         "these servers hold an array of " + std::to_string(truth->members) +
                             " servers with -nb " + std::to_string(truth->num_blocks) + " -bs " +
                             std::to_string(truth->block_size) + "; this shell was given " +
                             std::to_string(num_servers()) + " servers with -nb " +
                             std::to_string(num_blocks_) + " -bs " + std::to_string(block_size_));
  }
  for (int s = 0; s < num_servers(); ++s) {
    if (!records[s]) continue;
    if (records[s]->array_id != truth->array_id) {
      records[s].reset();
      Reject(s, "belongs to another array");
    } else if (records[s]->index != s) {
      return Status::Error(Code::kInvalidArgument,
                           "the server listed as " + std::to_string(s) + " is server " +
                               std::to_string(records[s]->index) +
                               " of this array: list the servers in the array's order");
    }
  }
  for (int s = 0; s < num_servers(); ++s) {
    if (checkable_[s] && reads[s].member.ok() && reads[s].member->empty()) Reject(s, kBlankWhy);
  }
  return AdoptTruth(*truth, records);
}

Status Array::AdoptTruth(const MemberRecord& truth,
                         const std::vector<std::optional<MemberRecord>>& records) {
  const bool newer = truth.generation > view_.generation || !assembled_;
  const bool current = truth.generation >= view_.generation || !assembled_;
  for (const auto& [s, rebuilt] : truth.failed) {
    if (failed_[s] || !current) continue;
    // Its own record knows how far an interrupted repair of it got; without one, nothing.
    int done = rebuilt;
    if (checkable_[s]) {
      const auto& own = records[s];
      done = own && own->failed.count(s) ? std::min(rebuilt, own->failed.at(s)) : 0;
    }
    Reject(s, "was marked failed by another client (generation " +
                  std::to_string(truth.generation) + ")");
    rebuilt_[s] = done;
  }
  if (newer) {
    for (int s = 0; assembled_ && s < num_servers(); ++s) {
      if (failed_[s] && !truth.failed.count(s) && checkable_[s]) Readmit(s, truth);
    }
    view_ = truth;
    view_.index = -1;
  }
  publish_pending_ = true;
  return Status::Ok();
}

void Array::Readmit(int server, const MemberRecord& truth) {
  // Repaired by another client since this one saw it fail: its own record says so.
  Result<Bytes> read = servers_[server]->GetMeta(kMemberKey);
  if (!read.ok()) return;
  Result<MemberRecord> own = DecodeMember(*read);
  if (!own.ok() || own->array_id != truth.array_id || own->generation != truth.generation ||
      own->index != server) {
    return;
  }
  seen_[server] = *read;
  sessions_[server] = servers_[server]->sessions();
  std::lock_guard<std::mutex> lock(mu_);
  failed_[server] = false;
  rebuilt_[server] = 0;
}

Status Array::Publish() {
  for (int round = 0; round <= num_servers() && publish_pending_; ++round) {
    publish_pending_ = false;
    MemberRecord next = view_;
    next.failed.clear();
    for (int s = 0; s < num_servers(); ++s) {
      if (failed_[s]) next.failed[s] = rebuilt_[s];
    }
    if (Keys(next.failed) != Keys(view_.failed)) ++next.generation;
    view_ = next;
    std::vector<int> targets;
    std::vector<Bytes> wanted;
    for (int s = 0; s < num_servers(); ++s) {
      if (!checkable_[s] || (failed_[s] && rebuilt_[s] == 0 && s != repairing_)) continue;
      Bytes record = EncodeMember(RecordFor(s));
      if (record == seen_[s]) continue;
      targets.push_back(s);
      wanted.push_back(std::move(record));
    }
    std::vector<Result<Bytes>> answers(targets.size(), Status::Error(Code::kInternal, "not run"));
    std::vector<Fanout::Task> tasks;
    for (size_t i = 0; i < targets.size(); ++i) {
      const int s = targets[i];
      tasks.push_back({s, [this, &answers, &wanted, i, s] {
                         answers[i] = servers_[s]->PutMeta(kMemberKey, seen_[s], wanted[i]);
                         sessions_[s] = servers_[s]->sessions();
                       }});
    }
    fanout_.RunAll(std::move(tasks));
    for (size_t i = 0; i < targets.size(); ++i) {
      const int s = targets[i];
      if (!answers[i].ok()) {
        const Status& error = answers[i].status();
        if (error.code() == Code::kUnimplemented) {
          checkable_[s] = false;  // no records there after all (a Python server)
        } else if (IsServerFailure(error)) {
          MarkFailed(s, "PUT");
        } else {
          Reject(s, "refused its record: " + error.ToString());
        }
      } else if (*answers[i] == seen_[s]) {
        seen_[s] = wanted[i];
      } else if (answers[i]->empty()) {
        seen_[s] = {};
        Reject(s, kBlankWhy);
      } else {
        seen_[s] = *answers[i];
        return Status::Error(Code::kAborted, "the record of server " + std::to_string(s) +
                                                 " was changed by another client meanwhile");
      }
    }
  }
  return Status::Ok();
}

Status Array::CheckSession(int server) {
  if (!assembled_ || !checkable_[server]) return Status::Ok();
  client::BlockDevice* device = servers_[server];
  if (device->sessions() == sessions_[server]) return Status::Ok();
  Result<Bytes> record = device->GetMeta(kMemberKey);
  sessions_[server] = device->sessions();
  return CheckRecord(server, record);
}

Status Array::CheckRecord(int server, const Result<Bytes>& record) {
  const Status gone =
      Status::Error(Code::kUnavailable, "server " + std::to_string(server) + " failed");
  if (!record.ok()) {
    if (record.status().code() == Code::kUnimplemented) {
      checkable_[server] = false;  // no records there: nothing to check
      return Status::Ok();
    }
    if (IsServerFailure(record.status())) {
      MarkFailed(server, "GET");
    } else {
      Reject(server, "cannot be checked: " + record.status().ToString());
    }
    return gone;
  }
  if (*record == seen_[server]) return Status::Ok();
  Result<MemberRecord> decoded = DecodeMember(*record);
  if (decoded.ok() && decoded->array_id == view_.array_id && decoded->index == server &&
      decoded->generation > view_.generation && !decoded->failed.count(server)) {
    seen_[server] = *record;  // another client's newer view, adopted at the next lock
    return Status::Ok();
  }
  if (record->empty()) {
    Reject(server, kBlankWhy);
  } else if (decoded.ok() && decoded->array_id == view_.array_id && decoded->failed.count(server)) {
    Reject(server, "was marked failed by another client (generation " +
                       std::to_string(decoded->generation) + ")");
  } else {
    Reject(server, "holds a record this client did not expect");
  }
  return gone;
}

// ---------------------------------------------------------------------------------------------
// The recorded lock.

Result<client::LockReply> Array::Lock(int block, const Bytes& holder, int lease_ms) {
  if (block != lock_block_) {
    return Status::Error(Code::kInvalidArgument, "Lock is only valid on the lock block");
  }
  const int at = lock_at_.server;
  if (failed_[at] || !checkable_[at]) {
    // No recorded lock to take; the members are checked all the same (a command without the
    // lock must not read a member that restarted blank either).
    std::vector<Fanout::Task> none;
    RunWithMemberChecks(std::move(none));
    if (failed_[at]) {
      return Status::Error(Code::kUnavailable,
                           "server " + std::to_string(at) + " (the lock) failed");
    }
    return Status::Error(Code::kUnimplemented, "the lock's server keeps no records");
  }
  LockRecord mine;
  mine.holder = ToString(holder);
  const Bytes mine_bytes = EncodeLock(mine);
  // The other members' records are read in the same round: a member restarted blank since
  // the last command is caught even where its connection did not change (a proxy between).
  Result<client::LockReply> r = Status::Error(Code::kInternal, "not run");
  std::vector<Fanout::Task> lock;
  lock.push_back({at, [&] { r = servers_[at]->Lock(lock_at_.block, mine_bytes, lease_ms); }});
  RunWithMemberChecks(std::move(lock));
  if (!r.ok() && r.status().code() == Code::kChecksumError && !lock_healed_) {
    // A corrupt lock block that no running lease explains (the server decided that much):
    // reported, written back as released, and tried once more.
    lock_healed_ = true;
    ReportCorrupt(lock_at_);
    if (ServerPut(lock_at_, client::LockConvention::Released(block_size_)).ok()) {
      r = servers_[at]->Lock(lock_at_.block, mine_bytes, lease_ms);
    }
  }
  if (!r.ok()) {
    if (IsServerFailure(r.status())) MarkFailed(at, "RSM", lock_at_);
    return r.status();
  }
  RETURN_IF_ERROR(CheckSession(at));
  client::LockReply reply = *r;
  Result<LockRecord> previous = DecodeLock(r->holder);
  reply.holder = previous.ok() && previous->kind == LockRecord::Kind::kHeld
                     ? ToBytes(previous->holder)
                     : Bytes();
  if (client::LockConvention::HeldByOther(r->old)) return reply;
  lock_healed_ = false;                  // a later corruption of the lock block is healed again
  if (intent_set_) (void)ClearIntent();  // writes made before, without the lock, are done
  held_ = mine;
  held_bytes_ = mine_bytes;
  lease_ms_ = lease_ms;
  renewed_at_ms_ = NowMs();
  if (Status after = AfterLock(r->holder, true); !after.ok()) {
    (void)Unlock(block, holder, {});  // the command will not run: do not keep the lock
    return after;
  }
  return reply;
}

void Array::CheckMembers() {
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < num_servers(); ++s) {
    if (checkable_[s] || failed_[s]) continue;
    tasks.push_back({s, [this, s] { (void)ServerGet({s, 0}); }});  // no records: any answer
  }
  RunWithMemberChecks(std::move(tasks));
}

void Array::RunWithMemberChecks(std::vector<Fanout::Task> tasks) {
  std::vector<bool> busy(servers_.size(), false);
  for (const Fanout::Task& task : tasks) busy[task.server] = true;
  std::vector<Result<Bytes>> records(servers_.size(), Status::Error(Code::kInternal, "not run"));
  for (int s = 0; s < num_servers(); ++s) {
    if (busy[s] || !checkable_[s] || failed_[s]) continue;
    tasks.push_back({s, [this, &records, s] {
                       records[s] = servers_[s]->GetMeta(kMemberKey);
                       sessions_[s] = servers_[s]->sessions();
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  for (int s = 0; s < num_servers(); ++s) {
    if (records[s].status().code() != Code::kInternal) (void)CheckRecord(s, records[s]);
  }
}

Status Array::AfterLock(const Bytes& previous, bool known) {
  if (!assembled_) return Status::Ok();
  Result<LockRecord> prev = known && !previous.empty()
                                ? DecodeLock(previous)
                                : Result<LockRecord>(Status::Error(Code::kNotFound, "none"));
  const bool changed =
      !prev.ok() || prev->kind == LockRecord::Kind::kHeld || prev->generation != view_.generation;
  if (changed) {
    std::vector<MemberRead> reads = ReadRecords(/*intents=*/false);
    RETURN_IF_ERROR(Reconcile(reads, /*initial=*/false));
    RETURN_IF_ERROR(Publish());
  }
  if (prev.ok() && prev->dirty && !dirty_) {
    dirty_ = true;
    dirty_why_ = prev->kind == LockRecord::Kind::kHeld
                     ? "the lock's previous holder (" + prev->holder + ") died inside a command"
                     : "a client died inside a command and its stripes are not resynced yet";
  }
  return dirty_ ? Resync(dirty_why_) : Status::Ok();
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
  const int at = lock_at_.server;
  Status released;
  std::vector<Fanout::Task> unlock;
  const Bytes mine = held_bytes_;
  if (!failed_[at]) {
    unlock.push_back(
        {at, [&] { released = servers_[at]->Unlock(lock_at_.block, mine, EncodeLock(note)); }});
  }
  held_.reset();
  Status cleared = ClearIntent(std::move(unlock));  // one round: the Unlock and the copy's
  if (!released.ok() && IsServerFailure(released)) {
    MarkFailed(at, "PUT", lock_at_);
    released = Status::Ok();  // the lock went with its server: nothing is left to release
  }
  if (released.code() == Code::kAborted) {
    return Status::Error(Code::kAborted,
                         "the lock was broken by another client while this command ran (its "
                         "lease of " +
                             std::to_string(lease_ms_) + " ms had expired)");
  }
  if (!published.ok()) return published;
  return released.ok() ? cleared : released;
}

Status Array::RenewLease() {
  if (!held_ || NowMs() - renewed_at_ms_ < lease_ms_ / 3) return Status::Ok();
  const int at = lock_at_.server;
  if (failed_[at]) return Status::Ok();
  Result<Bytes> previous = servers_[at]->PutMeta(kLockKey, held_bytes_, held_bytes_);
  if (!previous.ok()) {
    if (IsServerFailure(previous.status())) MarkFailed(at, "PUT");
    return Status::Ok();  // no lock server, no lease to keep
  }
  renewed_at_ms_ = NowMs();
  if (*previous != held_bytes_) {
    return Status::Error(Code::kAborted, "the lock was broken by another client (the lease of " +
                                             std::to_string(lease_ms_) + " ms had expired)");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Write intent and resync.

std::vector<int> Array::IntentMembers() const {
  std::vector<int> members;
  const size_t wanted = held_ ? 1 : 2;  // with the lock, its record is the first copy
  for (int s = 0; s < num_servers() && members.size() < wanted; ++s) {
    if (checkable_[s] && !failed_[s] && !(held_ && s == lock_at_.server)) members.push_back(s);
  }
  return members;
}

Status Array::SetIntent() {
  if (intent_set_ || !assembled_) return Status::Ok();
  LockRecord intent = held_ ? *held_ : LockRecord{};
  if (!held_) intent.holder = "a client without the lock";
  intent.dirty = true;
  const std::vector<int> mirrors = IntentMembers();
  intent.mirror = mirrors.empty() ? -1 : mirrors.front();
  const Bytes bytes = EncodeLock(intent);
  const int at = lock_at_.server;
  Result<Bytes> lock_answer = Status::Error(Code::kInternal, "not run");
  std::vector<Result<Bytes>> answers(mirrors.size(), Status::Error(Code::kInternal, "not run"));
  std::vector<Fanout::Task> tasks;
  if (held_ && !failed_[at]) {
    tasks.push_back(
        {at, [&] { lock_answer = servers_[at]->PutMeta(kLockKey, held_bytes_, bytes); }});
  }
  for (size_t i = 0; i < mirrors.size(); ++i) {
    const int s = mirrors[i];
    tasks.push_back({s, [&, i, s] {
                       answers[i] = servers_[s]->PutMeta(kIntentKey, intent_seen_[s], bytes);
                       // A stale copy (a client that died): overwrite it.
                       if (answers[i].ok() && *answers[i] != intent_seen_[s]) {
                         answers[i] = servers_[s]->PutMeta(kIntentKey, *answers[i], bytes);
                       }
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  intent_at_.clear();
  for (size_t i = 0; i < mirrors.size(); ++i) {
    if (answers[i].ok()) {
      intent_seen_[mirrors[i]] = bytes;
      intent_at_.push_back(mirrors[i]);
    } else if (IsServerFailure(answers[i].status())) {
      MarkFailed(mirrors[i], "PUT");
    }
  }
  intent_set_ = true;
  if (held_ && !failed_[at]) {
    if (!lock_answer.ok()) {
      if (IsServerFailure(lock_answer.status())) MarkFailed(at, "PUT");
    } else if (*lock_answer != held_bytes_) {
      return Status::Error(Code::kAborted,
                           "this client's lock was broken by another client (its lease of " +
                               std::to_string(lease_ms_) + " ms had expired): nothing written");
    } else {
      held_ = intent;
      held_bytes_ = bytes;
    }
  }
  return PublishIfPending();
}

Status Array::ClearIntent(std::vector<Fanout::Task> also) {
  std::vector<Result<Bytes>> answers(servers_.size(), Status::Error(Code::kInternal, "not run"));
  for (int s : intent_at_) {
    if (failed_[s]) continue;
    also.push_back(
        {s, [&, s] { answers[s] = servers_[s]->PutMeta(kIntentKey, intent_seen_[s], {}); }});
  }
  fanout_.RunAll(std::move(also));
  for (int s : intent_at_) {
    if (answers[s].ok()) intent_seen_[s].clear();
    // A copy left behind (its server failed meanwhile) is void: the lock's note decides.
  }
  intent_at_.clear();
  intent_set_ = false;
  return Status::Ok();
}

Status Array::Settle() {
  RETURN_IF_ERROR(PublishIfPending());
  if (intent_set_ && !held_) return ClearIntent();
  return Status::Ok();
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
  // The dead client's intent copies are void now.
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < num_servers(); ++s) {
    if (!checkable_[s] || failed_[s]) continue;
    tasks.push_back({s, [this, s] {
                       Result<Bytes> now = servers_[s]->GetMeta(kIntentKey);
                       if (now.ok() && !now->empty()) {
                         (void)servers_[s]->PutMeta(kIntentKey, *now, {});  // best effort
                       }
                       if (now.ok()) intent_seen_[s].clear();
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  return Status::Ok();
}

std::string Array::DirtyRefusal(Location at) const {
  return Describe(at) + " is not rebuilt: " + dirty_why_ +
         ", and with a server failed its stripe cannot be resynced, so its parity may be stale "
         "(start the shell with -force 1 to rebuild anyway)";
}

}  // namespace memoryfs::raid
