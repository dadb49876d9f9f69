#include "client/remote_device.h"

#include <doctest/doctest.h>

#include <thread>

#include "rpc/http_server.h"
#include "server/block_store.h"
#include "server/rpc_service.h"

namespace memoryfs::client {

namespace {

// A real memoryfs server (store + XML-RPC service + HTTP) on a free loopback port.
class LocalServer {
 public:
  LocalServer(int nb, int bs, std::optional<int> decayed,
              server::ChecksumReply reply = server::ChecksumReply::kFault)
      : store_({nb, bs, decayed}),
        service_(&store_, {reply, false}),
        http_({}, [this](const std::string& body) { return service_.Handle(body); }) {
    REQUIRE(http_.Start().ok());
    thread_ = std::thread([this] { http_.Run(); });
  }
  ~LocalServer() {
    http_.Stop();
    thread_.join();
  }
  rpc::Endpoint endpoint() const { return rpc::Endpoint{"127.0.0.1", http_.port()}; }

 private:
  server::BlockStore store_;
  server::RpcService service_;
  rpc::HttpServer http_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("RemoteDevice: Get, Put, RSM and Stats against a real server") {
  LocalServer server(16, 64, std::nullopt);
  RemoteDevice dev(server.endpoint(), 16, 64, 1000);
  CHECK(*dev.Get(3) == Bytes(64, 0));
  REQUIRE(dev.Put(3, ToBytes("hello")).ok());
  CHECK(*dev.Get(3) == PadTo(ToBytes("hello"), 64));
  CHECK(*dev.RSM(0) == Bytes(64, 0));
  CHECK(*dev.RSM(0) == Bytes(64, 1));
  CHECK(dev.Get(16).status().code() == Code::kOutOfRange);
  Result<ServerInfo> info = dev.Stats();
  REQUIRE(info.ok());
  CHECK(info->counts.gets == 3);
  CHECK(info->counts.puts == 1);
  CHECK(info->counts.rsms == 2);
  CHECK(info->num_blocks == 16);
  CHECK(info->block_size == 64);
  CHECK(dev.sent().gets == 3);
}

TEST_CASE("RemoteDevice: checksum errors in the fault and the legacy forms") {
  LocalServer fault(8, 32, 5);
  RemoteDevice a(fault.endpoint(), 8, 32, 1000);
  CHECK(a.Get(5).status().code() == Code::kChecksumError);
  CHECK(a.Get(4).ok());  // the connection survives a fault
  LocalServer legacy(8, 32, 5, server::ChecksumReply::kMinusOne);
  RemoteDevice b(legacy.endpoint(), 8, 32, 1000);
  CHECK(b.Get(5).status().code() == Code::kChecksumError);
  CHECK(b.RSM(5).status().code() == Code::kChecksumError);
  CHECK(b.sent().checksum_errors == 2);
}

TEST_CASE("RemoteDevice: a refused connection fails at once") {
  rpc::Endpoint dead;
  {
    LocalServer s(4, 8, std::nullopt);
    dead = s.endpoint();
  }
  RemoteDevice dev(dead, 4, 8, 1000);
  auto start = rpc::Clock::now();
  CHECK(dev.Get(0).status().code() == Code::kUnavailable);
  CHECK(rpc::Clock::now() - start < std::chrono::milliseconds(200));
}

TEST_CASE("RemoteDevice: a hung server is detected within the timeout, precisely") {
  // Listening but never accepting: connect succeeds (backlog), no reply ever comes.
  Result<rpc::Socket> hung = rpc::Listen("127.0.0.1", 0, 4);
  REQUIRE(hung.ok());
  RemoteDevice dev(rpc::Endpoint{"127.0.0.1", rpc::LocalPort(*hung)}, 4, 8, 150);
  auto start = rpc::Clock::now();
  Result<Bytes> r = dev.Get(0);
  auto elapsed = rpc::Clock::now() - start;
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK(r.status().message().find("timed out") != std::string::npos);
  CHECK(elapsed >= std::chrono::milliseconds(145));
  CHECK(elapsed < std::chrono::milliseconds(400));
}

TEST_CASE("RemoteDevice: a server restarted on the same port is reached again") {
  int port = 0;
  {
    LocalServer s(4, 8, std::nullopt);
    port = s.endpoint().port;
    RemoteDevice dev(s.endpoint(), 4, 8, 1000);
    REQUIRE(dev.Get(0).ok());
  }
  CHECK(rpc::ParseEndpoint("localhost:" + std::to_string(port)).ok());
  CHECK_FALSE(rpc::ParseEndpoint("host:99999").ok());
  CHECK_FALSE(rpc::ParseEndpoint("host:").ok());
  CHECK(rpc::ParseEndpoint("10.0.0.1:80")->host == "10.0.0.1");
}

}  // namespace memoryfs::client
