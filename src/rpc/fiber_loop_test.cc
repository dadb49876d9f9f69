#include "rpc/fiber_loop.h"

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rpc/testing.h"

namespace memoryfs::rpc {

namespace {

using std::chrono::milliseconds;
using testing::ReadByte;
using testing::SocketPair;

long long ElapsedMs(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

}  // namespace

TEST_CASE("FiberLoop: lanes that wait for each other's sockets all finish, on one thread") {
  // A ring: lane i waits for a byte from lane i-1, then sends one to lane i+1; lane 0 starts
  // it. Run one after the other, lane 1 would wait for a byte that only a later lane sends.
  constexpr int kLanes = 6;
  std::vector<SocketPair> ring(kLanes);  // ring[i]: lane i's inbox
  std::vector<std::string> got(kLanes);
  std::vector<std::thread::id> ran_on(kLanes);
  FiberLoop loop;
  std::vector<std::function<void()>> lanes;
  for (int i = 0; i < kLanes; ++i) {
    lanes.push_back([&, i] {
      ran_on[i] = std::this_thread::get_id();
      SocketPair& next = ring[(i + 1) % kLanes];
      if (i == 0) REQUIRE(SendAll(next.out, "x", DeadlineIn(1000)).ok());
      got[i] = ReadByte(ring[i], 2000);
      if (i != 0) REQUIRE(SendAll(next.out, "x", DeadlineIn(1000)).ok());
    });
  }
  const auto start = Clock::now();
  loop.Run(std::move(lanes));
  CHECK(ElapsedMs(start) < 1000);
  for (int i = 0; i < kLanes; ++i) {
    CAPTURE(i);
    CHECK(got[i] == "x");
    CHECK(ran_on[i] == std::this_thread::get_id());
  }
  CHECK(loop.switches() > 0);
}

TEST_CASE("FiberLoop: each wait keeps its own deadline, to the millisecond") {
  // Lane 0 waits for nothing for 300 ms; lane 1 for 100 ms, then answers lane 2 which waits
  // up to 2 s. Every lane's wait ends when its own deadline (or data) says so.
  SocketPair silent0, silent1, to2;
  std::string got2;
  long long ms0 = -1, ms1 = -1, ms2 = -1;
  Status s0, s1;
  FiberLoop loop;
  const auto start = Clock::now();
  loop.Run({[&] {
              std::string ignored;
              s0 = ReceiveSome(silent0.in, &ignored, DeadlineIn(300)).status();
              ms0 = ElapsedMs(start);
            },
            [&] {
              std::string ignored;
              s1 = ReceiveSome(silent1.in, &ignored, DeadlineIn(100)).status();
              ms1 = ElapsedMs(start);
              REQUIRE(SendAll(to2.out, "y", DeadlineIn(1000)).ok());
            },
            [&] {
              got2 = ReadByte(to2, 2000);
              ms2 = ElapsedMs(start);
            }});
  CHECK(s0.code() == Code::kDeadlineExceeded);
  CHECK(s1.code() == Code::kDeadlineExceeded);
  CHECK(got2 == "y");
  CHECK(ms1 >= 100);
  CHECK(ms1 < 200);
  CHECK(ms2 >= ms1);
  CHECK(ms2 < 250);
  CHECK(ms0 >= 300);
  CHECK(ms0 < 450);
}

TEST_CASE("FiberLoop: a wait begun past its deadline still takes what has arrived") {
  SocketPair empty, full;
  REQUIRE(SendAll(full.out, "z", DeadlineIn(1000)).ok());
  const Deadline past = Clock::now() - milliseconds(5);
  Status s_empty, s_full;
  FiberLoop loop;
  loop.Run({[&] { s_empty = WaitReadable(empty.in, past); },
            [&] { s_full = WaitReadable(full.in, past); }});
  CHECK(s_empty.code() == Code::kDeadlineExceeded);
  CHECK(s_full.ok());
}

TEST_CASE("FiberLoop: a lane's exception is rethrown after every lane finished") {
  FiberLoop loop;
  SocketPair p;
  bool other_finished = false;
  CHECK_THROWS_AS(
      loop.Run({[&] { (void)ReadByte(p, 50); }, [&] { throw std::runtime_error("lane 1 failed"); },
                [&] {
                  (void)ReadByte(p, 100);
                  other_finished = true;
                }}),
      std::runtime_error);
  CHECK(other_finished);
  // The loop is usable afterwards.
  int ran = 0;
  loop.Run({[&] { ++ran; }, [&] { ++ran; }});
  CHECK(ran == 2);
}

TEST_CASE("FiberLoop: a nested Run runs its lanes in order, inside the outer round") {
  FiberLoop outer, inner;
  std::vector<int> order;
  SocketPair p;
  outer.Run({[&] {
               inner.Run({[&] { order.push_back(1); }, [&] { order.push_back(2); }});
               (void)ReadByte(p, 20);  // still waits within the outer loop
               order.push_back(3);
             },
             [&] { order.push_back(4); }});
  // Lane 0 runs first up to its wait; lane 1 runs while it waits.
  CHECK(order == std::vector<int>{1, 2, 4, 3});
}

TEST_CASE("FiberLoop: 20,000 rounds reuse their fibers, and waits outside a Run poll alone") {
  FiberLoop loop;
  long sum = 0, expected = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::function<void()>> lanes;
    const int width = 1 + round % 4;
    for (int i = 0; i < width; ++i) {
      lanes.push_back([&sum, round, i] { sum += round + i; });
      expected += round + i;
    }
    loop.Run(std::move(lanes));
  }
  CHECK(sum == expected);
  SocketPair p;
  const auto start = Clock::now();
  CHECK(ReadByte(p, 30).empty());
  CHECK(ElapsedMs(start) >= 30);
}

TEST_CASE("FiberLoop: deep stacks in a lane are fine (a 16 KiB frame, recursion)") {
  FiberLoop loop;
  std::function<int(int)> deep = [&](int n) -> int {
    volatile char frame[16 * 1024];
    frame[0] = static_cast<char>(n);
    return n == 0 ? frame[0] : deep(n - 1) + 1;
  };
  int a = -1, b = -1;
  loop.Run({[&] { a = deep(10); }, [&] { b = deep(20); }});
  CHECK(a == 10);
  CHECK(b == 20);
}

}  // namespace memoryfs::rpc
