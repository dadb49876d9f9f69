// Array::Repair (repair.cc) over in-memory servers.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "core/xor.h"
#include "raid/array.h"
#include "raid/testing.h"

namespace memoryfs::raid {

namespace {

using testing::CheckAll;
using testing::FillAll;
using testing::FillDirect;
using testing::Pattern;
using testing::Rig;

// Repair with a progress callback that records every call.
struct Recorded {
  Status status;
  std::vector<int> done;
  std::vector<int> totals;
};
Recorded RepairRecorded(Rig& rig, int server) {
  Recorded rec;
  rec.status = rig.array->Repair(server, [&rec](int done, int total) {
    rec.done.push_back(done);
    rec.totals.push_back(total);
  });
  return rec;
}

// A refused repair: the code, and nothing changed (no server written, no flag cleared).
void CheckRefused(Rig& rig, int server, Code code) {
  CAPTURE(server);
  const auto before = rig.Snapshot();
  std::vector<bool> failed_before;
  for (int s = 0; s < rig.array->num_servers(); ++s) failed_before.push_back(rig.array->failed(s));
  const size_t events_before = rig.events.size();
  rig.ClearTraces();
  Recorded rec = RepairRecorded(rig, server);
  CHECK(rec.status.code() == code);
  CHECK_FALSE(rec.status.message().empty());
  CHECK(rec.done.empty());
  CHECK(rig.Puts() == 0);
  CHECK(rig.Snapshot() == before);
  for (int s = 0; s < rig.array->num_servers(); ++s) {
    CHECK(rig.array->failed(s) == failed_before[s]);
  }
  CHECK(rig.events.size() == events_before);
}

}  // namespace

TEST_CASE("Repair: a server that died unnoticed is detected by repair, then rebuilt once back") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  rig.servers[2]->SetFailed(true);  // dead, but nobody has contacted it yet
  REQUIRE_FALSE(rig.array->failed(2));
  rig.ClearTraces();
  const Status first = rig.array->Repair(2, nullptr);
  CHECK(first.code() == Code::kUnavailable);
  CHECK(first.message().find("unreachable") != std::string::npos);
  CHECK(rig.array->failed(2));
  CHECK(rig.events == std::vector<std::string>{"SERVER_DISCONNECTED GET 2"});
  CHECK(rig.servers[2]->trace().size() == 1);  // asked once: a dead server costs one timeout
  rig.Restart(2);                              // back, blank
  REQUIRE(rig.array->Repair(2, nullptr).ok());
  CHECK_FALSE(rig.array->failed(2));
  CHECK(rig.ParityConsistent());
  CheckAll(rig);
}

TEST_CASE("Repair: a server id out of range is kInvalidArgument, nothing changed") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  rig.Fail(2);
  rig.Restart(2);
  for (int id : {-1, 4, 100}) CheckRefused(rig, id, Code::kInvalidArgument);
  CHECK(rig.Calls() == 0);
  Status s = rig.array->Repair(7, nullptr);
  CHECK(s.message() == "server id 7 not in valid range [0, 3]");
}

TEST_CASE("Repair: a healthy server is kInvalidArgument, nothing changed") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  for (int k = 0; k < 4; ++k) {
    CheckRefused(rig, k, Code::kInvalidArgument);
    // Asked first, with one Get of its last block, and nothing written.
    CHECK(rig.servers[k]->trace() ==
          std::vector<std::string>{"Get " + std::to_string(rig.array->server_blocks() - 1)});
    CHECK(rig.Calls() == 1);
  }
  CHECK(rig.ParityConsistent());
  CheckAll(rig);
}

TEST_CASE("Repair: another failed server is kUnavailable, nothing changed") {
  Rig rig(5, 80, 16);
  FillAll(rig);
  rig.Fail(1);
  rig.Fail(3);
  rig.Restart(1);
  rig.Restart(3);
  CheckRefused(rig, 1, Code::kUnavailable);
  CheckRefused(rig, 3, Code::kUnavailable);
  CHECK(rig.Calls() == 0);  // not even the target is contacted
  CHECK(rig.array->failed(1));
  CHECK(rig.array->failed(3));
}

TEST_CASE("Repair: a target that is still unreachable is kUnavailable and stays failed") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  rig.Fail(2);  // and never restarted
  CheckRefused(rig, 2, Code::kUnavailable);
  CHECK(rig.array->failed(2));
  // Once it is back, the repair works.
  rig.Restart(2);
  REQUIRE(rig.array->Repair(2, nullptr).ok());
  CHECK_FALSE(rig.array->failed(2));
  CheckAll(rig);
}

