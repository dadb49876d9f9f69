#include "rpc/http_server.h"

#include <doctest/doctest.h>

#include <thread>

#include "rpc/http_message.h"

namespace memoryfs::rpc {

namespace {

// Sends raw bytes on a new connection and returns the parsed response.
HttpMessage Exchange(int port, const std::string& raw) {
  HttpMessage m;
  Result<Socket> s = Connect("127.0.0.1", port, DeadlineIn(1000));
  REQUIRE(s.ok());
  REQUIRE(SendAll(*s, raw, DeadlineIn(1000)).ok());
  std::string buf;
  for (;;) {
    Result<size_t> n = ReceiveSome(*s, &buf, DeadlineIn(2000));
    REQUIRE(n.ok());
    ParseOutcome o = ParseResponse(buf, 1 << 20, *n == 0, &m);
    if (o.state != ParseState::kIncomplete) break;
  }
  return m;
}

}  // namespace

TEST_CASE("HttpServer: routes POST /RPC2, 404, 501, 413, stops promptly") {
  HttpServerOptions options;
  options.max_body = 100;
  HttpServer server(options, [](const HttpMessage& request) { return "echo:" + request.body; });
  REQUIRE(server.Start().ok());
  REQUIRE(server.port() > 0);
  std::thread runner([&] { server.Run(); });

  CHECK(Exchange(server.port(), FormatPost("x", "/RPC2", "hi")).body == "echo:hi");
  CHECK(Exchange(server.port(), FormatPost("x", "/other", "hi")).status == 404);
  CHECK(Exchange(server.port(), "GET /RPC2 HTTP/1.1\r\n\r\n").status == 501);
  CHECK(Exchange(server.port(), FormatPost("x", "/RPC2", std::string(500, 'a'))).status == 413);

  // An idle kept-alive connection does not delay shutdown.
  Result<Socket> idle = Connect("127.0.0.1", server.port(), DeadlineIn(1000));
  REQUIRE(idle.ok());
  auto start = Clock::now();
  server.Stop();
  runner.join();
  CHECK(Clock::now() - start < std::chrono::milliseconds(900));
}

}  // namespace memoryfs::rpc
