// DisconnectNamer over an array of in-memory servers with the 2023 lock (the last block): every
// SERVER_DISCONNECTED it passes on names a block, exactly once per failure.
#include "raid/disconnect_namer.h"

#include <doctest/doctest.h>

#include "raid/testing.h"

namespace memoryfs::raid {
namespace {

constexpr int kBlocks = 48;
constexpr int kBs = 16;
constexpr int kLease = 1000;
constexpr client::LockConvention kLock2023 = client::LockConvention::For(Edition::k2023);

// A 2023 shell's device stack: the namer between the array and the events it prints.
struct Named {
  explicit Named(testing::Rig& rig)
      : namer([this](const ArrayEvent& e) { events.push_back(e.ToString(/*name_blocks=*/true)); }) {
    array = std::make_unique<Array>(rig.raw, kBlocks, kBs, namer.sink(),
                                    ArrayOptions{kLock2023, false});
    namer.Attach(array.get());
    REQUIRE(array->Assemble().ok());
    Lock();  // the array's records are written under its first lock
  }
  // The lock round of a command: every member's record is read.
  void Lock() {
    REQUIRE(namer.Lock(kBlocks - 1, Bytes{'s'}, kLease).ok());
    REQUIRE(namer.Unlock(kBlocks - 1, Bytes{'s'}, {}).ok());
  }
  // `repair k`, under the lock as the shell runs it.
  void Repair(int k) {
    REQUIRE(namer.Lock(kBlocks - 1, Bytes{'s'}, kLease).ok());
    const Status repaired = array->Repair(k, nullptr);
    REQUIRE_MESSAGE(repaired.ok(), repaired.ToString());
    REQUIRE(namer.Unlock(kBlocks - 1, Bytes{'s'}, {}).ok());
  }
  // The first block (not the lock) whose data, or whose stripe's parity (parity true), is on
  // `server`, and whose data is not there when parity is asked for.
  int BlockOn(int server, bool parity) const {
    const Layout& layout = array->layout();
    for (int v = 0; v < kBlocks - 1; ++v) {
      const Location at = layout.DataLocation(v);
      if (!parity && at.server == server) return v;
      if (parity && at.server != server && layout.ParityServer(at.block) == server) return v;
    }
    FAIL("no such block");
    return -1;
  }

  // The first block whose data and stripe's parity are both elsewhere than `server`.
  int BlockAvoiding(int server) const {
    const Layout& layout = array->layout();
    for (int v = 0; v < kBlocks - 1; ++v) {
      const Location at = layout.DataLocation(v);
      if (at.server != server && layout.ParityServer(at.block) != server) return v;
    }
    FAIL("no such block");
    return -1;
  }

