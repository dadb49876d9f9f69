#include "rpc/socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "rpc/fiber_loop.h"
#include "rpc/poll_wait.h"

namespace memoryfs::rpc {

namespace {

Status Errno(Code code, const std::string& what) {
  return Status::Error(code, what + ": " + std::strerror(errno));
}

Result<sockaddr_in> Resolve(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const std::string h = host == "localhost" ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, h.c_str(), &addr.sin_addr) == 1) return addr;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return Status::Error(Code::kInvalidArgument, "cannot resolve host '" + host + "'");
  }
  addr.sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return addr;
}

// Waits for `events` on the socket until the deadline: within the FiberLoop running on this
// thread, if any (rpc/fiber_loop.h), else by polling this one socket.
Status WaitFor(int fd, short events, Deadline deadline) {
  Status in_loop;
  if (WaitInLoop(fd, events, deadline, &in_loop)) return in_loop;
  for (;;) {
    pollfd p{fd, events, 0};
    if (Clock::now() >= deadline) {
      // Past the deadline before polling (this process did not run meanwhile: stopped, or
      // descheduled): what has arrived by now still counts.
      if (::poll(&p, 1, 0) > 0) return Status::Ok();
      return Status::Error(Code::kDeadlineExceeded, "timed out");
    }
    int n = PollWait(&p, 1, deadline);
    if (n > 0) return Status::Ok();
    if (n == 0) continue;  // loop re-checks the deadline precisely
    if (errno == EINTR) continue;
    return Errno(Code::kUnavailable, "poll");
  }
}

}  // namespace

int MillisLeft(Deadline deadline) {
  if (deadline == Deadline::max()) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  // Round up so that a sub-millisecond remainder still polls once.
  return left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.release();
  }
  return *this;
}

void Socket::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<Socket> Listen(const std::string& host, int port, int backlog) {
  ASSIGN_OR_RETURN(sockaddr_in addr, Resolve(host, port));
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return Errno(Code::kIOError, "socket");
  int one = 1;
  ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&addr), sizeof(sockaddr_in)) != 0) {
    return Errno(Code::kIOError, "cannot bind " + host + ":" + std::to_string(port));
  }
  if (::listen(s.fd(), backlog) != 0) return Errno(Code::kIOError, "listen");
  return s;
}

int LocalPort(const Socket& socket) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  return ntohs(addr.sin_port);
}

Result<Socket> Connect(const std::string& host, int port, Deadline deadline) {
  ASSIGN_OR_RETURN(sockaddr_in addr, Resolve(host, port));
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s.valid()) return Errno(Code::kIOError, "socket");
  int one = 1;
  ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&addr), sizeof(sockaddr_in)) != 0) {
    if (errno != EINPROGRESS) return Errno(Code::kUnavailable, "connect");
    RETURN_IF_ERROR(WaitFor(s.fd(), POLLOUT, deadline));
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      errno = err;
      return Errno(Code::kUnavailable, "connect");
    }
  }
  return s;
}

Status SendAll(const Socket& socket, const std::string& data, Deadline deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(socket.fd(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      RETURN_IF_ERROR(WaitFor(socket.fd(), POLLOUT, deadline));
      continue;
    }
    return Errno(Code::kUnavailable, "send");
  }
  return Status::Ok();
}

Result<size_t> ReceiveSome(const Socket& socket, std::string* out, Deadline deadline) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(socket.fd(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n >= 0) {
      out->append(buf, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Errno(Code::kUnavailable, "recv");
    RETURN_IF_ERROR(WaitFor(socket.fd(), POLLIN, deadline));
  }
}

Status WaitReadable(const Socket& socket, Deadline deadline) {
  return WaitFor(socket.fd(), POLLIN, deadline);
}

bool PeerClosed(const Socket& socket) {
  pollfd p{socket.fd(), POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  // Readable while idle: either EOF/reset or stray bytes; both make the connection unusable.
  return true;
}

}  // namespace memoryfs::rpc
