#include "rpc/http_client.h"

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rpc/http_message.h"
#include "rpc/http_server.h"

namespace memoryfs::rpc {

namespace {

using std::chrono::milliseconds;

long long ElapsedMs(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// The in-process HttpServer with an echo handler, on a free loopback port.
class EchoServer {
 public:
  EchoServer()
      : http_({}, [this](const HttpMessage& request) {
          ++calls_;
          return "echo:" + request.body;
        }) {
    REQUIRE(http_.Start().ok());
    thread_ = std::thread([this] { http_.Run(); });
  }
  ~EchoServer() {
    http_.Stop();
    thread_.join();
  }
  int port() const { return http_.port(); }
  int calls() const { return calls_; }

 private:
  std::atomic<int> calls_{0};
  HttpServer http_;
  std::thread thread_;
};

// A hand-written HTTP peer on a free loopback port: counts the connections it accepts, reads
// whole requests and answers each one as the script says (one thread per connection).
class RawServer {
 public:
  struct Answer {
    std::string bytes;   // sent as is; empty: nothing is sent
    bool close = false;  // close the connection afterwards (else wait for the next request)
    std::vector<std::string> later = {};  // then sent one by one, each after `pause`
    milliseconds pause{0};
  };
  // index: the number of requests this server received before this one.
  using Script = std::function<Answer(int index, const HttpMessage& request)>;

  explicit RawServer(Script script) : script_(std::move(script)) {
    Result<Socket> l = Listen("127.0.0.1", 0, 16);
    REQUIRE(l.ok());
    listener_ = std::move(l).value();
    port_ = LocalPort(listener_);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~RawServer() {
    stopping_ = true;
    acceptor_.join();
    for (std::thread& t : connections_) t.join();
  }

  int port() const { return port_; }
  int accepted() const { return accepted_; }
  int closed() const { return closed_; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  // Waits (at most 2 s) until the server has closed `n` connections.
  bool WaitClosed(int n) const {
    for (int i = 0; i < 2000 && closed_ < n; ++i) std::this_thread::sleep_for(milliseconds(1));
    return closed_ >= n;
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{listener_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      const int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      connections_.emplace_back([this, fd] { Serve(Socket(fd)); });
    }
  }

  void Serve(Socket s) {
    std::string buf;
    while (!stopping_) {
      HttpMessage request;
      const ParseOutcome parsed = ParseRequest(buf, 1 << 20, &request);
      if (parsed.state == ParseState::kError) break;
      if (parsed.state == ParseState::kComplete) {
        buf.erase(0, parsed.consumed);
        int index;
        {
          std::lock_guard<std::mutex> lock(mu_);
          index = static_cast<int>(bodies_.size());
          bodies_.push_back(request.body);
        }
        const Answer answer = script_(index, request);
        if (!answer.bytes.empty() && !SendAll(s, answer.bytes, DeadlineIn(1000)).ok()) break;
        bool sent = true;
        for (const std::string& piece : answer.later) {
          std::this_thread::sleep_for(answer.pause);
          if (stopping_ || !SendAll(s, piece, DeadlineIn(1000)).ok()) sent = false;
          if (!sent) break;
        }
        if (!sent || answer.close) break;
        continue;
      }
      Result<size_t> n = ReceiveSome(s, &buf, DeadlineIn(10));
      if (!n.ok() && n.status().code() == Code::kDeadlineExceeded) continue;
      if (!n.ok() || *n == 0) break;
    }
    s.Close();
    ++closed_;
  }

  Script script_;
  Socket listener_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> closed_{0};
  std::mutex mu_;
  std::vector<std::string> bodies_;  // guarded by mu_
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // touched by the acceptor thread only, then joined
};

std::string Http11(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// What the course's Python server sends: HTTP/1.0 and a connection per request.
std::string Http10(const std::string& body) {
  return "HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.10\r\nContent-Type: text/xml\r\n"
         "Content-length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

HttpClient ClientFor(int port, size_t max_reply = 1 << 20) {
  return HttpClient(Endpoint{"127.0.0.1", port}, max_reply);
}

std::string Prefix(int port) { return "127.0.0.1:" + std::to_string(port) + ": "; }

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

TEST_CASE("HttpClient: Post returns the reply body of an in-process HttpServer") {
  EchoServer server;
  HttpClient client = ClientFor(server.port());
  CHECK(client.endpoint() == Endpoint{"127.0.0.1", server.port()});
  Result<std::string> r = client.Post("/RPC2", "<methodCall/>", DeadlineIn(1000));
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(*r == "echo:<methodCall/>");
  r = client.Post("/RPC2", "", DeadlineIn(1000));
  REQUIRE(r.ok());
  CHECK(*r == "echo:");
  const std::string binary("a\0b\r\n\r\nc", 8);
  r = client.Post("/RPC2", binary, DeadlineIn(1000));
  REQUIRE(r.ok());
  CHECK(*r == "echo:" + binary);
  const std::string big(300 * 1024, 'z');
  r = client.Post("/RPC2", big, DeadlineIn(2000));
  REQUIRE(r.ok());
  CHECK(*r == "echo:" + big);
  CHECK(server.calls() == 4);
}

TEST_CASE("HttpClient: a non-200 status of HttpServer is kProtocolError naming it") {
  EchoServer server;
  HttpClient client = ClientFor(server.port());
  Result<std::string> r = client.Post("/elsewhere", "x", DeadlineIn(1000));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kProtocolError);
  CHECK(r.status().message() == Prefix(server.port()) + "HTTP 404 Not Found");
  CHECK(server.calls() == 0);
  // The client is still usable.
  r = client.Post("/RPC2", "again", DeadlineIn(1000));
  REQUIRE(r.ok());
  CHECK(*r == "echo:again");
}

TEST_CASE("HttpClient: one kept-alive connection carries consecutive posts") {
  RawServer server([](int index, const HttpMessage& request) {
    return RawServer::Answer{Http11(std::to_string(index) + ":" + request.body)};
  });
  HttpClient client = ClientFor(server.port());
  for (int i = 0; i < 5; ++i) {
    Result<std::string> r = client.Post("/RPC2", "req" + std::to_string(i), DeadlineIn(1000));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(*r == std::to_string(i) + ":req" + std::to_string(i));
  }
  CHECK(server.accepted() == 1);
  CHECK(client.connections() == 1);
  CHECK(server.bodies() == std::vector<std::string>{"req0", "req1", "req2", "req3", "req4"});
  // Disconnect drops it: the next post connects afresh.
  client.Disconnect();
  REQUIRE(client.Post("/RPC2", "req5", DeadlineIn(1000)).ok());
  CHECK(server.accepted() == 2);
  CHECK(client.connections() == 2);
}

TEST_CASE("HttpClient: the request is a keep-alive HTTP/1.1 POST without gzip") {
  HttpMessage seen;
  std::mutex mu;
  RawServer server([&](int, const HttpMessage& request) {
    std::lock_guard<std::mutex> lock(mu);
    seen = request;
    return RawServer::Answer{Http11("ok")};
  });
  HttpClient client = ClientFor(server.port());
  REQUIRE(client.Post("/RPC2", "body!", DeadlineIn(1000)).ok());
  std::lock_guard<std::mutex> lock(mu);
  CHECK(seen.method == "POST");
  CHECK(seen.target == "/RPC2");
  CHECK(seen.version == "HTTP/1.1");
  CHECK(seen.keep_alive);
  CHECK(seen.body == "body!");
  CHECK(seen.headers.count("accept-encoding") == 0);
}

TEST_CASE("HttpClient: an HTTP/1.0 server closing after each reply still serves every post") {
  RawServer server([](int index, const HttpMessage& request) {
    return RawServer::Answer{Http10("r" + std::to_string(index) + "=" + request.body), true};
  });
  HttpClient client = ClientFor(server.port());
  for (int i = 0; i < 4; ++i) {
    Result<std::string> r = client.Post("/RPC2", std::to_string(i), DeadlineIn(1000));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(*r == "r" + std::to_string(i) + "=" + std::to_string(i));
  }
  CHECK(server.accepted() == 4);
  CHECK(client.connections() == 4);  // a session per call
  CHECK(server.bodies() == std::vector<std::string>{"0", "1", "2", "3"});
}

TEST_CASE("HttpClient: a reply without Content-Length ends when the server closes") {
  RawServer server([](int, const HttpMessage& request) {
    return RawServer::Answer{
        "HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n<" + request.body + ">", true};
  });
  HttpClient client = ClientFor(server.port());
  for (int i = 0; i < 2; ++i) {
    Result<std::string> r = client.Post("/RPC2", "abc", DeadlineIn(1000));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(*r == "<abc>");
  }
  CHECK(server.accepted() == 2);
}

TEST_CASE("HttpClient: a kept-alive connection the server closed while idle is replaced unused") {
  // The reply promises keep-alive, then the server closes anyway (an idle timeout).
  RawServer server([](int index, const HttpMessage&) {
    return RawServer::Answer{Http11("n" + std::to_string(index)), true};
  });
  HttpClient client = ClientFor(server.port());
  Result<std::string> r = client.Post("/RPC2", "first", DeadlineIn(1000));
  REQUIRE(r.ok());
  CHECK(*r == "n0");
  REQUIRE(server.WaitClosed(1));
  std::this_thread::sleep_for(milliseconds(20));  // let the FIN reach the client's socket
  r = client.Post("/RPC2", "second", DeadlineIn(1000));
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(*r == "n1");
  CHECK(server.accepted() == 2);
  // Each request reached the server exactly once: nothing was re-sent.
  CHECK(server.bodies() == std::vector<std::string>{"first", "second"});
}

TEST_CASE("HttpClient: a non-200 status is kProtocolError with the status in the message") {
  RawServer server([](int index, const HttpMessage&) {
    if (index == 0) {
      return RawServer::Answer{
          "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops"};
    }
    return RawServer::Answer{"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", true};
  });
  HttpClient client = ClientFor(server.port());
  Result<std::string> r = client.Post("/RPC2", "a", DeadlineIn(1000));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kProtocolError);
  CHECK(r.status().message() == Prefix(server.port()) + "HTTP 500 Internal Server Error");
  r = client.Post("/RPC2", "b", DeadlineIn(1000));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kProtocolError);
  CHECK(r.status().message() == Prefix(server.port()) + "HTTP 503 Service Unavailable");
}

TEST_CASE("HttpClient: no reply before the deadline is kDeadlineExceeded, on time") {
  // The server reads the request and never answers; the second connection gets only a head.
  RawServer server([](int index, const HttpMessage&) {
    if (index == 0) return RawServer::Answer{};
    return RawServer::Answer{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"};
  });
  HttpClient client = ClientFor(server.port());
  for (int attempt = 0; attempt < 2; ++attempt) {
    CAPTURE(attempt);
    const auto start = Clock::now();
    Result<std::string> r = client.Post("/RPC2", "x", DeadlineIn(150));
    const long long ms = ElapsedMs(start);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kDeadlineExceeded);
    CHECK(r.status().message() == Prefix(server.port()) + "timed out");
    CHECK(ms >= 150);
    CHECK(ms <= 400);
  }
  // The timed-out connection was dropped, not reused for the second request.
  CHECK(server.accepted() == 2);
}

TEST_CASE("HttpClient: a reply arriving in small pieces is assembled") {
  RawServer server([](int, const HttpMessage&) {
    const std::string reply = Http11("<methodResponse>pieces</methodResponse>");
    RawServer::Answer answer{reply.substr(0, 3)};
    for (size_t i = 3; i < reply.size(); i += 7) answer.later.push_back(reply.substr(i, 7));
    answer.pause = milliseconds(1);
    return answer;
  });
  HttpClient client = ClientFor(server.port());
  for (int i = 0; i < 2; ++i) {
    Result<std::string> r = client.Post("/RPC2", "x", DeadlineIn(2000));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(*r == "<methodResponse>pieces</methodResponse>");
  }
  CHECK(server.accepted() == 1);
}

TEST_CASE("HttpClient: the deadline covers the whole reply, not each piece of it") {
  // A byte every 20 ms keeps the connection busy but the reply is not whole before 150 ms.
  RawServer server([](int, const HttpMessage&) {
    RawServer::Answer answer{"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n"};
    for (int i = 0; i < 30; ++i) answer.later.push_back("z");
    answer.pause = milliseconds(20);
    return answer;
  });
  HttpClient client = ClientFor(server.port());
  const auto start = Clock::now();
  Result<std::string> r = client.Post("/RPC2", "x", DeadlineIn(150));
  const long long ms = ElapsedMs(start);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kDeadlineExceeded);
  CHECK(r.status().message() == Prefix(server.port()) + "timed out");
  CHECK(ms >= 150);
  CHECK(ms <= 400);
}

TEST_CASE("HttpClient: a connection closed before any reply byte is kUnavailable") {
  RawServer server([](int index, const HttpMessage&) {
    if (index == 0) return RawServer::Answer{"", true};
    return RawServer::Answer{Http11("fine")};
  });
  HttpClient client = ClientFor(server.port());
  const auto start = Clock::now();
  Result<std::string> r = client.Post("/RPC2", "x", DeadlineIn(2000));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK(StartsWith(r.status().message(), Prefix(server.port())));
  CHECK(ElapsedMs(start) < 1000);
  // The next post connects afresh and succeeds.
  r = client.Post("/RPC2", "y", DeadlineIn(1000));
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(*r == "fine");
  CHECK(server.accepted() == 2);
  CHECK(server.bodies() == std::vector<std::string>{"x", "y"});
}

TEST_CASE("HttpClient: a cut, malformed or oversized reply is kProtocolError") {
  RawServer server([](int index, const HttpMessage&) {
    switch (index) {
      case 0:  // closed inside the body
        return RawServer::Answer{"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", true};
      case 1:  // closed inside the head
        return RawServer::Answer{"HTTP/1.1 200 OK\r\nContent-Le", true};
      case 2:
        return RawServer::Answer{"HTTP/1.1 abc\r\nContent-Length: 0\r\n\r\n", true};
      default:  // a body over max_reply
        return RawServer::Answer{Http11(std::string(100, 'b'))};
    }
  });
  HttpClient client = ClientFor(server.port(), /*max_reply=*/64);
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    Result<std::string> r = client.Post("/RPC2", "x", DeadlineIn(1000));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kProtocolError);
    CHECK(StartsWith(r.status().message(), Prefix(server.port())));
    CHECK(r.status().message().size() > Prefix(server.port()).size());
  }
}

TEST_CASE("HttpClient: a refused connection is kUnavailable at once") {
  int port = 0;
  {
    Result<Socket> l = Listen("127.0.0.1", 0, 1);
    REQUIRE(l.ok());
    port = LocalPort(*l);
  }
  HttpClient client = ClientFor(port);
  const auto start = Clock::now();
  Result<std::string> r = client.Post("/RPC2", "x", DeadlineIn(2000));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK(StartsWith(r.status().message(), Prefix(port)));
  CHECK(ElapsedMs(start) < 250);
  CHECK(client.connections() == 0);  // only successful connects count
}

}  // namespace memoryfs::rpc
