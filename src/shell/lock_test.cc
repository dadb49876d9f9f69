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

}  // namespace
}  // namespace memoryfs::shell
