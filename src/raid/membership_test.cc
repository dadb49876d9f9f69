// Member records, the recorded lock, write intent and resumable repair, over in-memory servers
// (two "clients" are two Arrays over the same devices).
#include <doctest/doctest.h>

#include "raid/testing.h"

namespace memoryfs::raid {
namespace {

using testing::CheckAll;
using testing::FillAll;
using testing::Pattern;
using testing::Rig;

constexpr int kBlocks = 48;
constexpr int kBs = 16;
constexpr int kLease = 1000;

Bytes Who(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Another client of the same servers.
struct Client {
  explicit Client(Rig& rig, bool force = false) {
    ArrayOptions options;
    options.force = force;
    array = std::make_unique<Array>(
        rig.View(), rig.array->num_blocks(), kBs,
        [this](const ArrayEvent& e) { events.push_back(e.ToString()); }, options);
  }
  Status Lock() {
    Result<client::LockReply> r = array->Lock(0, Who("client"), kLease);
    if (!r.ok()) return r.status();
    REQUIRE_FALSE(client::LockConvention::HeldByOther(r->old));
    return Status::Ok();
  }
  Status Unlock() {
    Status s = array->Unlock(0, Who("client"), {});
    if (!s.ok()) MESSAGE(s.ToString());
    return s;
  }
  std::unique_ptr<Array> array;
  std::vector<std::string> events;
};

// A shell's command: lock, body, unlock, settle.
template <typename F>
void Command(Array& array, F body) {
  REQUIRE(array.Lock(0, Who("shell"), kLease).ok());
  body();
  REQUIRE(array.Unlock(0, Who("shell"), {}).ok());
  REQUIRE(array.Settle().ok());
}

// Assemble, then an empty command: the records of a new array are written under its first
// lock, as every change of them.
void Start(Array& array) {
  REQUIRE(array.Assemble().ok());
  Command(array, [] {});
}

TEST_CASE("Members: a new array gets a record on every member, a second client adopts it") {
  Rig rig(4, kBlocks, kBs);
  REQUIRE(rig.array->Assemble().ok());
  for (auto& s : rig.servers) CHECK(s->raw_meta(kMemberKey).empty());  // none before the lock
  Command(*rig.array, [] {});
  CHECK(rig.events.empty());
  CHECK(rig.array->generation() == 1);
  for (auto& s : rig.servers) CHECK_FALSE(s->raw_meta(kMemberKey).empty());
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  CHECK(b.events.empty());
  CHECK(b.array->generation() == 1);
}

TEST_CASE(
    "Members: a blank restarted member is failed at start-up, once, and repair brings it back") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  FillAll(rig);
  rig.servers[1]->Restart();
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  REQUIRE(b.events == std::vector<std::string>{
                          "server 1 is blank: it restarted and lost its blocks: treated as failed "
                          "until 'repair 1'"});
  CHECK(b.array->failed(1));
  REQUIRE(b.Lock().ok());  // the change is published under the lock
  CHECK(b.array->generation() == 2);
  for (int v = 1; v < kBlocks; ++v) CHECK(*b.array->Get(v) == Pattern(v, kBs));
  REQUIRE(b.array->Repair(1, nullptr).ok());
  REQUIRE(b.Unlock().ok());
  CHECK(b.array->generation() == 3);
  Client c(rig);
  REQUIRE(c.array->Assemble().ok());
  CHECK(c.events.empty());
  CHECK_FALSE(c.array->failed(1));
}

TEST_CASE("Members: a member restarted blank between two commands of one client is caught") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  FillAll(rig);
  rig.events.clear();
  rig.servers[2]->Restart();  // its sessions() changes, as a reconnection would
  for (int v = 1; v < kBlocks; ++v) {
    CAPTURE(v);
    REQUIRE(*rig.array->Get(v) == Pattern(v, kBs));
  }
  CHECK(rig.array->failed(2));
  CHECK(rig.events.size() == 1);
  REQUIRE(rig.array->Put(5, Pattern(5, kBs, 9)).ok());
  CHECK(*rig.array->Get(5) == Pattern(5, kBs, 9));
}

TEST_CASE("Members: a failure seen by one client is honoured by another at its next lock") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  FillAll(rig);
  // A meets server 3 down, writes around it, publishes, releases.
  rig.servers[3]->SetFailed(true);
  Command(*rig.array, [&] {
    for (int v = 1; v < kBlocks; ++v) REQUIRE(rig.array->Put(v, Pattern(v, kBs, 1)).ok());
  });
  REQUIRE(rig.array->failed(3));
  rig.servers[3]->SetFailed(false);  // back, with stale blocks (SIGSTOP / SIGCONT)
  REQUIRE(b.Lock().ok());
  CHECK(b.array->failed(3));
  CHECK(b.events == std::vector<std::string>{
                        "server 3 was marked failed by another client (generation 2): treated "
                        "as failed until 'repair 3'"});
  for (int v = 1; v < kBlocks; ++v) CHECK(*b.array->Get(v) == Pattern(v, kBs, 1));
  REQUIRE(b.Unlock().ok());
  // A new client, started later, agrees too; after B repairs, A re-admits the member.
  Client c(rig);
  REQUIRE(c.array->Assemble().ok());
  CHECK(c.array->failed(3));
  REQUIRE(b.Lock().ok());
  Status repaired = b.array->Repair(3, nullptr);
  REQUIRE_MESSAGE(repaired.ok(), repaired.ToString());
  REQUIRE(b.Unlock().ok());
  Command(*rig.array, [&] { CHECK_FALSE(rig.array->failed(3)); });
  rig.ClearTraces();
  CHECK(*rig.array->Get(7) == Pattern(7, kBs, 1));
  CHECK(rig.Calls() == 1);
}

