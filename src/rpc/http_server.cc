#include "rpc/http_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "rpc/http_message.h"

namespace memoryfs::rpc {

namespace {
constexpr int kReadTimeoutMs = 10000;  // a half-received request must progress this fast
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
  {
    // Connection threads detach and use `this` until they unregister: wait for the last one.
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    for (const auto& [fd, state] : connections_) ::shutdown(fd, SHUT_RDWR);
    drained_.wait(lock, [this] { return connections_.empty(); });
  }
  if (wake_[0] >= 0) ::close(wake_[0]);
  if (wake_[1] >= 0) ::close(wake_[1]);
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

Status HttpServer::Start() {
  ASSIGN_OR_RETURN(Socket s, Listen(options_.host, options_.port, 512));
  listener_ = std::move(s);
  port_ = LocalPort(listener_);
  if (::pipe2(wake_, O_CLOEXEC) != 0) return Status::Error(Code::kIOError, "pipe failed");
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return Status::Ok();
}

void HttpServer::Stop() {
  stopping_ = true;
  char c = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_[1], &c, 1);
}

bool HttpServer::Register(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  if (static_cast<int>(connections_.size()) >= options_.max_connections &&
      !EvictOldestIdleLocked()) {
    return false;
  }
  connections_[fd] = ConnectionState{};
  return true;
}

void HttpServer::SetIdle(int fd, bool idle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  it->second.idle = idle;
  if (idle) it->second.since = Clock::now();
}

bool HttpServer::EvictOldestIdleLocked() {
  auto oldest = connections_.end();
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->second.idle &&
        (oldest == connections_.end() || it->second.since < oldest->second.since)) {
      oldest = it;
    }
  }
  if (oldest == connections_.end()) return false;
  oldest->second.idle = false;  // being evicted: never pick it twice
  ::shutdown(oldest->first, SHUT_RDWR);
  return true;
}

void HttpServer::HandleDescriptorExhaustion() {
  bool evicted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    evicted = EvictOldestIdleLocked();
  }
  if (!evicted && spare_fd_ >= 0) {
    // Nothing to evict: use the reserved descriptor to tell one client so, instead of
    // leaving it in the backlog.
    ::close(spare_fd_);
    int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      Socket s(fd);
      (void)SendAll(s, FormatResponse(503, "text/plain", "out of file descriptors\n", false),
                    DeadlineIn(100));
    }
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  // Give the evicted connection's thread a moment to close its descriptor; never spin.
  pollfd wake{wake_[0], POLLIN, 0};
  ::poll(&wake, 1, 10);
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
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        HandleDescriptorExhaustion();
      }
      continue;
    }
    if (spare_fd_ < 0) spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
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
  for (const auto& [fd, state] : connections_) ::shutdown(fd, SHUT_RDWR);
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
      const bool idle = buf.empty();
      const Deadline deadline = DeadlineIn(idle ? options_.idle_timeout_ms : kReadTimeoutMs);
      if (idle) SetIdle(fd, true);
      // Idle, the next request is not there yet: wait for it rather than try a read first.
      const Status readable = idle ? WaitReadable(conn, deadline) : Status::Ok();
      Result<size_t> got =
          readable.ok() ? ReceiveSome(conn, &buf, deadline) : Result<size_t>(readable);
      if (idle) SetIdle(fd, false);
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
      const bool http10 = req.version == "HTTP/1.0";
      if (req.method != "POST") {
        reply = FormatResponse(501, "text/plain", "Unsupported method\n", open, http10);
      } else if (req.target != options_.rpc_path) {
        reply = FormatResponse(404, "text/plain", "No such page\n", open, http10);
      } else {
        reply =
            FormatResponse(200, "text/xml", handler_(req), open, http10, options_.reply_headers);
      }
    }
    if (!SendAll(conn, reply, DeadlineIn(kReadTimeoutMs)).ok()) break;
  }
  Unregister(conn.release());
}

}  // namespace memoryfs::rpc
