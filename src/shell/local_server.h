// Test helper of the shell layer (header-only, used by devices_test.cc and
// raid_commands_test.cc): a real memoryfs block server (BlockStore + RpcService + HttpServer) on
// a loopback port, served by its own thread. Same as the one in client/remote_device_test.cc,
// plus Stop() (a server that goes away), a chosen port (one that comes back where it was) and a
// count of the XML-RPC calls it handled (Stats included, which the store does not count).
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "rpc/endpoint.h"
#include "rpc/http_server.h"
#include "server/block_store.h"
#include "server/rpc_service.h"

namespace memoryfs::shell::testing {

class LocalServer {
 public:
  // nb blocks of bs bytes, all zero. port 0: any free port; otherwise that one (SO_REUSEADDR
  // lets a server restarted on the port of a stopped one bind it at once).
  LocalServer(int nb, int bs, int port = 0)
      : store_({nb, bs, std::nullopt}),
        service_(&store_, {}),
        http_(Options(port, service_.ReplyHeaders()), [this](const rpc::HttpMessage& request) {
          ++calls_;
          return service_.HandleRequest(request);
        }) {
    const Status started = http_.Start();
    REQUIRE_MESSAGE(started.ok(), started.ToString());
    thread_ = std::thread([this] { http_.Run(); });
  }
  ~LocalServer() { Stop(); }

  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // Closes the port and every connection, as a killed server does: its clients then get
  // kUnavailable. The store stays readable. Idempotent.
  void Stop() {
    if (!thread_.joinable()) return;
    http_.Stop();
    thread_.join();
  }

  int port() const { return http_.port(); }
  rpc::Endpoint endpoint() const { return rpc::Endpoint{"127.0.0.1", port()}; }
  server::BlockStore& store() { return store_; }
  // XML-RPC calls handled so far, of any method.
  int64_t calls() const { return calls_.load(); }

 private:
  static rpc::HttpServerOptions Options(int port, std::string reply_headers) {
    rpc::HttpServerOptions options;
    options.port = port;
    options.reply_headers = std::move(reply_headers);
    return options;
  }

  server::BlockStore store_;
  server::RpcService service_;
  std::atomic<int64_t> calls_{0};
  rpc::HttpServer http_;  // after what its handler uses: destroyed first
  std::thread thread_;
};

}  // namespace memoryfs::shell::testing