TEST_CASE("Members: servers of another size, geometry or order are refused at start-up") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  std::vector<client::BlockDevice*> swapped = rig.raw;
  std::swap(swapped[1], swapped[2]);
  Array wrong_order(swapped, kBlocks, kBs, nullptr, ArrayOptions{});
  Status s = wrong_order.Assemble();
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message() ==
        "the server listed as 1 is server 2 of this array: list the servers in the array's order");
  Array wrong_size(rig.raw, kBlocks - 3, kBs, nullptr, ArrayOptions{});
  CHECK(wrong_size.Assemble().message() ==
        "these servers hold an array of 4 servers with -nb 48 -bs 16; this shell was given 4 "
        "servers with -nb 45 -bs 16");
}

TEST_CASE("Members: a member without records (a Python server) is listed once and still works") {
  Rig rig(4, kBlocks, kBs);
  rig.servers[2]->SetNoMetadata(true);
  REQUIRE(rig.array->Assemble().ok());
  REQUIRE(rig.events.size() == 1);
  CHECK(rig.events[0].find("NOTE: server 2 keeps no array records") == 0);
  CHECK_FALSE(rig.array->checkable(2));
  FillAll(rig);
  CheckAll(rig);
  CHECK(rig.ParityConsistent());
}

TEST_CASE("Members: a member without records that restarted blank is caught from its blocks") {
  Rig rig(4, kBlocks, kBs);
  rig.servers[2]->SetNoMetadata(true);
  REQUIRE(rig.array->Assemble().ok());
  FillAll(rig);
  rig.servers[2]->Restart();
  rig.servers[2]->SetNoMetadata(true);
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  REQUIRE(b.events.size() == 2);
  CHECK(b.events[1] ==
        "server 2 reads as blank: zeros where its stripes' parity says otherwise (restarted?): "
        "treated as failed until 'repair 2'");
  for (int v = 1; v < kBlocks; ++v) CHECK(*b.array->Get(v) == Pattern(v, kBs));
  // A fresh array of such members is all zeros and consistent: nothing is rejected.
  Rig fresh(4, kBlocks, kBs);
  for (auto& s : fresh.servers) s->SetNoMetadata(true);
  REQUIRE(fresh.array->Assemble().ok());
  CHECK(fresh.events.size() == 1);  // the note
}

TEST_CASE("Members: a server without records, unreachable at start-up, is repaired once back") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  FillAll(rig);
  REQUIRE(rig.array->Settle().ok());
  rig.servers[2]->SetNoMetadata(true);  // replaced by a Python server, down for now
  rig.servers[2]->SetFailed(true);
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  CHECK(b.events == std::vector<std::string>{"SERVER_DISCONNECTED GET 2"});
  rig.servers[2]->SetFailed(false);
  REQUIRE(b.Lock().ok());
  Status repaired = b.array->Repair(2, nullptr);
  REQUIRE_MESSAGE(repaired.ok(), repaired.ToString());
  REQUIRE(b.Unlock().ok());
  CHECK_FALSE(b.array->checkable(2));
  CHECK_FALSE(b.array->failed(2));
  REQUIRE(b.array->Settle().ok());
  for (int v = 1; v < kBlocks; ++v) CHECK(*b.array->Get(v) == Pattern(v, kBs));
  CHECK(rig.ParityConsistent());
}

