// Stall: blockserver.py's -delayat K (the 2023 edition). Every K-th counted request (a Get, Put
// or RSM, failed ones included) does its work and then pauses before it is answered. The Python
// server is single-threaded, so nothing else is answered meanwhile: ours makes every request
// that arrives during a pause wait for its end, as the course's two-client delay test expects.
// K = 0: never (and no cost). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace memoryfs::server {

class Stall {
 public:
  // every: K (0: never). pause_ms: the pause (the Python server's is 10 s).
  Stall(int every, int pause_ms) : every_(every), pause_ms_(pause_ms) {}

  // Before a request is executed: waits while a pause is in progress.
  void Enter();
  // After a counted request's work, before its answer: the K-th pauses.
  void AfterCounted();

 private:
  const int every_;
  const int pause_ms_;
  std::atomic<int64_t> count_{0};
  std::mutex pausing_;  // held for the whole pause
};

}  // namespace memoryfs::server
