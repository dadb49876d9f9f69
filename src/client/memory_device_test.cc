#include "client/memory_device.h"

#include <doctest/doctest.h>

namespace memoryfs::client {

TEST_CASE("MemoryDevice: the BlockDevice contract and the golden trace format") {
  MemoryDevice dev(4, 8);
  CHECK(*dev.Get(1) == Bytes(8, 0));
  REQUIRE(dev.Put(1, ToBytes("ab")).ok());
  CHECK(*dev.Get(1) == PadTo(ToBytes("ab"), 8));
  CHECK(*dev.RSM(0) == Bytes(8, 0));
  CHECK(*dev.RSM(0) == Bytes(8, 1));
  CHECK(dev.Put(0, Bytes(8, 0)).ok());
  CHECK(dev.Get(4).status().code() == Code::kOutOfRange);
  CHECK(dev.Put(2, Bytes(9, 0)).code() == Code::kInvalidArgument);
  const std::vector<std::string> want = {"Get 1", "Put 1 6162", "Get 1", "RSM 0",
                                         "RSM 0", "Put 0 ",     "Get 4", "Put 2 "};
  CHECK(dev.trace() == want);
}

TEST_CASE("MemoryDevice: injected corruption and failure") {
  MemoryDevice dev(4, 8);
  dev.SetCorrupt(2, true);
  CHECK(dev.Get(2).status().code() == Code::kChecksumError);
  REQUIRE(dev.Put(2, Bytes(8, 3)).ok());
  CHECK(dev.Get(2).ok());
  dev.SetFailed(true);
  CHECK(dev.Get(1).status().code() == Code::kUnavailable);
}

}  // namespace memoryfs::client