TEST_CASE("Lock: a corrupt lock block is reported once, written back released, and locked") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  rig.servers[0]->SetCorrupt(0, true);
  Command(*rig.array, [] {});
  CHECK(rig.events == std::vector<std::string>{"CORRUPTED_BLOCK 0"});
  Command(*rig.array, [] {});
  CHECK(rig.events.size() == 1);
  CHECK(rig.servers[0]->raw(0) == client::LockConvention::Released(kBs));
}

TEST_CASE("Lock: the lock's server failing before the release is reported, not an error") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  REQUIRE(rig.array->Lock(0, Who("a"), kLease).ok());
  rig.servers[0]->SetFailed(true);
  CHECK(rig.array->Unlock(0, Who("a"), {}).ok());
  CHECK(rig.events == std::vector<std::string>{"SERVER_DISCONNECTED PUT 0"});
  CHECK(rig.array->failed(0));
}

// Client A dies inside a command after a data Put landed and before its parity Put.
void DieMidWrite(Rig& rig, int block) {
  REQUIRE(rig.array->Lock(0, Who("dead"), kLease).ok());
  REQUIRE(rig.array->Put(block, Pattern(block, kBs, 5)).ok());  // marks the intent
  const Location at = rig.array->layout().DataLocation(block);
  rig.servers[at.server]->set_raw(at.block, Pattern(block, kBs, 6));  // data, no parity
  REQUIRE_FALSE(rig.ParityConsistent());
}

TEST_CASE("Intent: a dead writer's lock is broken after its lease and its stripes resynced") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  FillAll(rig);
  DieMidWrite(rig, 9);
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  Result<client::LockReply> waiting = b.array->Lock(0, Who("b"), kLease);
  REQUIRE(waiting.ok());
  CHECK(client::LockConvention::HeldByOther(waiting->old));
  CHECK(waiting->holder == Who("dead"));
  for (auto& s : rig.servers) s->AdvanceClockMs(kLease + 1);
  Result<client::LockReply> broken = b.array->Lock(0, Who("b"), kLease);
  REQUIRE(broken.ok());
  CHECK(broken->broken);
  CHECK(rig.ParityConsistent());
  CHECK_FALSE(b.array->dirty());
  CHECK(*b.array->Get(9) == Pattern(9, kBs, 6));
  REQUIRE(b.Unlock().ok());
  REQUIRE(b.events.size() == 2);
  CHECK(b.events[0].find("resync: the lock's previous holder (dead) died inside a command") == 0);
}

TEST_CASE("Intent: dirty and degraded refuses to rebuild, unless forced") {
  for (bool force : {false, true}) {
    CAPTURE(force);
    Rig rig(4, kBlocks, kBs);
    Start(*rig.array);
    FillAll(rig);
    DieMidWrite(rig, 9);
    rig.servers[1]->Restart();  // then a server is lost
    for (auto& s : rig.servers) s->AdvanceClockMs(kLease + 1);
    Client b(rig, force);
    REQUIRE(b.array->Assemble().ok());
    REQUIRE(b.Lock().ok());
    CHECK(b.array->dirty());
    const int on_1 = 1;  // virtual block 1 lives on server 1
    Result<Bytes> r = b.array->Get(on_1);
    if (force) {
      CHECK(r.ok());
    } else {
      CHECK(r.status().code() == Code::kDataLoss);
      CHECK(r.status().message().find("block 1 is not rebuilt: the lock's previous holder (dead) "
                                      "died inside a command") == 0);
      CHECK(b.array->Repair(1, nullptr).code() == Code::kDataLoss);
      // Blocks on live servers read as usual.
      CHECK(*b.array->Get(2) == Pattern(2, kBs));
    }
    REQUIRE(b.Unlock().ok());
    // The note left at release keeps the array dirty for the next client.
    Client c(rig);
    REQUIRE(c.array->Assemble().ok());
    REQUIRE(c.Lock().ok());
    CHECK(c.array->dirty());
  }
}

