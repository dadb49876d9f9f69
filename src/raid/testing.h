// Test helpers of the raid layer (header-only, used by array_test.cc and repair_test.cc): N
// in-memory servers under one Array, with the events it reported, and block patterns.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/memory_device.h"
#include "core/xor.h"
#include "raid/array.h"

namespace memoryfs::raid::testing {

// A server as the array sees it: forwards to an in-memory device, except that after a restart
// with fewer blocks (limit >= 0) every block from `limit` on is out of range, while it still
// reports the size it was configured with.
class Server : public client::BlockDevice {
 public:
  explicit Server(client::MemoryDevice* device) : device_(device) {}
  Result<Bytes> Get(int block) override {
    Apply();
    if (Beyond(block)) return OutOfRange(device_->Get(block), block);
    return device_->Get(block);
  }
  Status Put(int block, const Bytes& data) override {
    Apply();
    if (Beyond(block)) return OutOfRange(device_->Put(block, data), block);
    return device_->Put(block, data);
  }
  Result<Bytes> RSM(int block) override {
    Apply();
    if (Beyond(block)) return OutOfRange(device_->RSM(block), block);
    return device_->RSM(block);
  }
  int num_blocks() const override { return device_->num_blocks(); }
  int block_size() const override { return device_->block_size(); }
  Result<Bytes> GetMeta(const std::string& key) override {
    Apply();
    return device_->GetMeta(key);
  }
  Result<Bytes> PutMeta(const std::string& key, const Bytes& expected,
                        const Bytes& value) override {
    Apply();
    return device_->PutMeta(key, expected, value);
  }
  Result<client::LockReply> Lock(int block, const Bytes& holder, int lease_ms) override {
    Apply();
    return device_->Lock(block, holder, lease_ms);
  }
  Status Unlock(int block, const Bytes& holder, const Bytes& note) override {
    Apply();
    return device_->Unlock(block, holder, note);
  }
  Result<client::LockReply> Claim(const Bytes& holder, int lease_ms, const std::string& read_key,
                                  bool take_over) override {
    Apply();
    return device_->Claim(holder, lease_ms, read_key, take_over);
  }
  Status Release(const Bytes& holder, const Bytes& note) override {
    Apply();
    return device_->Release(holder, note);
  }
  // Kept here and set on the device before each call: two clients' Servers over one device
  // (Rig::View) send each its own epoch, as two RemoteDevices would.
  void set_epoch(int64_t epoch) override { epoch_ = epoch; }
  uint64_t sessions() const override { return device_->sessions(); }
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

  // This client's epoch, set on the device for the call.
  void Apply() { device_->set_epoch(epoch_); }

  client::MemoryDevice* device_;
  int limit_ = -1;
  int64_t epoch_ = 0;
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
        [this](const ArrayEvent& e) { events.push_back(e.ToString()); }, ArrayOptions{lock, false});
  }
  // The servers as another client sees them (each its own epochs).
  std::vector<client::BlockDevice*> View() {
    std::vector<client::BlockDevice*> view;
    for (auto& s : servers) {
      views.push_back(std::make_unique<Server>(s.get()));
      view.push_back(views.back().get());
    }
    return view;
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
  std::vector<std::unique_ptr<Server>> views;  // other clients' (View)
  std::vector<client::BlockDevice*> raw;
  std::unique_ptr<Array> array;
  std::vector<std::string> events;
};

inline Bytes Pattern(int block, int size, int salt = 0) {
  Bytes b(size);
  for (int i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(block * 31 + i * 7 + salt);
  return b;
}

// Every block but the lock (which stays released).
inline void FillAll(Rig& rig, int salt = 0) {
  for (int v = 0; v < rig.array->num_blocks(); ++v) {
    if (v == rig.array->lock_block()) continue;
    REQUIRE(rig.array->Put(v, Pattern(v, rig.array->block_size(), salt)).ok());
  }
}

// The same contents written straight into the servers, parity computed here: quick enough
// for sweeps over many geometries.
inline void FillDirect(Rig& rig, int salt) {
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

inline void CheckAll(Rig& rig, int salt = 0) {
  for (int v = 0; v < rig.array->num_blocks(); ++v) {
    if (v == rig.array->lock_block()) continue;
    CAPTURE(v);
    Result<Bytes> r = rig.array->Get(v);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    REQUIRE(*r == Pattern(v, rig.array->block_size(), salt));
  }
}

// The first virtual block (the lock block aside) whose data is on `server`.
inline int FirstBlockOn(const Rig& rig, int server) {
  for (int v = 0; v < rig.array->num_blocks(); ++v) {
    if (v != rig.array->lock_block() && rig.array->layout().DataLocation(v).server == server) {
      return v;
    }
  }
  return -1;
}

}  // namespace memoryfs::raid::testing
