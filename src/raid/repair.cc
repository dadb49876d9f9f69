// Array::Repair: regenerates every physical block of one server from the others.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/lock_convention.h"
#include "core/xor.h"
#include "raid/array.h"

namespace memoryfs::raid {

Status Array::CheckServerId(int server) const {
  if (server >= 0 && server < num_servers()) return Status::Ok();
  return Status::Error(Code::kInvalidArgument, "server id " + std::to_string(server) +
                                                   " not in valid range [0, " +
                                                   std::to_string(num_servers() - 1) + "]");
}

Status Array::CheckRepairable(int server) {
  RETURN_IF_ERROR(CheckServerId(server));
  const std::string id = std::to_string(server);
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
  if (dirty_ && !force_) {
    return Status::Error(Code::kDataLoss, "server " + id + " is not rebuilt: " + dirty_why_ +
                                              ", and with a server failed the stripes cannot "
                                              "be resynced first (start the shell with -force 1 "
                                              "to rebuild anyway)");
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
  RETURN_IF_ERROR(ClaimTarget(server));       // its writes are fenced like every member's
  RETURN_IF_ERROR(Announce("repair " + id));  // for other shells' `status`
  client::BlockDevice* target = servers_[server];
  RETURN_IF_ERROR(ResumePoint(server));
  repairing_ = server;
  Status s = RebuildFrom(server, rebuilt_[server], progress);
  repairing_ = -1;
  if (!s.ok()) {
    publish_pending_ = true;
    (void)Publish();  // how far it got stays recorded (best effort: the error is the news)
    return s;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    failed_[server] = false;
    rebuilt_[server] = 0;
    publish_pending_ = true;
  }
  sessions_[server] = target->sessions();
  return Publish();
}

Status Array::ResumePoint(int server) {
  // A repair interrupted earlier resumes where it stopped, when the member still holds what it
  // wrote then: its own record says how far it got (a blank restart forgets it).
  if (!assembled_ || !checkable_[server]) {
    rebuilt_[server] = 0;
    return Status::Ok();
  }
  Result<Bytes> own = ReadRecord(server, kMemberKey);
  if (own.status().code() == Code::kUnimplemented) {
    checkable_[server] = false;  // no records there (a Python server that was unreachable)
    rebuilt_[server] = 0;
    return Status::Ok();
  }
  if (!own.ok()) {
    return Status::Error(Code::kUnavailable, "server " + std::to_string(server) +
                                                 " is unreachable: " + own.status().message());
  }
  seen_[server] = *own;
  Result<MemberRecord> record = DecodeMember(*own);
  int done = 0;
  if (record.ok() && record->array_id == view_.array_id && record->failed.count(server)) {
    done = std::min(record->failed.at(server),
                    view_.failed.count(server) ? view_.failed.at(server) : 0);
  }
  rebuilt_[server] = done;
  if (done > 0) {
    ArrayEvent e;
    e.kind = ArrayEvent::Kind::kNotice;
    e.text = "repair of server " + std::to_string(server) + " resumes at stripe " +
             std::to_string(done) + " of " + std::to_string(server_blocks_);
    Report(e);
  }
  return Status::Ok();
}

int Array::BatchStripes() const {
  int stripes = 1 << 30;
  for (const client::BlockDevice* server : servers_)
    stripes = std::min(stripes, server->batch_limit());
  return std::max(stripes, 32);
}

Fanout::Mode Array::BulkMode() const {
  for (size_t s = 0; s < servers_.size(); ++s) {
    if (!checkable_[s]) return Fanout::Mode::kThreads;
  }
  return Fanout::Mode::kLanes;
}

Result<std::vector<Bytes>> Array::XorBatch(int server, int first, int count, BatchReads& reads,
                                           const std::string& cause) {
  const auto slow = [&] {
    std::vector<Location> targets;
    for (int stripe = first; stripe < first + count; ++stripe) targets.push_back({server, stripe});
    return RebuildMany(targets, cause);
  };
  if (dirty_ && !force_) return slow();  // RebuildMany refuses, saying why
  for (int s = 0; s < num_servers(); ++s) {
    if (s == server) continue;
    if (!reads[s].ok()) {
      if (IsServerFailure(reads[s].status())) MarkFailed(s, "GET");
      return slow();
    }
    RETURN_IF_ERROR(CheckSession(s));  // a restarted server's answers are not used
    for (const Result<Bytes>& block : *reads[s]) {
      if (!block.ok()) return slow();  // RebuildMany reports the corrupt block
    }
  }
  std::vector<Bytes> rebuilt(count, Bytes(block_size_, 0));
  for (int i = 0; i < count; ++i) {
    const int stripe = first + i;
    if (IsLockSlot({server, stripe})) {
      rebuilt[i] = client::LockConvention::Released(block_size_);
      continue;
    }
    for (int s = 0; s < num_servers(); ++s) {
      if (s != server && !IsLockSlot({s, stripe})) XorInto(rebuilt[i], *(*reads[s])[i]);
    }
  }
  return rebuilt;
}

Status Array::RebuildFrom(int server, int start, const Progress& progress) {
  const std::string id = std::to_string(server);
  const std::string stopped = "repair of server " + id + " stopped: ";
  client::BlockDevice* target = servers_[server];
  const uint64_t sessions = target->sessions();
  // Each round reads one batch of stripes from every other server (one GetBlocks each, or
  // block by block on servers without batches) while the target writes the batch rebuilt in
  // the round before: every server is busy in every round. Every kRecordStripes stripes
  // written, how far it got is recorded on the members.
  const int batch = BatchStripes();
  constexpr int kRecordStripes = 256;
  std::optional<std::pair<int, std::vector<Bytes>>> pending;  // rebuilt, not yet written
  for (int first = start, recorded = start;; first += batch) {
    const int count = std::max(0, std::min(batch, server_blocks_ - first));
    if (count == 0 && !pending) break;
    BatchReads reads(servers_.size(), Status::Error(Code::kInternal, "not read"));
    Status put = Status::Ok();
    std::vector<Fanout::Task> tasks;
    for (int s = 0; s < num_servers() && count > 0; ++s) {
      if (s != server)
        tasks.push_back({s, [&, s] { reads[s] = servers_[s]->GetBlocks(first, count); }});
    }
    // The target is still marked failed, so it is written directly, not through ServerPut.
    if (pending) {
      tasks.push_back({server, [&] { put = target->PutBlocks(pending->first, pending->second); }});
    }
    fanout_.RunAll(std::move(tasks), BulkMode());
    if (pending) {
      if (!put.ok()) {
        return Status::Error(Code::kUnavailable, stopped + put.message() + "; it stays failed");
      }
      // (A server without records, the HTTP/1.0 Python one, opens a connection per call.)
      if (checkable_[server] && target->sessions() != sessions) {
        return Status::Error(Code::kUnavailable,
                             stopped + "it restarted meanwhile; it stays failed");
      }
      rebuilt_[server] = pending->first + static_cast<int>(pending->second.size());
      pending.reset();
      if (rebuilt_[server] - recorded >= kRecordStripes) {
        recorded = rebuilt_[server];
        publish_pending_ = true;
        RETURN_IF_ERROR(Publish());
        RETURN_IF_ERROR(RenewLease());
      }
      if (progress) progress(rebuilt_[server], server_blocks_);
    }
    if (count == 0) break;
    Result<std::vector<Bytes>> rebuilt =
        XorBatch(server, first, count, reads, "server " + id + " is being rebuilt");
    if (!rebuilt.ok()) {
      return Status::Error(rebuilt.status().code(),
                           stopped + rebuilt.status().message() + "; it stays failed");
    }
    pending.emplace(first, std::move(*rebuilt));
  }
  return Status::Ok();
}

}  // namespace memoryfs::raid
