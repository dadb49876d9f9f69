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
  Result<Bytes> own = servers_[server]->GetMeta(kMemberKey);
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

Status Array::RebuildFrom(int server, int start, const Progress& progress) {
  const std::string id = std::to_string(server);
  client::BlockDevice* target = servers_[server];
  const uint64_t sessions = target->sessions();
  // Stripes are rebuilt in batches: every other server reads its blocks of the batch in
  // sequence while the servers work in parallel, then the target writes the batch. Every
  // kRecordEvery batches how far it got is recorded on the members.
  constexpr int kBatch = 32;
  constexpr int kRecordEvery = 8;
  for (int first = start, batch = 1; first < server_blocks_; first += kBatch, ++batch) {
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
    if (target->sessions() != sessions) {
      return Status::Error(Code::kUnavailable, "repair of server " + id +
                                                   " stopped: it restarted meanwhile; it stays "
                                                   "failed");
    }
    rebuilt_[server] = first + count;
    if (batch % kRecordEvery == 0) {
      publish_pending_ = true;
      RETURN_IF_ERROR(Publish());
      RETURN_IF_ERROR(RenewLease());
    }
    if (progress) progress(first + count, server_blocks_);
  }
  return Status::Ok();
}

}  // namespace memoryfs::raid