TEST_CASE("Intent: what the records cost a healthy command, in requests and rounds") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  FillAll(rig);
  REQUIRE(rig.array->Settle().ok());
  Command(*rig.array, [] {});  // the first lock reads every record: nothing is known yet
  rig.ClearTraces();
  // A read: Lock on the lock's server and Claim (with the member's record) on each other
  // member, in one round; the Get; Unlock and Release in one round.
  Command(*rig.array, [&] { (void)rig.array->Get(5); });
  CHECK(rig.Calls() == 1 + 3 + 1 + 1 + 3);
  rig.ClearTraces();
  // A write: the same, read-modify-write (4), and the intent: set on the lock's record on
  // every member in one round, cleared by the release's note.
  Command(*rig.array, [&] { REQUIRE(rig.array->Put(5, Pattern(5, kBs, 2)).ok()); });
  CHECK(rig.Calls() == 1 + 3 + 4 + 4 + 1 + 3);
  CHECK(rig.servers[0]->trace() == std::vector<std::string>{"Lock 0", "PutMeta lock", "Unlock 0"});
  CHECK(rig.servers[1]->trace().front() == "Claim");
  CHECK(rig.servers[1]->trace()[1] == "PutMeta lock");
  CHECK(rig.servers[1]->trace().back() == "Release");
}

TEST_CASE("Repair: an interrupted repair resumes where it stopped, the part done is served") {
  const int nb = 3 * 32 * 12;  // 384 stripes, 12 batches
  Rig rig(4, nb, kBs);
  Start(*rig.array);
  testing::FillDirect(rig, 3);
  rig.servers[2]->Restart();
  Client b(rig);
  Status assembled = b.array->Assemble();
  REQUIRE_MESSAGE(assembled.ok(), assembled.ToString());
  REQUIRE(b.array->failed(2));
  rig.views[3]->set_limit(300);  // b's reads past stripe 300 fail: the 10th batch stops it
  REQUIRE(b.Lock().ok());
  REQUIRE_FALSE(b.array->Repair(2, nullptr).ok());
  rig.views[3]->set_limit(-1);
  (void)b.Unlock();
  // A new client finds server 2 rebuilt for 288 stripes (9 batches, recorded when it stopped)
  // and reads them from it; the rest is rebuilt from the others.
  std::vector<std::string> events;
  Array c(
      rig.raw, nb, kBs, [&](const ArrayEvent& e) { events.push_back(e.ToString()); },
      ArrayOptions{});
  REQUIRE(c.Assemble().ok());
  CHECK(c.failed(2));
  CHECK_FALSE(c.failed(3));
  CHECK(c.rebuilt(2) == 9 * 32);
  int on_2 = 0;  // a block of server 2 in a stripe already rebuilt
  while (c.layout().DataLocation(on_2).server != 2 || c.layout().DataLocation(on_2).block < 100) {
    ++on_2;
  }
  rig.ClearTraces();
  CHECK(*c.Get(on_2) == Pattern(on_2, kBs, 3));
  CHECK(rig.Calls() == 1);
  events.clear();
  REQUIRE(c.Lock(0, Who("c"), kLease).ok());
  Status repaired = c.Repair(2, nullptr);
  REQUIRE_MESSAGE(repaired.ok(), repaired.ToString());
  REQUIRE(c.Unlock(0, Who("c"), {}).ok());
  CHECK(events == std::vector<std::string>{"repair of server 2 resumes at stripe 288 of 384"});
  for (int v = 1; v < nb; ++v) REQUIRE(*c.Get(v) == Pattern(v, kBs, 3));
  CHECK(rig.ParityConsistent());
}

// ---------------------------------------------------------------------------------------------
// The lock on a majority of the members, and fencing.

bool Holds(Array& array, const char* who) {
  Result<client::LockReply> r = array.Lock(0, Who(who), kLease);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return !client::LockConvention::HeldByOther(r->old);
}

TEST_CASE("Lock: held on every member, and a second client waits, naming the holder") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  REQUIRE(Holds(*rig.array, "a"));
  for (int s = 1; s < 4; ++s)
    CHECK(ToString(rig.servers[s]->raw_meta(kLockKey)).find("held a") != std::string::npos);
  Result<client::LockReply> waiting = b.array->Lock(0, Who("b"), kLease);
  REQUIRE(waiting.ok());
  CHECK(client::LockConvention::HeldByOther(waiting->old));
  CHECK(waiting->holder == Who("a"));
  REQUIRE(rig.array->Unlock(0, Who("a"), {}).ok());
  CHECK(Holds(*b.array, "b"));
  REQUIRE(b.Unlock().ok());
}

