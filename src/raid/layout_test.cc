#include "raid/layout.h"

#include <doctest/doctest.h>

#include <set>

namespace memoryfs::raid {

TEST_CASE("Layout: the spec's N=4 example") {
  Layout l(4);
  const int want_servers[12] = {0, 1, 2, 0, 1, 3, 0, 2, 3, 1, 2, 3};
  const int want_parity[4] = {3, 2, 1, 0};
  for (int v = 0; v < 12; ++v) {
    CHECK(l.DataLocation(v) == Location{want_servers[v], v / 3});
  }
  for (int s = 0; s < 4; ++s) CHECK(l.ParityServer(s) == want_parity[s]);
  CHECK(l.ParityServer(4) == 3);  // the pattern repeats every N stripes
  CHECK(l.ServerBlocksFor(256) == 86);
  CHECK(Layout(5).ServerBlocksFor(1024) == 256);
}

TEST_CASE("Layout: exhaustive for N = 3..8") {
  for (int n = 3; n <= 8; ++n) {
    CAPTURE(n);
    Layout l(n);
    const int stripes = 3 * n + 2;
    const int virtual_blocks = stripes * (n - 1);
    std::set<std::pair<int, int>> used;
    for (int v = 0; v < virtual_blocks; ++v) {
      Location loc = l.DataLocation(v);
      REQUIRE(loc.server >= 0);
      REQUIRE(loc.server < n);
      CHECK(loc.block == v / (n - 1));
      CHECK(loc.server != l.ParityServer(loc.block));      // data never on the parity slot
      CHECK(used.insert({loc.server, loc.block}).second);  // injective
      CHECK(l.VirtualAt(loc.server, loc.block) == v);      // inverse
    }
    for (int s = 0; s < stripes; ++s) {
      int parity = 0;
      for (int server = 0; server < n; ++server) {
        if (!l.VirtualAt(server, s)) ++parity;
      }
      CHECK(parity == 1);  // exactly one parity block per stripe
      CHECK(used.count({l.ParityServer(s), s}) == 0);
      CHECK(static_cast<int>(l.StripeMembers(s).size()) == n - 1);
    }
    // Every slot that is not parity holds a data block: a bijection onto the data slots.
    CHECK(static_cast<int>(used.size()) == stripes * n - stripes);
    // Parity rotates: over N consecutive stripes every server holds parity once.
    std::set<int> parity_servers;
    for (int s = 0; s < n; ++s) parity_servers.insert(l.ParityServer(s));
    CHECK(static_cast<int>(parity_servers.size()) == n);
  }
}

}  // namespace memoryfs::raid