TEST_CASE("Repair: a target with too few blocks is kInvalidArgument and stays failed") {
  // 60 virtual blocks over 4 servers need 20 blocks each; server 1 comes back with only 19
  // (or 1).
  for (int short_size : {19, 1}) {
    CAPTURE(short_size);
    Rig rig(4, 60, 16);
    REQUIRE(rig.array->server_blocks() == 20);
    FillAll(rig);
    rig.Fail(1);
    rig.Restart(1);
    rig.wrappers[1]->set_limit(short_size);
    CheckRefused(rig, 1, Code::kInvalidArgument);
    CHECK(rig.array->failed(1));
    CHECK(rig.array->Repair(1, nullptr).message() ==
          "server 1 has fewer than the 20 blocks this array needs");
  }
}

// A server that came back answering 8-byte blocks to a 16-byte array is refused, not
// overwritten and marked healthy.
TEST_CASE("Repair: a target answering blocks of the wrong size is kInvalidArgument") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  rig.Fail(1);
  rig.Restart(1);
  for (int b = 0; b < rig.servers[1]->num_blocks(); ++b) rig.servers[1]->set_raw(b, Bytes(8, 0));
  CheckRefused(rig, 1, Code::kInvalidArgument);
  CHECK(rig.array->failed(1));
  CHECK(rig.array->Repair(1, nullptr).message() == "server 1 has blocks of 8 bytes, this array 16");
}

TEST_CASE("Repair: a blank restarted server is rebuilt byte-identical, every k, N = 3..6") {
  // Server sizes below, at and above the batch of 32 stripes, and not multiples of it; both
  // lock placements (the lock slot is outside parity and rebuilds as released).
  const client::LockConvention last{client::LockConvention::Placement::kLastBlock};
  for (int n = 3; n <= 6; ++n) {
    const int d = n - 1;
    for (int stripes : {1, 5, 32, 33, 70}) {
      for (int block_size : {8, 64}) {
        const int num_blocks = stripes * d - (stripes > 1 ? d / 2 : 0);  // a partial last stripe
        for (int k = 0; k < n; ++k) {
          const client::LockConvention lock = (k + stripes) % 2 ? last : client::kLock2022;
          CAPTURE(n);
          CAPTURE(stripes);
          CAPTURE(block_size);
          CAPTURE(k);
          CAPTURE(lock.Block(num_blocks));
          Rig rig(n, num_blocks, block_size, lock);
          REQUIRE(rig.array->server_blocks() == stripes);
          FillDirect(rig, n + k);
          REQUIRE(rig.ParityConsistent());
          const auto before = rig.Snapshot();
          rig.Fail(k);
          rig.Restart(k);
          Recorded rec = RepairRecorded(rig, k);
          REQUIRE_MESSAGE(rec.status.ok(), rec.status.ToString());
          CHECK_FALSE(rig.array->failed(k));
          CHECK(rig.Snapshot() == before);
          CHECK(rig.ParityConsistent());
          CheckAll(rig, n + k);  // and the array reads it back, no reconstruction
        }
      }
    }
  }
}

TEST_CASE("Repair: a restarted server holding stale or garbage bytes is overwritten") {
  Rig rig(4, 120, 32);
  FillAll(rig);
  const auto before = rig.Snapshot();
  rig.Fail(3);
  rig.Restart(3, 0xa5);
  REQUIRE(rig.array->Repair(3, nullptr).ok());
  CHECK(rig.Snapshot() == before);

  // Writes made while a server was down end up on it after repair.
  rig.Fail(0);
  FillAll(rig, 9);  // degraded writes
  rig.Restart(0, 0x5a);
  REQUIRE(rig.array->Repair(0, nullptr).ok());
  CHECK(rig.ParityConsistent());
  CHECK(rig.servers[0]->raw(0) == Bytes(32, 0));  // the lock slot rebuilds as unlocked
  rig.servers[1]->SetFailed(true);                // data must now come from server 0
  CheckAll(rig, 9);
}

TEST_CASE("Repair: progress rises strictly, batch by batch, and ends at server_blocks()") {
  for (int num_blocks : {3 * 10, 3 * 32, 3 * 100 + 1}) {
    CAPTURE(num_blocks);
    Rig rig(4, num_blocks, 16);
    FillAll(rig);
    rig.Fail(1);
    rig.Restart(1);
    Recorded rec = RepairRecorded(rig, 1);
    REQUIRE(rec.status.ok());
    const int total = rig.array->server_blocks();
    REQUIRE_FALSE(rec.done.empty());
    for (size_t i = 1; i < rec.done.size(); ++i) CHECK(rec.done[i] > rec.done[i - 1]);
    CHECK(rec.done.front() > 0);
    CHECK(rec.done.back() == total);
    for (int t : rec.totals) CHECK(t == total);
    CHECK(rec.done.size() == static_cast<size_t>((total + 31) / 32));
  }
}