  std::vector<std::string> events;
  DisconnectNamer namer;
  std::unique_ptr<Array> array;
};

std::string Disconnected(const char* op, int block) {
  return std::string("SERVER_DISCONNECTED ") + op + " " + std::to_string(block);
}

TEST_CASE("DisconnectNamer: a failure met by the lock round is told at the first Get without it") {
  testing::Rig rig(4, kBlocks, kBs, kLock2023);
  Named shell(rig);
  const int k = 2;
  for (int v = 0; v < kBlocks - 1; ++v) REQUIRE(shell.namer.Put(v, testing::Pattern(v, kBs)).ok());
  rig.servers[k]->SetFailed(true);
  shell.Lock();
  CHECK(shell.array->failed(k));
  CHECK(shell.events.empty());  // held: the records are no block
  const int elsewhere = shell.BlockOn((k + 1) % 4, /*parity=*/false);
  REQUIRE(*shell.namer.Get(elsewhere) == testing::Pattern(elsewhere, kBs));
  CHECK(shell.events.empty());  // that read does not need server k
  const int on_k = shell.BlockOn(k, /*parity=*/false);
  REQUIRE(*shell.namer.Get(on_k) == testing::Pattern(on_k, kBs));  // rebuilt
  CHECK(shell.events == std::vector<std::string>{Disconnected("GET", on_k)});
  for (int v = 0; v < kBlocks - 1; ++v) REQUIRE(shell.namer.Get(v).ok());
  CHECK(shell.events.size() == 1);  // once
}

TEST_CASE("DisconnectNamer: a held failure is told at a Put whose stripe's parity is there") {
  testing::Rig rig(4, kBlocks, kBs, kLock2023);
  Named shell(rig);
  const int k = 1;
  rig.servers[k]->SetFailed(true);
  shell.Lock();
  CHECK(shell.events.empty());
  const int block = shell.BlockOn(k, /*parity=*/true);
  REQUIRE(shell.namer.Get(block).ok());  // its data is elsewhere: nothing to tell
  CHECK(shell.events.empty());
  REQUIRE(shell.namer.Put(block, Bytes(kBs, 7)).ok());  // data only: goes without its parity
  CHECK(shell.events == std::vector<std::string>{Disconnected("PUT", block)});
}

TEST_CASE("DisconnectNamer: a record or parity request inside a block's names that block") {
  testing::Rig rig(4, kBlocks, kBs, kLock2023);
  Named shell(rig);
  const int k = 0;
  REQUIRE(k != shell.array->lock_server());  // the lock round must go on
  const int block = shell.BlockOn(k, /*parity=*/true);
  // Unlocked (no intent records to write), the read of the old parity meets the failure.
  rig.servers[k]->SetFailed(true);
  REQUIRE(shell.namer.Put(block, Bytes(kBs, 5)).ok());
  CHECK(shell.events == std::vector<std::string>{Disconnected("GET", block)});
  rig.Restart(k);
  shell.Repair(k);
  shell.events.clear();
  // Locked, with the intent already set by a write elsewhere: the parity read meets it.
  REQUIRE(shell.namer.Lock(kBlocks - 1, Bytes{'s'}, kLease).ok());
  REQUIRE(shell.namer.Put(shell.BlockAvoiding(k), Bytes(kBs, 6)).ok());
  rig.servers[k]->SetFailed(true);
  REQUIRE(shell.namer.Put(block, Bytes(kBs, 7)).ok());
  CHECK(shell.events == std::vector<std::string>{Disconnected("GET", block)});
  REQUIRE(shell.namer.Unlock(kBlocks - 1, Bytes{'s'}, {}).ok());
  shell.Lock();
  for (int v = 0; v < kBlocks - 1; ++v) REQUIRE(shell.namer.Get(v).ok());
  CHECK(shell.events.size() == 1);  // once
}

TEST_CASE("DisconnectNamer: a data request names its block as the array does, other events pass") {
  testing::Rig rig(4, kBlocks, kBs, kLock2023);
  Named shell(rig);
  const int k = 0;
  const int block = shell.BlockOn(k, /*parity=*/false);
  rig.servers[k]->SetFailed(true);
  REQUIRE(shell.namer.Get(block).ok());
  CHECK(shell.events == std::vector<std::string>{Disconnected("GET", block)});
  shell.events.clear();
  rig.Restart(k);  // blank
  shell.Repair(k);
  rig.servers[k]->Restart();  // blank again, between commands: rejected, not disconnected
  shell.Lock();
  REQUIRE(shell.events.size() == 1);
  CHECK(shell.events[0].rfind("server 0 is blank", 0) == 0);
}

TEST_CASE("DisconnectNamer: a held failure repaired before any block goes without it is dropped") {
  testing::Rig rig(4, kBlocks, kBs, kLock2023);
  Named shell(rig);
  const int k = 2;
  rig.servers[k]->SetFailed(true);
  shell.Lock();
  rig.Restart(k);
  shell.Repair(k);
  for (int v = 0; v < kBlocks - 1; ++v) REQUIRE(shell.namer.Get(v).ok());
  CHECK(shell.events.empty());
  // The lock block's own calls are no block request: forwarded, nothing told.
  rig.servers[k]->SetFailed(true);
  shell.Lock();
  REQUIRE(shell.namer.Get(kBlocks - 1).ok());
  REQUIRE(shell.namer.Put(kBlocks - 1, Bytes(kBs, 0)).ok());
  CHECK(shell.events.empty());
}

}  // namespace
}  // namespace memoryfs::raid
