#include "shell/probe.h"

#include <string>

namespace memoryfs::shell {

namespace {

enum class Verdict { kGood, kUnreachable, kBad };

struct Probe {
  Verdict verdict = Verdict::kGood;
  std::string why;  // kUnreachable: the transport's error; kBad: the sentence
};

Probe Ask(client::RemoteDevice& server, int index, int nb, int n, int server_blocks,
          int block_size) {
  const std::string name =
      "server " + std::to_string(index) + " (" + server.endpoint().ToString() + ")";
  const auto too_few = [&](const std::string& has) {
    return Probe{Verdict::kBad, name + " has " + has + ": -nb " + std::to_string(nb) + " over " +
                                    std::to_string(n) + " servers needs " +
                                    std::to_string(server_blocks) + " on each"};
  };
  const auto wrong_size = [&](size_t bytes) {
    return Probe{Verdict::kBad, name + " has blocks of " + std::to_string(bytes) +
                                    " bytes: this shell was given -bs " +
                                    std::to_string(block_size)};
  };
  Result<client::ServerInfo> info = server.Stats();
  if (info.ok()) {
    if (info->block_size != block_size) return wrong_size(info->block_size);
    if (info->num_blocks < server_blocks)
      return too_few(std::to_string(info->num_blocks) + " blocks");
    return {};
  }
  if (info.status().code() == Code::kUnavailable)
    return {Verdict::kUnreachable, info.status().message()};
  // No Stats (the Python server): its last block must exist, with the right size.
  Result<Bytes> last = server.Get(server_blocks - 1);
  if (last.ok() || last.status().code() == Code::kChecksumError) return {};
  switch (last.status().code()) {
    case Code::kUnavailable:
      return {Verdict::kUnreachable, last.status().message()};
    case Code::kOutOfRange:
      return too_few("fewer blocks");
    case Code::kProtocolError:  // a block longer than block_size
      return {Verdict::kBad,
              name + " answers blocks of another size than -bs " + std::to_string(block_size)};
    default:
      return {Verdict::kBad, name + " cannot be used: " + last.status().ToString()};
  }
}

}  // namespace

Status ProbeMembers(const std::vector<std::unique_ptr<client::RemoteDevice>>& remotes, int nb,
                    int server_blocks, int block_size) {
  const int n = static_cast<int>(remotes.size());
  std::string unreachable, reasons;
  int down = 0;
  for (int i = 0; i < n; ++i) {
    const Probe probe = Ask(*remotes[i], i, nb, n, server_blocks, block_size);
    if (probe.verdict == Verdict::kBad) return Status::Error(Code::kInvalidArgument, probe.why);
    if (probe.verdict != Verdict::kUnreachable) continue;
    ++down;
    unreachable += (unreachable.empty() ? "" : ", ") + std::to_string(i);
    reasons += (reasons.empty() ? "" : "; ") + probe.why;
  }
  if (down <= 1) return Status::Ok();
  return Status::Error(Code::kInvalidArgument,
                       "servers " + unreachable + " are unreachable (" + reasons +
                           "): RAID-5 runs with one server down at most; start them first");
}

}  // namespace memoryfs::shell
