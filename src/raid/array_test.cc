#include "raid/array.h"

#include <doctest/doctest.h>

#include <memory>
#include <random>

#include "client/memory_device.h"
#include "core/xor.h"
#include "raid/testing.h"

namespace memoryfs::raid {

namespace {

using testing::CheckAll;
using testing::FillAll;
using testing::Pattern;
using testing::Rig;

}  // namespace

TEST_CASE("Array: healthy reads and writes for N = 3..8, parity consistent") {
  for (int n = 3; n <= 8; ++n) {
    CAPTURE(n);
    Rig rig(n, 100, 32);
    FillAll(rig);
    CheckAll(rig);
    CHECK(rig.ParityConsistent());
    CHECK(rig.events.empty());
  }
}

TEST_CASE("Array: RPC counts: 1 Get per read, 2 Gets + 2 Puts per small write") {
  Rig rig(4, 96, 16);
  FillAll(rig);
  rig.ClearTraces();
  REQUIRE(rig.array->Get(10).ok());
  CHECK(rig.Calls() == 1);
  rig.ClearTraces();
  REQUIRE(rig.array->Put(10, Bytes(16, 9)).ok());
  CHECK(rig.Calls() == 4);
  const Location d = rig.array->layout().DataLocation(10);
  const Location p = rig.array->layout().ParityLocation(d.block);
  CHECK(rig.servers[d.server]->trace() ==
        std::vector<std::string>{"Get 3", client::TracePutLine(3, Bytes(16, 9))});
  CHECK(rig.servers[p.server]->trace().size() == 2);
  CHECK(rig.ParityConsistent());
}

TEST_CASE("Array: a large read spreads evenly over the servers") {
  Rig rig(4, 400, 16);
  FillAll(rig);
  rig.ClearTraces();
  for (int v = 8; v < 8 + 120; ++v) REQUIRE(rig.array->Get(v).ok());
  for (auto& s : rig.servers) CHECK(s->trace().size() == 30);  // B/N each
}

TEST_CASE("Array: the lock block goes to server 0 only and is outside parity") {
  Rig rig(4, 48, 16);
  FillAll(rig);
  rig.ClearTraces();
  CHECK(*rig.array->RSM(0) == Bytes(16, 0));
  CHECK(*rig.array->RSM(0) == Bytes(16, 1));
  REQUIRE(rig.array->Put(0, Bytes(16, 0)).ok());
  CHECK(rig.servers[0]->trace() == std::vector<std::string>{"RSM 0", "RSM 0", "Put 0 "});
  CHECK(rig.Calls() == 3);
  REQUIRE(rig.array->RSM(0).ok());  // held lock: stripe 0 parity still consistent
  CHECK(rig.ParityConsistent());
  CHECK(rig.array->RSM(5).status().code() == Code::kInvalidArgument);
}

TEST_CASE("Array: a corrupt data block is reported, rebuilt and healed") {
  Rig rig(5, 80, 16);
  FillAll(rig);
  const Location at = rig.array->layout().DataLocation(17);
  rig.servers[at.server]->SetCorrupt(at.block, true);
  CHECK(*rig.array->Get(17) == Pattern(17, 16));
  CHECK(rig.events == std::vector<std::string>{"CORRUPTED_BLOCK 17"});
  CHECK(rig.array->Get(17).ok());  // healed by the write-back
  CHECK(rig.events.size() == 1);
}

TEST_CASE("Array: corrupt old data or old parity inside a write") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  const Location d = rig.array->layout().DataLocation(20);
  rig.servers[d.server]->SetCorrupt(d.block, true);
  REQUIRE(rig.array->Put(20, Bytes(16, 3)).ok());
  CHECK(rig.events == std::vector<std::string>{"CORRUPTED_BLOCK 20"});
  const Location p = rig.array->layout().ParityLocation(rig.array->layout().StripeOf(25));
  rig.servers[p.server]->SetCorrupt(p.block, true);
  REQUIRE(rig.array->Put(25, Bytes(16, 4)).ok());
  CHECK(rig.events.back() == "CORRUPTED_BLOCK parity " + std::to_string(p.block) + " server " +
                                 std::to_string(p.server));
  CHECK(rig.ParityConsistent());
  CHECK(*rig.array->Get(20) == Bytes(16, 3));
  CHECK(*rig.array->Get(25) == Bytes(16, 4));
}

