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
              server::ChecksumReply reply = server::ChecksumReply::kFault, int port = 0,
              server::RpcServiceOptions options = {})
      : store_({nb, bs, decayed}),
        service_(&store_, WithReply(options, reply)),
        http_({.port = port, .reply_headers = service_.ReplyHeaders()},
              [this](const rpc::HttpMessage& request) { return service_.HandleRequest(request); }) {
    REQUIRE(http_.Start().ok());
    thread_ = std::thread([this] { http_.Run(); });
  }
  ~LocalServer() {
    http_.Stop();
    thread_.join();
  }
  rpc::Endpoint endpoint() const { return rpc::Endpoint{"127.0.0.1", http_.port()}; }
  server::BlockStore& store() { return store_; }

 private:
  static server::RpcServiceOptions WithReply(server::RpcServiceOptions options,
                                             server::ChecksumReply reply) {
    options.checksum_reply = reply;
    return options;
  }

  server::BlockStore store_;
  server::RpcService service_;
  rpc::HttpServer http_;
  std::thread thread_;
};

// A peer that answers every call as the course's Python server answers a method it lacks
// (compat_tests/reference/memoryfs_server.py: SimpleXMLRPCServer's unknown-method fault).
class PythonLikeServer {
 public:
  PythonLikeServer() : http_({}, Answer) {
    REQUIRE(http_.Start().ok());
    thread_ = std::thread([this] { http_.Run(); });
  }
  ~PythonLikeServer() {
    http_.Stop();
    thread_.join();
  }
  rpc::Endpoint endpoint() const { return rpc::Endpoint{"127.0.0.1", http_.port()}; }

