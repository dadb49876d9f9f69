// FiberLoop: runs several lanes of work concurrently on the calling thread, so that the
// requests of one round go out on all connections at once and their answers are collected in
// one poll() loop, without handing work to other threads.
//
// A lane is a function. Lane 0 runs on the caller's own stack; every other lane on a fiber
// (a stack of its own, entered with swapcontext). Every blocking wait of the socket layer goes
// through rpc::WaitFor (socket.cc), which asks WaitInLoop first: while a lane of a FiberLoop
// runs, a wait for a socket suspends that lane, and the loop runs the other lanes; when no lane
// can run, it polls every waiting lane's socket in one poll() call, with the earliest deadline
// as its timeout, and resumes each lane whose socket is ready (its wait returns OK) or whose
// deadline has passed (its wait returns kDeadlineExceeded, as a lone poll would). So timeouts
// keep their millisecond precision, and nothing is sent twice: a lane's requests are exactly
// the ones its code sends.
//
// Contract for the lanes:
// - They may wait only through the socket layer. Anything else that blocks (a sleep, a mutex
//   held by another thread) blocks every lane of the round until it returns.
// - A lane that calls Run itself (a nested round) runs the nested lanes one after the other,
//   not concurrently; correct, only slower.
// - An exception thrown by a lane is rethrown by Run once every lane has finished (the first
//   one thrown; later ones are dropped).
//
// Threads: a FiberLoop is used by one thread at a time (it is not thread-safe); its fibers
// always run on the thread that calls Run. Lifetime: the fibers' stacks are kept for the next
// Run and freed by the destructor, which must not run during Run.
#pragma once

#include <poll.h>

#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "core/status.h"
#include "rpc/socket.h"

namespace memoryfs::rpc {

class FiberLoop {
 public:
  FiberLoop();
  ~FiberLoop();
  FiberLoop(const FiberLoop&) = delete;
  FiberLoop& operator=(const FiberLoop&) = delete;

  // Runs every lane, concurrently as above, and returns when all have finished.
  void Run(std::vector<std::function<void()>> lanes);

  // How many context switches between lanes Run has made so far (for tests and benchmarks).
  long long switches() const { return switches_; }

 private:
  friend bool WaitInLoop(int fd, short events, Deadline deadline, Status* status);
  struct Lane;
  struct Waiting;

  Status Wait(int fd, short events, Deadline deadline);
  // On the caller's stack: runs the runnable fibers and polls, until lane 0's wait is over
  // (main_waits) or every fiber has finished (!main_waits).
  void RunUntil(bool main_waits);
  bool Done(bool main_waits) const;
  void PollOnce();
  void Resume(Lane* lane);
  void Wake(Waiting* w, Status outcome);
  std::unique_ptr<Lane> NewFiber();
  static void FiberMain();

  std::vector<std::unique_ptr<Lane>> fibers_;  // lanes 1.. of a Run
  size_t active_ = 0;                          // fibers in use by this Run
  std::unique_ptr<Waiting> main_wait_;         // lane 0's wait, when it waits
  Lane* running_ = nullptr;                    // the fiber running now; null: lane 0 or none
  std::exception_ptr error_;
  long long switches_ = 0;
  std::vector<Waiting*> waiters_;  // PollOnce's, kept to reuse their memory
  std::vector<pollfd> fds_;
  struct Context;
  std::unique_ptr<Context> main_context_;
};

// For socket.cc's WaitFor: when the calling thread is inside a FiberLoop's Run, waits for
// `events` on fd within the loop, sets *status to the outcome and returns true. Otherwise
// returns false and the caller waits by itself.
bool WaitInLoop(int fd, short events, Deadline deadline, Status* status);

}  // namespace memoryfs::rpc
