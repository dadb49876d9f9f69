// Fanout: runs the requests of one round to different servers concurrently, in one of two
// ways, chosen by the caller for each round (Mode):
//
// kLanes (the array's rounds: reads, writes, locks, records): on the calling thread, one lane
//   per server on an rpc::FiberLoop, so the round's requests go out on every connection before
//   any answer is awaited and the answers are collected in one poll() loop, without a hand-off
//   between threads. Lanes interleave only where one waits for a socket (fiber_loop.h): a task
//   that blocks any other way (a sleep) holds up the whole round.
// kThreads (bulk work: repair, scrub): the first task's server's tasks on the calling thread,
//   every other server's on a worker thread of its own (started at the first such round). The
//   client's own work per call (decoding big batches, a connection per call to the HTTP/1.0
//   Python server) then runs on every core at once, and on a machine whose cores the servers
//   keep busy the client's threads get their share of each core, where one thread would get
//   one share in all and hold up every server.
//
// The rule that keeps devices safe (a device is not thread-safe, see remote_device.h): every
// device is used by one thread (one lane) at a time. It holds because
// - a round's tasks for one server run in order in one lane or on one thread;
// - RunAll returns only after every task of the round has finished, and with kThreads the
//   mutex hand-offs order a task's effects before RunAll's return;
// - the owner (raid::Array, and through it repair and the shell's showload) calls a device
//   directly only from its own thread and never during RunAll, since the array has one caller
//   at a time.
// Tasks of different servers may run at once (kThreads) or interleave at socket waits
// (kLanes): what they share must be guarded (raid::Array's mu_ and atomics).
//
// Lifetime: must not be destroyed during RunAll; the destructor stops and joins the workers.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "rpc/fiber_loop.h"

namespace memoryfs::raid {

class Fanout {
 public:
  // num_servers: the servers tasks may name (0 .. num_servers-1).
  explicit Fanout(int num_servers) : num_servers_(num_servers) {}
  ~Fanout();
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  struct Task {
    int server;
    std::function<void()> work;
  };
  enum class Mode { kLanes, kThreads };
  // Runs every task and returns when all have finished: each server's tasks in order, the
  // servers concurrently, as `mode` says. With kLanes an exception from a task is rethrown
  // after all finished; with kThreads tasks must not throw.
  void RunAll(std::vector<Task> tasks, Mode mode = Mode::kLanes);

  // Context switches between lanes so far (rpc::FiberLoop::switches).
  long long switches() const { return loop_.switches(); }

 private:
  struct Worker {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    bool stop = false;
    std::thread thread;
  };
  void RunInLanes(std::vector<Task> tasks);
  void RunOnThreads(std::vector<Task> tasks);
  static void Loop(Worker* w);

  int num_servers_;
  rpc::FiberLoop loop_;
  std::vector<std::unique_ptr<Worker>> workers_;  // empty until the first kThreads round
};

}  // namespace memoryfs::raid