 private:
  static std::string Answer(const rpc::HttpMessage& request) {
    const std::string& body = request.body;
    const size_t start = body.find("<methodName>") + 12;
    const std::string method = body.substr(start, body.find("</methodName>") - start);
    return "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n"
           "<name>faultCode</name>\n<value><int>1</int></value>\n</member>\n<member>\n"
           "<name>faultString</name>\n<value><string>&lt;class 'Exception'&gt;:method \"" +
           method +
           "\" is not supported</string></value>\n</member>\n</struct></value>\n</fault>\n"
           "</methodResponse>\n";
  }
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

TEST_CASE("RemoteDevice: with the retry policy a timed-out call is sent again until answered") {
  // -delayat 10: the 10th request is executed, then answered only after 400 ms. (Requests sent
  // again count too: the 11th is not held, but waits for the stall's end.)
  server::RpcServiceOptions stalling;
  stalling.delay_every = 10;
  stalling.delay_ms = 400;
  LocalServer s(4, 8, std::nullopt, server::ChecksumReply::kFault, 0, stalling);
  int timeouts = 0;
  TimeoutPolicy policy;
  policy.retry = true;
  policy.retry_wait_ms = 100;
  policy.on_timeout = [&] { ++timeouts; };
  RemoteDevice dev(s.endpoint(), 4, 8, 200, policy);
  for (int i = 0; i < 9; ++i) REQUIRE(dev.Get(0).ok());
  const auto start = rpc::Clock::now();
  // Executed at once (block 2 is written), timed out at 200 ms, sent again at 300 ms, answered
  // at the stall's end (400 ms), within the second timeout: a Put twice is a Put once.
  REQUIRE(dev.Put(2, Bytes(8, 2)).ok());
  const auto elapsed = rpc::Clock::now() - start;
  CHECK(timeouts == 1);
  CHECK(elapsed >= std::chrono::milliseconds(380));
  CHECK(elapsed < std::chrono::milliseconds(490));
  CHECK(*dev.Get(2) == Bytes(8, 2));
  CHECK(dev.sent().puts == 1);  // one call, however often it was sent
}

TEST_CASE("RemoteDevice: the retry policy does not retry what is not a timeout") {
  rpc::Endpoint dead;
  {
    LocalServer s(4, 8, std::nullopt);
    dead = s.endpoint();
  }
  int timeouts = 0;
  TimeoutPolicy policy;
  policy.retry = true;
  policy.retry_wait_ms = 10;
  policy.on_timeout = [&] { ++timeouts; };
  RemoteDevice dev(dead, 4, 8, 1000, policy);
  CHECK(dev.Get(0).status().code() == Code::kUnavailable);
  CHECK(timeouts == 0);
}

TEST_CASE("RemoteDevice: a retried call gives up when the user asks to stop") {
  Result<rpc::Socket> hung = rpc::Listen("127.0.0.1", 0, 4);  // never answers
  REQUIRE(hung.ok());
  int timeouts = 0;
  RemoteDevice dev(rpc::Endpoint{"127.0.0.1", rpc::LocalPort(*hung)}, 4, 8, 50,
                   {.retry = true,
                    .retry_wait_ms = 10,
                    .on_timeout = [&] { ++timeouts; },
                    .stop_requested = [&] { return timeouts == 3; }});
  CHECK(dev.Get(0).status().code() == Code::kCancelled);
  CHECK(timeouts == 3);
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

// ----- metadata and the recorded lock ---------------------------------------------------------

TEST_CASE("RemoteDevice: GetMeta/PutMeta compare-and-set against a real server") {
  LocalServer server(8, 32, std::nullopt);
  RemoteDevice dev(server.endpoint(), 8, 32, 1000);
  CHECK(*dev.GetMeta("epoch") == Bytes());
  CHECK(*dev.PutMeta("epoch", {}, ToBytes("1")) == Bytes());
  CHECK(*dev.PutMeta("epoch", {}, ToBytes("2")) == ToBytes("1"));  // lost the race
  CHECK(*dev.PutMeta("epoch", ToBytes("1"), ToBytes("2")) == ToBytes("1"));
  CHECK(*dev.GetMeta("epoch") == ToBytes("2"));
  const Bytes big = Bytes(4096, 0xA5);
  CHECK(*dev.PutMeta("big", {}, big) == Bytes());
  CHECK(*dev.GetMeta("big") == big);
  CHECK(*dev.PutMeta("big", big, {}) == big);  // deleted
  CHECK(*dev.GetMeta("big") == Bytes());
  CHECK(*dev.Get(0) == Bytes(32, 0));  // beside the blocks, never inside
  // The server's limits come back as kInvalidArgument.
  CHECK(dev.GetMeta("no spaces").status().code() == Code::kInvalidArgument);
  CHECK(dev.PutMeta("k", {}, Bytes(4097, 1)).status().code() == Code::kInvalidArgument);
  CHECK(dev.Lock(0, ToBytes("me"), 0).status().code() == Code::kInvalidArgument);
  CHECK(dev.sent().meta == 12);
  Result<ServerInfo> info = dev.Stats();
  REQUIRE(info.ok());
  CHECK(info->counts.meta == 12);
  CHECK(info->counts.gets == 1);
}

TEST_CASE("RemoteDevice: Lock and Unlock against a real server") {
  LocalServer server(8, 32, 3);
  RemoteDevice a(server.endpoint(), 8, 32, 1000);
  RemoteDevice b(server.endpoint(), 8, 32, 1000);
  Result<LockReply> r = a.Lock(0, ToBytes("a"), 50);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->old == Bytes(32, 0));
  CHECK(r->age_ms == -1);
  CHECK_FALSE(r->broken);
  r = b.Lock(0, ToBytes("b"), 5000);
  REQUIRE(r.ok());
  CHECK(r->old == Bytes(32, 1));
  CHECK(r->holder == ToBytes("a"));
  CHECK(r->lease_ms == 50);
  CHECK(r->age_ms >= 0);
  CHECK_FALSE(r->broken);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));  // a's lease runs out
  r = b.Lock(0, ToBytes("b"), 5000);
  REQUIRE(r.ok());
  CHECK(r->broken);
  CHECK(r->old == Bytes(32, 0));
  CHECK(r->holder == ToBytes("a"));
  CHECK(r->age_ms > 50);
  Status late = a.Unlock(0, ToBytes("a"));
  CHECK(late.code() == Code::kAborted);
  CHECK(late.message() == "LOCK_NOT_HELD 0");
  CHECK(*a.Get(0) == Bytes(32, 1));
  REQUIRE(b.Unlock(0, ToBytes("b")).ok());
  CHECK(*a.Get(0) == Bytes(32, 0));
  CHECK(*a.GetMeta("lock") == Bytes());
  // RSM's errors, classified as RSM's.
  CHECK(a.Lock(3, ToBytes("a"), 100).status().code() == Code::kChecksumError);
  CHECK(a.Lock(8, ToBytes("a"), 100).status().code() == Code::kOutOfRange);
  CHECK(a.Unlock(8, ToBytes("a")).code() == Code::kOutOfRange);
}

