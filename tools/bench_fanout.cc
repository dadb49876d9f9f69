// memoryfs_bench_fanout: the cost of a parallel round against the cost of one RPC, for the
// fan-out the array uses (raid::Fanout: lanes on one thread, one poll loop) and, side by side
// in the same run, for the design it replaced (a worker thread per server, the first server's
// requests on the caller's thread). Used by tools/bench_fanout.py.
//
//   memoryfs_bench_fanout PORT_A PORT_B SECONDS REPEAT [SPIN_US]
//
// SPIN_US: rpc::SetSpinMicros, as the shell's -spin_us (default 0: no spinning).
// Against two running servers (one block of 128 bytes is enough), each repetition measures,
// for SECONDS each, taking turns in slices of 10 ms:
//   single    Get(0) on server A, one after the other
//   fibers    rounds of Get(0) on A and on B through raid::Fanout
//   threads   the same rounds through the thread-per-server fan-out
// and prints one line per repetition: "single_us fibers_us threads_us" (µs per call or round).
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "client/remote_device.h"
#include "raid/fanout.h"
#include "rpc/poll_wait.h"

namespace {

using namespace memoryfs;
using Clock = std::chrono::steady_clock;

// The fan-out before the fiber loop, as it was in src/raid/fanout.cc: a worker thread per
// server; the first task runs on the calling thread, the others are handed to their workers.
class ThreadFanout {
 public:
  explicit ThreadFanout(int n) {
    for (int i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<Worker>());
      Worker* w = workers_.back().get();
      w->thread = std::thread([w] { Loop(w); });
    }
  }
  ~ThreadFanout() {
    for (auto& w : workers_) {
      {
        std::lock_guard<std::mutex> lock(w->mu);
        w->stop = true;
      }
      w->cv.notify_one();
      w->thread.join();
    }
  }
  // tasks[0] runs here, tasks[i] on worker i.
  void RunAll(std::vector<std::function<void()>>& tasks) {
    std::mutex mu;
    std::condition_variable done;
    size_t remaining = tasks.size() - 1;
    for (size_t i = 1; i < tasks.size(); ++i) {
      Worker* w = workers_[i].get();
      {
        std::lock_guard<std::mutex> lock(w->mu);
        w->queue.push_back([&, i] {
          tasks[i]();
          std::lock_guard<std::mutex> l(mu);
          if (--remaining == 0) done.notify_one();
        });
      }
      w->cv.notify_one();
    }
    tasks[0]();
    std::unique_lock<std::mutex> lock(mu);
    done.wait(lock, [&] { return remaining == 0; });
  }

 private:
  struct Worker {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    bool stop = false;
    std::thread thread;
  };
  static void Loop(Worker* w) {
    for (;;) {
      std::function<void()> work;
      {
        std::unique_lock<std::mutex> lock(w->mu);
        w->cv.wait(lock, [w] { return w->stop || !w->queue.empty(); });
        if (w->queue.empty()) return;
        work = std::move(w->queue.front());
        w->queue.pop_front();
      }
      work();
    }
  }
  std::vector<std::unique_ptr<Worker>> workers_;
};

void Check(const Status& s) {
  if (s.ok()) return;
  std::cerr << "memoryfs_bench_fanout: " << s.ToString() << "\n";
  std::exit(1);
}

// Microseconds per call of each of `cases` over `seconds`: the cases take turns in slices of
// 10 ms, so that a change of the machine's pace during the measurement affects all alike.
std::vector<double> MicrosPer(double seconds, const std::vector<std::function<void()>>& cases) {
  std::vector<double> spent(cases.size(), 0);
  std::vector<long long> calls(cases.size(), 0);
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    for (size_t c = 0; c < cases.size(); ++c) {
      const auto start = Clock::now();
      const auto slice_end = start + std::chrono::milliseconds(10);
      do {
        cases[c]();
        ++calls[c];
      } while (Clock::now() < slice_end);
      spent[c] += std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    }
  }
  for (size_t c = 0; c < cases.size(); ++c) spent[c] /= static_cast<double>(calls[c]);
  return spent;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::cerr << "usage: memoryfs_bench_fanout PORT_A PORT_B SECONDS REPEAT [SPIN_US]\n";
    return 2;
  }
  const int port_a = std::atoi(argv[1]), port_b = std::atoi(argv[2]);
  const double seconds = std::atof(argv[3]);
  const int repeat = std::atoi(argv[4]);
  const int spin_us = argc > 5 ? std::atoi(argv[5]) : 0;
  if (port_a <= 0 || port_b <= 0 || seconds <= 0 || repeat <= 0 || spin_us < 0) {
    std::cerr << "memoryfs_bench_fanout: bad arguments\n";
    return 2;
  }
  rpc::SetSpinMicros(spin_us);
  client::RemoteDevice a(rpc::Endpoint{"127.0.0.1", port_a}, 1, 128, 5000);
  client::RemoteDevice b(rpc::Endpoint{"127.0.0.1", port_b}, 1, 128, 5000);
  raid::Fanout fibers(2);
  ThreadFanout threads(2);
  const auto get_a = [&] { Check(a.Get(0).status()); };
  const auto get_b = [&] { Check(b.Get(0).status()); };
  const std::vector<std::function<void()>> cases{
      get_a,
      [&] {
        fibers.RunAll({{0, get_a}, {1, get_b}});
      },
      [&] {
        std::vector<std::function<void()>> tasks{get_a, get_b};
        threads.RunAll(tasks);
      }};
  for (int r = 0; r < repeat; ++r) {
    const std::vector<double> us = MicrosPer(seconds * 3, cases);
    std::cout << us[0] << " " << us[1] << " " << us[2] << std::endl;
  }
  return 0;
}
