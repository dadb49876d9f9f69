#include "shell/lock.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "client/memory_device.h"

namespace memoryfs::shell {
namespace {

using Trace = std::vector<std::string>;

// A device whose block 0 another client holds (all ones) during our first `held` RSMs, and
// releases (zeros) just before the next one.
class Contended : public client::MemoryDevice {
 public:
  Contended(int nb, int bs, int held) : client::MemoryDevice(nb, bs), held_(held) {
    set_raw(0, Bytes(bs, 1));
  }
  Result<Bytes> RSM(int block) override {
    if (held_-- == 0) set_raw(block, Bytes(block_size(), 0));
    return client::MemoryDevice::RSM(block);
  }

 private:
  int held_;
};

TEST_CASE("DiskLock: acquire is one RSM of the lock block when free, release puts zeros") {
  client::MemoryDevice device(16, 32);
  DiskLock lock(device, client::kLock2022.Block(16));
  CHECK(lock.block() == 0);
  REQUIRE(lock.Acquire().ok());
  CHECK(device.raw(0) == Bytes(32, 1));  // RSM set it
  REQUIRE(lock.Release().ok());
  CHECK(device.raw(0) == Bytes(32, 0));
  CHECK(device.trace() == Trace{"RSM 0", "Put 0 "});
}

TEST_CASE("DiskLock: acquire spins, one RSM per attempt, while another client holds it") {
  Contended device(16, 32, 3);
  DiskLock lock(device, 0);
  REQUIRE(lock.Acquire().ok());
  CHECK(device.trace() == Trace{"RSM 0", "RSM 0", "RSM 0", "RSM 0"});
}

TEST_CASE("DiskLock: a device error ends the attempt, the lock is not held") {
  client::MemoryDevice device(16, 32);
  device.SetFailed(true);
  DiskLock lock(device, 0);
  const Status s = lock.Acquire();
  CHECK(s.code() == Code::kUnavailable);
  CHECK(lock.Release().code() == Code::kUnavailable);
}

TEST_CASE("DiskLock: the convention places the lock, 2023's is the last block") {
  const client::LockConvention last{client::LockConvention::Placement::kLastBlock};
  client::MemoryDevice device(16, 32);
  DiskLock lock(device, last.Block(16));
  CHECK(lock.block() == 15);
  REQUIRE(lock.Acquire().ok());
  REQUIRE(lock.Release().ok());
  CHECK(device.trace() == Trace{"RSM 15", "Put 15 "});
  CHECK(client::LockConvention::HeldByOther(Bytes(32, 1)));
  CHECK_FALSE(client::LockConvention::HeldByOther(Bytes(32, 0)));
  CHECK_FALSE(client::LockConvention::HeldByOther(Bytes()));
}

LockOptions Recorded(std::vector<std::string>* notices, int lease_ms = 1000, int pid = 1) {
  LockOptions options;
  options.recorded = true;
  options.who = "pid " + std::to_string(pid) + " on test, cid 0";
  options.lease_ms = lease_ms;
  options.notice = [notices](const std::string& text) { notices->push_back(text); };
  return options;
}

TEST_CASE("DiskLock: recorded, acquire is one Lock with this client's record, release Unlock") {
  client::MemoryDevice device(16, 32);
  std::vector<std::string> notices;
  DiskLock lock(device, 0, Recorded(&notices));
  REQUIRE(lock.Acquire().ok());
  const Bytes record = device.raw_meta("lock");
  CHECK(std::string(record.begin(), record.end()).rfind("pid 1 on test, cid 0, since ", 0) == 0);
  CHECK(device.raw(0) == Bytes(32, 1));
  REQUIRE(lock.Release().ok());
  CHECK(device.raw(0) == Bytes(32, 0));
  CHECK(device.raw_meta("lock").empty());
  CHECK(device.trace() == Trace{"Lock 0", "Unlock 0"});
  CHECK(notices.empty());
}

TEST_CASE("DiskLock: recorded, a waiter names the holder once, then breaks its expired lease") {
  client::MemoryDevice device(16, 32);
  std::vector<std::string> a_notices, b_notices;
  DiskLock a(device, 0, Recorded(&a_notices, 500));
  REQUIRE(a.Acquire().ok());  // and a dies holding it
  DiskLock b(device, 0, Recorded(&b_notices, 1000, 2));
  int attempts = 0;
  REQUIRE(b.Acquire([&] {
             if (++attempts == 3) device.AdvanceClockMs(501);  // the lease runs out
             return false;
           }).ok());
  REQUIRE(b_notices.size() == 2);
  CHECK(b_notices[0].rfind("waiting for the lock, held by pid 1 on test, cid 0, since ", 0) == 0);
  CHECK(b_notices[0].find("(lease 500 ms, renewed 0 ms ago); Ctrl-C stops waiting") !=
        std::string::npos);
  CHECK(b_notices[1].rfind("broke the lock held by pid 1 on test", 0) == 0);
  CHECK(b_notices[1].find("its lease of 500 ms ran out (last renewed 501 ms ago)") !=
        std::string::npos);
  // The dead holder's release cannot free the new holder's lock.
  CHECK(a.Release().code() == Code::kAborted);
  CHECK(device.raw(0) == Bytes(32, 1));
  REQUIRE(b.Release().ok());
}

TEST_CASE("DiskLock: recorded, a plain holder is waited for (never broken), stop ends the wait") {
  client::MemoryDevice device(16, 32);
  device.set_raw(0, Bytes(32, 1));  // a Python shell holds it: no record
  std::vector<std::string> notices;
  DiskLock lock(device, 0, Recorded(&notices));
  int attempts = 0;
  const Status s = lock.Acquire([&] {
    device.AdvanceClockMs(100000);
    return ++attempts > 5;
  });
  CHECK(s.code() == Code::kCancelled);
  CHECK(notices == std::vector<std::string>{
                       "waiting for the lock, held by a client that records no holder (a Python "
                       "shell?); it is never broken; Ctrl-C stops waiting"});
}

TEST_CASE("DiskLock: recorded falls back to the plain lock on a device without records") {
  client::MemoryDevice device(16, 32);
  device.SetNoMetadata(true);
  std::vector<std::string> notices;
  DiskLock lock(device, 0, Recorded(&notices));
  REQUIRE(lock.Acquire().ok());
  REQUIRE(lock.Release().ok());
  REQUIRE(lock.Acquire().ok());
  REQUIRE(lock.Release().ok());
  CHECK(device.trace() == Trace{"Lock 0", "RSM 0", "Put 0 ", "RSM 0", "Put 0 "});
}

}  // namespace
}  // namespace memoryfs::shell
