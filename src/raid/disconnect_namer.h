// DisconnectNamer: the 2023 RAID project's rule that every SERVER_DISCONNECTED names a block
// number ("SERVER_DISCONNECTED <PUT|GET> <block_number>", spec edition2023.md), also for the
// failures that the array meets on requests for no data block (a stripe's parity, a member's
// record, the recorded lock). Kept out of the array: it sits between the array and its event
// sink, and between the file system and the array (a BlockDevice that forwards every call).
//
// - A kServerDisconnected event that names its request's block (request_block >= 0) is passed
//   on as it is, and so is every other kind of event.
// - One that does not (request_block -1), met during a Get or Put of a block through this
//   device, is passed on naming that block: the block whose request met the failure (the op
//   stays the event's: "SERVER_DISCONNECTED GET 17" when the parity read of a Put of block 17
//   met it).
// - One met outside any block request (the lock round, which reads every member's record; the
//   publishing of the failed set after a command; `status`) is held, and passed on once, at
//   the first Get or Put through this device that then goes without that server: a Get of a
//   block whose data is on it, a Put of a block whose data or stripe's parity is on it. It
//   names that block and that request's op ("GET" or "PUT"), before the request is forwarded.
//   A held event whose server is no longer failed (repaired) is dropped; one whose server no
//   block request goes without before the shell ends is never passed on.
// The lock block is not a data block: its Get and Put are forwarded as they are.
//
// Threads: the array calls sink() from any of its threads, one call at a time; the device's
// calls come from one thread at a time, as the array's own.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "client/block_device.h"
#include "raid/array.h"

namespace memoryfs::raid {

class DisconnectNamer : public client::BlockDevice {
 public:
  // next: where every event goes on (main prints it).
  explicit DisconnectNamer(Array::EventSink next) : next_(std::move(next)) {}
  DisconnectNamer(const DisconnectNamer&) = delete;
  DisconnectNamer& operator=(const DisconnectNamer&) = delete;

  // The sink to construct the array with (it refers to this object).
  Array::EventSink sink() {
    return [this](const ArrayEvent& event) { OnEvent(event); };
  }
  // The array, constructed with sink(), before any call; it must outlive this object's calls.
  void Attach(Array* array) { array_ = array; }

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override { return array_->RSM(block); }
  int num_blocks() const override { return array_->num_blocks(); }
  int block_size() const override { return array_->block_size(); }
  Result<Bytes> GetMeta(const std::string& key) override { return array_->GetMeta(key); }
  Result<Bytes> PutMeta(const std::string& key, const Bytes& expected,
                        const Bytes& value) override {
    return array_->PutMeta(key, expected, value);
  }
  Result<client::LockReply> Lock(int block, const Bytes& holder, int lease_ms) override {
    return array_->Lock(block, holder, lease_ms);
  }
  Status Unlock(int block, const Bytes& holder, const Bytes& note) override {
    return array_->Unlock(block, holder, note);
  }
  uint64_t sessions() const override { return array_->sessions(); }

 private:
  void OnEvent(ArrayEvent event);
  // Before a Get (write false) or Put (write true) of `block`: passes on the held events of
  // the servers it goes without, and marks it the request in progress.
  void Begin(const char* op, int block, bool write);
  void End();
  // Whether slot `at` cannot be used (as Array::Down).
  bool Down(Location at) const;

  Array::EventSink next_;
  Array* array_ = nullptr;
  std::mutex mu_;
  struct Request {
    const char* op;
    int block;
  };
  std::optional<Request> current_;  // the Get or Put in progress, under mu_
  std::map<int, ArrayEvent> held_;  // by server, under mu_
};

}  // namespace memoryfs::raid