TEST_CASE("Array: every single failure, degraded I/O, repair, then another failure") {
  for (int n : {3, 4, 8}) {
    for (int k = 0; k < n; ++k) {
      CAPTURE(n);
      CAPTURE(k);
      Rig rig(n, 70, 16);
      FillAll(rig);
      rig.servers[k]->SetFailed(true);
      CheckAll(rig);  // degraded reads
      CHECK(rig.events == std::vector<std::string>{"SERVER_DISCONNECTED GET " + std::to_string(k)});
      FillAll(rig, 1);  // degraded writes
      CheckAll(rig, 1);
      CHECK(rig.events.size() == 1);
      rig.Restart(k);
      CHECK(rig.array->failed(k));  // back, but not trusted until repaired
      std::vector<int> progress;
      REQUIRE(rig.array->Repair(k, [&](int done, int) { progress.push_back(done); }).ok());
      CHECK(progress.back() == rig.array->server_blocks());
      CHECK_FALSE(rig.array->failed(k));
      CHECK(rig.ParityConsistent());
      const int j = (k + 1) % n;
      rig.servers[j]->SetFailed(true);
      CheckAll(rig, 1);
    }
  }
}

TEST_CASE("Array: a failure detected by a write's acknowledgement") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  const Location d = rig.array->layout().DataLocation(30);
  const Location p = rig.array->layout().ParityLocation(d.block);
  // The data server answers the read of old data, then dies before the write.
  rig.servers[d.server]->FailAfterCalls(1);
  REQUIRE(rig.array->Put(30, Bytes(16, 5)).ok());  // the parity's acknowledgement suffices
  CHECK(rig.events ==
        std::vector<std::string>{"SERVER_DISCONNECTED PUT " + std::to_string(d.server)});
  CHECK(*rig.array->Get(30) == Bytes(16, 5));  // rebuilt from the new parity
  // The parity server dies the same way: the data write still completes.
  Rig rig2(4, 60, 16);
  FillAll(rig2);
  rig2.servers[p.server]->FailAfterCalls(1);
  REQUIRE(rig2.array->Put(30, Bytes(16, 6)).ok());
  CHECK(rig2.events.size() == 1);
  CHECK(*rig2.array->Get(30) == Bytes(16, 6));
}

TEST_CASE("Array: two failures give clear errors, never wrong bytes") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  rig.servers[1]->SetFailed(true);
  rig.servers[2]->SetFailed(true);
  int errors = 0;
  for (int v = 1; v < 60; ++v) {
    Result<Bytes> r = rig.array->Get(v);
    if (r.ok()) {
      CHECK(*r == Pattern(v, 16));
    } else {
      ++errors;
      CHECK(r.status().code() == Code::kDataLoss);
      const std::string lost = "block " + std::to_string(v) + " is lost: ";
      CHECK(r.status().message().rfind(lost, 0) == 0);
    }
  }
  CHECK(errors > 0);
  // A refused write modifies nothing.
  std::vector<Bytes> before;
  for (int s = 0; s < 4; ++s) {
    for (int b = 0; b < rig.array->server_blocks(); ++b) before.push_back(rig.servers[s]->raw(b));
  }
  for (int v = 1; v < 60; ++v) {
    Status s = rig.array->Put(v, Bytes(16, 0xee));
    if (!s.ok()) CHECK(s.code() == Code::kDataLoss);
  }
  CHECK(rig.array->Repair(1, nullptr).code() == Code::kUnavailable);
  CHECK(rig.array->Repair(9, nullptr).code() == Code::kInvalidArgument);
  CHECK(rig.array->Repair(0, nullptr).code() == Code::kInvalidArgument);  // healthy
}

