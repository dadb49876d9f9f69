#include "rpc/poll_wait.h"

#include <doctest/doctest.h>
#include <time.h>

#include <chrono>
#include <thread>

#include "rpc/testing.h"

namespace memoryfs::rpc {

namespace {

using std::chrono::milliseconds;

using Pair = testing::SocketPair;

double ThreadCpuMs() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

long long ElapsedMs(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// PollWait for POLLIN on s until ms from now: (its result, the CPU ms this thread spent).
std::pair<int, double> Wait(const Socket& s, int ms) {
  pollfd p{s.fd(), POLLIN, 0};
  const double cpu = ThreadCpuMs();
  const int n = PollWait(&p, 1, DeadlineIn(ms));
  return {n, ThreadCpuMs() - cpu};
}

// Restores the process-wide spin on scope exit.
struct SpinFor {
  explicit SpinFor(int us) : saved(SpinMicros()) { SetSpinMicros(us); }
  ~SpinFor() { SetSpinMicros(saved); }
  int saved;
};

}  // namespace

TEST_CASE("PollWait: ready at once, or 0 at the deadline, spinning or not") {
  for (int spin : {0, 2000}) {
    CAPTURE(spin);
    SpinFor set(spin);
    Pair p;
    REQUIRE(SendAll(p.out, "x", DeadlineIn(100)).ok());
    CHECK(Wait(p.in, 1000).first == 1);
    Pair quiet;
    const auto start = Clock::now();
    CHECK(Wait(quiet.in, 30).first == 0);
    CHECK(ElapsedMs(start) >= 30);
    CHECK(ElapsedMs(start) < 200);
  }
}

TEST_CASE("PollWait: a spin never outlasts the deadline") {
  SpinFor set(10000);  // 10 ms of spin, 3 ms of deadline
  Pair quiet;
  const auto start = Clock::now();
  CHECK(Wait(quiet.in, 3).first == 0);
  CHECK(ElapsedMs(start) < 9);
}

TEST_CASE("PollWait: after a missed spin the next waits sleep at once, a caught one spins again") {
  SpinFor set(5000);
  Pair quiet;
  (void)Wait(quiet.in, 1);  // whatever the state was: a miss (the deadline is within the spin)
  // The back-off is now at least 1: the next wait sleeps at once, using no CPU to speak of.
  const auto [n1, cpu1] = Wait(quiet.in, 20);
  CHECK(n1 == 0);
  CHECK(cpu1 < 2.0);
  // Data that arrives while a wait spins is caught without sleeping, and resets the back-off;
  // waits then spin until the back-off ends, 64 waits at most after the last miss.
  Pair ready;
  REQUIRE(SendAll(ready.out, "x", DeadlineIn(100)).ok());
  for (int i = 0; i < 70; ++i) CHECK(Wait(ready.in, 100).first == 1);
  const auto [n2, cpu2] = Wait(quiet.in, 8);  // spins its 5 ms, then sleeps
  CHECK(n2 == 0);
  CHECK(cpu2 >= 3.0);
}

TEST_CASE("PollWait: the spin is the calling thread's own, and clamped below at 0") {
  SpinFor set(-5);
  CHECK(SpinMicros() == 0);
  SetSpinMicros(40);
  int other = -1;
  std::thread([&] { other = SpinMicros(); }).join();
  CHECK(other == 0);  // a new thread never spins unless it asks to
  CHECK(SpinMicros() == 40);
}

}  // namespace memoryfs::rpc
