// Layout: the RAID-5 left-asymmetric mapping from virtual blocks to (server, physical block).
// Pure arithmetic, no I/O. With N servers and D = N-1 data blocks per stripe:
//   stripe s = v / D; physical block on every server = s;
//   parity server p = (N-1) - (s mod N);
//   data server d = v mod D, then d += 1 if d >= p.
// Example, N=4: v 0,1,2 -> servers 0,1,2 (parity 3); v 3,4,5 -> 0,1,3 (parity 2);
// v 6,7,8 -> 0,2,3 (parity 1); v 9,10,11 -> 1,2,3 (parity 0).
#pragma once

#include <optional>
#include <vector>

namespace memoryfs::raid {

struct Location {
  int server = 0;
  int block = 0;  // physical block number on that server (= the stripe)
  bool operator==(const Location&) const = default;
};

class Layout {
 public:
  // num_servers >= 3.
  explicit Layout(int num_servers) : n_(num_servers) {}

  int num_servers() const { return n_; }
  int data_per_stripe() const { return n_ - 1; }

  int StripeOf(int virtual_block) const { return virtual_block / data_per_stripe(); }
  int ParityServer(int stripe) const { return (n_ - 1) - (stripe % n_); }
  Location DataLocation(int virtual_block) const;
  Location ParityLocation(int stripe) const { return {ParityServer(stripe), stripe}; }

  // The virtual block stored at (server, stripe), or nullopt where that is the parity block.
  std::optional<int> VirtualAt(int server, int stripe) const;
  // The virtual blocks of a stripe, in server order (parity server skipped).
  std::vector<int> StripeMembers(int stripe) const;

  // Blocks each server needs for `virtual_blocks` usable blocks: ceil(virtual_blocks / D).
  int ServerBlocksFor(int virtual_blocks) const {
    return (virtual_blocks + data_per_stripe() - 1) / data_per_stripe();
  }

 private:
  int n_;
};

}  // namespace memoryfs::raid
