// HttpServer: a small threaded HTTP/1.1 server for XML-RPC. One thread per connection, so an
// idle keep-alive client never delays another; no gzip; HTTP/1.0 clients get their connection
// closed after each reply unless they ask for keep-alive. POST to the RPC path goes to the
// handler; any other path answers 404, any other method 501, a body over the limit 413.
// When connections or file descriptors run out, the longest-idle kept-alive connection is
// closed to make room (clients re-send on a closed idle connection); only when none is idle
// does a new client get 503.
//
// Threads and lifetime: Run() runs on the caller's thread and accepts; each connection is
// served by a detached thread that uses `this` (the handler, the connection table) until it
// unregisters. Stop() may be called from any thread. Run() returns after Stop() once the
// connection threads have finished or after about 500 ms, whichever comes first, so a thread
// still inside a slow handler may outlive Run(). The destructor therefore waits for every
// connection thread to unregister before the members are destroyed; the handler must stay
// valid until then. (memoryfs_server never destroys its server: the process exits instead.)
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "core/status.h"
#include "rpc/http_message.h"
#include "rpc/socket.h"

namespace memoryfs::rpc {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see HttpServer::port())
  std::string rpc_path = "/RPC2";
  size_t max_body = 1 << 20;    // bytes of request body accepted
  int max_connections = 4096;   // beyond this, the longest-idle connection is closed
  int idle_timeout_ms = 60000;  // an idle kept-alive connection is closed after this
  // Header lines added to every 200 reply, each "Name: value\r\n" (e.g. the server's
  // incarnation, kIncarnationHeader).
  std::string reply_headers;
};

class HttpServer {
 public:
  // Maps an XML-RPC request (its body, and headers such as kEpochHeader) to the response
  // body. Called concurrently.
  using Handler = std::function<std::string(const HttpMessage& request)>;

  HttpServer(HttpServerOptions options, Handler handler);
  // Stops the server if it runs, and waits until no connection thread uses it any more.
  ~HttpServer();

  // Binds and listens. After this, port() is the real port.
  Status Start();
  int port() const { return port_; }

  // Serves until Stop(); then closes every connection and returns within about 500 ms.
  void Run();
  // Thread-safe; may be called from any thread (not from a signal handler).
  void Stop();

 private:
  struct ConnectionState {
    bool idle = false;        // waiting for the first byte of a request
    Clock::time_point since;  // when it became idle
  };

  void Serve(int fd);
  // Tracks a new connection; false when full and nothing idle could be evicted.
  bool Register(int fd);
  void Unregister(int fd);
  void SetIdle(int fd, bool idle);
  // Shuts down the longest-idle connection (its thread then closes it). Caller holds mu_.
  bool EvictOldestIdleLocked();
  // accept() failed for lack of descriptors: make room, never spin.
  void HandleDescriptorExhaustion();

  HttpServerOptions options_;
  Handler handler_;
  Socket listener_;
  int port_ = 0;
  int wake_[2] = {-1, -1};  // self-pipe that interrupts the accept loop
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable drained_;
  std::map<int, ConnectionState> connections_;  // guarded by mu_
  int spare_fd_ = -1;  // a reserved descriptor, released to answer 503 when none are left
};

}  // namespace memoryfs::rpc