TEST_CASE("Lock: the loss of server 0 leaves a majority: two clients still exclude each other") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  FillAll(rig);
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  rig.servers[0]->SetFailed(true);
  REQUIRE(Holds(*rig.array, "a"));  // on servers 1..3
  CHECK(rig.array->failed(0));
  CHECK_FALSE(Holds(*b.array, "b"));
  REQUIRE(rig.array->Put(7, Pattern(7, kBs, 3)).ok());
  REQUIRE(rig.array->Unlock(0, Who("a"), {}).ok());
  REQUIRE(Holds(*b.array, "b"));
  CHECK(*b.array->Get(7) == Pattern(7, kBs, 3));
  REQUIRE(b.Unlock().ok());
}

TEST_CASE("Lock: a majority is kept while the rest is waited for, a minority given back") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  // Another client holds server 3 alone: a gets 0, 1, 2 (a majority of 4) and waits for 3.
  REQUIRE(rig.servers[3]->Claim(Who("x"), kLease, "", false)->epoch > 0);
  CHECK_FALSE(Holds(*rig.array, "a"));
  CHECK(ToString(rig.servers[1]->raw_meta(kLockKey)).find("held a") != std::string::npos);
  REQUIRE(rig.servers[3]->Release(Who("x"), {}).ok());
  CHECK(Holds(*rig.array, "a"));  // only server 3 asked this time
  REQUIRE(rig.array->Unlock(0, Who("a"), {}).ok());
  // Another client holds 2 and 3: a's two grants are a minority, given back.
  REQUIRE(rig.servers[2]->Claim(Who("x"), kLease, "", false)->epoch > 0);
  REQUIRE(rig.servers[3]->Claim(Who("x"), kLease, "", false)->epoch > 0);
  CHECK_FALSE(Holds(*rig.array, "a"));
  CHECK(ToString(rig.servers[1]->raw_meta(kLockKey)).find("held") == std::string::npos);
  CHECK(client::LockConvention::HeldByOther(rig.servers[0]->raw(0)) == false);
}

TEST_CASE("Fencing: a holder whose lock was taken over writes nothing, and says so") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  FillAll(rig);
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  REQUIRE(Holds(*rig.array, "a"));
  REQUIRE(rig.array->Put(5, Pattern(5, kBs, 1)).ok());        // a is dirty
  for (auto& s : rig.servers) s->AdvanceClockMs(kLease + 1);  // a stopped past its lease
  Result<client::LockReply> broken = b.array->Lock(0, Who("b"), kLease);
  REQUIRE(broken.ok());
  CHECK(broken->broken);
  REQUIRE(b.array->Put(5, Pattern(5, kBs, 2)).ok());  // acknowledged
  REQUIRE(b.Unlock().ok());
  // a resumes: its next write is refused everywhere, before anything is written.
  const Status late = rig.array->Put(5, Pattern(5, kBs, 9));
  CHECK(late.code() == Code::kFenced);
  CHECK(rig.array->Unlock(0, Who("a"), {}).code() == Code::kAborted);
  REQUIRE(Holds(*b.array, "b"));
  CHECK(*b.array->Get(5) == Pattern(5, kBs, 2));
  REQUIRE(b.Unlock().ok());
  CHECK(rig.ParityConsistent());
  // a takes the lock again like anyone.
  REQUIRE(Holds(*rig.array, "a"));
  REQUIRE(rig.array->Unlock(0, Who("a"), {}).ok());
}

TEST_CASE("Members: a record changed by another client is converged on, never a failure") {
  Rig rig(4, kBlocks, kBs);
  Start(*rig.array);
  Client b(rig);
  REQUIRE(b.array->Assemble().ok());
  rig.servers[2]->SetFailed(true);
  Command(*rig.array, [&] { (void)rig.array->Get(2); });  // a fails server 2, publishes
  rig.servers[2]->SetFailed(false);
  REQUIRE(rig.array->failed(2));
  REQUIRE(b.Lock().ok());  // b meets a's records: it adopts them, rejects nobody else
  CHECK(b.array->failed(2));
  for (int s : {0, 1, 3}) CHECK_FALSE(b.array->failed(s));
  CHECK(b.array->generation() == rig.array->generation());
  REQUIRE(b.Unlock().ok());
}

}  // namespace
}  // namespace memoryfs::raid
