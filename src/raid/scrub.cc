// Array::Scrub: checks every stripe's checksums and parity, and repairs what it can.
#include <algorithm>
#include <string>

#include "core/xor.h"
#include "raid/array.h"

namespace memoryfs::raid {

std::string ScrubFinding::ToString() const {
  std::string text = "stripe " + std::to_string(stripe) + ", server " + std::to_string(server) +
                     ", " + (block >= 0 ? "block " + std::to_string(block) : "parity") + ": ";
  switch (kind) {
    case Kind::kChecksum:
      return text + "checksum error" + (repaired ? " (rebuilt)" : "");
    case Kind::kParity:
      return text + "does not match the data" + (repaired ? " (rewritten)" : "");
    case Kind::kUnrepairable:
      break;
  }
  return text + "checksum error, another block of the stripe too: not repairable";
}

int ScrubReport::repaired() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                        [](const ScrubFinding& f) { return f.repaired; }));
}

std::string ScrubReport::Summary() const {
  std::string text = "scrub: " + std::to_string(stripes) + " stripes checked, ";
  if (findings.empty()) return text + "no mismatch";
  const size_t n = findings.size();
  return text + std::to_string(n) + (n == 1 ? " mismatch, " : " mismatches, ") +
         std::to_string(repaired()) + " repaired";
}

Result<ScrubReport> Array::Scrub(bool repair, const Progress& progress) {
  for (int server = 0; server < num_servers(); ++server) {
    if (failed_[server]) {
      return Status::Error(Code::kUnavailable, "scrub needs every server: server " +
                                                   std::to_string(server) +
                                                   " is failed (repair it first)");
    }
  }
  const int batch = BatchStripes();  // stripes read in one parallel round
  ScrubReport report;
  for (int first = 0; first < server_blocks_; first += batch) {
    const int count = std::min(batch, server_blocks_ - first);
    RETURN_IF_ERROR(ScrubBatch(first, count, repair, &report));
    RETURN_IF_ERROR(RenewLease());
    report.stripes = first + count;
    if (progress) progress(first + count, server_blocks_);
  }
  return report;
}

Result<std::vector<Result<Bytes>>> Array::ReadAround(int server, int first, int count) {
  const int lock = lock_at_.server == server ? lock_at_.block : -1;
  if (lock < first || lock >= first + count) return servers_[server]->GetBlocks(first, count);
  std::vector<Result<Bytes>> blocks;
  if (lock > first) {
    ASSIGN_OR_RETURN(blocks, servers_[server]->GetBlocks(first, lock - first));
  }
  blocks.push_back(Status::Error(Code::kInternal, "the lock slot is not read"));
  if (lock + 1 < first + count) {
    ASSIGN_OR_RETURN(std::vector<Result<Bytes>> rest,
                     servers_[server]->GetBlocks(lock + 1, first + count - lock - 1));
    for (Result<Bytes>& block : rest) blocks.push_back(std::move(block));
  }
  return blocks;
}

Status Array::ScrubBatch(int first, int count, bool repair, ScrubReport* report) {
  // One GetBlocks of the batch per server (block by block on servers without batches), all
  // servers in parallel; the lock slot is not read (two calls around it).
  BatchReads reads(servers_.size(), Status::Error(Code::kInternal, "not read"));
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < num_servers(); ++s) {
    tasks.push_back({s, [&, s] { reads[s] = ReadAround(s, first, count); }});
  }
  fanout_.RunAll(std::move(tasks), BulkMode());
  std::vector<std::vector<Result<Bytes>>> stripes(
      count, std::vector<Result<Bytes>>(num_servers(), Status::Error(Code::kInternal, "unread")));
  for (int s = 0; s < num_servers(); ++s) {
    if (!reads[s].ok() || static_cast<int>(reads[s]->size()) != count) {
      const Status error =
          reads[s].ok() ? Status::Error(Code::kProtocolError, "short answer") : reads[s].status();
      if (IsServerFailure(error)) MarkFailed(s, "GET", Location{s, first});
      return Status::Error(error.code(), "scrub stopped at stripe " + std::to_string(first) + ": " +
                                             ReadFailure({s, first}, error));
    }
    RETURN_IF_ERROR(CheckSession(s));  // a restarted server's answers are not used
    for (int i = 0; i < count; ++i) {
      if (IsLockSlot({s, first + i})) continue;
      Result<Bytes>& block = (*reads[s])[i];
      if (!block.ok() && block.status().code() != Code::kChecksumError) {
        return Status::Error(block.status().code(),
                             "scrub stopped at stripe " + std::to_string(first + i) + ": " +
                                 ReadFailure({s, first + i}, block.status()));
      }
      if (!block.ok()) CountError(s, ErrorKind::kChecksum);
      stripes[i][s] = std::move(block);
    }
  }
  for (int i = 0; i < count; ++i) {
    RETURN_IF_ERROR(ScrubStripe(first + i, stripes[i], repair, report));
  }
  return Status::Ok();
}

Status Array::ScrubStripe(int stripe, std::vector<Result<Bytes>>& reads, bool repair,
                          ScrubReport* report) {
  const auto finding = [&](ScrubFinding::Kind kind, int server) {
    ScrubFinding f;
    f.kind = kind;
    f.stripe = stripe;
    f.server = server;
    f.block = layout_.VirtualAt(server, stripe).value_or(-1);
    return f;
  };
  std::vector<int> bad;       // servers whose block failed its checksum
  Bytes all(block_size_, 0);  // XOR of every readable covered block
  for (int server = 0; server < num_servers(); ++server) {
    if (IsLockSlot({server, stripe})) continue;
    if (reads[server].ok()) {
      XorInto(all, *reads[server]);
    } else {
      bad.push_back(server);
    }
  }
  if (bad.size() > 1) {
    for (int server : bad)
      report->findings.push_back(finding(ScrubFinding::Kind::kUnrepairable, server));
    return Status::Ok();
  }
  if (bad.empty() && IsAllZero(all)) return Status::Ok();  // consistent
  // One bad block: it is the XOR of the others. None: the parity is wrong, and since every
  // data block passed its checksum, the parity is what gets rewritten, from the data.
  const int target = bad.empty() ? layout_.ParityServer(stripe) : bad.front();
  ScrubFinding f =
      finding(bad.empty() ? ScrubFinding::Kind::kParity : ScrubFinding::Kind::kChecksum, target);
  if (repair) {
    Bytes fixed = all;
    if (bad.empty()) XorInto(fixed, *reads[target]);  // (data ^ old parity) ^ old parity
    RETURN_IF_ERROR(ServerPut({target, stripe}, fixed));
    f.repaired = true;
  }
  report->findings.push_back(f);
  return Status::Ok();
}

}  // namespace memoryfs::raid
