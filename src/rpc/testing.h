// Test helpers of the rpc layer (header-only, used by the fiber loop's, the spin's and the
// fan-out's tests): a connected pair of non-blocking sockets, for waits that end exactly when
// a test writes to the other end.
#pragma once

#include <doctest/doctest.h>
#include <sys/socket.h>

#include <string>

#include "rpc/socket.h"

namespace memoryfs::rpc::testing {

// Both ends of a connected, non-blocking stream socket pair: what is sent on `out` is
// received on `in`, and the other way round.
struct SocketPair {
  Socket in, out;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    in = Socket(fds[0]);
    out = Socket(fds[1]);
  }
};

// One byte sent on p.out within a second.
inline bool SendByte(const SocketPair& p) { return SendAll(p.out, "x", DeadlineIn(1000)).ok(); }

// What one ReceiveSome on p.in got within ms; "" when it timed out or failed.
inline std::string ReadByte(const SocketPair& p, int ms) {
  std::string got;
  return ReceiveSome(p.in, &got, DeadlineIn(ms)).ok() ? got : "";
}

}  // namespace memoryfs::rpc::testing
