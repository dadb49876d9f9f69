#include "shell/status.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "shell/cluster_testing.h"

namespace memoryfs::shell {
namespace {

using testing::Cluster;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Status(Cluster& cluster, Health expected) {
  std::ostringstream out;
  CHECK(PrintStatus(cluster.array.get(), cluster.remotes, "", out) == expected);
  return out.str();
}

TEST_CASE("status: a healthy array is ONLINE, every member listed with zero errors") {
  Cluster cluster(4, 48);
  cluster.Fill();
  const std::string text = Status(cluster, Health::kOnline);
  CHECK(Has(text, "  array: RAID-5 over 4 servers, -nb 48 -bs 64 (16 blocks per server)"));
  CHECK(Has(text, "  state: ONLINE\n"));
  CHECK(Has(text, "NAME    ENDPOINT                STATE       READ  WRITE  CKSUM"));
  for (int s = 0; s < 4; ++s) {
    std::ostringstream row;
    row << "        " << s << "       " << cluster.remotes[s]->endpoint().ToString();
    CHECK(Has(text, row.str()));
  }
  CHECK(Has(text, "none requested"));
  CHECK(Has(text, "errors: No known data errors"));
}

TEST_CASE("status: a dead member is found by status itself, DEGRADED, with the way out") {
  Cluster cluster(4, 48);
  cluster.Fill();
  cluster.servers[2]->Stop();  // nothing has touched it since: status must notice
  const std::string text = Status(cluster, Health::kDegraded);
  CHECK(cluster.events == std::vector<std::string>{"SERVER_DISCONNECTED GET 2"});
  CHECK(Has(text, "  state: DEGRADED\n"));
  CHECK(Has(text, "server 2 is FAILED (no answer to a GET)"));
  CHECK(Has(text, "type 'repair 2'"));
  CHECK(Has(text, "raid5"));
  CHECK(Has(text, "FAILED         1      0      0"));  // server 2's READ count
  // Asked again: nothing new is reported, the state stays.
  Status(cluster, Health::kDegraded);
  CHECK(cluster.events.size() == 1);
}

TEST_CASE("status: checksum errors are counted on the member that returned them") {
  Cluster cluster(4, 48);
  cluster.Fill();
  const int block = cluster.FirstBlockOn(1);
  (void)cluster.servers[1]->store().CorruptForTest(
      cluster.array->layout().DataLocation(block).block);
  REQUIRE(cluster.array->Get(block).ok());  // rebuilt, reported, written back
  const std::string text = Status(cluster, Health::kOnline);
  CHECK(cluster.array->errors(1).checksum == 1);
  CHECK(cluster.array->errors(0).checksum == 0);
  CHECK(Has(text, "ONLINE         0      0      1"));
}

TEST_CASE("status: two failed members are FAILED, a restarted blank one is named") {
  Cluster cluster(4, 48);
  cluster.Fill();
  REQUIRE(cluster.array->Assemble().ok());
  REQUIRE(cluster.array->Lock(0, ToBytes("test"), 1000).ok());  // the records are written
  REQUIRE(cluster.array->Unlock(0, ToBytes("test"), {}).ok());
  cluster.Replace(3);  // blank, same port
  cluster.servers[1]->Stop();
  const std::string text = Status(cluster, Health::kFailed);
  CHECK(Has(text, "  state: FAILED\n"));
  CHECK(Has(text, "servers 1, 3 are FAILED"));
  CHECK(cluster.array->failure(3).find("blank") != std::string::npos);
}

TEST_CASE("status: one server, up and down") {
  auto server = std::make_unique<testing::LocalServer>(16, testing::kBlockSize);
  std::vector<std::unique_ptr<client::RemoteDevice>> remotes;
  remotes.push_back(
      std::make_unique<client::RemoteDevice>(server->endpoint(), 16, testing::kBlockSize, 500));
  std::ostringstream up, down;
  CHECK(PrintStatus(nullptr, remotes, "", up) == Health::kOnline);
  CHECK(Has(up.str(), "one server (no RAID-5)"));
  server->Stop();
  CHECK(PrintStatus(nullptr, remotes, "", down) == Health::kFailed);
  CHECK(Has(down.str(), "  state: FAILED\n"));
}

}  // namespace
}  // namespace memoryfs::shell