TEST_CASE("Repair: another server failing midway stops it with an error, the target stays failed") {
  Rig rig(4, 3 * 100, 16);  // 100 stripes: 4 batches
  FillAll(rig);
  rig.Fail(2);
  rig.Restart(2);
  rig.servers[0]->FailAfterCalls(40);  // during the second batch of reads
  Recorded rec = RepairRecorded(rig, 2);
  REQUIRE_FALSE(rec.status.ok());
  // A block of the target that cannot be rebuilt is lost (array.h: double faults).
  CHECK(rec.status.code() == Code::kDataLoss);
  CHECK(rec.status.message().find("repair of server 2 stopped") != std::string::npos);
  CHECK(rec.status.message().find("server 0 failed") != std::string::npos);
  CHECK(rec.status.message().find("it stays failed") != std::string::npos);
  CHECK(rig.array->failed(2));
  CHECK(rig.array->failed(0));  // the server that failed midway is marked too
  CHECK(rec.done.size() == 1);  // only the first batch completed
  CHECK(rec.done.front() == 32);
  // The target serves the stripes already rebuilt (the first batch), and only those.
  CHECK(rig.array->rebuilt(2) == 32);
  for (int v = 1; v < rig.array->num_blocks(); ++v) {
    const Location at = rig.array->layout().DataLocation(v);
    if (at.server != 2) continue;
    rig.ClearTraces();
    (void)rig.array->Get(v);  // beyond the first batch: lost, as server 0 failed too
    CAPTURE(v);
    CHECK(rig.servers[2]->trace().size() == (at.block < 32 ? 1u : 0u));
  }
}

TEST_CASE("Repair: the target failing while being written stops it, it stays failed") {
  Rig rig(5, 4 * 80, 16);
  FillAll(rig);
  rig.Fail(4);
  rig.Restart(4);
  rig.servers[4]->FailAfterCalls(1 + 32 + 5);  // the probe, a batch, then part of the next
  Recorded rec = RepairRecorded(rig, 4);
  REQUIRE_FALSE(rec.status.ok());
  CHECK(rec.status.code() == Code::kUnavailable);
  CHECK(rec.status.message().find("writing block 37") != std::string::npos);
  CHECK(rig.array->failed(4));
  CHECK(rec.done == std::vector<int>{32});
  // Back again: a second repair completes.
  rig.Restart(4);
  REQUIRE(rig.array->Repair(4, nullptr).ok());
  CHECK(rig.ParityConsistent());
  CheckAll(rig);
}

TEST_CASE("Repair: afterwards reads make no reconstruction (1 Get per read)") {
  for (int k = 0; k < 4; ++k) {
    CAPTURE(k);
    Rig rig(4, 90, 16);
    FillAll(rig);
    rig.Fail(k);
    rig.Restart(k);
    REQUIRE(rig.array->Repair(k, nullptr).ok());
    const size_t events = rig.events.size();
    for (int v = 1; v < rig.array->num_blocks(); ++v) {  // block 0 is the lock
      CAPTURE(v);
      rig.ClearTraces();
      Result<Bytes> r = rig.array->Get(v);
      REQUIRE(r.ok());
      CHECK(*r == Pattern(v, 16));
      const Location at = rig.array->layout().DataLocation(v);
      CHECK(rig.Calls() == 1);
      CHECK(rig.servers[at.server]->trace() ==
            std::vector<std::string>{"Get " + std::to_string(at.block)});
    }
    CHECK(rig.events.size() == events);  // no new failure or corruption reported
  }
}

TEST_CASE("Repair: a repaired server takes part in writes and can fail and be repaired again") {
  Rig rig(3, 64, 16);
  FillAll(rig);
  rig.Fail(1);
  rig.Restart(1);
  REQUIRE(rig.array->Repair(1, nullptr).ok());
  FillAll(rig, 3);
  CHECK(rig.ParityConsistent());
  const auto before = rig.Snapshot();
  rig.Fail(2);
  rig.Restart(2);
  REQUIRE(rig.array->Repair(2, nullptr).ok());
  CHECK(rig.Snapshot() == before);
  // Repairing it again is refused: it is healthy now.
  CheckRefused(rig, 2, Code::kInvalidArgument);
}

}  // namespace memoryfs::raid