TEST_CASE("RemoteDevice: a server without metadata (Python's fault) answers kUnimplemented") {
  PythonLikeServer python;
  RemoteDevice dev(python.endpoint(), 8, 32, 1000);
  CHECK(dev.GetMeta("epoch").status().code() == Code::kUnimplemented);
  CHECK(dev.PutMeta("epoch", {}, ToBytes("1")).status().code() == Code::kUnimplemented);
  Result<LockReply> r = dev.Lock(0, ToBytes("a"), 100);
  CHECK(r.status().code() == Code::kUnimplemented);
  CHECK(r.status().message() == "<class 'Exception'>:method \"Lock\" is not supported");
  CHECK(dev.Unlock(0, ToBytes("a")).code() == Code::kUnimplemented);
  CHECK(dev.Stats().status().code() == Code::kUnimplemented);
}

TEST_CASE("RemoteDevice: sessions() counts the server's incarnations, not its connections") {
  int port = 0;
  std::unique_ptr<RemoteDevice> dev;
  {
    LocalServer first(4, 8, std::nullopt);
    port = first.endpoint().port;
    dev = std::make_unique<RemoteDevice>(first.endpoint(), 4, 8, 1000);
    CHECK(dev->sessions() == 0);
    REQUIRE(dev->PutMeta("epoch", {}, ToBytes("1")).ok());
    REQUIRE(dev->Get(0).ok());
    REQUIRE(dev->Lock(0, ToBytes("me"), 1000).ok());
    CHECK(dev->sessions() == 1);  // one kept-alive connection
  }
  // Stopped: calls fail, no session is opened.
  CHECK(dev->Get(0).status().code() == Code::kUnavailable);
  CHECK(dev->sessions() == 1);
  LocalServer second(4, 8, std::nullopt, server::ChecksumReply::kFault, port);
  REQUIRE(second.endpoint().port == port);
  CHECK(*dev->GetMeta("epoch") == Bytes());  // blank after the restart
  CHECK(dev->sessions() == 2);
  CHECK(*dev->Get(0) == Bytes(8, 0));  // the lock went with it
  CHECK(dev->sessions() == 2);
  dev->Disconnect();  // a new connection to the same incarnation: no restart
  REQUIRE(dev->Get(0).ok());
  CHECK(dev->sessions() == 2);
}

