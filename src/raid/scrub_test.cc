// Array::Scrub (scrub.cc) over in-memory servers.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "raid/array.h"
#include "raid/testing.h"

namespace memoryfs::raid {
namespace {

using testing::CheckAll;
using testing::FillAll;
using testing::Rig;

std::vector<std::string> Lines(const ScrubReport& report) {
  std::vector<std::string> lines;
  for (const ScrubFinding& f : report.findings) lines.push_back(f.ToString());
  lines.push_back(report.Summary());
  return lines;
}

TEST_CASE("Scrub: a clean array reads every block once, writes nothing, finds nothing") {
  for (int n = 3; n <= 8; ++n) {
    CAPTURE(n);
    Rig rig(n, 150, 16);
    FillAll(rig);
    rig.ClearTraces();
    std::vector<int> progress;
    Result<ScrubReport> report = rig.array->Scrub(true, [&](int done, int total) {
      CHECK(total == rig.array->server_blocks());
      progress.push_back(done);
    });
    REQUIRE(report.ok());
    CHECK(report->findings.empty());
    CHECK(report->Summary() ==
          "scrub: " + std::to_string(rig.array->server_blocks()) + " stripes checked, no mismatch");
    CHECK(rig.Puts() == 0);
    // N reads per stripe, less the lock block, which is not file-system data.
    CHECK(rig.Calls() == static_cast<size_t>(n * rig.array->server_blocks() - 1));
    for (const std::string& line : rig.servers[0]->trace()) CHECK(line != "Get 0");
    REQUIRE_FALSE(progress.empty());
    CHECK(progress.back() == rig.array->server_blocks());
  }
}

TEST_CASE("Scrub: a corrupt data block is found, then rebuilt by scrub repair") {
  Rig rig(4, 120, 16);
  FillAll(rig);
  const Location at = rig.array->layout().DataLocation(17);
  rig.servers[at.server]->SetCorrupt(at.block, true);
  const std::string where =
      "stripe " + std::to_string(at.block) + ", server " + std::to_string(at.server) + ", block 17";
  rig.ClearTraces();
  Result<ScrubReport> found = rig.array->Scrub(false, nullptr);
  REQUIRE(found.ok());
  CHECK(Lines(*found) ==
        std::vector<std::string>{where + ": checksum error",
                                 "scrub: 40 stripes checked, 1 mismatch, 0 repaired"});
  CHECK(rig.Puts() == 0);  // scrub alone changes nothing
  Result<ScrubReport> fixed = rig.array->Scrub(true, nullptr);
  REQUIRE(fixed.ok());
  CHECK(Lines(*fixed) ==
        std::vector<std::string>{where + ": checksum error (rebuilt)",
                                 "scrub: 40 stripes checked, 1 mismatch, 1 repaired"});
  CHECK(rig.Puts() == 1);
  CHECK(rig.array->Scrub(false, nullptr)->findings.empty());
  CHECK(rig.ParityConsistent());
  rig.ClearTraces();
  CheckAll(rig);  // every block right, with one Get each (no rebuild)
  CHECK(rig.Calls() == 119);
  CHECK(rig.events.empty());
}

TEST_CASE("Scrub: parity that does not match checksum-verified data is rewritten, data kept") {
  Rig rig(5, 120, 16);
  FillAll(rig);
  const int stripe = 7;
  const int parity_server = rig.array->layout().ParityServer(stripe);
  rig.servers[parity_server]->set_raw(stripe, Bytes(16, 0x5a));  // a stale parity (write hole)
  Result<ScrubReport> report = rig.array->Scrub(true, nullptr);
  REQUIRE(report.ok());
  REQUIRE(report->findings.size() == 1);
  CHECK(report->findings[0].ToString() == "stripe 7, server " + std::to_string(parity_server) +
                                              ", parity: does not match the data (rewritten)");
  CHECK(report->findings[0].kind == ScrubFinding::Kind::kParity);
  CHECK(rig.ParityConsistent());
  CheckAll(rig);
}

TEST_CASE("Scrub: two bad blocks in a stripe are reported and left alone") {
  Rig rig(4, 120, 16);
  FillAll(rig);
  const Location a = rig.array->layout().DataLocation(30);
  const Location b = rig.array->layout().DataLocation(31);
  REQUIRE(a.block == b.block);
  rig.servers[a.server]->SetCorrupt(a.block, true);
  rig.servers[b.server]->SetCorrupt(b.block, true);
  const auto before = rig.Snapshot();
  rig.ClearTraces();
  Result<ScrubReport> report = rig.array->Scrub(true, nullptr);
  REQUIRE(report.ok());
  REQUIRE(report->findings.size() == 2);
  for (const ScrubFinding& f : report->findings) {
    CHECK(f.kind == ScrubFinding::Kind::kUnrepairable);
    CHECK_FALSE(f.repaired);
    CHECK(f.ToString().find("not repairable") != std::string::npos);
  }
  CHECK(report->Summary() == "scrub: 40 stripes checked, 2 mismatches, 0 repaired");
  CHECK(rig.Puts() == 0);
  CHECK(rig.Snapshot() == before);
}

TEST_CASE("Scrub: refused while a server is failed, stops when one fails midway") {
  Rig rig(4, 120, 16);
  FillAll(rig);
  rig.Fail(2);
  rig.ClearTraces();
  Result<ScrubReport> refused = rig.array->Scrub(false, nullptr);
  CHECK(refused.status().code() == Code::kUnavailable);
  CHECK(refused.status().message() ==
        "scrub needs every server: server 2 is failed (repair it first)");
  CHECK(rig.Calls() == 0);

  Rig other(4, 1200, 16);  // 400 stripes: several batches
  FillAll(other);
  other.ClearTraces();
  other.servers[1]->FailAfterCalls(50);
  Result<ScrubReport> stopped = other.array->Scrub(true, nullptr);
  CHECK(stopped.status().code() == Code::kUnavailable);
  CHECK(stopped.status().message().rfind("scrub stopped at stripe ", 0) == 0);
  CHECK(other.array->failed(1));
  CHECK(other.Puts() == 0);
}

}  // namespace
}  // namespace memoryfs::raid
