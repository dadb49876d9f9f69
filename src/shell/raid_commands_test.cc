#include "shell/raid_commands.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "client/lock_convention.h"
#include "client/remote_device.h"
#include "raid/array.h"
#include "raid/layout.h"
#include "shell/cluster_testing.h"

namespace memoryfs::shell {
namespace {

using testing::Cluster;
using testing::kBlockSize;
using testing::kTimeoutMs;
using testing::LocalServer;

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Repairs server k of a filled array of 4 servers and nb blocks, after a kill, a first attempt
// while it is still down, and its replacement by a blank server. Returns the progress text.
std::string KillAndRepair(int nb, int k) {
  Cluster cluster(4, nb);
  cluster.Fill();
  const std::vector<Bytes> before = cluster.Blocks(k);
  cluster.Kill(k);
  std::ostringstream out, progress;
  ShellHooks hooks = MakeRaidHooks(cluster.array.get(), cluster.remotes, progress);
  CHECK(hooks.lock_server == 0);

  // Still down: refused, nothing printed, still failed.
  Status down = hooks.repair(k, out);
  CHECK(down.code() == Code::kUnavailable);
  CHECK_MESSAGE(down.message().find("unreachable") != std::string::npos, down.ToString());
  CHECK(out.str().empty());
  CHECK(progress.str().empty());
  CHECK(cluster.array->failed(k));

  cluster.Replace(k);
  CHECK(cluster.servers[k]->store().stats().puts == 0);  // blank
  const Status repaired = hooks.repair(k, out);
  REQUIRE_MESSAGE(repaired.ok(), repaired.ToString());
  const std::string id = std::to_string(k);
  CHECK(out.str() == "Server " + id + " repaired: " + std::to_string(cluster.server_blocks()) +
                         " blocks rebuilt\n");
  CHECK_FALSE(cluster.array->failed(k));
  CHECK(cluster.Blocks(k) == before);
  // Every block reads back through the array, the repaired server contacted again.
  const int64_t gets = cluster.remotes[k]->sent().gets;
  for (int v = 0; v < nb; ++v) {
    if (v == cluster.array->lock_block()) continue;
    CAPTURE(v);
    Result<Bytes> got = cluster.array->Get(v);
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CHECK(*got == Cluster::Pattern(v));
  }
  CHECK(cluster.remotes[k]->sent().gets > gets);
  CHECK(cluster.events.size() == 1);  // only the first disconnection
  return progress.str();
}

TEST_CASE("repair: rebuilds a replaced server, with a progress bar from 64 stripes on") {
  // 256 blocks over 4 servers: 86 stripes.
  const std::string progress = KillAndRepair(256, 2);
  CHECK_MESSAGE(progress.find("repair server 2 [") != std::string::npos, progress);
  CHECK_MESSAGE(EndsWith(progress, "(86/86)\n"), progress);
  CHECK_MESSAGE(progress.find("100% (86/86)\n") != std::string::npos, progress);
}

TEST_CASE("repair and scrub: batched on servers that offer it, every block exact") {
  Cluster cluster(4, 3 * 600);  // 600 stripes: 3 batches of 256
  cluster.Fill();
  for (auto& remote : cluster.remotes) REQUIRE(remote->Stats().ok());  // the start-up probe
  REQUIRE(cluster.remotes[0]->batch_limit() == 256);
  const std::vector<Bytes> before = cluster.Blocks(2);
  cluster.Kill(2);
  cluster.Replace(2);
  std::ostringstream out, progress;
  ShellHooks hooks = MakeRaidHooks(cluster.array.get(), cluster.remotes, progress);
  const RequestCounts sent_before = cluster.remotes[1]->sent();
  const int64_t puts_before = cluster.remotes[2]->sent().puts;
  REQUIRE(hooks.repair(2, out).ok());
  CHECK(cluster.Blocks(2) == before);
  CHECK(cluster.remotes[1]->sent().gets - sent_before.gets == 3);  // one GetBlocks per batch
  CHECK(cluster.remotes[2]->sent().puts - puts_before == 3);  // one PutBlocks per batch
  CHECK(EndsWith(progress.str(), "(600/600)\n"));
  const RequestCounts scrub_before = cluster.remotes[3]->sent();
  REQUIRE(hooks.scrub(false, out).ok());
  CHECK(cluster.remotes[3]->sent().gets - scrub_before.gets == 3);
  CHECK(EndsWith(out.str(), "scrub: 600 stripes checked, no mismatch\n"));
  // Server 0 holds the lock slot: its batch is read in two calls around it.
  CHECK(cluster.servers[0]->store().stats().gets > 0);
}

TEST_CASE("repair: no progress bar under 64 stripes") {
  // 128 blocks over 4 servers: 43 stripes.
  CHECK(KillAndRepair(128, 1) == "");
}

TEST_CASE("repair: refuses a healthy server, or one out of range, and writes nothing") {
  Cluster cluster(3, 128);
  std::ostringstream out, progress;
  ShellHooks hooks = MakeRaidHooks(cluster.array.get(), cluster.remotes, progress);
  Status healthy = hooks.repair(1, out);
  CHECK(healthy.code() == Code::kInvalidArgument);
  CHECK_MESSAGE(healthy.message().find("not failed") != std::string::npos, healthy.ToString());
  Status out_of_range = hooks.repair(3, out);
  CHECK(out_of_range.code() == Code::kInvalidArgument);
  CHECK_MESSAGE(out_of_range.message().find("not in valid range") != std::string::npos,
                out_of_range.ToString());
  CHECK(out.str().empty());
  CHECK(progress.str().empty());
  for (const auto& server : cluster.servers) CHECK(server->store().stats().puts == 0);
}

TEST_CASE("repair and lock_server without an array") {
  LocalServer server(16, kBlockSize);
  std::vector<std::unique_ptr<client::RemoteDevice>> remotes;
  remotes.push_back(
      std::make_unique<client::RemoteDevice>(server.endpoint(), 16, kBlockSize, kTimeoutMs));
  std::ostringstream out, progress;
  ShellHooks hooks = MakeRaidHooks(nullptr, remotes, progress);
  CHECK(hooks.lock_server == -1);
  Status s = hooks.repair(0, out);
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK_MESSAGE(s.message().find("needs a RAID-5 array") != std::string::npos, s.ToString());
  CHECK(out.str().empty());
  CHECK(progress.str().empty());
  CHECK(server.calls() == 0);
}

// The fixed header of the showload table.
const char kLoadHeader[] =
    "server  address               state         Get      Put      RSM |   srv Get  srv Put"
    "  srv RSM srv csum\n";

// One row of the table, formatted independently of the code under test. server: the server's
// counters, or null for "-" cells.
std::string LoadRow(int id, const rpc::Endpoint& endpoint, const RequestCounts& sent,
                    const RequestCounts* server) {
  auto cell = [server](int64_t RequestCounts::*field) {
    return server != nullptr ? std::to_string(server->*field) : std::string("-");
  };
  char row[256];
  std::snprintf(row, sizeof(row), "%-8d%-22s%-8s%9lld%9lld%9lld | %9s%9s%9s%9s\n", id,
                endpoint.ToString().c_str(), server != nullptr ? "ok" : "FAILED",
                static_cast<long long>(sent.gets), static_cast<long long>(sent.puts),
                static_cast<long long>(sent.rsms), cell(&RequestCounts::gets).c_str(),
                cell(&RequestCounts::puts).c_str(), cell(&RequestCounts::rsms).c_str(),
                cell(&RequestCounts::checksum_errors).c_str());
  return row;
}

std::string LoadTotal(const std::vector<std::unique_ptr<client::RemoteDevice>>& remotes) {
  RequestCounts total;
  for (const auto& remote : remotes) {
    total.gets += remote->sent().gets;
    total.puts += remote->sent().puts;
    total.rsms += remote->sent().rsms;
  }
  char row[128];
  std::snprintf(row, sizeof(row), "%-38s%9lld%9lld%9lld\n", "total",
                static_cast<long long>(total.gets), static_cast<long long>(total.puts),
                static_cast<long long>(total.rsms));
  return row;
}

// "Get 3 Put 1 RSM 0 csum 0": counters made comparable and printable.
std::string Str(const RequestCounts& c) {
  return "Get " + std::to_string(c.gets) + " Put " + std::to_string(c.puts) + " RSM " +
         std::to_string(c.rsms) + " csum " + std::to_string(c.checksum_errors);
}

TEST_CASE("showload: this client's counters and each server's own, per server") {
  Cluster cluster(3, 128);  // 64 stripes
  const raid::Layout& layout = cluster.array->layout();
  // Writes, whose request counts are the array's business; then reads and the lock, whose
  // counts are fixed: one Get to the block's data server, RSM and release on server 0 only.
  for (int v = 1; v <= 5; ++v) REQUIRE(cluster.array->Put(v, Cluster::Pattern(v)).ok());
  std::vector<RequestCounts> expected_sent;
  for (const auto& remote : cluster.remotes) expected_sent.push_back(remote->sent());
  for (int v = 0; v <= 5; ++v) {
    REQUIRE(cluster.array->Get(v).ok());
    ++expected_sent[layout.DataLocation(v).server].gets;
  }
  REQUIRE(cluster.array->RSM(0).ok());
  REQUIRE(cluster.array->Put(0, client::LockConvention::Released(kBlockSize)).ok());
  ++expected_sent[0].rsms;
  ++expected_sent[0].puts;
  // Traffic of another client: the servers count it, this client does not.
  client::RemoteDevice other(cluster.servers[1]->endpoint(), cluster.server_blocks(), kBlockSize,
                             kTimeoutMs);
  REQUIRE(other.Get(0).ok());
  REQUIRE(other.Get(1).ok());

  std::vector<RequestCounts> expected_server;
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(Str(cluster.remotes[i]->sent()) == Str(expected_sent[i]));
    RequestCounts server = expected_sent[i];
    if (i == 1) server.gets += 2;
    CHECK(Str(cluster.servers[i]->store().stats()) == Str(server));
    expected_server.push_back(server);
  }
  CHECK(expected_sent[0].rsms == 1);
  CHECK(expected_sent[0].puts >= 2);  // a data block of stripe 0 or 2, and the lock release

