#include "raid/layout.h"

namespace memoryfs::raid {

Location Layout::DataLocation(int virtual_block) const {
  const int stripe = StripeOf(virtual_block);
  int d = virtual_block % data_per_stripe();
  if (d >= ParityServer(stripe)) ++d;
  return {d, stripe};
}

std::optional<int> Layout::VirtualAt(int server, int stripe) const {
  const int p = ParityServer(stripe);
  if (server == p) return std::nullopt;
  const int d = server > p ? server - 1 : server;
  return stripe * data_per_stripe() + d;
}

std::vector<int> Layout::StripeMembers(int stripe) const {
  std::vector<int> members;
  for (int server = 0; server < n_; ++server) {
    if (auto v = VirtualAt(server, stripe)) members.push_back(*v);
  }
  return members;
}

}  // namespace memoryfs::raid
