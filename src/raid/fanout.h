// Fanout: runs requests to different servers concurrently, one worker thread per server.
//
// The rule that keeps devices safe (a device is not thread-safe, see remote_device.h): every
// device is used by at most one thread at a time. It holds because
// - a round's tasks for one server run in order on one thread: the calling thread for the
//   first task's server, that server's worker for the others; never on two threads at once;
// - RunAll returns only after every task of the round has finished, and the mutex hand-offs
//   order a task's effects before RunAll's return;
// - the owner (raid::Array, and through it repair and the shell's showload) calls a device
//   directly only from its own thread and never while a RunAll is in progress, since the array
//   has one caller at a time.
// So a device's calls may move between the caller's thread and its worker, but never overlap.
//
// Lifetime: the destructor stops and joins every worker; it must not run during RunAll.
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
  // Runs every task and returns when all have finished: the tasks of the first task's server
  // on the calling thread, every other server's on its worker, concurrently. Tasks for the
  // same server run in order, on one thread.
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
