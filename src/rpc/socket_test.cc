#include "rpc/socket.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace memoryfs::rpc {

namespace {

using std::chrono::milliseconds;

// Milliseconds since `start`.
long long ElapsedMs(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

bool FdOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// A loopback listener and one connection to it, both ends.
struct Pair {
  Pair() {
    Result<Socket> l = Listen("127.0.0.1", 0, 8);
    REQUIRE(l.ok());
    listener = std::move(l).value();
    port = LocalPort(listener);
    REQUIRE(port > 0);
    Result<Socket> c = Connect("127.0.0.1", port, DeadlineIn(1000));
    REQUIRE_MESSAGE(c.ok(), c.status().ToString());
    client = std::move(c).value();
    server = Socket(::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(server.valid());
  }
  Socket listener;
  int port = 0;
  Socket client;
  Socket server;
};

// Reads from `s` until `want` bytes have arrived (or an error / close / 2 s).
std::string ReadExactly(const Socket& s, size_t want) {
  std::string got;
  const Deadline deadline = DeadlineIn(2000);
  while (got.size() < want) {
    Result<size_t> n = ReceiveSome(s, &got, deadline);
    if (!n.ok() || *n == 0) break;
  }
  return got;
}

// A port that nothing listens on (it was just free).
int FreePort() {
  Result<Socket> l = Listen("127.0.0.1", 0, 1);
  REQUIRE(l.ok());
  return LocalPort(*l);  // closed when l goes out of scope
}

// Waits, boundedly, for PeerClosed to become true.
bool EventuallyPeerClosed(const Socket& s) {
  for (int i = 0; i < 200; ++i) {
    if (PeerClosed(s)) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("Socket: Listen on port 0 picks a free port that LocalPort reports") {
  Result<Socket> a = Listen("127.0.0.1", 0, 4);
  REQUIRE(a.ok());
  CHECK(a->valid());
  const int port = LocalPort(*a);
  CHECK(port > 0);
  CHECK(port < 65536);
  // "localhost" is accepted too and gets a different port while the first is held.
  Result<Socket> b = Listen("localhost", 0, 4);
  REQUIRE(b.ok());
  CHECK(LocalPort(*b) > 0);
  CHECK(LocalPort(*b) != port);
  // The port is really taken: binding it again fails with kIOError naming it.
  Result<Socket> again = Listen("127.0.0.1", port, 4);
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == Code::kIOError);
  CHECK(again.status().message().find(std::to_string(port)) != std::string::npos);
  // A socket that is not bound has no port.
  CHECK(LocalPort(Socket()) == -1);
}

TEST_CASE("Socket: Connect to a refused port is kUnavailable at once") {
  const int port = FreePort();
  const auto start = Clock::now();
  Result<Socket> s = Connect("127.0.0.1", port, DeadlineIn(3000));
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == Code::kUnavailable);
  CHECK(s.status().message().find("connect") != std::string::npos);
  CHECK(ElapsedMs(start) < 250);
}

TEST_CASE("Socket: Connect to a listener whose queue is full is kDeadlineExceeded on time") {
  // Nobody accepts and the backlog is 0: once the queue holds a connection, the kernel drops
  // further SYNs and a connect can only wait for its deadline.
  Result<Socket> l = Listen("127.0.0.1", 0, 0);
  REQUIRE(l.ok());
  const int port = LocalPort(*l);
  std::vector<Socket> queued;
  bool timed_out = false;
  for (int i = 0; i < 8 && !timed_out; ++i) {
    const auto start = Clock::now();
    Result<Socket> c = Connect("127.0.0.1", port, DeadlineIn(100));
    const long long ms = ElapsedMs(start);
    if (c.ok()) {
      queued.push_back(std::move(c).value());
      continue;
    }
    timed_out = true;
    CHECK(c.status().code() == Code::kDeadlineExceeded);
    CHECK(c.status().message() == "timed out");
    CHECK(ms >= 100);
    CHECK(ms <= 350);
  }
  CHECK(timed_out);
  CHECK_FALSE(queued.empty());
}

TEST_CASE("Socket: an unresolvable host is kInvalidArgument for Connect and Listen") {
  // A label longer than 63 characters cannot be a DNS name: rejected without any network.
  const std::string host = std::string(70, 'a') + ".invalid";
  const auto start = Clock::now();
  Result<Socket> c = Connect(host, 80, DeadlineIn(1000));
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == Code::kInvalidArgument);
  CHECK(c.status().message() == "cannot resolve host '" + host + "'");
  Result<Socket> l = Listen(host, 0, 1);
  REQUIRE_FALSE(l.ok());
  CHECK(l.status().code() == Code::kInvalidArgument);
  CHECK(ElapsedMs(start) < 1000);
}

TEST_CASE("Socket: SendAll and ReceiveSome round trip in both directions") {
  Pair p;
  REQUIRE(SendAll(p.client, "hello", DeadlineIn(1000)).ok());
  CHECK(ReadExactly(p.server, 5) == "hello");
  REQUIRE(SendAll(p.server, "world!", DeadlineIn(1000)).ok());
  // ReceiveSome appends to what *out already holds and returns the count it read.
  std::string out = "prefix:";
  size_t total = 0;
  const Deadline deadline = DeadlineIn(1000);
  while (total < 6) {
    Result<size_t> n = ReceiveSome(p.client, &out, deadline);
    REQUIRE(n.ok());
    REQUIRE(*n > 0);
    total += *n;
  }
  CHECK(total == 6);
  CHECK(out == "prefix:world!");
  // Binary data with NULs goes through unchanged; an empty send is a no-op.
  const std::string binary("\0\x01\xff\0", 4);
  REQUIRE(SendAll(p.client, "", DeadlineIn(1000)).ok());
  REQUIRE(SendAll(p.client, binary, DeadlineIn(1000)).ok());
  CHECK(ReadExactly(p.server, 4) == binary);
}

TEST_CASE("Socket: SendAll of several megabytes while the peer reads") {
  Pair p;
  std::string data(4 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) >> 3);
  std::string received;
  std::thread reader([&] { received = ReadExactly(p.server, data.size()); });
  const Status sent = SendAll(p.client, data, DeadlineIn(3000));
  reader.join();
  CHECK(sent.ok());
  CHECK(received.size() == data.size());
  CHECK(received == data);
}

TEST_CASE("Socket: SendAll to a peer that never reads stops at the deadline") {
  Pair p;
  const std::string data(64 << 20, 'x');  // far more than the socket buffers hold
  const auto start = Clock::now();
  const Status sent = SendAll(p.client, data, DeadlineIn(200));
  const long long ms = ElapsedMs(start);
  CHECK(sent.code() == Code::kDeadlineExceeded);
  CHECK(sent.message() == "timed out");
  CHECK(ms >= 200);
  CHECK(ms <= 500);
}

TEST_CASE("Socket: ReceiveSome with nothing to read is kDeadlineExceeded at the deadline") {
  Pair p;
  for (int deadline_ms : {0, 50, 150}) {
    CAPTURE(deadline_ms);
    std::string out = "kept";
    const auto start = Clock::now();
    Result<size_t> n = ReceiveSome(p.client, &out, DeadlineIn(deadline_ms));
    const long long ms = ElapsedMs(start);
    REQUIRE_FALSE(n.ok());
    CHECK(n.status().code() == Code::kDeadlineExceeded);
    CHECK(n.status().message() == "timed out");
    CHECK(ms >= deadline_ms);
    CHECK(ms <= deadline_ms + 250);
    CHECK(out == "kept");
  }
  // Data that arrives before the deadline ends the wait early.
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(30));
    (void)SendAll(p.server, "late", DeadlineIn(1000));  // checked by the read below
  });
  std::string out;
  const auto start = Clock::now();
  Result<size_t> n = ReceiveSome(p.client, &out, DeadlineIn(2000));
  const long long ms = ElapsedMs(start);
  writer.join();
  REQUIRE(n.ok());
  CHECK(*n >= 1);
  CHECK(ms < 1000);
  out += ReadExactly(p.client, 4 - out.size());
  CHECK(out == "late");
}

