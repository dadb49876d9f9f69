#include "rpc/poll_wait.h"

#include <algorithm>

namespace memoryfs::rpc {

namespace {

// Per thread: the spin, how many waits to sleep through at once, and the next back-off.
thread_local int t_spin_us = 0;
thread_local int t_skip = 0;
thread_local int t_backoff = 1;
constexpr int kMaxBackoff = 64;

}  // namespace

void SetSpinMicros(int us) { t_spin_us = std::max(0, us); }
int SpinMicros() { return t_spin_us; }

int PollWait(pollfd* fds, nfds_t n, Deadline deadline) {
  const int spin_us = SpinMicros();
  if (spin_us > 0 && t_skip > 0) {
    --t_skip;
  } else if (spin_us > 0) {
    const Deadline spin_end = std::min(deadline, Clock::now() + std::chrono::microseconds(spin_us));
    do {
      const int ready = ::poll(fds, n, 0);
      if (ready != 0) {
        if (ready > 0) t_backoff = 1;
        return ready;
      }
    } while (Clock::now() < spin_end);
    t_skip = t_backoff;
    t_backoff = std::min(2 * t_backoff, kMaxBackoff);
  }
  return ::poll(fds, n, MillisLeft(deadline));
}

}  // namespace memoryfs::rpc
