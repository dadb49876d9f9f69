// memoryfs_server (also built as blockserver, the 2023 edition's name): flags, bind, serve
// until SIGINT/SIGTERM, exit 0.
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
  const std::string program = server::ProgramName(argc, argv);
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
      std::cerr << program << ": " << message << "\n(try --help)" << std::endl;
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
    std::cerr << program << ": " << created.status().message() << std::endl;
    return 1;
  }
  server::BlockStore* store = created->release();
  server::RpcServiceOptions options;
  options.checksum_reply = config.checksum_reply;
  options.enable_corrupt_method = config.test_corruption;
  options.disable_metadata = config.no_metadata;
  options.disable_batches = config.no_batches;
  options.delay_every = config.delay_every;
  options.delay_ms = config.delay_ms;
  auto* service = new server::RpcService(store, options);
  rpc::HttpServerOptions http;
  http.host = config.host;
  http.port = config.port;
  http.max_body = rpc::MaxMessageBody(config.block_size);
  http.max_connections = config.max_connections;
  http.idle_timeout_ms = config.idle_timeout_ms;
  http.reply_headers = service->ReplyHeaders();
  auto* server = new rpc::HttpServer(
      http, [service](const rpc::HttpMessage& request) { return service->HandleRequest(request); });
  Status started = server->Start();
  if (!started.ok()) {
    std::cerr << program << ": " << started.message() << std::endl;
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
