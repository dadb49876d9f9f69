// memoryfs_bench_client: a C++ load generator for the server benchmark. One process, one
// connection (RemoteDevice), calling Get or Put in a loop for a fixed time; prints the number
// of calls completed. Used by tools/bench_server.py so that, with 8 of these, the servers and
// not the clients are the bottleneck.
//
//   memoryfs_bench_client PORT METHOD BLOCK_SIZE SECONDS [NUM_BLOCKS [TIMEOUT_MS]]
// TIMEOUT_MS: the per-call timeout (default 5000); bench_server.py passes its --timeout-ms.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "client/remote_device.h"

int main(int argc, char** argv) {
  using namespace memoryfs;
  if (argc < 5) {
    std::cerr << "usage: memoryfs_bench_client PORT Get|Put BLOCK_SIZE SECONDS [NUM_BLOCKS "
                 "[TIMEOUT_MS]]\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string method = argv[2];
  const int bs = std::atoi(argv[3]);
  const double seconds = std::atof(argv[4]);
  const int nb = argc > 5 ? std::atoi(argv[5]) : 256;
  const int timeout_ms = argc > 6 ? std::atoi(argv[6]) : 5000;
  if (port <= 0 || bs <= 0 || seconds <= 0 || nb <= 0 || timeout_ms <= 0 ||
      (method != "Get" && method != "Put")) {
    std::cerr << "memoryfs_bench_client: bad arguments\n";
    return 2;
  }
  client::RemoteDevice dev(rpc::Endpoint{"127.0.0.1", port}, nb, bs, timeout_ms);
  const Bytes data(bs, 0x5a);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  long long calls = 0;
  while (std::chrono::steady_clock::now() < end) {
    const int block = static_cast<int>(calls % nb);
    Status s = method == "Get" ? dev.Get(block).status() : dev.Put(block, data);
    if (!s.ok()) {
      std::cerr << "memoryfs_bench_client: " << s.ToString() << "\n";
      return 1;
    }
    ++calls;
  }
  std::cout << calls << std::endl;
  return 0;
}
