// Array::Online: a member failed by mistake (a timeout, a shell that was stopped) taken back
// once every stripe shows it current, as `zpool online` / `mdadm --re-add` do (see array.h).
#include "raid/array.h"

namespace memoryfs::raid {

Status Array::CheckOnlineable(int server) {
  RETURN_IF_ERROR(CheckServerId(server));
  const std::string id = std::to_string(server);
  if (!failed_[server])
    return Status::Error(Code::kInvalidArgument, "server " + id + " is not failed");
  for (int s = 0; s < num_servers(); ++s) {
    // Another member failed: its stripes can be checked only if it answers too (both were
    // failed by mistake, say); it stays failed either way.
    if (s != server && failed_[s] && !servers_[s]->Get(0).ok()) {
      return Status::Error(Code::kUnavailable, "server " + id + " cannot be checked while server " +
                                                   std::to_string(s) +
                                                   " is failed too and does not answer: bring "
                                                   "server " +
                                                   std::to_string(s) + " back first");
    }
  }
  const std::string rebuild = "; type 'repair " + id + "' to rebuild it";
  if (!checkable_[server]) {
    Result<Bytes> probe = servers_[server]->Get(0);
    if (!probe.ok() && IsServerFailure(probe.status())) {
      return Status::Error(Code::kUnavailable,
                           "server " + id + " is unreachable: " + probe.status().message());
    }
    return Status::Ok();
  }
  Result<Bytes> own = ReadRecord(server, kMemberKey);
  if (!own.ok()) {
    return Status::Error(Code::kUnavailable,
                         "server " + id + " is unreachable: " + own.status().message());
  }
  if (own->empty()) {
    return Status::Error(Code::kInvalidArgument,
                         "server " + id + " is blank: it restarted and lost its blocks" + rebuild);
  }
  Result<MemberRecord> record = DecodeMember(*own);
  if (!record.ok() || record->array_id != view_.array_id || record->index != server) {
    return Status::Error(Code::kInvalidArgument,
                         "server " + id + " holds another array's record" + rebuild);
  }
  return Status::Ok();
}

Result<int> Array::Online(int server, const Progress& progress) {
  RETURN_IF_ERROR(CheckOnlineable(server));
  const std::string id = std::to_string(server);
  RETURN_IF_ERROR(ClaimTarget(server));       // its reads are fenced like every member's
  RETURN_IF_ERROR(Announce("online " + id));  // for other shells' `status`
  std::vector<int> others;  // failed too, answering: read for the check, failed again after
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int s = 0; s < num_servers(); ++s) {
      if (failed_[s] && s != server) others.push_back(s);
      if (failed_[s]) failed_[s] = false;  // read as members while every stripe is checked
    }
    rebuilt_[server] = 0;
  }
  Result<ScrubReport> report = Scrub(/*repair=*/false, progress);
  const bool current = report.ok() && report->findings.empty();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int s : others) failed_[s] = true;
    if (!current) failed_[server] = true;
  }
  if (!report.ok()) return report.status();
  if (!current) {
    return Status::Error(Code::kDataLoss, "server " + id + " missed writes while it was failed: " +
                                              std::to_string(report->findings.size()) +
                                              " stripes do not add up (" +
                                              report->findings.front().ToString() +
                                              "); type 'repair " + id + "' to rebuild it");
  }
  sessions_[server] = servers_[server]->sessions();
  publish_pending_ = true;
  RETURN_IF_ERROR(Publish());
  return report->stripes;
}

}  // namespace memoryfs::raid