TEST_CASE("RemoteDevice: Claim's epoch goes with every call, and a grant taken over is fenced") {
  LocalServer server(4, 8, std::nullopt);
  RemoteDevice a(server.endpoint(), 4, 8, 1000);
  RemoteDevice b(server.endpoint(), 4, 8, 1000);
  REQUIRE(a.PutMeta("member", {}, ToBytes("m")).ok());
  Result<LockReply> claimed = a.Claim(ToBytes("a"), 10000, "member");
  REQUIRE(claimed.ok());
  REQUIRE(claimed->epoch > 0);
  CHECK(claimed->read == ToBytes("m"));
  a.set_epoch(claimed->epoch);
  REQUIRE(a.Put(1, Bytes(8, 7)).ok());
  Result<LockReply> refused = b.Claim(ToBytes("b"), 10000, "");
  REQUIRE(refused.ok());
  CHECK(refused->epoch == 0);  // a's lease runs
  CHECK(refused->holder == ToBytes("a"));
  Result<LockReply> taken = b.Claim(ToBytes("b"), 10000, "", /*take_over=*/true);
  REQUIRE(taken.ok());
  CHECK(taken->broken);
  CHECK(taken->epoch > claimed->epoch);
  const Status fenced = a.Put(1, Bytes(8, 9));
  CHECK(fenced.code() == Code::kFenced);
  CHECK(a.Get(1).status().code() == Code::kFenced);
  CHECK(*b.Get(1) == Bytes(8, 7));  // nothing written
  CHECK(a.Release(ToBytes("a"), {}).code() == Code::kAborted);
  a.set_epoch(0);
  CHECK(*a.Get(1) == Bytes(8, 7));  // without an epoch: served, as the course's clients are
  CHECK(a.sessions() == 1);         // one incarnation
}

TEST_CASE("RemoteDevice: GetBlocks and PutBlocks batch once Stats has found them") {
  LocalServer server(600, 16, std::nullopt);
  RemoteDevice device(server.endpoint(), 600, 16, 1000);
  std::vector<Bytes> blocks;
  for (int i = 0; i < 600; ++i) blocks.push_back(Bytes(16, static_cast<uint8_t>(i)));
  REQUIRE(device.batch_limit() == 1);
  REQUIRE(device.PutBlocks(0, {blocks.begin(), blocks.begin() + 10}).ok());
  CHECK(device.sent().puts == 10);  // before Stats: one Put per block
  REQUIRE(device.Stats().ok());
  CHECK(device.batch_limit() == 256);
  REQUIRE(device.PutBlocks(0, blocks).ok());
  CHECK(device.sent().puts == 10 + 3);  // 256 + 256 + 88
  REQUIRE(server.store().CorruptForTest(300).ok());
  Result<std::vector<Result<Bytes>>> read = device.GetBlocks(0, 600);
  REQUIRE(read.ok());
  CHECK(device.sent().gets == 3);
  REQUIRE(read->size() == 600);
  for (int i = 0; i < 600; ++i) {
    CAPTURE(i);
    if (i == 300) {
      CHECK((*read)[i].status().code() == Code::kChecksumError);
    } else {
      CHECK(*(*read)[i] == blocks[i]);
    }
  }
  CHECK(device.GetBlocks(590, 20).status().code() == Code::kOutOfRange);
}

TEST_CASE("RemoteDevice: batch calls fall back to one call per block on a server without them") {
  server::RpcServiceOptions without;
  without.disable_batches = true;
  int port = 0;
  RemoteDevice* device = nullptr;
  std::unique_ptr<RemoteDevice> owned;
  {
    LocalServer with(40, 16, std::nullopt);
    port = with.endpoint().port;
    owned = std::make_unique<RemoteDevice>(with.endpoint(), 40, 16, 1000);
    device = owned.get();
    REQUIRE(device->Stats().ok());
    REQUIRE(device->batch_limit() > 1);
  }
  // Replaced, on the same port, by a server that has no batches (as the Python one).
  LocalServer plain(40, 16, std::nullopt, server::ChecksumReply::kFault, port, without);
  REQUIRE(device->PutBlocks(0, {Bytes(16, 1), Bytes(16, 2)}).ok());
  CHECK(device->batch_limit() == 1);
  Result<std::vector<Result<Bytes>>> read = device->GetBlocks(0, 2);
  REQUIRE(read.ok());
  CHECK(*(*read)[1] == Bytes(16, 2));
  REQUIRE(device->Stats().ok());
  CHECK(device->batch_limit() == 1);  // Stats says batch 0
}

}  // namespace memoryfs::client
