// memoryfs_server: flags, bind, serve until SIGINT/SIGTERM, exit 0.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include "rpc/http_message.h"
#include "rpc/http_server.h"
#include "server/block_store.h"
#include "server/rpc_service.h"
#include "server/server_flags.h"

using namespace memoryfs;

// Every connection is a file descriptor: use all the process may have.
static void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 1 << 20);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int main(int argc, char** argv) {
  server::ServerConfig config;
  std::string message;
  switch (server::ParseServerFlags(argc, argv, &config, &message)) {
    case server::FlagsOutcome::kHelp:
      std::cout << message;
      return 0;
    case server::FlagsOutcome::kMissing:
      std::cout << message << std::endl;
      return 1;
    case server::FlagsOutcome::kInvalid:
      std::cerr << "memoryfs_server: " << message << "\n(try --help)" << std::endl;
      return 2;
    case server::FlagsOutcome::kRun:
      break;
  }

  RaiseOpenFileLimit();

  // Signals are taken by one thread with sigwait; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // Owned for the whole process: connection threads may still be finishing at exit.
  auto created =
      server::BlockStore::Create({config.num_blocks, config.block_size, config.decayed_block});
  if (!created.ok()) {
    std::cerr << "memoryfs_server: " << created.status().message() << std::endl;
    return 1;
  }
  server::BlockStore* store = created->release();
  auto* service = new server::RpcService(
      store, {config.checksum_reply, config.test_corruption, config.no_metadata});
  rpc::HttpServerOptions http;
  http.host = config.host;
  http.port = config.port;
  http.max_body = rpc::MaxMessageBody(config.block_size);
  http.max_connections = config.max_connections;
  http.idle_timeout_ms = config.idle_timeout_ms;
  auto* server = new rpc::HttpServer(
      http, [service](const std::string& body) { return service->Handle(body); });
  Status started = server->Start();
  if (!started.ok()) {
    std::cerr << "memoryfs_server: " << started.message() << std::endl;
    return 1;
  }
  std::cout << "Running block server with nb=" << config.num_blocks << ", bs=" << config.block_size
            << " on port " << server->port() << std::endl;

  std::thread([server, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    server->Stop();
  }).detach();
  server->Run();
  return 0;
}
