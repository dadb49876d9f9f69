// memoryfs_bench_fanout: the cost of a parallel round against the cost of one RPC, for the
// fan-out of the array's rounds (raid::Fanout kLanes: lanes on one thread, one poll loop) and,
// side by side in the same run, for the design it replaced, which repair and scrub keep for
// Python members (kThreads: a worker thread per server, the first server's requests on the
// caller's thread). Used by tools/bench_fanout.py.
//
//   memoryfs_bench_fanout PORT_A PORT_B SECONDS REPEAT [SPIN_US]
//
// SPIN_US: rpc::SetSpinMicros, as the shell's -spin_us (default 0: no spinning).
// Against two running servers (one block of 128 bytes is enough), each repetition measures,
// for SECONDS each, taking turns in slices of 10 ms:
//   single    Get(0) on server A, one after the other
//   fibers    rounds of Get(0) on A and on B through raid::Fanout, kLanes
//   threads   the same rounds, kThreads
// and prints one line per repetition: "single_us fibers_us threads_us" (µs per call or round).
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <vector>

#include "client/remote_device.h"
#include "raid/fanout.h"
#include "rpc/poll_wait.h"

namespace {

using namespace memoryfs;
using Clock = std::chrono::steady_clock;

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
  raid::Fanout fanout(2);
  const auto get_a = [&] { Check(a.Get(0).status()); };
  const auto get_b = [&] { Check(b.Get(0).status()); };
  const std::vector<std::function<void()>> cases{
      get_a,
      [&] {
        fanout.RunAll({{0, get_a}, {1, get_b}}, raid::Fanout::Mode::kLanes);
      },
      [&] {
        fanout.RunAll({{0, get_a}, {1, get_b}}, raid::Fanout::Mode::kThreads);
      }};
  for (int r = 0; r < repeat; ++r) {
    const std::vector<double> us = MicrosPer(seconds * 3, cases);
    std::cout << us[0] << " " << us[1] << " " << us[2] << std::endl;
  }
  return 0;
}
