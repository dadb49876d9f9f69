#include "rpc/http_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "rpc/http_message.h"

namespace memoryfs::rpc {

namespace {
constexpr int kReadTimeoutMs = 10000;  // a half-received request must progress this fast
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
  if (wake_[0] >= 0) ::close(wake_[0]);
  if (wake_[1] >= 0) ::close(wake_[1]);
}

Status HttpServer::Start() {
  Result<Socket> s = Listen(options_.host, options_.port, 512);
  if (!s.ok()) return s.status();
  listener_ = std::move(*s);
  port_ = LocalPort(listener_);
  if (::pipe2(wake_, O_CLOEXEC) != 0) return Status::Error(Code::kIOError, "pipe failed");
  return Status::Ok();
}

void HttpServer::Stop() {
  stopping_ = true;
  char c = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_[1], &c, 1);
}

bool HttpServer::Register(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || static_cast<int>(connections_.size()) >= options_.max_connections) {
    return false;
  }
  connections_.insert(fd);
  return true;
}

void HttpServer::Unregister(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(fd);
  ::close(fd);
  drained_.notify_all();
}

void HttpServer::Run() {
  while (!stopping_) {
    pollfd fds[2] = {{listener_.fd(), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (!Register(fd)) {
      Socket s(fd);
      (void)SendAll(s, FormatResponse(503, "text/plain", "too many connections\n", false),
                    DeadlineIn(100));
      continue;
    }
    std::thread([this, fd] { Serve(fd); }).detach();
  }
  listener_.Close();
  // Wake every connection thread, then give them a moment to finish.
  std::unique_lock<std::mutex> lock(mu_);
  for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  drained_.wait_for(lock, std::chrono::milliseconds(500), [this] { return connections_.empty(); });
}

void HttpServer::Serve(int fd) {
  Socket conn(fd);
  std::string buf;
  bool open = true;
  while (open && !stopping_) {
    HttpMessage req;
    ParseOutcome parsed = ParseRequest(buf, options_.max_body, &req);
    if (parsed.state == ParseState::kIncomplete) {
      const int wait_ms = buf.empty() ? options_.idle_timeout_ms : kReadTimeoutMs;
      Result<size_t> got = ReceiveSome(conn, &buf, DeadlineIn(wait_ms));
      if (!got.ok() || *got == 0) break;
      continue;
    }
    std::string reply;
    if (parsed.state == ParseState::kError) {
      reply = FormatResponse(parsed.http_status, "text/plain", parsed.error + "\n", false);
      open = false;
    } else {
      buf.erase(0, parsed.consumed);
      open = req.keep_alive;
      if (req.method != "POST") {
        reply = FormatResponse(501, "text/plain", "Unsupported method\n", open);
      } else if (req.target != options_.rpc_path) {
        reply = FormatResponse(404, "text/plain", "No such page\n", open);
      } else {
        reply = FormatResponse(200, "text/xml", handler_(req.body), open);
      }
    }
    if (!SendAll(conn, reply, DeadlineIn(kReadTimeoutMs)).ok()) break;
  }
  Unregister(conn.release());
}

}  // namespace memoryfs::rpc
