// Array::Repair (repair.cc) over in-memory servers.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "core/xor.h"
#include "raid/array.h"

namespace memoryfs::raid {

namespace {

// A server as the array sees it: forwards to an in-memory device, except that after a restart
// with fewer blocks (limit >= 0) every block from `limit` on is out of range, while it still
// reports the size it was configured with.
class Server : public client::BlockDevice {
 public:
  explicit Server(client::MemoryDevice* device) : device_(device) {}
  Result<Bytes> Get(int block) override {
    if (Beyond(block)) return OutOfRange(device_->Get(block), block);
    return device_->Get(block);
  }
  Status Put(int block, const Bytes& data) override {
    if (Beyond(block)) return OutOfRange(device_->Put(block, data), block);
    return device_->Put(block, data);
  }
  Result<Bytes> RSM(int block) override {
    if (Beyond(block)) return OutOfRange(device_->RSM(block), block);
    return device_->RSM(block);
  }
  int num_blocks() const override { return device_->num_blocks(); }
  int block_size() const override { return device_->block_size(); }
  void set_limit(int limit) { limit_ = limit; }

 private:
  bool Beyond(int block) const { return limit_ >= 0 && block >= limit_; }
  // The call still reaches the device (it counts, traces and may fail as usual).
  template <typename T>
  Status OutOfRange(const T& answer, int block) {
    const Status& s = internal::StatusOf(answer);
    if (!s.ok()) return s;
    return Status::Error(Code::kOutOfRange, "block " + std::to_string(block) + " out of range");
  }

  client::MemoryDevice* device_;
  int limit_ = -1;
};

// N in-memory servers under one array, with the events it reported.
struct Rig {
  Rig(int n, int num_blocks, int block_size, client::LockConvention lock = client::kLock2022) {
    Layout layout(n);
    for (int i = 0; i < n; ++i) {
      servers.push_back(
          std::make_unique<client::MemoryDevice>(layout.ServerBlocksFor(num_blocks), block_size));
      wrappers.push_back(std::make_unique<Server>(servers.back().get()));
      raw.push_back(wrappers.back().get());
    }
    array = std::make_unique<Array>(
        raw, num_blocks, block_size,
        [this](const ArrayEvent& e) { events.push_back(e.ToString()); }, lock);
  }
  size_t Calls() const {
    size_t total = 0;
    for (auto& s : servers) total += s->trace().size();
    return total;
  }
  size_t Puts() const {
    size_t total = 0;
    for (auto& s : servers) {
      for (const std::string& line : s->trace()) total += line.rfind("Put ", 0) == 0 ? 1 : 0;
    }
    return total;
  }
  void ClearTraces() {
    for (auto& s : servers) s->ClearTrace();
  }
  Location LockSlot() const { return array->layout().DataLocation(array->lock_block()); }
  // Every stripe's XOR is zero, the lock slot excluded.
  bool ParityConsistent() const {
    for (int stripe = 0; stripe < array->server_blocks(); ++stripe) {
      Bytes acc(array->block_size(), 0);
      for (int s = 0; s < array->num_servers(); ++s) {
        if (Location{s, stripe} == LockSlot()) continue;
        XorInto(acc, servers[s]->raw(stripe));
      }
      if (!IsAllZero(acc)) return false;
    }
    return true;
  }
  // Every byte of every server.
  std::vector<std::vector<Bytes>> Snapshot() const {
    std::vector<std::vector<Bytes>> all;
    for (auto& s : servers) {
      std::vector<Bytes> blocks;
      for (int b = 0; b < s->num_blocks(); ++b) blocks.push_back(s->raw(b));
      all.push_back(std::move(blocks));
    }
    return all;
  }
  // The server stops answering, and the array notices it: on a read of one of its data
  // blocks, else on a rewrite (of the same bytes) in a stripe where it holds the parity, else
  // (a server holding nothing but the lock) on the lock. No stored byte changes.
  void Fail(int server) {
    servers[server]->SetFailed(true);
    for (int v = 0; v < array->num_blocks() && !array->failed(server); ++v) {
      if (v == array->lock_block()) continue;
      if (array->layout().DataLocation(v).server == server) (void)array->Get(v);  // degraded
    }
    for (int v = 0; v < array->num_blocks() && !array->failed(server); ++v) {
      if (v == array->lock_block()) continue;
      Result<Bytes> r = array->Get(v);
      REQUIRE(r.ok());
      REQUIRE(array->Put(v, *r).ok());
    }
    if (!array->failed(server)) {
      REQUIRE(server == array->lock_server());
      REQUIRE_FALSE(array->RSM(array->lock_block()).ok());
    }
    REQUIRE(array->failed(server));
  }
  // The server comes back with every block set to `fill`.
  void Restart(int server, uint8_t fill = 0) {
    for (int b = 0; b < servers[server]->num_blocks(); ++b) {
      servers[server]->set_raw(b, Bytes(array->block_size(), fill));
    }
    servers[server]->SetFailed(false);
  }

  std::vector<std::unique_ptr<client::MemoryDevice>> servers;
  std::vector<std::unique_ptr<Server>> wrappers;
  std::vector<client::BlockDevice*> raw;
  std::unique_ptr<Array> array;
  std::vector<std::string> events;
};

Bytes Pattern(int block, int size, int salt = 0) {
  Bytes b(size);
  for (int i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(block * 31 + i * 7 + salt);
  return b;
}

// Every block but the lock (which stays released).
void FillAll(Rig& rig, int salt = 0) {
  for (int v = 0; v < rig.array->num_blocks(); ++v) {
    if (v == rig.array->lock_block()) continue;
    REQUIRE(rig.array->Put(v, Pattern(v, rig.array->block_size(), salt)).ok());
  }
}

// The same contents written straight into the servers, parity computed here: quick enough
// for sweeps over many geometries.
void FillDirect(Rig& rig, int salt) {
  const Layout& l = rig.array->layout();
  const int bs = rig.array->block_size();
  for (int stripe = 0; stripe < rig.array->server_blocks(); ++stripe) {
    Bytes parity(bs, 0);
    for (int s = 0; s < l.num_servers(); ++s) {
      const std::optional<int> v = l.VirtualAt(s, stripe);
      if (!v || Location{s, stripe} == rig.LockSlot()) continue;
      // Blocks past num_blocks in a partial last stripe stay zero.
      const Bytes data = *v < rig.array->num_blocks() ? Pattern(*v, bs, salt) : Bytes(bs, 0);
      rig.servers[s]->set_raw(stripe, data);
      XorInto(parity, data);
    }
    rig.servers[l.ParityServer(stripe)]->set_raw(stripe, parity);
  }
}

void CheckAll(Rig& rig, int salt = 0) {
  for (int v = 0; v < rig.array->num_blocks(); ++v) {
    if (v == rig.array->lock_block()) continue;
    CAPTURE(v);
    Result<Bytes> r = rig.array->Get(v);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    REQUIRE(*r == Pattern(v, rig.array->block_size(), salt));
  }
}

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
  for (int k = 0; k < 4; ++k) CheckRefused(rig, k, Code::kInvalidArgument);
  CHECK(rig.Calls() == 0);
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

TEST_CASE("Repair: another server failing midway stops it with an error; the target stays failed") {
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
  // The target, only half rebuilt, is never read from.
  rig.ClearTraces();
  for (int v = 1; v < 20; ++v) (void)rig.array->Get(v);  // some lost, none from server 2
  CHECK(rig.servers[2]->trace().empty());
}

TEST_CASE("Repair: the target failing while being written stops it; it stays failed") {
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
