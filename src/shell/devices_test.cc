#include "shell/devices.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "client/remote_device.h"
#include "raid/layout.h"
#include "shell/flags.h"
#include "shell/local_server.h"

namespace memoryfs::shell {
namespace {

using testing::LocalServer;

constexpr int kBlockSize = 128;  // the flags' default -bs

using Servers = std::vector<std::unique_ptr<LocalServer>>;

// n real servers of `blocks` blocks each.
Servers StartServers(int n, int blocks) {
  Servers servers;
  for (int i = 0; i < n; ++i) servers.push_back(std::make_unique<LocalServer>(blocks, kBlockSize));
  return servers;
}

// The flags of "memoryfs_shell_rpc -cid 0 -servers <endpoints> -nb <nb>".
ShellFlags FlagsFor(const std::vector<rpc::Endpoint>& endpoints, int nb) {
  std::string list;
  for (const rpc::Endpoint& endpoint : endpoints) {
    list += (list.empty() ? "" : ",") + endpoint.ToString();
  }
  const std::string nb_text = std::to_string(nb);
  const char* argv[] = {"memoryfs_shell_rpc", "-cid", "0", "-servers", list.c_str(), "-nb",
                        nb_text.c_str()};
  ParsedShellFlags parsed = ParseShellFlags(7, argv);
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  REQUIRE_FALSE(parsed.help);
  return parsed.flags;
}

ShellFlags FlagsFor(const Servers& servers, int nb) {
  std::vector<rpc::Endpoint> endpoints;
  for (const auto& server : servers) endpoints.push_back(server->endpoint());
  return FlagsFor(endpoints, nb);
}

// An event sink that records the events' texts.
raid::Array::EventSink Recorder(std::vector<std::string>* events) {
  return [events](const raid::ArrayEvent& event) { events->push_back(event.ToString()); };
}

TEST_CASE("MakeDevices: one server is the device itself, without an array") {
  Servers servers = StartServers(1, 256);
  std::vector<std::string> events;
  Result<Devices> made = MakeDevices(FlagsFor(servers, 256), Recorder(&events));
  REQUIRE_MESSAGE(made.ok(), made.status().ToString());
  REQUIRE(made->remotes.size() == 1);
  client::RemoteDevice& remote = *made->remotes[0];
  CHECK(made->array == nullptr);
  CHECK(made->device == &remote);
  CHECK(remote.num_blocks() == 256);
  CHECK(remote.block_size() == kBlockSize);
  CHECK(remote.endpoint() == servers[0]->endpoint());

  // The device is that server: a Put lands in its store as it is.
  REQUIRE(made->device->Put(255, ToBytes("last")).ok());
  CHECK(*servers[0]->store().Get(255) == PadTo(ToBytes("last"), kBlockSize));
  CHECK(*made->device->Get(255) == PadTo(ToBytes("last"), kBlockSize));
  CHECK(servers[0]->store().stats().puts == 1);
  CHECK(events.empty());
}

TEST_CASE("MakeDevices: three or more servers make a RAID-5 array over them") {
  struct Case {
    int servers;
    int nb;
    int server_blocks;  // ceil(nb / (servers - 1))
  };
  for (const Case& c : {Case{4, 256, 86}, Case{3, 256, 128}, Case{5, 512, 128}}) {
    CAPTURE(c.servers);
    CHECK(raid::Layout(c.servers).ServerBlocksFor(c.nb) == c.server_blocks);
    Servers servers = StartServers(c.servers, c.server_blocks);
    Result<Devices> made = MakeDevices(FlagsFor(servers, c.nb), nullptr);
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
    REQUIRE(made->array != nullptr);
    const raid::Array& array = *made->array;
    CHECK(array.num_servers() == c.servers);
    CHECK(array.num_blocks() == c.nb);
    CHECK(array.block_size() == kBlockSize);
    CHECK(array.server_blocks() == c.server_blocks);
    CHECK(made->device == made->array.get());
    CHECK(array.lock_block() == 0);  // the 2022 edition's lock, on server 0
    CHECK(array.lock_server() == 0);
    REQUIRE(made->remotes.size() == static_cast<size_t>(c.servers));
    for (int i = 0; i < c.servers; ++i) {
      CAPTURE(i);
      CHECK(made->remotes[i]->num_blocks() == c.server_blocks);
      CHECK(made->remotes[i]->block_size() == kBlockSize);
      CHECK(made->remotes[i]->endpoint() == servers[i]->endpoint());
      CHECK_FALSE(array.failed(i));
    }
  }
}

TEST_CASE("MakeDevices: two servers are refused") {
  // Nothing is contacted: the addresses need no server behind them.
  Result<Devices> made = MakeDevices(FlagsFor({{"127.0.0.1", 1}, {"127.0.0.1", 2}}, 256), nullptr);
  REQUIRE_FALSE(made.ok());
  CHECK(made.status().code() == Code::kInvalidArgument);
  CHECK_MESSAGE(made.status().message().find("3 servers") != std::string::npos,
                made.status().message());
}

TEST_CASE("MakeDevices: the array writes through to the real servers, and reports to the sink") {
  Servers servers = StartServers(4, 86);
  std::vector<std::string> events;
  Result<Devices> made = MakeDevices(FlagsFor(servers, 256), Recorder(&events));
  REQUIRE_MESSAGE(made.ok(), made.status().ToString());
  client::BlockDevice& device = *made->device;

  // Virtual block 7 of 4 servers: stripe 2, data on server 2, parity on server 1.
  const raid::Layout layout(4);
  REQUIRE(layout.DataLocation(7) == raid::Location{2, 2});
  REQUIRE(layout.ParityServer(2) == 1);
  const Bytes data = PadTo(ToBytes("through the array"), kBlockSize);
  REQUIRE(device.Put(7, data).ok());
  CHECK(*device.Get(7) == data);

  // Read back directly from the servers, not through the array.
  client::RemoteDevice data_server(servers[2]->endpoint(), 86, kBlockSize, 1000);
  CHECK(*data_server.Get(2) == data);
  // The rest of the stripe is zeros, so its parity equals the data.
  client::RemoteDevice parity_server(servers[1]->endpoint(), 86, kBlockSize, 1000);
  CHECK(*parity_server.Get(2) == data);
  CHECK(*servers[0]->store().Get(2) == Bytes(kBlockSize, 0));
  CHECK(*servers[3]->store().Get(2) == Bytes(kBlockSize, 0));
  CHECK(events.empty());

  // The sink given to MakeDevices is the array's: a stopped server is reported to it.
  servers[2]->Stop();
  CHECK(*device.Get(7) == data);  // rebuilt from the other servers
  CHECK(made->array->failed(2));
  CHECK(events == std::vector<std::string>{"SERVER_DISCONNECTED GET 2"});
}

}  // namespace
}  // namespace memoryfs::shell
