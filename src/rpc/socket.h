// Thin, error-as-value wrappers over POSIX TCP sockets, with millisecond deadlines.
// Errors: kDeadlineExceeded when the deadline passes first; kUnavailable when the peer refuses
// or resets; kInvalidArgument for an unresolvable host; kIOError for local set-up failures.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace memoryfs::rpc {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// Owns one file descriptor; closes it on destruction.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { Close(); }

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Close();

 private:
  int fd_ = -1;
};

// Binds and listens on host:port (IPv4 dotted address or "localhost"; port 0 = any free one).
Result<Socket> Listen(const std::string& host, int port, int backlog);
// The local port a bound socket listens on.
int LocalPort(const Socket& socket);

// Connects to host:port before the deadline (refused -> kUnavailable at once).
Result<Socket> Connect(const std::string& host, int port, Deadline deadline);

// Writes all of data before the deadline.
Status SendAll(const Socket& socket, const std::string& data, Deadline deadline);

// Reads what is available (at least one byte) before the deadline and appends it to *out.
// Returns the number of bytes read; 0 means the peer closed the connection.
Result<size_t> ReceiveSome(const Socket& socket, std::string* out, Deadline deadline);

// Waits until the socket is readable (data, end of stream or an error) before the deadline:
// for a reply that cannot have arrived yet, instead of a read that would find nothing.
Status WaitReadable(const Socket& socket, Deadline deadline);

// True when a kept-alive connection has been closed by the peer (or has unexpected data):
// checked without blocking before a connection is reused, so that nothing is ever re-sent.
bool PeerClosed(const Socket& socket);

// The poll() timeout that reaches the deadline: milliseconds left, rounded up (a
// sub-millisecond remainder still polls once; callers re-check the deadline precisely), 0 once
// it has passed, -1 (no timeout) for Deadline::max().
int MillisLeft(Deadline deadline);

// Deadline `ms` milliseconds from now.
inline Deadline DeadlineIn(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }

}  // namespace memoryfs::rpc
