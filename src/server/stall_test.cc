#include "server/stall.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

namespace memoryfs::server {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

TEST_CASE("Stall: every K-th counted request pauses, and holds every other request meanwhile") {
  Stall stall(3, 300);
  const Clock::time_point start = Clock::now();
  stall.Enter();
  stall.AfterCounted();
  stall.Enter();
  stall.AfterCounted();
  CHECK(MsSince(start) < 100);  // the first two: no pause
  std::thread third([&] {
    stall.Enter();
    stall.AfterCounted();  // the third pauses
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const Clock::time_point other = Clock::now();
  stall.Enter();  // another client's request, during the pause
  CHECK(MsSince(other) >= 150);
  third.join();
  CHECK(MsSince(start) >= 300);
}

TEST_CASE("Stall: K = 0 never pauses") {
  Stall stall(0, 10000);
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < 100; ++i) {
    stall.Enter();
    stall.AfterCounted();
  }
  CHECK(MsSince(start) < 100);
}

}  // namespace
}  // namespace memoryfs::server
