#include "raid/fanout.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace memoryfs::raid {

namespace {

using std::chrono::milliseconds;

// A meeting point for `expected` threads that gives up after a timeout instead of hanging.
class Rendezvous {
 public:
  explicit Rendezvous(int expected) : expected_(expected) {}
  // True when all `expected` callers arrived before the timeout.
  bool ArriveAndWait(milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (++arrived_ == expected_) cv_.notify_all();
    return cv_.wait_for(lock, timeout, [this] { return arrived_ >= expected_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int expected_;
  int arrived_ = 0;
};

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
  // Each task waits for the other: run one after the other, both would time out.
  Fanout fanout(2);
  Rendezvous meet(2);
  std::atomic<bool> met0{false}, met1{false};
  const auto start = std::chrono::steady_clock::now();
  fanout.RunAll({{0, [&] { met0 = meet.ArriveAndWait(milliseconds(1500)); }},
                 {1, [&] { met1 = meet.ArriveAndWait(milliseconds(1500)); }}});
  CHECK(met0);
  CHECK(met1);
  CHECK(ElapsedMs(start) < 1000);

  // All N servers at once, too.
  constexpr int kServers = 6;
  Fanout wide(kServers);
  Rendezvous all(kServers);
  std::atomic<int> met{0};
  std::vector<Fanout::Task> tasks;
  for (int s = 0; s < kServers; ++s) {
    tasks.push_back({s, [&] { met += all.ArriveAndWait(milliseconds(1500)) ? 1 : 0; }});
  }
  wide.RunAll(std::move(tasks));
  CHECK(met == kServers);
}

TEST_CASE("Fanout: tasks of one server run in order on one thread, each server its own") {
  // Server 0's task comes first in each round: its tasks run on the calling thread.
  constexpr int kServers = 3;
  constexpr int kPerServer = 100;
  Fanout fanout(kServers);
  std::mutex mu;
  std::vector<std::vector<int>> order(kServers);
  std::vector<std::set<std::thread::id>> threads(kServers);
  std::vector<std::atomic<int>> running(kServers);
  for (auto& r : running) r = 0;
  std::atomic<bool> overlapped{false};
  const auto record = [&](int server, int i) {
    if (++running[server] != 1) overlapped = true;  // two tasks of one server at once
    {
      std::lock_guard<std::mutex> lock(mu);
      order[server].push_back(i);
      threads[server].insert(std::this_thread::get_id());
    }
    --running[server];
  };
  for (int round = 0; round < 3; ++round) {
    std::vector<Fanout::Task> tasks;
    // Interleaved across servers, in order within each.
    for (int i = 0; i < kPerServer; ++i) {
      for (int s = 0; s < kServers; ++s) tasks.push_back({s, [&, s, i] { record(s, i); }});
    }
    fanout.RunAll(std::move(tasks));
  }
  CHECK_FALSE(overlapped);
  std::set<std::thread::id> all;
  for (int s = 0; s < kServers; ++s) {
    CAPTURE(s);
    std::vector<int> expected;
    for (int k = 0; k < 3 * kPerServer; ++k) expected.push_back(k % kPerServer);
    CHECK(order[s] == expected);
    CHECK(threads[s].size() == 1);  // the same thread over all rounds
    CHECK((threads[s].count(std::this_thread::get_id()) == 1) == (s == 0));
    all.insert(threads[s].begin(), threads[s].end());
  }
  CHECK(all.size() == kServers);
}

TEST_CASE("Fanout: the first task's server runs on the calling thread") {
  Fanout fanout(4);
  for (int server = 0; server < 4; ++server) {
    CAPTURE(server);
    std::thread::id ran_on;
    int runs = 0;
    fanout.RunAll({{server, [&] {
                      ran_on = std::this_thread::get_id();
                      ++runs;
                    }}});
    CHECK(runs == 1);
    CHECK(ran_on == std::this_thread::get_id());
  }
  // Two tasks of one server: both on the calling thread. A second server's: its worker.
  std::thread::id first, second, other;
  fanout.RunAll({{1, [&] { first = std::this_thread::get_id(); }},
                 {2, [&] { other = std::this_thread::get_id(); }},
                 {1, [&] { second = std::this_thread::get_id(); }}});
  CHECK(first == std::this_thread::get_id());
  CHECK(second == first);
  CHECK(other != first);
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

TEST_CASE("Fanout: destruction joins the workers promptly, used or not") {
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
    Fanout none(0);  // no workers at all
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

}  // namespace memoryfs::raid