TEST_CASE("Socket: a wait begun past its deadline still takes what has arrived") {
  // As after this process was stopped (SIGSTOP) between sending and waiting: the answer that
  // came meanwhile is an answer, not a timeout.
  Pair p;
  const Deadline past = Clock::now() - milliseconds(5);
  CHECK(WaitReadable(p.client, past).code() == Code::kDeadlineExceeded);  // nothing there
  REQUIRE(SendAll(p.server, "x", DeadlineIn(1000)).ok());
  std::this_thread::sleep_for(milliseconds(5));
  CHECK(WaitReadable(p.client, past).ok());
}

TEST_CASE("Socket: ReceiveSome returns 0 once the peer has closed") {
  Pair p;
  REQUIRE(SendAll(p.server, "bye", DeadlineIn(1000)).ok());
  p.server.Close();
  // Buffered data first, then the end of the stream, repeatedly.
  CHECK(ReadExactly(p.client, 3) == "bye");
  std::string out = "x";
  Result<size_t> n = ReceiveSome(p.client, &out, DeadlineIn(1000));
  REQUIRE(n.ok());
  CHECK(*n == 0);
  CHECK(out == "x");
  n = ReceiveSome(p.client, &out, DeadlineIn(1000));
  REQUIRE(n.ok());
  CHECK(*n == 0);
}

