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

std::vector<Array::MemberRead> Array::ReadRecords() {
  std::vector<MemberRead> reads(servers_.size());
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < num_servers(); ++s) {
    if (assembled_ && (failed_[s] || !checkable_[s])) continue;
    tasks.push_back({s, [this, &reads, s] {
                       reads[s].member = ReadRecord(s, kMemberKey);
                       sessions_[s] = servers_[s]->sessions();
                     }});
  }
  fanout_.RunAll(std::move(tasks));
  return reads;
}

Status Array::Assemble() {
  std::vector<MemberRead> reads = ReadRecords();
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
             "start-up, a failure seen by another client not at all, and writes there are not "
             "fenced (the lock is held on the members that keep records)";
    Report(e);
    CheckUnrecordedBlank(unchecked);
  }
  // The records are written under the lock only: a new array's at its first lock.
  return Status::Ok();
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
    fresh_ = true;
    view_ = MemberRecord{};
    view_.array_id = RandomId();
    view_.num_blocks = num_blocks_;
    view_.block_size = block_size_;
    view_.members = num_servers();
    view_.num_inodes = options_.num_inodes;
    view_.inode_size = options_.inode_size;
    view_.generation = 1;
    for (int s = 0; s < num_servers(); ++s) {
      if (failed_[s]) view_.failed[s] = 0;
    }
    publish_pending_ = true;
    return Status::Ok();
  }
  const bool adopt = initial || fresh_;  // a new array may have been made by another client
  if (adopt && (truth->members != num_servers() || truth->num_blocks != num_blocks_ ||
                truth->block_size != block_size_)) {
    return Status::Error(Code::kInvalidArgument,
                         "these servers hold an array of " + std::to_string(truth->members) +
                             " servers with -nb " + std::to_string(truth->num_blocks) + " -bs " +
                             std::to_string(truth->block_size) + "; this shell was given " +
                             std::to_string(num_servers()) + " servers with -nb " +
                             std::to_string(num_blocks_) + " -bs " + std::to_string(block_size_));
  }
  if (adopt) RETURN_IF_ERROR(CheckFileSystem(*truth));
  if (initial) existed_ = true;
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

Status Array::CheckFileSystem(const MemberRecord& truth) const {
  const bool given = options_.num_inodes > 0 && options_.inode_size > 0;
  if (!given || truth.num_inodes == 0 ||
      (truth.num_inodes == options_.num_inodes && truth.inode_size == options_.inode_size)) {
    return Status::Ok();
  }
  return Status::Error(
      Code::kInvalidArgument,
      "these servers hold a file system made with -ni " + std::to_string(truth.num_inodes) +
          " -is " + std::to_string(truth.inode_size) + "; this shell was given -ni " +
          std::to_string(options_.num_inodes) + " -is " + std::to_string(options_.inode_size));
}

Status Array::AdoptTruth(const MemberRecord& truth,
                         const std::vector<std::optional<MemberRecord>>& records) {
  const bool newer = truth.generation > view_.generation || !assembled_ || fresh_;
  const bool current = truth.generation >= view_.generation || !assembled_ || fresh_;
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
    fresh_ = false;
    if (view_.num_inodes == 0) {  // made before -ni/-is were recorded: recorded now
      view_.num_inodes = options_.num_inodes;
      view_.inode_size = options_.inode_size;
    }
  }
  publish_pending_ = true;
  return Status::Ok();
}

void Array::Readmit(int server, const MemberRecord& truth) {
  // Repaired by another client since this one saw it fail: its own record says so.
  Result<Bytes> read = ReadRecord(server, kMemberKey);
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
  if (assembled_ && !held_) return Status::Ok();  // records change under the lock only
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
    bool conflict = false;
    for (size_t i = 0; i < targets.size(); ++i) {
      RETURN_IF_ERROR(TakePublished(targets[i], answers[i], wanted[i], &conflict));
    }
    if (conflict) {
      // Another client's record where ours was expected: re-read them all and converge on
      // the newest view (never a reason to fail a member).
      std::vector<MemberRead> reads = ReadRecords();
      RETURN_IF_ERROR(Reconcile(reads, /*initial=*/false));
    }
  }
  if (publish_pending_) {
    return Status::Error(Code::kAborted, "the members' records kept changing under another client");
  }
  fresh_ = false;
  return Status::Ok();
}

Status Array::TakePublished(int s, const Result<Bytes>& answer, const Bytes& wanted,
                            bool* conflict) {
  if (!answer.ok()) {
    const Status& error = answer.status();
    if (error.code() == Code::kFenced && CheckSession(s).ok()) {
      return error;  // the lock was taken over there: stop (else it restarted: rejected)
    }
    if (failed_[s]) {
      // rejected just now (it restarted blank)
    } else if (error.code() == Code::kUnimplemented) {
      checkable_[s] = false;  // no records there after all (a Python server)
    } else if (IsServerFailure(error)) {
      MarkFailed(s, "PUT");
    } else {
      Reject(s, "refused its record: " + error.ToString());
    }
  } else if (*answer == seen_[s]) {
    seen_[s] = wanted;
  } else if (answer->empty()) {
    seen_[s] = {};
    Reject(s, kBlankWhy);
  } else {
    seen_[s] = *answer;
    *conflict = true;
  }
  return Status::Ok();
}

Result<Bytes> Array::ReadRecord(int server, const char* key) {
  client::BlockDevice* device = servers_[server];
  device->set_epoch(0);  // a read, not a write: asked whatever became of our grant there
  Result<Bytes> record = device->GetMeta(key);
  device->set_epoch(EpochOf(server));
  return record;
}

Status Array::CheckSession(int server) {
  if (!assembled_ || !checkable_[server]) return Status::Ok();
  client::BlockDevice* device = servers_[server];
  if (device->sessions() == sessions_[server]) return Status::Ok();
  Result<Bytes> record = ReadRecord(server, kMemberKey);
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
  if (record->empty()) {
    Reject(server, kBlankWhy);
    return gone;
  }
  Result<MemberRecord> decoded = DecodeMember(*record);
  if (!decoded.ok()) {
    Reject(server,
           "holds something else than this array's record (" + decoded.status().message() + ")");
    return gone;
  }
  if (decoded->array_id != view_.array_id && !fresh_) {
    Reject(server, "belongs to another array");
    return gone;
  }
  // Another client's newer view (it failed, repaired or readmitted a member): read again and
  // converged on at the next lock, never a reason to fail this member.
  records_changed_ = true;
  return Status::Ok();
}

}  // namespace memoryfs::raid