TEST_CASE("Array: a double fault names the lost block and both causes") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  const Layout& l = rig.array->layout();
  // Block 20 on a failed server; block 19 of the same stripe corrupt.
  const Location lost = l.DataLocation(20);
  const Location corrupt = l.DataLocation(19);
  REQUIRE(lost.block == corrupt.block);
  rig.servers[lost.server]->SetFailed(true);
  rig.servers[corrupt.server]->SetCorrupt(corrupt.block, true);
  Result<Bytes> r = rig.array->Get(20);
  CHECK(r.status().code() == Code::kDataLoss);
  CHECK(r.status().message() == "block 20 is lost: server " + std::to_string(lost.server) +
                                    " failed, and block 19 on server " +
                                    std::to_string(corrupt.server) + " is corrupt");
  // The corruption met on the way is reported like any other.
  CHECK(rig.events ==
        std::vector<std::string>{"SERVER_DISCONNECTED GET " + std::to_string(lost.server),
                                 "CORRUPTED_BLOCK 19"});
  // A degraded write to block 20 needs block 19 for the parity: refused.
  Status w = rig.array->Put(20, Bytes(16, 1));
  CHECK(w.code() == Code::kDataLoss);
  CHECK(w.message().rfind("block 20 cannot be written: server " + std::to_string(lost.server) +
                              " failed, and block 19",
                          0) == 0);
}

TEST_CASE("Array: a corrupt block whose rebuild meets another corrupt block") {
  Rig rig(5, 80, 16);
  FillAll(rig);
  const Layout& l = rig.array->layout();
  const Location a = l.DataLocation(17);
  const Location p = l.ParityLocation(a.block);
  rig.servers[a.server]->SetCorrupt(a.block, true);
  rig.servers[p.server]->SetCorrupt(p.block, true);
  Result<Bytes> r = rig.array->Get(17);
  CHECK(r.status().code() == Code::kDataLoss);
  CHECK(r.status().message() == "block 17 is lost: its copy on server " + std::to_string(a.server) +
                                    " is corrupt, and the parity of stripe " +
                                    std::to_string(a.block) + " on server " +
                                    std::to_string(p.server) + " is corrupt");
  CHECK(rig.events == std::vector<std::string>{"CORRUPTED_BLOCK 17",
                                               "CORRUPTED_BLOCK parity " + std::to_string(a.block) +
                                                   " server " + std::to_string(p.server)});
}

TEST_CASE("Array: data and parity servers both failed: the write names both") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  const Location d = rig.array->layout().DataLocation(30);
  const Location p = rig.array->layout().ParityLocation(d.block);
  rig.servers[d.server]->SetFailed(true);
  rig.servers[p.server]->SetFailed(true);
  // The read notices the data server, then the parity server while rebuilding.
  CHECK(rig.array->Get(30).status().code() == Code::kDataLoss);
  REQUIRE(rig.array->failed(d.server));
  REQUIRE(rig.array->failed(p.server));
  Status s = rig.array->Put(30, Bytes(16, 2));
  CHECK(s.code() == Code::kDataLoss);
  CHECK(s.message() == "block 30 cannot be written: server " + std::to_string(d.server) +
                           " failed (its data), and server " + std::to_string(p.server) +
                           " failed (its stripe's parity)");
}

TEST_CASE("Array: the lock block reads as held while its server is failed or corrupt") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  CHECK(*rig.array->Get(0) == Bytes(16, 0));  // released, as stored
  rig.servers[0]->SetCorrupt(0, true);        // -cblk 0 on server 0
  CHECK(*rig.array->Get(0) == Bytes(16, 1));
  CHECK(rig.events.empty());  // nothing to rebuild or report: not file-system data
  rig.servers[0]->SetCorrupt(0, false);
  rig.servers[0]->SetFailed(true);
  CHECK(*rig.array->Get(0) == Bytes(16, 1));
  CHECK(rig.events == std::vector<std::string>{"SERVER_DISCONNECTED GET 0"});
  CHECK(*rig.array->Get(0) == Bytes(16, 1));  // and again, without contacting it
  CheckAll(rig);                              // every other block still reads right
}

