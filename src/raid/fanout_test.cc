#include "raid/fanout.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rpc/testing.h"

namespace memoryfs::raid {

namespace {

using std::chrono::milliseconds;

using Pipe = rpc::testing::SocketPair;
using rpc::testing::ReadByte;
using rpc::testing::SendByte;

long long ElapsedMs(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("Fanout: RunAll runs every task exactly once and returns when all have finished") {
  Fanout fanout(4);
  constexpr int kTasks = 40;
  std::vector<std::atomic<int>> runs(kTasks);
  std::vector<std::atomic<bool>> finished(kTasks);
  for (int i = 0; i < kTasks; ++i) {
    runs[i] = 0;
    finished[i] = false;
  }
  std::vector<Fanout::Task> tasks;
  for (int i = 0; i < kTasks; ++i) {
    tasks.push_back({i % 4, [&, i] {
                       ++runs[i];
                       // Late finishers: RunAll must still wait for them.
                       if (i % 10 == 9) std::this_thread::sleep_for(milliseconds(20));
                       finished[i] = true;
                     }});
  }
  fanout.RunAll(std::move(tasks));
  for (int i = 0; i < kTasks; ++i) {
    CAPTURE(i);
    CHECK(runs[i] == 1);
    CHECK(finished[i]);
  }
  // Nothing runs again afterwards.
  std::this_thread::sleep_for(milliseconds(5));
  for (int i = 0; i < kTasks; ++i) CHECK(runs[i] == 1);
}

TEST_CASE("Fanout: RunAll of no tasks returns at once") {
  Fanout fanout(3);
  const auto start = std::chrono::steady_clock::now();
  fanout.RunAll({});
  CHECK(ElapsedMs(start) < 100);
}

TEST_CASE("Fanout: tasks of different servers run concurrently") {
  // Each server's task waits for a byte the other's sends after its own wait began: run one
  // after the other, the first would time out.
  constexpr int kServers = 6;
  std::vector<Pipe> inbox(kServers);
  std::vector<std::string> got(kServers);
  Fanout fanout(kServers);
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < kServers; ++s) {
    tasks.push_back({s, [&, s] {
                       if (s == 0) REQUIRE(SendByte(inbox[1]));
                       got[s] = ReadByte(inbox[s], 1500);
                       if (s != 0) REQUIRE(SendByte(inbox[(s + 1) % kServers]));
                     }});
  }
  const auto start = std::chrono::steady_clock::now();
  fanout.RunAll(std::move(tasks));
  CHECK(ElapsedMs(start) < 1000);
  for (int s = 0; s < kServers; ++s) CHECK(got[s] == "x");
}

TEST_CASE(
    "Fanout: tasks of one server run in order and never overlap, all on the caller's thread") {
  constexpr int kServers = 3;
  constexpr int kPerServer = 100;
  Fanout fanout(kServers);
  std::vector<std::vector<int>> order(kServers);
  std::vector<int> running(kServers, 0);
  bool overlapped = false, elsewhere = false;
  std::vector<Pipe> idle(kServers);
  const auto record = [&](int server, int i) {
    if (++running[server] != 1) overlapped = true;     // two tasks of one server at once
    if (i % 25 == 0) (void)ReadByte(idle[server], 2);  // a wait: the other lanes run meanwhile
    order[server].push_back(i);
    --running[server];
  };
  const std::thread::id caller = std::this_thread::get_id();
  for (int round = 0; round < 3; ++round) {
    std::vector<Fanout::Task> tasks;
    // Interleaved across servers, in order within each.
    for (int i = 0; i < kPerServer; ++i) {
      for (int s = 0; s < kServers; ++s) {
        tasks.push_back({s, [&, s, i] {
                           if (std::this_thread::get_id() != caller) elsewhere = true;
                           record(s, i);
                         }});
      }
    }
    fanout.RunAll(std::move(tasks));
  }
  CHECK_FALSE(overlapped);
  CHECK_FALSE(elsewhere);
  for (int s = 0; s < kServers; ++s) {
    CAPTURE(s);
    std::vector<int> expected;
    for (int k = 0; k < 3 * kPerServer; ++k) expected.push_back(k % kPerServer);
    CHECK(order[s] == expected);
  }
}

TEST_CASE("Fanout: a round of one server makes no context switch") {
  Fanout fanout(4);
  for (int server = 0; server < 4; ++server) {
    CAPTURE(server);
    int runs = 0;
    fanout.RunAll({{server, [&] { ++runs; }}, {server, [&] { ++runs; }}});
    CHECK(runs == 2);
  }
  CHECK(fanout.switches() == 0);
  // Two servers: the second's lane is a fiber, entered and left.
  fanout.RunAll({{1, [] {}}, {2, [] {}}});
  CHECK(fanout.switches() == 1);
}

TEST_CASE("Fanout: 10,000 rounds in a row") {
  Fanout fanout(3);
  std::atomic<long> sum{0};
  long expected = 0;
  for (int round = 0; round < 10000; ++round) {
    const int width = 1 + round % 3;  // 1, 2 or 3 tasks: both paths of RunAll
    std::vector<Fanout::Task> tasks;
    for (int s = 0; s < width; ++s) {
      tasks.push_back({s, [&sum, round, s] { sum += round + s; }});
      expected += round + s;
    }
    fanout.RunAll(std::move(tasks));
    if (sum != expected) break;  // RunAll returned before its tasks finished
  }
  CHECK(sum == expected);
}

TEST_CASE("Fanout: destruction is prompt, used or not") {
  const auto start = std::chrono::steady_clock::now();
  { Fanout unused(8); }
  std::atomic<int> ran{0};
  {
    Fanout used(5);
    std::vector<Fanout::Task> tasks;
    for (int s = 0; s < 5; ++s) tasks.push_back({s, [&] { ++ran; }});
    used.RunAll(std::move(tasks));
  }
  {
    Fanout none(0);  // no servers at all
  }
  CHECK(ran == 5);
  CHECK(ElapsedMs(start) < 1000);
  // Many create/destroy cycles do not leak or hang.
  for (int i = 0; i < 200; ++i) {
    Fanout f(3);
    f.RunAll({{0, [&] { ++ran; }}, {2, [&] { ++ran; }}});
  }
  CHECK(ran == 5 + 400);
  CHECK(ElapsedMs(start) < 3000);
}

TEST_CASE("Fanout kThreads: servers run at once on threads of their own, each in order") {
  constexpr int kServers = 4;
  Fanout fanout(kServers);
  // Each task waits for all the others on a condition variable: only threads can meet.
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::vector<std::thread::id> ran_on(kServers);
  std::vector<std::vector<int>> order(kServers);
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < kServers; ++s) {
    tasks.push_back({s, [&, s] {
                       ran_on[s] = std::this_thread::get_id();
                       std::unique_lock<std::mutex> lock(mu);
                       ++arrived;
                       cv.notify_all();
                       cv.wait_for(lock, milliseconds(1500), [&] { return arrived == kServers; });
                       order[s].push_back(0);
                     }});
  }
  for (int s = 0; s < kServers; ++s) {
    for (int i = 1; i < 20; ++i) tasks.push_back({s, [&, s, i] { order[s].push_back(i); }});
  }
  const auto start = std::chrono::steady_clock::now();
  fanout.RunAll(std::move(tasks), Fanout::Mode::kThreads);
  CHECK(ElapsedMs(start) < 1000);
  CHECK(arrived == kServers);
  std::set<std::thread::id> threads(ran_on.begin(), ran_on.end());
  CHECK(threads.size() == kServers);
  CHECK(ran_on[0] == std::this_thread::get_id());  // the first task's server: the caller
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  for (int s = 0; s < kServers; ++s) CHECK(order[s] == expected);
}

TEST_CASE("Fanout: 4,000 rounds alternating kLanes and kThreads") {
  Fanout fanout(3);
  std::atomic<long> sum{0};
  long expected = 0;
  for (int round = 0; round < 4000; ++round) {
    std::vector<Fanout::Task> tasks;
    for (int s = 0; s < 1 + round % 3; ++s) {
      tasks.push_back({s, [&sum, round, s] { sum += round + s; }});
      expected += round + s;
    }
    fanout.RunAll(std::move(tasks), round % 2 ? Fanout::Mode::kThreads : Fanout::Mode::kLanes);
    if (sum != expected) break;
  }
  CHECK(sum == expected);
}

}  // namespace memoryfs::raid
