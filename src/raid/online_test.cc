// Array::Online over in-memory servers: a member failed by mistake comes back without a
// rebuild when it missed no write, and is refused (nothing written) otherwise.
#include <doctest/doctest.h>

#include "raid/testing.h"

namespace memoryfs::raid {
namespace {

using testing::FillAll;
using testing::Pattern;
using testing::Rig;

constexpr int kBlocks = 48;
constexpr int kBs = 16;

Bytes Who(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Runs `body` under the lock, as a shell's command does.
template <typename F>
void Locked(Array& array, F body) {
  REQUIRE(array.Lock(0, Who("shell"), 1000).ok());
  body();
  REQUIRE(array.Unlock(0, Who("shell"), {}).ok());
}

// A rig whose array knows server `k` failed (it stopped answering once), with k back.
Rig& FailByMistake(Rig& rig, int k) {
  REQUIRE(rig.array->Assemble().ok());
  Locked(*rig.array, [] {});
  FillAll(rig);
  rig.servers[k]->SetFailed(true);
  Locked(*rig.array, [&] { (void)rig.array->Get(testing::FirstBlockOn(rig, k)); });
  REQUIRE(rig.array->failed(k));
  rig.servers[k]->SetFailed(false);
  return rig;
}

TEST_CASE("Online: a member that missed no write comes back without a rebuild") {
  Rig rig(4, kBlocks, kBs);
  FailByMistake(rig, 2);
  const int64_t generation = rig.array->generation();
  rig.ClearTraces();
  Locked(*rig.array, [&] {
    Result<int> checked = rig.array->Online(2, nullptr);
    REQUIRE_MESSAGE(checked.ok(), checked.status().ToString());
    CHECK(*checked == rig.array->server_blocks());
  });
  CHECK_FALSE(rig.array->failed(2));
  CHECK(rig.array->generation() == generation + 1);
  CHECK(rig.Puts() == 0);  // nothing rebuilt
  for (int v = 1; v < kBlocks; ++v) CHECK(*rig.array->Get(v) == Pattern(v, kBs));
}

TEST_CASE("Online: a member that missed a write is refused, and repaired") {
  Rig rig(4, kBlocks, kBs);
  FailByMistake(rig, 2);
  const int on_2 = testing::FirstBlockOn(rig, 2);
  Locked(*rig.array, [&] { REQUIRE(rig.array->Put(on_2, Pattern(on_2, kBs, 5)).ok()); });
  Locked(*rig.array, [&] {
    Result<int> refused = rig.array->Online(2, nullptr);
    CHECK(refused.status().code() == Code::kDataLoss);
    CHECK(refused.status().message().find("server 2 missed writes while it was failed: 1 "
                                          "stripes do not add up") == 0);
    CHECK(rig.array->failed(2));
    REQUIRE(rig.array->Repair(2, nullptr).ok());
  });
  CHECK(*rig.array->Get(on_2) == Pattern(on_2, kBs, 5));
  CHECK(rig.ParityConsistent());
}

TEST_CASE("Online: two members failed by mistake come back one after the other") {
  Rig rig(4, kBlocks, kBs);
  FailByMistake(rig, 1);
  rig.servers[3]->SetFailed(true);
  Locked(*rig.array, [&] { (void)rig.array->Get(testing::FirstBlockOn(rig, 3)); });
  REQUIRE(rig.array->failed(3));
  rig.servers[3]->SetFailed(false);
  Locked(*rig.array, [&] {
    REQUIRE(rig.array->Online(1, nullptr).ok());
    CHECK(rig.array->failed(3));
    REQUIRE(rig.array->Online(3, nullptr).ok());
  });
  for (int s = 0; s < 4; ++s) CHECK_FALSE(rig.array->failed(s));
  for (int v = 1; v < kBlocks; ++v) CHECK(*rig.array->Get(v) == Pattern(v, kBs));
}

TEST_CASE("Online: refused for a member not failed, blank, or with another one failed") {
  Rig rig(4, kBlocks, kBs);
  FailByMistake(rig, 1);
  Locked(*rig.array, [&] {
    CHECK(rig.array->Online(3, nullptr).status().message() == "server 3 is not failed");
    CHECK(rig.array->Online(9, nullptr).status().message() ==
          "server id 9 not in valid range [0, 3]");
  });
  rig.servers[3]->SetFailed(true);
  Locked(*rig.array, [&] { (void)rig.array->Get(testing::FirstBlockOn(rig, 3)); });
  Locked(*rig.array, [&] {
    CHECK(rig.array->Online(1, nullptr).status().message() ==
          "server 1 cannot be checked while server 3 is failed too and does not answer: bring "
          "server 3 back first");
  });
  rig.servers[3]->SetFailed(false);
  rig.servers[1]->Restart();
  Locked(*rig.array, [&] {
    CHECK(rig.array->Online(1, nullptr).status().message() ==
          "server 1 is blank: it restarted and lost its blocks; type 'repair 1' to rebuild it");
  });
  CHECK(rig.array->failed(1));
}

}  // namespace
}  // namespace memoryfs::raid