TEST_CASE("Array: the lock block follows the convention") {
  // 2023's convention puts the lock on the last block: it goes to one server, outside parity.
  Layout layout(4);
  std::vector<std::unique_ptr<client::MemoryDevice>> servers;
  std::vector<client::BlockDevice*> raw;
  for (int i = 0; i < 4; ++i) {
    servers.push_back(std::make_unique<client::MemoryDevice>(layout.ServerBlocksFor(60), 16));
    raw.push_back(servers.back().get());
  }
  const client::LockConvention last{client::LockConvention::Placement::kLastBlock};
  Array array(raw, 60, 16, nullptr, ArrayOptions{last, false});
  CHECK(array.lock_block() == 59);
  const Location at = layout.DataLocation(59);
  CHECK(array.lock_server() == at.server);
  CHECK(array.RSM(0).status().code() == Code::kInvalidArgument);
  CHECK(*array.RSM(59) == Bytes(16, 0));
  CHECK(servers[at.server]->raw(at.block) == Bytes(16, 1));
  size_t calls = 0;
  for (auto& s : servers) calls += s->trace().size();
  CHECK(calls == 1);
}

TEST_CASE("Array: repair of server 0 brings the lock back unlocked, whatever stripe 0 holds") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  REQUIRE(rig.array->RSM(0).ok());  // the lock was held when server 0 died
  rig.servers[0]->SetFailed(true);
  CheckAll(rig);
  rig.Restart(0);
  rig.servers[0]->set_raw(0, Bytes(16, 0x77));  // garbage where the lock lives
  rig.servers[3]->set_raw(0, Bytes(16, 0x01));  // and an inconsistent stripe-0 parity
  rig.servers[1]->ClearTrace();
  REQUIRE(rig.array->Repair(0, nullptr).ok());
  CHECK(rig.servers[0]->raw(0) == Bytes(16, 0));  // zeros, not an XOR of stripe 0
  CHECK(*rig.array->RSM(0) == Bytes(16, 0));      // so the lock can be taken again
}

TEST_CASE("Array: repair refuses an unreachable server and leaves it failed") {
  Rig rig(4, 60, 16);
  FillAll(rig);
  rig.servers[2]->SetFailed(true);
  CheckAll(rig);
  Status s = rig.array->Repair(2, nullptr);
  CHECK(s.code() == Code::kUnavailable);
  CHECK(s.message().find("unreachable") != std::string::npos);
  CHECK(rig.array->failed(2));
}

TEST_CASE("Array: random operations against a model, with a failure midway") {
  std::mt19937 rng(42);
  Rig rig(5, 120, 8);
  std::vector<Bytes> model(120, Bytes(8, 0));
  for (int step = 0; step < 3000; ++step) {
    if (step == 1000) rig.servers[3]->SetFailed(true);
    if (step == 2000) {
      rig.Restart(3);
      REQUIRE(rig.array->Repair(3, nullptr).ok());
    }
    const int v = 1 + static_cast<int>(rng() % 119);
    if (rng() % 2) {
      Bytes data(8);
      for (auto& b : data) b = static_cast<uint8_t>(rng());
      REQUIRE(rig.array->Put(v, data).ok());
      model[v] = data;
    } else {
      Result<Bytes> r = rig.array->Get(v);
      REQUIRE(r.ok());
      CHECK(*r == model[v]);
    }
  }
  CHECK(rig.ParityConsistent());
}

TEST_CASE("ArrayEvent: the 2023 project's messages name the block, not the server") {
  ArrayEvent e;
  e.kind = ArrayEvent::Kind::kServerDisconnected;
  e.op = "GET";
  e.server = 2;
  e.request_block = 17;
  CHECK(e.ToString() == "SERVER_DISCONNECTED GET 2");
  CHECK(e.ToString(/*name_blocks=*/true) == "SERVER_DISCONNECTED GET 17");
  e.request_block = -1;  // a parity block, or a member record
  CHECK(e.ToString(true) == "SERVER_DISCONNECTED GET server 2");
  Rig rig(4, 30, 16);
  std::vector<std::string> named;
  Array array(
      rig.raw, 30, 16, [&](const ArrayEvent& event) { named.push_back(event.ToString(true)); },
      ArrayOptions{});
  rig.servers[1]->SetFailed(true);
  (void)array.Get(4);  // virtual block 4 lives on server 1
  CHECK(named == std::vector<std::string>{"SERVER_DISCONNECTED GET 4"});
}

}  // namespace memoryfs::raid