  std::ostringstream progress, out;
  ShellHooks hooks = MakeRaidHooks(cluster.array.get(), cluster.remotes, progress);
  hooks.show_load(out);
  std::string expected = kLoadHeader;
  for (int i = 0; i < 3; ++i) {
    expected += LoadRow(i, cluster.servers[i]->endpoint(), expected_sent[i], &expected_server[i]);
  }
  expected += LoadTotal(cluster.remotes);
  CHECK(out.str() == expected);
  CHECK(out.str().find("127.0.0.1:" + std::to_string(cluster.servers[2]->port())) !=
        std::string::npos);
  CHECK(progress.str().empty());
  // Stats is not counted as a request, on either side.
  for (int i = 0; i < 3; ++i) {
    CHECK(Str(cluster.remotes[i]->sent()) == Str(expected_sent[i]));
    CHECK(Str(cluster.servers[i]->store().stats()) == Str(expected_server[i]));
  }
}

TEST_CASE("showload: a failed server is shown FAILED and not contacted") {
  Cluster cluster(3, 128);
  cluster.Fill();
  cluster.Kill(2);
  // Back on its port but not repaired: the array must still leave it alone.
  cluster.Replace(2);
  LocalServer& back = *cluster.servers[2];
  const RequestCounts back_stats = back.store().stats();
  const RequestCounts failed_sent = cluster.remotes[2]->sent();
  std::vector<int64_t> calls;
  for (const auto& server : cluster.servers) calls.push_back(server->calls());

  std::ostringstream progress, out;
  ShellHooks hooks = MakeRaidHooks(cluster.array.get(), cluster.remotes, progress);
  hooks.show_load(out);

  std::string expected = kLoadHeader;
  for (int i = 0; i < 2; ++i) {
    const RequestCounts server = cluster.servers[i]->store().stats();
    expected += LoadRow(i, cluster.servers[i]->endpoint(), cluster.remotes[i]->sent(), &server);
  }
  expected += LoadRow(2, back.endpoint(), failed_sent, nullptr);
  expected += LoadTotal(cluster.remotes);
  CHECK(out.str() == expected);
  CHECK(out.str().find(" FAILED ") != std::string::npos);
  // The healthy servers got one Stats call each; the failed one nothing at all.
  CHECK(cluster.servers[0]->calls() == calls[0] + 1);
  CHECK(cluster.servers[1]->calls() == calls[1] + 1);
  CHECK(back.calls() == calls[2]);
  CHECK(Str(back.store().stats()) == Str(back_stats));
  CHECK(Str(cluster.remotes[2]->sent()) == Str(failed_sent));
  CHECK(cluster.array->failed(2));
}

TEST_CASE("showload without an array: one row, never FAILED") {
  LocalServer server(16, kBlockSize);
  std::vector<std::unique_ptr<client::RemoteDevice>> remotes;
  remotes.push_back(
      std::make_unique<client::RemoteDevice>(server.endpoint(), 16, kBlockSize, kTimeoutMs));
  REQUIRE(remotes[0]->Put(3, ToBytes("x")).ok());
  REQUIRE(remotes[0]->Get(3).ok());
  REQUIRE(remotes[0]->Get(4).ok());
  REQUIRE(remotes[0]->RSM(0).ok());
  std::ostringstream progress, out;
  ShellHooks hooks = MakeRaidHooks(nullptr, remotes, progress);
  hooks.show_load(out);
  const RequestCounts counts{2, 1, 1, 0};
  CHECK(Str(remotes[0]->sent()) == Str(counts));
  CHECK(Str(server.store().stats()) == Str(counts));
  CHECK(out.str() == std::string(kLoadHeader) + LoadRow(0, server.endpoint(), counts, &counts) +
                         LoadTotal(remotes));
}

}  // namespace
}  // namespace memoryfs::shell