TEST_CASE("Socket: a reset connection is kUnavailable for ReceiveSome and SendAll") {
  Pair p;
  // Closing with a zero linger time sends a reset instead of an orderly close.
  const linger reset{1, 0};
  REQUIRE(::setsockopt(p.server.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) == 0);
  p.server.Close();
  REQUIRE(EventuallyPeerClosed(p.client));
  std::string out;
  Result<size_t> n = ReceiveSome(p.client, &out, DeadlineIn(1000));
  REQUIRE_FALSE(n.ok());
  CHECK(n.status().code() == Code::kUnavailable);
  CHECK(n.status().message().rfind("recv: ", 0) == 0);
  // Writing to it is an error value, never SIGPIPE.
  const Status sent = SendAll(p.client, "x", DeadlineIn(1000));
  CHECK(sent.code() == Code::kUnavailable);
  CHECK(sent.message().rfind("send: ", 0) == 0);
}

TEST_CASE("Socket: SendAll after the peer closed fails with kUnavailable, never SIGPIPE") {
  Pair p;
  p.server.Close();
  REQUIRE(EventuallyPeerClosed(p.client));
  // The first write may still be accepted (the peer then answers with a reset).
  Status sent;
  for (int i = 0; i < 100 && sent.ok(); ++i) {
    sent = SendAll(p.client, "data", DeadlineIn(1000));
    if (sent.ok()) std::this_thread::sleep_for(milliseconds(2));
  }
  CHECK(sent.code() == Code::kUnavailable);
}

TEST_CASE("Socket: PeerClosed is false while idle and open, true after the peer closes") {
  Pair p;
  CHECK_FALSE(PeerClosed(p.client));
  CHECK_FALSE(PeerClosed(p.server));
  // Still false after a completed exchange.
  REQUIRE(SendAll(p.client, "ping", DeadlineIn(1000)).ok());
  CHECK(ReadExactly(p.server, 4) == "ping");
  CHECK_FALSE(PeerClosed(p.server));
  // It does not block.
  const auto start = Clock::now();
  for (int i = 0; i < 100; ++i) CHECK_FALSE(PeerClosed(p.client));
  CHECK(ElapsedMs(start) < 100);

  p.server.Close();
  CHECK(EventuallyPeerClosed(p.client));
  CHECK(PeerClosed(p.client));  // and it stays so
}

TEST_CASE("Socket: PeerClosed is true when unexpected bytes wait on an idle connection") {
  Pair p;
  REQUIRE(SendAll(p.server, "?", DeadlineIn(1000)).ok());
  CHECK(EventuallyPeerClosed(p.client));
  // PeerClosed only looks: the byte is still there to read.
  CHECK(ReadExactly(p.client, 1) == "?");
  CHECK_FALSE(PeerClosed(p.client));
}

TEST_CASE("Socket: moves transfer the descriptor, which is closed exactly once") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const int fd = fds[0];
  int reused = -1;
  {
    Socket a(fd);
    CHECK(a.valid());
    CHECK(a.fd() == fd);
    Socket b(std::move(a));
    CHECK_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
    CHECK(a.fd() == -1);
    CHECK(b.fd() == fd);
    b.Close();
    CHECK_FALSE(b.valid());
    CHECK_FALSE(FdOpen(fd));
    b.Close();  // a second Close is a no-op
    // The number is given to another file; neither a nor b may close it when destroyed.
    REQUIRE(::dup2(fds[1], fd) == fd);
    reused = fd;
  }
  CHECK(FdOpen(reused));
  ::close(reused);
  ::close(fds[1]);
}

TEST_CASE("Socket: move assignment closes the old descriptor and takes the new one") {
  int x[2], y[2];
  REQUIRE(::pipe(x) == 0);
  REQUIRE(::pipe(y) == 0);
  {
    Socket c(x[0]);
    Socket d(y[0]);
    c = std::move(d);
    CHECK_FALSE(FdOpen(x[0]));  // c's old descriptor closed
    CHECK(c.fd() == y[0]);
    CHECK_FALSE(d.valid());  // NOLINT(bugprone-use-after-move)
    CHECK(FdOpen(y[0]));
    Socket& alias = c;
    c = std::move(alias);  // self-move keeps the descriptor open
    CHECK(c.fd() == y[0]);
    CHECK(FdOpen(y[0]));
    // Assigning an empty socket closes the held one.
    c = Socket();
    CHECK_FALSE(c.valid());
    CHECK_FALSE(FdOpen(y[0]));
  }
  ::close(x[1]);
  ::close(y[1]);
}

TEST_CASE("Socket: release hands the descriptor over without closing it") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  int released = -1;
  {
    Socket s(fds[0]);
    released = s.release();
    CHECK_FALSE(s.valid());
  }
  CHECK(released == fds[0]);
  CHECK(FdOpen(released));
  ::close(released);
  ::close(fds[1]);
}

}  // namespace memoryfs::rpc
