// Fanout: runs requests to different servers concurrently, one worker thread per server, so
// that each server's device is only ever used by its own worker (devices are not
// thread-safe) while different servers work in parallel.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace memoryfs::raid {

class Fanout {
 public:
  explicit Fanout(int num_servers);
  ~Fanout();
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  struct Task {
    int server;
    std::function<void()> work;
  };
  // Runs every task on its server's worker and returns when all have finished. Tasks for the
  // same server run in order; a single task runs on the calling thread (no hand-off cost).
  void RunAll(std::vector<Task> tasks);

 private:
  struct Worker {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    bool stop = false;
    std::thread thread;
  };
  void Loop(Worker* w);

  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace memoryfs::raid
