// Fanout: runs the requests of one round to different servers concurrently, on the calling
// thread: one lane per server on an rpc::FiberLoop, so the round's requests go out on every
// connection before any answer is awaited, and the answers are collected in one poll() loop.
//
// The rule that keeps devices safe (a device is not thread-safe, see remote_device.h): every
// device is used by one lane at a time, on the owner's thread. It holds because
// - a round's tasks for one server run in order in one lane: the first task's server's on the
//   caller's own stack, each other server's on a fiber of its own;
// - RunAll returns only after every task of the round has finished;
// - the owner (raid::Array, and through it repair and the shell's showload) calls a device
//   directly only outside RunAll, since the array has one caller at a time.
// Lanes interleave only where one waits for a socket (fiber_loop.h): a task that blocks any
// other way (a sleep) holds up the whole round.
//
// Lifetime: must not be destroyed during RunAll.
#pragma once

#include <functional>
#include <vector>

#include "rpc/fiber_loop.h"

namespace memoryfs::raid {

class Fanout {
 public:
  // num_servers: the servers tasks may name (0 .. num_servers-1).
  explicit Fanout(int num_servers) : num_servers_(num_servers) {}
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  struct Task {
    int server;
    std::function<void()> work;
  };
  // Runs every task and returns when all have finished: each server's tasks in order in one
  // lane, the lanes concurrently. An exception from a task is rethrown after all finished.
  void RunAll(std::vector<Task> tasks);

  // Context switches between lanes so far (rpc::FiberLoop::switches).
  long long switches() const { return loop_.switches(); }

 private:
  int num_servers_;
  rpc::FiberLoop loop_;
};

}  // namespace memoryfs::raid
