// A test fixture of the shell's device tests: a RAID-5 array over n real servers in this
// process (shell/local_server.h), wired as main() wires it (devices.cc), recording the texts
// of the events it reported. Header-only; for tests.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "client/remote_device.h"
#include "raid/array.h"
#include "raid/layout.h"
#include "shell/local_server.h"

namespace memoryfs::shell {
namespace testing {

inline constexpr int kBlockSize = 64;
inline constexpr int kTimeoutMs = 1000;

class Cluster {
 public:
  Cluster(int n, int nb) : server_blocks_(raid::Layout(n).ServerBlocksFor(nb)) {
    std::vector<client::BlockDevice*> members;
    for (int i = 0; i < n; ++i) {
      servers.push_back(std::make_unique<LocalServer>(server_blocks_, kBlockSize));
      remotes.push_back(std::make_unique<client::RemoteDevice>(
          servers.back()->endpoint(), server_blocks_, kBlockSize, kTimeoutMs));
      members.push_back(remotes.back().get());
    }
    array = std::make_unique<raid::Array>(
        members, nb, kBlockSize,
        [this](const raid::ArrayEvent& event) { events.push_back(event.ToString()); },
        raid::ArrayOptions{});
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int server_blocks() const { return server_blocks_; }

  // Every physical block of server k, read with a RemoteDevice of its own.
  std::vector<Bytes> Blocks(int k) {
    client::RemoteDevice direct(servers[k]->endpoint(), server_blocks_, kBlockSize, kTimeoutMs);
    std::vector<Bytes> blocks;
    for (int b = 0; b < server_blocks_; ++b) {
      Result<Bytes> block = direct.Get(b);
      REQUIRE_MESSAGE(block.ok(), block.status().ToString());
      blocks.push_back(*block);
    }
    return blocks;
  }

  // Kills server k and lets the array notice: a Get of one of its blocks, answered by rebuilding
  // it from the others. The server then stays down (its port closed).
  void Kill(int k) {
    servers[k]->Stop();
    const int block = FirstBlockOn(k);
    Result<Bytes> got = array->Get(block);
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CHECK(*got == Pattern(block));
    CHECK(array->failed(k));
    CHECK(events == std::vector<std::string>{"SERVER_DISCONNECTED GET " + std::to_string(k)});
  }

  // A blank server in place of server k, on the same port.
  void Replace(int k) {
    const int port = servers[k]->port();
    servers[k].reset();
    servers[k] = std::make_unique<LocalServer>(server_blocks_, kBlockSize, port);
  }

  // The first virtual block, other than the lock, whose data is on server k.
  int FirstBlockOn(int k) const {
    for (int v = 0; v < array->num_blocks(); ++v) {
      if (v != array->lock_block() && array->layout().DataLocation(v).server == k) return v;
    }
    FAIL("no block on server " << k);
    return -1;
  }

  // Writes Pattern(v) to every virtual block but the lock, through the array.
  void Fill() {
    for (int v = 0; v < array->num_blocks(); ++v) {
      if (v == array->lock_block()) continue;
      const Status put = array->Put(v, Pattern(v));
      REQUIRE_MESSAGE(put.ok(), put.ToString());
    }
  }

  // Distinct contents for every block.
  static Bytes Pattern(int v) {
    Bytes data(kBlockSize);
    for (int i = 0; i < kBlockSize; ++i) data[i] = static_cast<uint8_t>(v * 31 + i * 7 + 1);
    return data;
  }

  std::vector<std::unique_ptr<LocalServer>> servers;
  std::vector<std::unique_ptr<client::RemoteDevice>> remotes;
  std::unique_ptr<raid::Array> array;
  std::vector<std::string> events;  // written under the array's lock, read between calls

 private:
  int server_blocks_;
};

}  // namespace testing
}  // namespace memoryfs::shell
